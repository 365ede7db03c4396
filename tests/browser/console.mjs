// Browser scenario of the ministry console (/console, console.js).
//
// The harness launches Chromium (playwright-core) and a Cartouche server whose clock
// says 2026-11-28, and passes an issuer token for IT. The scenario signs in, issues the
// Italian example application (first refused by the IT rules for a too-long validity,
// with the finding shown beside the field), opens the issued certificate, finds it in the
// list, revokes it, and checks the French texts.

import assert from 'node:assert/strict';

const TIMEOUT = 30000;
const EXAMPLE = 'it-archaeology-temporary-ch';
const REVOKE_REASON = 'issued in error (test)';

export async function consoleScenario({ browser, base, issuerToken, shots, log, contrast }) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
    locale: 'en-GB',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Refused requests (401, 422) are logged by Chromium as resource errors: expected here.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) {
      problems.push(`console error: ${message.text()}`);
    }
  });

  try {
    // a. Sign in.
    log('console: sign in');
    await page.goto(`${base}/console?lang=en`);
    await page.waitForSelector('#signin-token');
    assert.equal(await page.locator('#console-title').textContent(), 'Ministry console');
    await shots(page, 'console-signin');

    // A wrong token is refused with the API's message.
    await page.fill('#signin-token', 'ct_not_a_real_token');
    await page.click('#signin-submit');
    const refusal = page.locator('#console-alert[role="alert"]');
    await refusal.waitFor({ state: 'visible' });
    assert.ok((await refusal.textContent()).trim().length > 0, 'a refused token shows the API message');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('cartouche.issuer')), null);

    await page.fill('#signin-token', issuerToken);
    await page.click('#signin-submit');
    await page.waitForSelector('#console-nav #nav-new');
    await page.waitForSelector('#list-results[aria-busy="false"]');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('cartouche.issuer')), issuerToken);

    // b. New application from the example, valid_until too far: the IT rules refuse it.
    log('console: new application from the example');
    await page.click('#nav-new');
    await page.waitForSelector('#application-form');
    await page.waitForSelector(`#example-select option[value="${EXAMPLE}"]`, { state: 'attached' });
    await page.selectOption('#example-select', EXAMPLE);
    await page.click('#example-load');
    const validUntil = page.locator('input[data-pointer="/valid_until"]');
    await page.waitForFunction(() => {
      const input = document.querySelector('input[data-pointer="/valid_until"]');
      return input && input.value === '2027-11-27';
    });
    // The arrays were sized to the example: two objects, four photos on the first.
    await page.waitForSelector('[data-pointer="/objects/1/title"]', { state: 'attached' });
    assert.equal(await page.locator('input[data-pointer="/objects/0/photos/3/sha256"]').count(), 1);
    assert.equal(await page.locator('input[data-pointer="/objects/0/photos/4/sha256"]').count(), 0);
    assert.equal(await page.locator('input[type=number][data-pointer="/objects/0/measurements/0/value"]').inputValue(), '24.6');

    // A schema error first: the HS code must be digits; the server's error shows beside it.
    const hsCode = page.locator('input[data-pointer="/objects/0/hs_code"]');
    const originalHs = await hsCode.inputValue();
    await hsCode.fill('97.01');
    await page.click('#application-submit');
    const hsError = page.locator('.field[data-pointer="/objects/0/hs_code"] .msg.error', { hasText: '97.01' });
    await hsError.waitFor({ state: 'visible' });
    assert.ok((await hsCode.getAttribute('aria-describedby')).split(/\s+/).includes(await hsError.getAttribute('id')));
    assert.equal(await hsCode.getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#form-summary').textContent(), /97\.01/);
    await hsCode.fill(originalHs);

    await validUntil.fill('2032-12-01');
    await page.click('#application-submit');
    const wrapper = page.locator('.field[data-pointer="/valid_until"]');
    const finding = wrapper.locator('.finding', { hasText: 'IT.ALC_VALIDITY' });
    await finding.waitFor({ state: 'visible' });
    assert.equal(await validUntil.getAttribute('aria-invalid'), 'true');
    const findingId = await finding.getAttribute('id');
    assert.ok(findingId, 'the finding has an id');
    assert.ok((await validUntil.getAttribute('aria-describedby')).split(/\s+/).includes(findingId),
      'the input is described by the finding');
    const summary = page.locator('#form-summary[role="alert"]');
    await summary.waitFor({ state: 'visible' });
    assert.match(await summary.textContent(), /it-export/);
    assert.match(await summary.textContent(), /IT\.ALC_VALIDITY/);
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'form-summary');
    await finding.scrollIntoViewIfNeeded();
    await wrapper.evaluate((node) => node.scrollIntoView({ block: 'center' }));
    await shots(page, 'console-finding', { fullPage: false });
    await contrast(page, 'the console form with a finding');

    // c. Fixed: the certificate is issued and its page shown.
    log('console: issue');
    await validUntil.fill('2027-11-27');
    await page.click('#application-submit');
    await page.waitForURL(/#\/c\/IT-2026-\d{6}$/);
    const heading = page.locator('#view-title');
    await page.waitForSelector('#cert-state');
    const number = (await heading.textContent()).trim();
    assert.match(number, /^IT-2026-\d{6}$/);
    assert.equal(await page.locator('.finding').count(), 0, 'the old findings are gone');
    assert.equal((await page.locator('#cert-state .state').textContent()).trim(), 'Active');
    await page.waitForFunction(() => {
      const image = document.getElementById('cert-qr');
      return image && !image.hidden && image.complete && image.naturalWidth > 0;
    });
    assert.ok((await page.locator('#cert-qr').getAttribute('alt')).includes(number), 'the QR image has a meaningful alt');
    const pdf = page.locator(`#cert-pdf[download="${number}.pdf"]`);
    await pdf.waitFor({ state: 'visible' });
    assert.match(await pdf.getAttribute('href'), /^blob:/);
    assert.equal(await page.locator('#cert-status-link').getAttribute('href'), `/c/${number}?lang=en`);
    assert.match(await page.locator('#cert-verify-link').getAttribute('href'), /^https?:\/\//);
    await page.locator('#cert-rules').getByText('it-export').first().waitFor();
    await shots(page, 'console-certificate');
    await contrast(page, 'the console certificate page');

    // d. The list: filter Active, then search a word of the title.
    log('console: list');
    await page.click('#nav-list');
    await page.waitForSelector('#list-results[aria-busy="false"]');
    await filter(page, 'active', '');
    assert.ok(await listed(page, number), 'listed under Active');
    await page.fill('#search-q', 'patera');
    await page.click('#search-submit');
    await page.waitForSelector('#list-results[aria-busy="false"][data-filter="active|patera"]');
    const row = page.locator(`#cert-table tr[data-number="${number}"]`);
    assert.ok(await listed(page, number), 'found by a word of the title');
    assert.match(await row.textContent(), /Offerente con patera/);
    await page.fill('#search-q', 'no-such-object-xyz');
    await page.click('#search-submit');
    await page.waitForSelector('#list-results[aria-busy="false"][data-filter="active|no-such-object-xyz"]');
    await page.waitForSelector('#list-empty');
    await page.fill('#search-q', 'patera');
    await page.click('#search-submit');
    await page.waitForSelector('#list-results[aria-busy="false"][data-filter="active|patera"]');
    assert.ok(await listed(page, number));
    await row.scrollIntoViewIfNeeded();
    await shots(page, 'console-list');
    await contrast(page, 'the console list');

    // e. Revoke, with the in-page confirmation.
    log('console: revoke');
    await row.locator('a').click();
    await page.waitForURL(new RegExp(`#/c/${number}$`));
    await page.waitForSelector('#status-reason');
    await page.click('#action-revoke');
    await page.waitForSelector('#status-reason-error', { state: 'visible' });
    assert.equal(await page.locator('#status-reason').getAttribute('aria-invalid'), 'true');
    await page.fill('#status-reason', REVOKE_REASON);
    await page.click('#action-revoke');
    await page.waitForSelector('#revoke-confirm', { state: 'visible' });
    await page.click('#action-revoke-confirm');
    await page.waitForFunction(() => {
      const state = document.querySelector('#cert-state .state');
      return state && state.textContent.trim() === 'Revoked';
    });
    assert.match(await page.locator('#cert-reason').textContent(), /issued in error \(test\)/);
    assert.match(await page.locator('#cert-history').textContent(), /Revoked/);
    assert.equal(await page.locator('#action-revoke').count(), 0, 'no more actions once revoked');

    await page.click('#nav-list');
    await page.waitForSelector('#list-results[aria-busy="false"]');
    await filter(page, 'revoked', 'patera');
    assert.ok(await listed(page, number), 'listed under Revoked');
    assert.match(await row.textContent(), /Revoked/);
    await filter(page, 'active', 'patera');
    assert.equal(await listed(page, number), false, 'not listed under Active');

    // f. French: same tab (sessionStorage keeps the token).
    log('console: French');
    await page.goto(`${base}/console?lang=fr#/c/${number}`);
    await page.waitForSelector('#cert-state');
    assert.equal((await page.locator('#console-title').textContent()).trim(), 'Console du ministère');
    assert.equal((await page.locator('#nav-list').textContent()).trim(), 'Certificats');
    assert.equal((await page.locator('#nav-new').textContent()).trim(), 'Nouvelle demande');
    assert.equal((await page.locator('#cert-state .state').textContent()).trim(), 'Révoqué');
    await page.click('#nav-new');
    await page.waitForSelector('#application-form');
    assert.equal((await page.locator('.field[data-pointer="/valid_until"] label').textContent()).replace('*', '').trim(),
      'Valable jusqu’au');
    await page.waitForSelector(`#example-select option[value="${EXAMPLE}"]`, { state: 'attached' });
    await page.selectOption('#example-select', EXAMPLE);
    await page.click('#example-load');
    // Wait for the example to be in the form, or it overwrites the date filled below.
    await page.waitForFunction(() => {
      const input = document.querySelector('input[data-pointer="/valid_until"]');
      return input && input.value === '2027-11-27';
    });
    await page.locator('input[data-pointer="/valid_until"]').fill('2032-12-01');
    await page.click('#application-submit');
    const french = page.locator('.field[data-pointer="/valid_until"] .finding', { hasText: 'IT.ALC_VALIDITY' });
    await french.waitFor({ state: 'visible' });
    assert.match(await french.textContent(), /vaut 5 ans/);
    await page.locator('.field[data-pointer="/valid_until"]').evaluate((node) => node.scrollIntoView({ block: 'center' }));
    await shots(page, 'console-fr', { fullPage: false });

    assert.deepEqual(problems, [], 'no script errors');
    log(`console: ok (${number})`);
  } finally {
    await context.close();
  }
}

// Whether the list shows `number`, pressing "More" until it does or no page is left
// (the server's list may hold other scenarios' certificates).
async function listed(page, number) {
  for (;;) {
    if (await page.locator(`#cert-table tr[data-number="${number}"]`).count() > 0) return true;
    const more = page.locator('#list-more');
    if (await more.count() === 0) return false;
    await more.click(); // marks #list-results busy until the next page is shown
    await page.waitForSelector('#list-results[aria-busy="false"]');
  }
}

// Presses a status filter and waits until the list shows its results.
async function filter(page, status, query) {
  await page.click(`#filter-${status}`);
  assert.equal(await page.locator(`#filter-${status}`).getAttribute('aria-pressed'), 'true');
  await page.waitForSelector(`#list-results[aria-busy="false"][data-filter="${status}|${query}"]`);
}
