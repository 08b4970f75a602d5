/**
 * The web phone key's owner side in Chromium, against the simulator's xiaoble board (protocol v2):
 * bad share-form input (role owner, no validity, no car) says one line and makes nothing; the
 * owner shares a driver ticket in the page (a `#v=2` link and a QR code); a second browser (its
 * own storage: another phone) opens the link and unlocks; the owner revokes the ticket in the page
 * (the next list version, kept in IndexedDB), visits the car, which adopts the list; the guest's
 * ticket is then refused `revoked`. Skips when Chromium is missing.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { listIds } from '../../tools/host/travelmake';
import { newBoardId } from '../../tools/host/travel';
import { type TravelKey, parseTravelFragment, travelFragment } from '../../tools/host/travelkey';
import { ARGS, CHROMIUM, OUT, WAIT, withBrowser } from './browser';

/** The owner key's stored list in this page's IndexedDB (hex), or '' for none. */
const storedList = (p: Page) => p.evaluate(async () => {
  const db: IDBDatabase = await new Promise((res, rej) => { const r = indexedDB.open('carkey-phonekey'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const rec: any = await new Promise((res) => { const q = db.transaction('keys').objectStore('keys').get('current'); q.onsuccess = () => res(q.result); });
  return rec && rec.list ? Array.from(rec.list as Uint8Array).map((b) => b.toString(16).padStart(2, '0')).join('') : '';
});

describe('web phone key: an owner shares and revokes in the page, in Chromium (xiaoble, v2)', function () {
  this.timeout(180000);
  const boardId = newBoardId(1);
  // The car's clock starts at the browser's: the page stamps tickets and lists with its own clock.
  const START = Math.floor(Date.now() / 1000);
  const rig = withBrowser({ port: 0, realtime: false, startEpochMs: START * 1000, board: 'xiaoble', boardId }, { width: 360, height: 1400 });
  let guestBrowser: Browser | undefined;
  after(async () => { if (guestBrowser) await guestBrowser.close(); });

  it('bad form input makes nothing; a shared ticket opens in another browser; revoked in the page, it travels and is refused', async function () {
    const car = rig.server!.vehicle.car;
    const owner: TravelKey = { keyId: car.keys.owner.keyId, label: 'owner', boards: [{ boardId, secret: car.keys.owner.secret.slice() }] };
    const page = await rig.context!.newPage();
    await page.goto(rig.server!.url + 'phonekey' + travelFragment(owner));
    await page.locator('body[data-ready="1"]').waitFor(WAIT);
    await page.locator('#share-card').waitFor({ state: 'visible', ...WAIT });
    await page.locator('#revoke-list', { hasText: 'No revocation list yet.' }).waitFor(WAIT);

    // Bad input: one line each, no link.
    const refused = async (text: string) => {
      await page.click('#share-btn');
      await page.locator('#share-error', { hasText: 'Nothing made: ' + text }).waitFor(WAIT);
      assert.equal(await page.locator('#share-out').isHidden(), true, text);
    };
    await page.selectOption('#share-role', 'owner');
    await page.fill('#share-hours', '24');
    await refused('a ticket is never an owner: choose driver or guest');
    await page.selectOption('#share-role', 'driver');
    await page.fill('#share-hours', '');
    await refused('validity: how many hours the ticket lasts (every ticket ends)');
    await page.fill('#share-hours', '24');
    await page.uncheck('#share-boards input[value="' + Buffer.from(boardId).toString('hex') + '"]');
    await refused('choose at least one car the ticket opens');
    await page.check('#share-boards input[value="' + Buffer.from(boardId).toString('hex') + '"]');
    assert.equal(await storedList(page), '', 'nothing stored');

    // A driver ticket for 24 hours: a link and a QR code.
    await page.fill('#share-label', 'ann');
    await page.click('#share-btn');
    await page.locator('#share-out').waitFor({ state: 'visible', ...WAIT });
    assert.equal(await page.locator('#share-error').isHidden(), true);
    const link = await page.locator('#share-link').inputValue();
    assert.ok(link.startsWith(rig.server!.url + 'phonekey#v=2&k='), link);
    const guest = parseTravelFragment(link);
    const ticketId = Number(await page.locator('#share-out').getAttribute('data-ticket'));
    assert.equal(guest.keyId, ticketId);
    assert.equal(guest.label, 'ann');
    assert.deepEqual(guest.boards.map((b) => Buffer.from(b.boardId).toString('hex')), [Buffer.from(boardId).toString('hex')]);
    await page.locator('#share-what', { hasText: 'driver (unlock, lock, drive)' }).waitFor(WAIT);
    assert.ok(await page.locator('#share-qr svg path').count() > 0, 'a QR code is drawn');
    // At phone width nothing is wider than the screen (the link, the board ids, the QR code).
    const wide = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const el = Array.from(document.querySelectorAll('body *')).find((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > vw + 0.5; });
      return { scroll: document.documentElement.scrollWidth, vw, widest: el ? el.tagName + '#' + el.id : '' };
    });
    assert.ok(wide.scroll <= wide.vw && !wide.widest, JSON.stringify(wide));
    fs.mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: path.join(OUT, 'web-phonekey-share-360.png'), fullPage: true });

    // Another phone opens the link and unlocks.
    guestBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const g = await (await guestBrowser.newContext({ viewport: { width: 420, height: 900 } })).newPage();
    await g.goto(link);
    await g.locator('body[data-ready="1"]').waitFor(WAIT);
    await g.locator('#key-id', { hasText: '#' + ticketId + ' \u201cann\u201d' }).waitFor(WAIT);
    await g.locator('#key-role', { hasText: 'driver' }).waitFor(WAIT);
    assert.equal(await g.locator('#share-card').isHidden(), true, 'a ticket cannot share');
    await g.click('#unlock');
    await g.locator('#answer', { hasText: /^Unlocked \(ok\)$/ }).waitFor(WAIT);
    await g.locator('#answer-auth.auth-good').waitFor(WAIT);
    assert.equal(car.relayOn(), true);
    await g.click('#disconnect');

    // The owner revokes it in the page: list version 1, kept in IndexedDB; the next visit hands it over.
    await page.fill('#revoke-id', 'ann');
    await page.click('#revoke-btn');
    await page.locator('#revoke-out', { hasText: 'Nothing revoked: revoke: a key or ticket id' }).waitFor(WAIT);
    assert.equal(await storedList(page), '', 'nothing stored');
    // The tickets made here are listed (no secret); its Revoke button revokes it.
    await page.click('#shared-list li[data-ticket="' + ticketId + '"] button');
    await page.locator('#revoke-out', { hasText: 'revocation list version 1 revokes 1 id(s), ' + ticketId + ' added' }).waitFor(WAIT);
    const kept = await storedList(page);
    assert.deepEqual(listIds(new Uint8Array(Buffer.from(kept, 'hex'))), [ticketId]);
    await page.reload();
    await page.locator('body[data-ready="1"]').waitFor(WAIT);
    await page.locator('#revoke-list', { hasText: 'version 1, 1 id (' + ticketId + ')' }).waitFor(WAIT);
    await page.locator('#shared-list li[data-ticket="' + ticketId + '"]', { hasText: 'revoked' }).waitFor(WAIT);
    await page.click('#lock');
    await page.locator('#answer', { hasText: /^Locked \(ok\)$/ }).waitFor(WAIT);
    await page.locator('#history li', { hasText: 'revocation list version 1 handed to the car: adopted' }).waitFor(WAIT);
    assert.equal(car.relayOn(), false);
    await page.click('#disconnect');

    // The guest's ticket is refused from now on.
    await g.click('#unlock');
    await g.locator('#answer', { hasText: 'Unlock refused: revoked' }).waitFor(WAIT);
    assert.equal(car.relayOn(), false);
  });
});
