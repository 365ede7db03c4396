// Browser tests of the web pages, in Debian's Chromium driven by playwright-core.
// Started by tests/blackbox/web.rs, which runs the server, issues the certificates and
// writes a config file: node run.mjs CONFIG.json. Exit status 0 = every scenario passed.
//
// Scenarios: the camera (Chromium's fake capture device playing a video of the QR code)
// scans to VALID; a photo upload verifies; a tampered token is INVALID; an officer
// records an exit; French pages; the officer in the field (officer.mjs: desk scanner,
// camera controls and errors, the verdict at a glance on a phone and printed, every page
// in five languages checked by axe-core); no Content-Security-Policy violation anywhere;
// then the ministry console (console.mjs). The times from scan to verdict are printed.

import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { consoleScenario } from './console.mjs';
import { cameraControls, deskScanner, everyPageAccessible, glanceAndPrint, reportTimes } from './officer.mjs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const base = config.base;
mkdirSync(config.shots, { recursive: true });

const BROWSER_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 900 } };

function log(message) {
  process.stdout.write(`[browser] ${message}\n`);
}

async function shots(page, name, { fullPage = true } = {}) {
  await page.screenshot({ path: join(config.shots, `${name}.png`), fullPage });
  log(`screenshot ${name}.png`);
}

// Every page is watched for CSP violations and script errors: either fails the run.
const problems = [];
function watch(page) {
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text} (${page.url()})`);
  });
  page.on('pageerror', (error) => problems.push(`script error: ${error.message} (${page.url()})`));
  page.on('request', (request) => {
    if (!request.url().startsWith(base) && !/^(blob|data):/.test(request.url())) {
      problems.push(`a request left the server: ${request.url()}`);
    }
  });
  return page;
}

async function newPage(browser, options) {
  const context = await browser.newContext({ ...options, locale: 'en-GB' });
  context.on('page', watch);
  const page = await context.newPage();
  return { context, page };
}

// WCAG AA: every visible text against its effective background, 4.5:1 (3:1 for large
// text: 24 px, or 18.66 px bold). Returns the offending texts.
async function contrastProblems(page) {
  return page.evaluate(() => {
    function rgba(text) {
      const m = text.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const parts = m[1].split(',').map((x) => parseFloat(x));
      return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
    }
    function luminance([r, g, b]) {
      const channel = (c) => {
        const v = c / 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    }
    function background(element) {
      for (let node = element; node; node = node.parentElement) {
        const colour = rgba(getComputedStyle(node).backgroundColor);
        if (colour[3] > 0.5) return colour;
      }
      return [255, 255, 255, 1];
    }
    const problems = [];
    for (const element of document.querySelectorAll('body *')) {
      const ownText = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!ownText || !element.getClientRects().length) continue;
      const style = getComputedStyle(element);
      if (style.visibility === 'hidden' || element.closest('[hidden], .visually-hidden, .skip, option, select')) continue;
      const [L1, L2] = [luminance(rgba(style.color)), luminance(background(element))].sort((a, b) => b - a);
      const ratio = (L1 + 0.05) / (L2 + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight, 10) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        problems.push(`${ratio.toFixed(2)}:1 "${element.textContent.trim().slice(0, 40)}" (${element.tagName.toLowerCase()}.${element.className})`);
      }
    }
    return problems;
  });
}

// axe-core, from the tests' node_modules (never served by the pages): evaluated in the
// page through the DevTools protocol, which the pages' CSP does not govern.
const AXE = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

async function axeProblems(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`);
  });
}

// WCAG AA contrast (our own check, which also sees text over colour) and axe-core: no
// serious or critical violation.
async function assertAccessible(page, what) {
  const problems = await contrastProblems(page);
  assert.deepEqual(problems, [], `WCAG AA contrast on ${what}`);
  assert.deepEqual(await axeProblems(page), [], `axe-core on ${what}`);
}

async function verdictOf(page) {
  const banner = page.locator('#verdict');
  await banner.waitFor({ timeout: 30_000 });
  return banner.getAttribute('data-verdict');
}

async function cameraScansToValid() {
  const browser = await chromium.launch({
    executablePath: config.chromium,
    args: [
      ...BROWSER_ARGS,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${config.y4m}`,
    ],
  });
  try {
    const { context, page } = await newPage(browser, PHONE);
    await context.grantPermissions(['camera'], { origin: base });
    await page.goto(`${base}/verify?lang=en`);
    // The frames wait until the screenshot of the running camera is taken: a screenshot
    // of a page that is navigating away never completes.
    let release;
    const shot = new Promise((resolve) => {
      release = resolve;
    });
    await page.route('**/api/v1/scan', async (route) => {
      await shot;
      await route.continue();
    });
    await page.locator('#scan-start').click();
    await page.locator('#scan-status').filter({ hasText: /Looking/ }).waitFor({ timeout: 10_000 });
    await shots(page, 'verify-camera');
    release();
    await page.waitForURL(/\/verify\?.*qr=/, { timeout: 30_000 });
    await page.unroute('**/api/v1/scan');
    assert.equal(await verdictOf(page), 'VALID', 'the camera scan gives VALID');
    assert.match(await page.locator('#certificate .number').innerText(), new RegExp(config.number));
    // The certified photo is shown beside the description, loaded from this server.
    const photo = page.locator('.glance-object img').first();
    await photo.waitFor();
    assert.ok(await photo.evaluate((img) => img.complete && img.naturalWidth > 0), 'the certified photo loads');
    log('camera scan → VALID');
    // The time from "Start the camera" to the verdict on screen, camera already allowed.
    const samples = [];
    for (let i = 0; i < 8; i += 1) {
      await page.goto(`${base}/verify?lang=en`);
      const started = Date.now();
      await page.locator('#scan-start').click();
      await page.locator('#verdict').waitFor({ timeout: 30_000 });
      samples.push(Date.now() - started);
    }
    reportTimes(log, 'camera (start to verdict, 1-object certificate)', samples);
  } finally {
    await browser.close();
  }
}

async function uploadAndPaste(browser) {
  const { page } = await newPage(browser, DESKTOP);
  await page.goto(`${base}/verify?lang=en`);
  await shots(page, 'verify');
  await assertAccessible(page, 'the officer page');
  // Photo upload (a plain form: works without the script too).
  await page.locator('#upload-image').setInputFiles(config.qr_png);
  await page.locator('form[enctype="multipart/form-data"] button[type=submit]').click();
  assert.equal(await verdictOf(page), 'VALID', 'the uploaded photo verifies');
  await shots(page, 'verdict-valid');
  await assertAccessible(page, 'the VALID verdict');
  log('photo upload → VALID');

  // A tampered token: one character of the signature changed.
  await page.goto(`${base}/v/${config.tampered}?lang=en`);
  assert.equal(await verdictOf(page), 'INVALID', 'a tampered token is INVALID');
  const failed = page.locator('ul.checks li.fail');
  assert.ok((await failed.count()) >= 1, 'the reasons name the failing check');
  assert.match(await failed.first().innerText(), /Signature|Failed/);
  await shots(page, 'verdict-invalid');
  await assertAccessible(page, 'the INVALID verdict');
  log('tampered token → INVALID');

  // Pasting the text.
  await page.goto(`${base}/verify?lang=en`);
  await page.locator('#paste-qr').fill(config.qr_text);
  await page.locator('#paste-qr').press('Tab');
  await page.locator('form[method=get] button[type=submit]').click();
  assert.equal(await verdictOf(page), 'VALID', 'the pasted text verifies');
  log('pasted text → VALID');

  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await page.goto(`${base}/verify?lang=en`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  log('keyboard: skip link');
  await page.context().close();
}

async function officerRecordsExit(browser) {
  const { page } = await newPage(browser, PHONE);
  await page.goto(`${base}/v/${config.token}?lang=en`);
  // The script shows the hint once it has run; only then is the absence of buttons telling.
  await page.locator('#officer-hint').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#officer-actions').isVisible(), false, 'no buttons without an officer token');
  await page.goto(`${base}/verify?lang=en`);
  await page.locator('#officer-token').fill(config.officer_token);
  await page.locator('#officer-save').click();
  await page.locator('#officer-state').filter({ hasText: 'Officer token set' }).waitFor();
  await page.goto(`${base}/v/${config.token}?lang=en`);
  const actions = page.locator('#officer-actions');
  await actions.waitFor({ state: 'visible' });
  await page.locator('#event-office').fill('Chiasso (IT-CH)');
  await shots(page, 'verdict-officer');
  await Promise.all([page.waitForEvent('load'), page.locator('#record-exit').click()]);
  assert.equal(await verdictOf(page), 'VALID', 'out on temporary export is still VALID');
  await page.locator('ol.history').filter({ hasText: 'Exit recorded' }).waitFor({ state: 'attached' });
  assert.equal(await page.locator('#certificate').getAttribute('data-state'), 'exported_temporarily');
  await page.locator('#record-return').waitFor({ state: 'visible' }); // a temporary export can be returned
  log('officer records the exit');
  await page.context().close();
}

async function french(browser) {
  const { page } = await newPage(browser, PHONE);
  await page.goto(`${base}/verify?lang=fr`);
  await page.locator('h1').filter({ hasText: "Vérifier un certificat d'exportation" }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  await page.goto(`${base}/v/${config.token}?lang=fr`);
  assert.equal(await verdictOf(page), 'VALID');
  assert.equal((await page.locator('#verdict .word').innerText()).trim(), 'VALIDE');
  await page.locator('h2').filter({ hasText: 'Historique du statut' }).waitFor();
  await shots(page, 'verdict-fr');
  await page.goto(`${base}/c/${config.number}?lang=fr`);
  await page.locator('h1').filter({ hasText: 'Statut du certificat' }).waitFor();
  await shots(page, 'status-fr');
  await assertAccessible(page, 'the status page');
  log('French pages');
  await page.context().close();
}

async function main() {
  await cameraScansToValid();
  const browser = await chromium.launch({ executablePath: config.chromium, args: BROWSER_ARGS });
  try {
    const officer = { browser, config, newPage, shots, log, verdictOf, accessible: assertAccessible };
    await glanceAndPrint(officer);
    await deskScanner(officer);
    await cameraControls(officer);
    await everyPageAccessible(officer);
    await uploadAndPaste(browser);
    await officerRecordsExit(browser);
    await french(browser);
    const watchBrowser = {
      newContext: async (options = {}) => {
        const context = await browser.newContext({ ...DESKTOP, locale: 'en-GB', ...options });
        context.on('page', watch);
        return context;
      },
      newPage: async (options = {}) => (await watchBrowser.newContext(options)).newPage(),
    };
    await consoleScenario({ browser: watchBrowser, base, issuerToken: config.issuer_token, shots, log, contrast: assertAccessible });
    log('console');
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, [], 'no CSP violation, script error or outside request');
  log('all browser scenarios passed');
}

main().catch((error) => {
  process.stderr.write(`[browser] FAILED: ${error && error.stack ? error.stack : error}\n`);
  if (problems.length) process.stderr.write(`[browser] also: ${problems.join('\n')}\n`);
  process.exit(1);
});
