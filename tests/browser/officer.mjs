// The officer in the field (run by run.mjs): a desk scanner typing into the page, the
// camera's torch, switch and errors, a decision at a glance on a phone, the printed
// record, the verdict announced to screen readers, and the times from scan to verdict.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The number of pages of a PDF, read by poppler's pdfinfo (installed by scripts/test).
function pdfPages(pdf) {
  const path = join(mkdtempSync(join(tmpdir(), 'cartouche-print-')), 'record.pdf');
  writeFileSync(path, pdf);
  const info = execFileSync('pdfinfo', [path], { encoding: 'utf8' });
  return Number(info.match(/^Pages:\s+(\d+)/m)[1]);
}

/// Median and 95th percentile of durations in ms.
export function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { n: sorted.length, median: Math.round(at(0.5)), p95: Math.round(at(0.95)) };
}

export function reportTimes(log, what, samples) {
  const { n, median, p95 } = summary(samples);
  log(`time to verdict, ${what}: median ${median} ms, p95 ${p95} ms (n=${n})`);
}

async function texts(base, lang) {
  const response = await fetch(`${base}/assets/i18n/${lang}.json`);
  return response.json();
}

// ------------------------------------------------------------------ desk scanner

// A keyboard-wedge scanner types the QR text and Enter, fast. Nothing needs a click: with
// no field focused (a page just opened, a verdict on screen), the page gathers the keys
// itself; typed into the text field, the form's Enter submits it.
export async function deskScanner({ browser, config, newPage, shots, log, verdictOf, accessible }) {
  const { page } = await newPage(browser, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const base = config.base;
  await page.goto(`${base}/verify?lang=en`);

  // 1. On the page just opened: the text, then Enter, at scanner speed (no delay between keys).
  const started = Date.now();
  await page.keyboard.type(config.three.qr_text);
  const typed = Date.now();
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await verdictOf(page), 'VALID', 'a scan with nothing clicked verifies');
  log(`desk scanner: ${config.three.qr_text.length} characters typed in ${typed - started} ms, then Enter → VALID`);
  await shots(page, 'scanner-verdict', { fullPage: false });

  // Into the text field (an officer who clicked it first), with the checkpoint options.
  await page.goto(`${base}/verify?lang=en`);
  await page.locator('#paste-qr').click();
  await page.keyboard.type(config.qr_text);
  await shots(page, 'scanner-typing', { fullPage: false });
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await verdictOf(page), 'VALID', 'a scan into the field verifies');

  // 2. While a verdict is shown, nothing focused: the next scan starts the next verification.
  const enterToVerdict = [];
  for (const [text, expected] of [
    [config.qr_text, 'VALID'],
    [config.three.qr_text, 'VALID'],
    ['https://shop.example/product/4006381333931', 'NOT_A_CERTIFICATE'],
    [config.three.qr_text, 'VALID'],
  ]) {
    await page.evaluate(() => {
      document.activeElement && document.activeElement.blur && document.activeElement.blur();
      window.__before_scan = true;
    });
    await page.keyboard.type(text);
    const enter = Date.now();
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(await verdictOf(page), expected, `a scan over a verdict: ${text.slice(0, 40)}`);
    assert.equal(await page.evaluate(() => window.__before_scan), undefined, 'a new page');
    if (expected === 'VALID') enterToVerdict.push(Date.now() - enter);
  }
  log('desk scanner: scans over a shown verdict start the next verification');

  // 3. A person typing a few letters and Enter on a verdict does nothing.
  const before = page.url();
  await page.keyboard.type('abc');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
  assert.equal(page.url(), before, 'stray keys are not a scan');

  // The time from the scanner's Enter to the verdict on screen, from the field and over a verdict.
  for (let i = 0; i < 12; i += 1) {
    await page.goto(`${base}/verify?lang=en`);
    await page.locator('#paste-qr').fill(config.three.qr_text);
    const enter = Date.now();
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await page.locator('#verdict').waitFor();
    enterToVerdict.push(Date.now() - enter);
  }
  reportTimes(log, 'desk scanner (Enter to verdict, 3-object certificate)', enterToVerdict);
  await accessible(page, 'the verdict after a desk scan');
  await page.context().close();
}

// ------------------------------------------------------------------ camera controls

// A stand-in camera (a canvas stream) with a torch and two devices, so that the controls
// can be driven where Chromium's fake camera has neither; and getUserMedia errors.
function cameraStub({ error, torch, cameras }) {
  window.__camera = { requests: [], torch: [] };
  const devices = Array.from({ length: cameras }, (_, i) => ({
    kind: 'videoinput', deviceId: `camera-${i}`, label: `Camera ${i}`, groupId: 'g',
  }));
  navigator.mediaDevices.enumerateDevices = async () => devices;
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    window.__camera.requests.push(JSON.parse(JSON.stringify(constraints)));
    if (error) throw new DOMException('stub', error);
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const context = canvas.getContext('2d');
    context.fillStyle = '#888';
    context.fillRect(0, 0, 320, 240);
    const stream = canvas.captureStream(5);
    const track = stream.getVideoTracks()[0];
    const wanted = constraints.video.deviceId && constraints.video.deviceId.exact;
    track.getCapabilities = () => (torch ? { torch: true } : {});
    track.getSettings = () => ({ deviceId: wanted || 'camera-0' });
    track.applyConstraints = async (c) => {
      window.__camera.torch.push(c.advanced[0].torch);
    };
    return stream;
  };
}

export async function cameraControls({ browser, config, newPage, log, shots }) {
  const base = config.base;
  // Errors: a message that says what to do, in the officer's language.
  for (const lang of ['en', 'fr']) {
    const words = await texts(base, lang);
    for (const [error, key] of [
      ['NotAllowedError', 'verify.scan.error.denied'],
      ['NotFoundError', 'verify.scan.error.not_found'],
      ['NotReadableError', 'verify.scan.error.in_use'],
      ['OverconstrainedError', 'verify.scan.error.not_found'],
      ['TypeError', 'verify.scan.error.other'],
    ]) {
      const { context, page } = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await context.addInitScript(cameraStub, { error, torch: false, cameras: 1 });
      await page.goto(`${base}/verify?lang=${lang}`);
      await page.locator('#scan-start').click();
      await page.locator('#scan-status').filter({ hasText: words[key] }).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('#scan-start').isVisible(), true, 'the officer can try again');
      if (lang === 'en' && error === 'NotAllowedError') await shots(page, 'camera-denied', { fullPage: false });
      await context.close();
    }
  }
  log('camera errors: denied, none, in use, other (EN, FR)');

  // A camera without a torch, alone: neither control is offered.
  {
    const { context, page } = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await context.addInitScript(cameraStub, { error: null, torch: false, cameras: 1 });
    await page.goto(`${base}/verify?lang=en`);
    await page.locator('#scan-start').click();
    await page.locator('#scan-stop').waitFor({ state: 'visible' });
    await page.waitForTimeout(200);
    assert.equal(await page.locator('#scan-torch').isVisible(), false, 'no torch offered without one');
    assert.equal(await page.locator('#scan-switch').isVisible(), false, 'no switch with one camera');
    await context.close();
  }
  // A back camera with a torch, and a front one: both controls work.
  {
    const { context, page } = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await context.addInitScript(cameraStub, { error: null, torch: true, cameras: 2 });
    await page.goto(`${base}/verify?lang=en`);
    await page.locator('#scan-start').click();
    const torch = page.locator('#scan-torch');
    await torch.waitFor({ state: 'visible' });
    await torch.click();
    await page.waitForFunction(() => document.getElementById('scan-torch').getAttribute('aria-pressed') === 'true');
    await torch.click();
    await page.waitForFunction(() => document.getElementById('scan-torch').getAttribute('aria-pressed') === 'false');
    assert.deepEqual(await page.evaluate(() => window.__camera.torch), [true, false], 'the torch goes on and off');
    const switcher = page.locator('#scan-switch');
    await switcher.waitFor({ state: 'visible' });
    await switcher.click();
    await page.waitForFunction(() => window.__camera.requests.length === 2);
    const requests = await page.evaluate(() => window.__camera.requests);
    assert.deepEqual(requests[0].video.facingMode, { ideal: 'environment' }, 'the back camera first');
    assert.deepEqual(requests[1].video.deviceId, { exact: 'camera-1' }, 'then the other camera');
    await page.locator('#scan-stop').waitFor({ state: 'visible' });
    await context.close();
  }
  log('camera: torch and camera switch where the device has them');
}

// ------------------------------------------------------------------ at a glance, printed

export async function glanceAndPrint({ browser, config, newPage, shots, log, verdictOf, accessible }) {
  const base = config.base;
  const { page } = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.goto(`${base}/v/${config.three.token}?lang=en`);
  assert.equal(await verdictOf(page), 'VALID');
  // Everything the decision needs is on the first screen, the three photos loaded.
  const firstScreen = [
    '#verdict .word',
    '#certificate .number',
    '#glance-country',
    '#glance-export',
    ...[0, 1, 2].flatMap((i) => [
      `.glance-object:nth-child(${i + 1}) img`,
      `.glance-object:nth-child(${i + 1}) .title`,
      `.glance-object:nth-child(${i + 1}) .dimensions`,
    ]),
  ];
  for (const selector of firstScreen) {
    const box = await page.locator(selector).boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 844, `${selector} is on the first screen (${JSON.stringify(box)})`);
  }
  assert.equal(await page.locator('.glance-object').count(), 3);
  for (const img of await page.locator('.glance-object img').all()) {
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the certified photo loads');
  }
  assert.match(await page.locator('#glance-export').innerText(), /Definitive → SG/);
  await shots(page, 'verdict-valid-phone', { fullPage: false });
  // The rest opens on demand.
  const objects = page.locator('#details-objects');
  assert.equal(await objects.evaluate((d) => d.open), false);
  await objects.locator('summary').click();
  await page.locator('#details-objects article.object').first().waitFor({ state: 'visible' });
  assert.equal(await page.locator('#details-objects article.object').count(), 3);
  await accessible(page, 'the VALID verdict on a phone');
  // Announced to screen readers, in a live region.
  await page.waitForFunction(() => document.getElementById('live').textContent.includes('VALID'));
  assert.equal(await page.locator('#live').getAttribute('aria-live'), 'assertive');
  assert.match(await page.locator('#live').innerText(), new RegExp(`VALID: certificate ${config.three.number}`));

  // Printed: one A4 page, with the decision, the certificate and every check.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('#print-record').isVisible(), true, 'the printed record');
  assert.equal(await page.locator('.next').isVisible(), false, 'no buttons on paper');
  assert.equal(await page.locator('#print-record li').count(), await page.locator('#details-reasons li').count());
  await page.emulateMedia({ media: null }); // back to the default: page.pdf() prints
  assert.equal(pdfPages(await page.pdf({ format: 'A4' })), 1, 'the printed record of a VALID check is one page');
  log('verdict at a glance on a phone; printed on one page');

  // INVALID: the reason is in the banner; printed on one page too.
  const token = config.three.token;
  const forged = token.slice(0, -5) + (token.at(-5) === 'A' ? 'B' : 'A') + token.slice(-4);
  await page.goto(`${base}/v/${forged}?lang=en`);
  assert.equal(await verdictOf(page), 'INVALID');
  assert.match(await page.locator('#verdict .why').innerText(), /signature does not match/);
  const why = await page.locator('#verdict .why').boundingBox();
  assert.ok(why.y + why.height <= 844, 'the reason is on the first screen');
  await shots(page, 'verdict-invalid-phone', { fullPage: false });
  await accessible(page, 'the INVALID verdict on a phone');
  assert.equal(pdfPages(await page.pdf({ format: 'A4' })), 1, 'the printed record of an INVALID check is one page');

  // Not a certificate: said in those words, in the officer's language.
  await page.goto(`${base}/verify?lang=en&qr=${encodeURIComponent('https://shop.example/product/42')}`);
  assert.equal(await verdictOf(page), 'NOT_A_CERTIFICATE');
  assert.match(await page.locator('#verdict .word').innerText(), /This is not an export certificate/);
  const body = await page.locator('main').innerText();
  assert.doesNotMatch(body, /signature|expired|INVALID/i);
  await shots(page, 'not-a-certificate-phone', { fullPage: false });
  await accessible(page, 'the not-a-certificate page');
  for (const [lang, words] of [
    ['fr', "Ce n'est pas un certificat d'exportation"],
    ['it', (await texts(base, 'it'))['notcert.title']],
    ['de', 'Dies ist keine Ausfuhrbescheinigung'],
    ['es', (await texts(base, 'es'))['notcert.title']],
  ]) {
    await page.goto(`${base}/verify?lang=${lang}&qr=4006381333931`);
    assert.equal((await page.locator('#verdict .word').innerText()).trim(), words, lang);
  }
  log('INVALID and not-a-certificate on a phone');
  await page.context().close();
}

// ------------------------------------------------------------------ every page, every language

export async function everyPageAccessible({ browser, config, newPage, accessible, log }) {
  const base = config.base;
  const { page } = await newPage(browser, { viewport: { width: 1280, height: 900 } });
  const token = config.token;
  for (const lang of ['en', 'fr', 'it', 'de', 'es']) {
    for (const path of [
      `/verify?lang=${lang}`,
      `/v/${token}?lang=${lang}`,
      `/v/${token.slice(0, 40)}x.y?lang=${lang}`,
      `/verify?lang=${lang}&qr=hello`,
      `/verify?lang=${lang}&qr=+`,
      `/c/${config.number}?lang=${lang}`,
      `/c/XX?lang=${lang}`,
      `/console?lang=${lang}`,
    ]) {
      await page.goto(`${base}${path}`);
      assert.equal(await page.locator('html').getAttribute('lang'), lang, path);
      await accessible(page, path.slice(0, 60));
    }
  }
  log('every page in five languages: no serious or critical accessibility violation');
  await page.context().close();
}
