// A JavaScript plugin that misbehaves on demand, to prove the host contains an interpreter
// as it contains compiled Rust (tests/plugins/hostile is the Rust one, hostile-py the
// Python one). It behaves (no findings) unless an object's title starts with "HOSTILE:",
// followed by one of:
//
// - loop: an infinite loop (runs out of fuel);
// - grow: allocates until memory passes the cap;
// - print: prints without end (stopped at the print bound);
// - raise: throws an Error nobody catches;
// - error: throws a string (the WIT error: the plugin cannot evaluate);
// - file: tries to read files through every way the engine might offer (FILE_DENIED or
//   FILE_READ);
// - clock: reads the clocks (CLOCK);
// - network: tries fetch to the address in the object's description (NET_DENIED or
//   NET_CONNECTED);
// - random: reports Math.random and crypto.getRandomValues (RANDOM);
// - environment: reports what globals could reveal the host (ENVIRONMENT).

function finding(code, message) {
  return { code, severity: 'info', message, translations: [] };
}

export const rule = {
  describe() {
    return {
      id: 'hostile-js',
      jurisdiction: 'INT',
      version: '1.0.0',
      phases: ['issuance', 'exit-check'],
      descriptions: [{ lang: 'en', text: 'Test only: a JavaScript plugin that misbehaves when an object\'s title starts with HOSTILE:.' }],
    };
  },

  evaluate(certificate, context) {
    const subject = JSON.parse(certificate);
    let behaviour = '';
    let target = '';
    for (const item of subject.objects || []) {
      if ((item.title || '').startsWith('HOSTILE:')) {
        behaviour = item.title.slice('HOSTILE:'.length);
        target = item.description || '';
        break;
      }
    }
    switch (behaviour) {
      case 'loop': {
        let counter = 0;
        for (;;) counter++;
      }
      case 'grow': {
        const blocks = [];
        for (;;) {
          const block = new Uint8Array(1 << 20);
          block[0] = 1;
          blocks.push(block);
        }
      }
      case 'print':
        for (;;) console.log('spam '.repeat(200));
      case 'raise':
        throw new Error('the hostile plugin throws');
      case 'error':
        throw 'the hostile plugin cannot evaluate this';
      case 'file': {
        const seen = [];
        for (const attempt of [
          () => typeof require === 'function' && require('fs').readFileSync('/etc/passwd', 'utf8'),
          () => typeof Deno === 'object' && Deno.readTextFileSync('/etc/passwd'),
          () => typeof std === 'object' && std.loadFile('/etc/passwd'),
        ]) {
          try {
            const text = attempt();
            if (text) seen.push(String(text).slice(0, 40));
          } catch (error) {
            // denied, as it should be
          }
        }
        return seen.length
          ? [finding('HOSTILE.FILE_READ', seen.join('; '))]
          : [finding('HOSTILE.FILE_DENIED', 'no file could be read')];
      }
      case 'clock':
        return [finding('HOSTILE.CLOCK', JSON.stringify({ now: Date.now(), performance: typeof performance === 'object' ? performance.now() : null }))];
      case 'network': {
        if (typeof fetch !== 'function') return [finding('HOSTILE.NET_DENIED', 'no fetch')];
        let outcome = 'pending';
        fetch('http://' + target + '/').then(() => { outcome = 'connected'; }, (error) => { outcome = 'refused: ' + error; });
        return [finding(outcome === 'connected' ? 'HOSTILE.NET_CONNECTED' : 'HOSTILE.NET_DENIED', outcome)];
      }
      case 'random': {
        const bytes = new Uint8Array(16);
        if (typeof crypto === 'object') crypto.getRandomValues(bytes);
        return [finding('HOSTILE.RANDOM', Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') + ' ' + Math.random())];
      }
      case 'environment':
        return [finding('HOSTILE.ENVIRONMENT', JSON.stringify({ process: typeof process, env: typeof process === 'object' ? process.env : null }))];
      default:
        return [];
    }
  },
};
