/**
 * createCar's `boardId` (per-board secrets, issue 17) and the extraction attack of
 * sim/extraction.ts: a board provisioned per board keeps neither the site secret nor the site's
 * card master, key files come from phoneKeyParts, a bad identity is one clear line; and the attack
 * does find a v1 leak (every board holding the site secret), so its "none opens" means something.
 */
import { strict as assert } from 'node:assert';
import { createCar, type SimCar } from '../../sim/car';
import { keyTableOf, readOut, targetOf, tryEverything } from '../../sim/extraction';
import { keyRecord, newSite } from '../../tools/host/provision/site';
import { newBoardId, phoneKeyParts } from '../../tools/host/travel';
import * as C from '../../firmware/codes';

describe('createCar boardId: a car with its own board secrets', function () {
  this.timeout(60000);
  const site = newSite();
  const owner = keyRecord(0x0b0a0001, C.ROLE_OWNER);
  const ids = [newBoardId(1), newBoardId(2)];
  const cars: SimCar[] = [];
  after(() => { for (const c of cars) c.board.close(); });

  it('writes the board\'s secrets, not the site\'s; the key file from phoneKeyParts unlocks', async () => {
    for (const boardId of ids) cars.push(await createCar({ boardId, site: { secrets: site, records: [owner] } }));
    const parts = phoneKeyParts(site.secret, ids, owner.id, owner.salt);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(cars[i].boardId, ids[i]);
      assert.equal(cars[i].site.setupCode, site.setupCode);
      const flash = [...readOut(cars[i]).values()].map((b) => Buffer.from(b));
      for (const secret of [site.secret, site.cardMaster]) assert.ok(!flash.some((f) => f.includes(Buffer.from(secret))), 'a site secret is in the flash');
      assert.ok(flash.some((f) => f.includes(Buffer.from(cars[i].site.secret))), 'the board secret is in the flash');
      assert.equal(cars[i].phone({ keyId: owner.id, secret: parts[i].secret }).unlock().status, C.R_OK);
      assert.equal(cars[i].phone({ keyId: owner.id, secret: parts[1 - i].secret }).unlock().status, C.R_BAD_MAC);
    }
    // provisionKey issues the key file for this board.
    const k = cars[0].provisionKey('dana', C.ROLE_DRIVER);
    cars[0].reset();
    assert.equal(cars[0].phone(k).unlock().status, C.R_OK);
  });

  it('refuses a bad board identity with one line, before any board starts', async () => {
    for (const boardId of [new Uint8Array(8), new Uint8Array(3), Uint8Array.of(33, 1, 2, 3, 4, 5, 6, 7)]) {
      await assert.rejects(createCar({ boardId }), (e: Error) => /board identity/.test(e.message) && !e.message.includes('\n'));
    }
  });

  it('the extraction attack finds the v1 leak: with the site secret on every board, car 1\'s flash opens car 2', async () => {
    const v1 = [await createCar({ site: { secrets: site, records: [owner] } }), await createCar({ site: { secrets: site, records: [owner] }, seed: 2 })];
    try {
      const nonce = new Uint8Array(16).fill(0x5a);
      const res = tryEverything(readOut(v1[0]), keyTableOf(v1[0]), [targetOf('car 2', v1[1], ids[1], nonce)]);
      assert.ok(res.openings.some((o) => o.role === 'board secret' && o.keyId === owner.id), JSON.stringify(res.openings));
      // The same attack on the per-board cars above finds nothing.
      assert.deepEqual(tryEverything(readOut(cars[0]), keyTableOf(cars[0]), [targetOf('car 2', cars[1], ids[1], nonce)]).openings, []);
    } finally { for (const c of v1) c.board.close(); }
  });
});
