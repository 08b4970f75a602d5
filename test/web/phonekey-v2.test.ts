/**
 * The web phone key page with v2 links in Chromium, against the simulator (whose firmware answers
 * a v2 HELLO with its v1 CHALLENGE until the board side of v2 lands): a `#v=2` link for one car is
 * imported on opening (one non-extractable CryptoKey per board in IndexedDB, the link gone from
 * the address bar) and unlocks with an authentic answer; a ticket link is imported and, at this v1
 * board, says the documented line instead of sending anything. Skips when Chromium is missing.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { makeList, makeTicket, newBoardId } from '../../tools/host/travel';
import { type TravelKey, travelFragment } from '../../tools/host/travelkey';
import { V1_BOARD } from '../../tools/host/visit';
import { WAIT, withBrowser } from './browser';

describe('web phone key: v2 links in Chromium', function () {
  this.timeout(90000);
  const rig = withBrowser({ port: 0, realtime: false, startEpochMs: Date.UTC(2026, 0, 5, 9, 0, 0) }, { width: 420, height: 900 });

  it('opens a #v=2 link: keys per board kept non-extractable, unlocks; a ticket at a v1 board says why not', async () => {
    const car = rig.server!.vehicle.car;
    const owner: TravelKey = { keyId: car.keys.owner.keyId, label: 'owner', boards: [{ boardId: newBoardId(1), secret: car.keys.owner.secret.slice() }] };
    const page = await rig.context!.newPage();
    await page.goto(rig.server!.url + 'phonekey' + travelFragment(owner));
    await page.locator('body[data-ready="1"]').waitFor(WAIT);
    await page.locator('#key-id', { hasText: '#' + owner.keyId }).waitFor(WAIT);
    await page.locator('#key-secret', { hasText: 'not extractable \u2014 a secret for each of 1 car' }).waitFor(WAIT);
    const kept = await page.evaluate(async () => {
      const db: IDBDatabase = await new Promise((res, rej) => { const r = indexedDB.open('carkey-phonekey'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      const rec: any = await new Promise((res) => { const q = db.transaction('keys').objectStore('keys').get('current'); q.onsuccess = () => res(q.result); });
      let exported = true;
      try { await crypto.subtle.exportKey('raw', rec.boards[0].key); } catch (e) { exported = false; }
      return { boards: rec.boards.length, extractable: rec.boards[0].key.extractable, exported, hash: location.hash };
    });
    assert.deepEqual(kept, { boards: 1, extractable: false, exported: false, hash: '' });
    await page.click('#unlock');
    await page.locator('#answer', { hasText: /^Unlocked \(ok\)$/ }).waitFor(WAIT);
    await page.locator('#answer-auth.auth-good').waitFor(WAIT);
    assert.equal(car.relayOn(), true);

    const ticket = makeTicket(owner, { id: 0x7e570101, role: C.ROLE_DRIVER, perms: 3, weekdays: 0, notBefore: 0, notAfter: 1900000000, winStart: 0, winEnd: 0, madeAt: 1767600000, label: 'ann' });
    const before = car.auditLog().length;
    await page.goto('about:blank');
    await page.goto(rig.server!.url + 'phonekey' + travelFragment(ticket));
    await page.locator('body[data-ready="1"]').waitFor(WAIT);
    await page.locator('#key-id', { hasText: '#' + ticket.keyId }).waitFor(WAIT);
    await page.locator('#key-role', { hasText: /driver/ }).waitFor(WAIT);
    await page.click('#lock');
    await page.locator('#answer', { hasText: 'Lock: ' + V1_BOARD }).waitFor(WAIT);
    assert.equal(car.relayOn(), true, 'nothing reached the board');
    assert.equal(car.auditLog().filter((e) => e.event === C.EV_LOCK).length, car.auditLog().slice(0, before).filter((e) => e.event === C.EV_LOCK).length);
  });
});

describe('web phone key: a ticket and a revocation list at a board that speaks v2, in Chromium', function () {
  this.timeout(180000);
  const boardId = newBoardId(1);
  const START = Date.UTC(2027, 0, 15, 9, 0, 0) / 1000;
  const rig = withBrowser({ port: 0, realtime: false, startEpochMs: START * 1000, board: 'xiaoble', boardId }, { width: 420, height: 900 });

  it('the guest opens the ticket link and unlocks; the owner\'s link hands the car a list revoking it; the ticket is then refused', async function () {
    const car = rig.server!.vehicle.car;
    const probe = car.phone();
    const version = probe.connect().version || 1;
    probe.disconnect();
    assert.equal(version, 2, 'the xiaoble firmware speaks protocol v2');
    const owner: TravelKey = { keyId: car.keys.owner.keyId, label: 'owner', boards: [{ boardId, secret: car.keys.owner.secret.slice() }] };
    const ticket = makeTicket(owner, { id: 0x7e570202, role: C.ROLE_GUEST, perms: C.PERM_UNLOCK | C.PERM_LOCK, weekdays: 0, notBefore: START, notAfter: START + 86400, winStart: 0, winEnd: 0, madeAt: START, label: 'ann' });
    const page = await rig.context!.newPage();
    const open = async (k: TravelKey) => {
      await page.goto('about:blank');
      await page.goto(rig.server!.url + 'phonekey' + travelFragment(k));
      await page.locator('body[data-ready="1"]').waitFor(WAIT);
      await page.locator('#key-id', { hasText: '#' + k.keyId }).waitFor(WAIT);
    };
    await open(ticket);
    await page.click('#unlock');
    await page.locator('#answer', { hasText: /^Unlocked \(ok\)$/ }).waitFor(WAIT);
    await page.locator('#answer-auth.auth-good').waitFor(WAIT);
    assert.equal(car.relayOn(), true);
    await page.locator('#link-status', { hasText: 'board slot 1' }).waitFor(WAIT);

    await open({ ...owner, list: makeList(owner, 1, START + 60, [ticket.keyId]) });
    await page.click('#lock');
    await page.locator('#answer', { hasText: /^Locked \(ok\)$/ }).waitFor(WAIT);
    await page.locator('#history li', { hasText: 'revocation list version 1 handed to the car: adopted' }).waitFor(WAIT);

    await open(ticket);
    await page.click('#unlock');
    await page.locator('#answer', { hasText: 'Unlock refused: revoked' }).waitFor(WAIT);
    assert.equal(car.relayOn(), false);
    // A revoked key is not handed the car's list either (GET LIST is refused `revoked` too).
    await page.locator('#history li', { hasText: 'revocation list: the car\u2019s was not taken (revoked)' }).waitFor(WAIT);
  });
});
