/**
 * The simulator's web pages in a real browser (Debian's Chromium through playwright-core): the
 * owner key imported into the web phone key unlocks and locks the car over the simulator's radio
 * bridge with authentic answers, the owner card tapped on the vehicle page unlocks it, and the
 * audit log on the page shows both. Skips when /usr/bin/chromium is missing (.ci/run installs it).
 * The server runs without real-time ticking: the car's clock only moves with what the test does.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import * as C from '../../firmware/codes';
import { OUT, WAIT, withBrowser } from './browser';


describe('web view and web phone key in Chromium', function () {
  this.timeout(90000);
  const rig = withBrowser({ port: 0, realtime: false, startEpochMs: Date.UTC(2026, 0, 5, 9, 0, 0) }, { width: 1360, height: 860 });

  const lockState = (p: Page, text: string) => p.locator('#lock-state', { hasText: new RegExp('^' + text + '$') }).waitFor(WAIT);
  const logRow = (p: Page, text: string) => p.locator('#log tr', { hasText: text }).first().waitFor(WAIT);

  it('unlocks with the imported owner key (authentic OK) and with the owner card, and logs both', async () => {
    const car = rig.server!.vehicle.car;
    const vehicle = await rig.context!.newPage();
    await vehicle.goto(rig.server!.url);
    await lockState(vehicle, 'LOCKED');

    const phone = await rig.context!.newPage();
    await phone.goto(rig.server!.url + 'phonekey');
    await phone.locator('body[data-ready="1"]').waitFor(WAIT);
    await phone.click('#demo-keys button[data-key="owner"]');
    await phone.locator('#key-id', { hasText: '#' + car.keys.owner.keyId }).waitFor(WAIT);
    // The secret is a non-extractable CryptoKey in IndexedDB, and nowhere in the page's storage or address.
    const kept = await phone.evaluate(async () => {
      const db: IDBDatabase = await new Promise((res, rej) => { const r = indexedDB.open('carkey-phonekey'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      const rec: any = await new Promise((res) => { const q = db.transaction('keys').objectStore('keys').get('current'); q.onsuccess = () => res(q.result); });
      let exported = true;
      try { await crypto.subtle.exportKey('raw', rec.key); } catch (e) { exported = false; }
      return { keyId: rec.keyId, extractable: rec.key.extractable, exported, fields: Object.keys(rec).sort(), hash: location.hash, local: localStorage.length };
    });
    assert.deepEqual(kept, { keyId: car.keys.owner.keyId, extractable: false, exported: false, fields: ['importedAt', 'key', 'keyId', 'label', 'notAfter', 'notBefore', 'perms', 'role'], hash: '', local: 0 });

    await phone.click('#unlock');
    await phone.locator('#answer', { hasText: /^Unlocked \(ok\)$/ }).waitFor(WAIT);
    await phone.locator('#answer-auth.auth-good', { hasText: 'Authentic' }).waitFor(WAIT);
    await lockState(vehicle, 'UNLOCKED');
    assert.equal(car.relayOn(), true);
    await logRow(vehicle, 'unlock \u2192 unlocked, key owner');

    await phone.click('#lock');
    await phone.locator('#answer', { hasText: /^Locked \(ok\)$/ }).waitFor(WAIT);
    await lockState(vehicle, 'LOCKED');

    await vehicle.click('#tap-owner-card');
    await lockState(vehicle, 'UNLOCKED');
    await vehicle.locator('#result', { hasText: 'tapped the owner card' }).waitFor(WAIT);
    await logRow(vehicle, 'unlock \u2192 unlocked, key owner-card');
    await logRow(vehicle, 'lock \u2192 locked, key owner');

    // The page shows what the board wrote: the same entries, newest first.
    const rows = await vehicle.locator('#log tr td:last-child').allTextContents();
    const log = car.auditLog();
    assert.equal(rows.length, log.length);
    const unlocks = log.filter((e) => e.event === C.EV_UNLOCK).map((e) => e.keyId);
    assert.deepEqual(unlocks, [car.keys.owner.keyId, log[log.length - 1].keyId]);
    assert.match(rows[0], /key owner-card$/);

    fs.mkdirSync(OUT, { recursive: true });
    const shots = [path.join(OUT, 'web-vehicle.png'), path.join(OUT, 'web-phonekey.png')];
    await vehicle.screenshot({ path: shots[0], fullPage: true });
    await phone.screenshot({ path: shots[1], fullPage: true });
    for (const f of shots) assert.ok(fs.statSync(f).size > 20000, f + ' is too small to be the page');
  });
});
