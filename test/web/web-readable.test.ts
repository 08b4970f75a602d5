/**
 * The simulator's pages say what happened, in words, at any width (issue 18 "Readable outcomes"),
 * in Debian's Chromium through playwright-core:
 *   - each card tap reports what the board made of it (the clone: refused, bad MAC);
 *   - a long clock jump shows its progress and turns every action button off until it is done;
 *   - the radio reads "off" while the power is cut;
 *   - the audit log shows names, never raw codes;
 *   - at 360 px wide no page is wider than the screen.
 * Screenshots at desktop and phone width go to test-results/. Skips when /usr/bin/chromium is missing.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import * as C from '../../firmware/codes';
import { OUT, WAIT, withBrowser } from './browser';

const START = Date.UTC(2026, 0, 5, 9, 0, 0);

/** The widest thing on the page versus its viewport. */
const overflow = (p: Page) => p.evaluate(() => {
  const vw = document.documentElement.clientWidth;
  let widest = '';
  for (const el of Array.from(document.querySelectorAll('body *'))) {
    const r = el.getBoundingClientRect();
    if (r.right > vw + 0.5 && r.width > 0) { widest = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' reaches ' + Math.round(r.right) + ' px'; break; }
  }
  return { scroll: document.documentElement.scrollWidth, viewport: vw, widest };
});

async function shoot(p: Page, name: string): Promise<string> {
  fs.mkdirSync(OUT, { recursive: true });
  const f = path.join(OUT, name);
  await p.screenshot({ path: f, fullPage: true });
  assert.ok(fs.statSync(f).size > 10000, f + ' is too small to be the page');
  return f;
}

describe('readable outcomes on the vehicle page (desktop, Chromium)', function () {
  this.timeout(180000);
  const rig = withBrowser({ port: 0, realtime: false, startEpochMs: START }, { width: 1360, height: 900 });
  const result = (p: Page, text: string | RegExp) => p.locator('#result', { hasText: text }).waitFor(WAIT);

  it('each card tap says what the board made of it', async () => {
    const page = await rig.context!.newPage();
    await page.goto(rig.server!.url);
    await page.locator('#lock-state', { hasText: /^LOCKED$/ }).waitFor(WAIT);
    await page.click('#tap-owner-card');
    await result(page, /^tapped the owner card: granted: unlock \u2192 unlocked$/);
    await page.click('#tap-cloned-card');
    await result(page, /^tapped the cloned card: refused \(bad MAC\)$/);
    await page.click('#tap-uid-only-card');
    await result(page, /^tapped the UID-only card: refused \(/);
    // The earlier outcomes stay readable under the newest.
    const history = await page.locator('#history li').allTextContents();
    assert.deepEqual(history.slice(0, 2), ['tapped the cloned card: refused (bad MAC)', 'tapped the owner card: granted: unlock \u2192 unlocked']);
    assert.equal(rig.server!.vehicle.car.auditLog().filter((e) => e.event === C.EV_LOCK).length, 0, 'the clone did not lock the car either');
    await shoot(page, 'web-vehicle-taps.png');
  });

  it('the audit log shows names, never raw codes', async () => {
    const page = await rig.context!.newPage();
    await page.goto(rig.server!.url);
    await page.locator('#log tr', { hasText: 'denied (lock): bad MAC, key owner-card' }).first().waitFor(WAIT);
    const rows = await page.locator('#log tr td:last-child').allTextContents();
    assert.ok(rows.length >= 5);
    for (const r of rows) assert.doesNotMatch(r, /\b(event|reason|state|role) \d+|-> \d/, r);
  });

  it('the radio is off while the power is cut', async () => {
    const page = await rig.context!.newPage();
    await page.goto(rig.server!.url);
    await page.click('button[data-act="powerCut"]');
    await page.locator('#radio', { hasText: /^off/ }).waitFor(WAIT);
    await page.locator('#lock-state', { hasText: 'NO POWER' }).waitFor(WAIT);
    await shoot(page, 'web-vehicle-power-cut.png');
    await page.click('button[data-act="powerOn"]');
    await page.locator('#radio', { hasText: /^advertising$/ }).waitFor(WAIT);
  });

  it('a day\'s clock jump shows progress and holds every other action until it is done', async () => {
    const page = await rig.context!.newPage();
    await page.goto(rig.server!.url);
    await page.locator('#conn.live').waitFor(WAIT);
    const before = rig.server!.vehicle.car.board.clock.now();
    const buttons = () => page.locator('#controls button').evaluateAll((bs) => bs.map((b) => b.id + (b as HTMLButtonElement).textContent + ':' + (b as HTMLButtonElement).disabled));
    const enabledBefore = await buttons();
    await page.click('button[data-ms="86400000"]');
    await page.locator('#progress:not([hidden])').waitFor(WAIT);
    await page.locator('#progress-text', { hasText: /^advancing the clock by 1 day: \d+ %$/ }).waitFor(WAIT);
    assert.equal(await page.locator('#phone-owner-unlock').isDisabled(), true, 'phone buttons are off');
    assert.equal(await page.locator('#tap-owner-card').isDisabled(), true, 'card buttons are off');
    assert.equal(await page.locator('button[data-ms="60000"]').isDisabled(), true, 'clock buttons are off');
    await shoot(page, 'web-vehicle-clock-jump.png');
    // A second page (or a click that slipped through) is told to wait, and nothing queues up.
    const other = await rig.context!.newPage();
    await other.goto(rig.server!.url);
    await other.locator('#progress:not([hidden])').waitFor(WAIT);
    assert.equal(await other.locator('#phone-owner-lock').isDisabled(), true);
    await page.locator('#result', { hasText: /^advanced the clock by 1 day$/ }).waitFor({ timeout: 150000 });
    await page.locator('#progress[hidden]').waitFor({ ...WAIT, state: 'attached' });
    assert.equal(await page.locator('#phone-owner-unlock').isDisabled(), false, 'buttons are back');
    assert.deepEqual(await buttons(), enabledBefore, 'every button as it was, those off for their own reason still off');
    assert.equal(rig.server!.vehicle.car.board.clock.now() - before, 86400000, 'exactly one day, once');
    await shoot(page, 'web-vehicle-desktop.png');
  });
});

describe('the pages at phone width (360 px, Chromium)', function () {
  this.timeout(90000);
  const rig = withBrowser({ port: 0, realtime: false, startEpochMs: START, dev: true, board: 'puckjs' }, { width: 360, height: 780 });

  for (const [p, ready, shot] of [['', '#conn.live', 'web-vehicle-360.png'], ['phonekey', 'body[data-ready="1"]', 'web-phonekey-360.png'], ['relay-bench', 'body[data-ready="1"]', 'web-bench-360.png']] as const) {
    it('/' + p + ' fits 360 px: nothing wider than the screen', async () => {
      const page = await rig.context!.newPage();
      await page.goto(rig.server!.url + p);
      await page.locator(ready).waitFor(WAIT);
      if (p === '') {
        await page.click('#phone-owner-unlock');
        await page.locator('#result', { hasText: 'owner phone unlock: ok' }).waitFor(WAIT);
        await page.locator('#log tr', { hasText: 'unlock' }).first().waitFor(WAIT);
      }
      if (p === 'phonekey') {
        await page.click('#demo-keys button[data-key="owner"]');
        await page.click('#unlock');
        await page.locator('#answer', { hasText: /\(ok\)$/ }).waitFor(WAIT);
      }
      const o = await overflow(page);
      await shoot(page, shot);
      assert.equal(o.widest, '', JSON.stringify(o));
      assert.ok(o.scroll <= o.viewport, JSON.stringify(o));
    });
  }
});
