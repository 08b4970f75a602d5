/**
 * The board's own failures count against nobody, on the card path as on the phone path: a genuine
 * card whose authentication fails on the board's side (its AES finds no room for a result even
 * after E.defrag(), so the crypto port throws) is an internal error (R_ERROR, EV_ERROR in the log),
 * never a bad MAC or a failed card, never an unlock, and the card works once memory is back.
 * The fault is the simulator's fragmented heap, biting after the first `spare` native results, so
 * every native call of a tap (the card id's SHA-256, the key diversification's AES, each AES of
 * the 3-pass authentication) is made to fail in turn.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { createCar, type SimCar } from '../../sim/car';
import { CARD_AID, cardKeyIdOf, cardKeyOf } from '../../tools/host/provision/site';
import { SimDesfireCard } from '../../sim/cards/desfire';

describe('a genuine card and the board\'s own crypto failure (card path)', function () {
  this.timeout(60000);
  let car: SimCar;
  beforeEach(async () => { car = await createCar({ board: 'puckjs-nfc', demo: true }); });

  it('fails at every native call of a tap in turn: R_ERROR logged, no bad MAC, no unlock, no reset; then it works', () => {
    const card = car.cards['owner-card'];
    const id = cardKeyIdOf((card as unknown as { uid: Uint8Array }).uid);
    const boots = car.board.resets.length;
    let failedAt = 0;
    let spare = 0;
    for (; spare < 40; spare++) {
      const from = (car.auditLog().pop()?.seq ?? 0) + 1;
      car.board.fragmentHeap('always', spare);
      car.tap(card);
      const unlocked = car.relayOn();
      car.board.fragmentHeap(false);
      const fresh = car.auditLog(from);
      if (unlocked) {
        assert.ok(fresh.some((e) => e.event === C.EV_UNLOCK && e.keyId === id), 'the unlock that did happen is logged');
        break;
      }
      failedAt++;
      assert.ok(fresh.some((e) => e.event === C.EV_ERROR && e.reason === C.R_ERROR), `spare ${spare}: logged as an internal error: ${JSON.stringify(fresh)}`);
      assert.ok(!fresh.some((e) => (e.event === C.LOG_DENIED || e.event === C.LOG_FAILURES) && e.reason !== C.R_ERROR),
        `spare ${spare}: nothing blamed on the card: ${JSON.stringify(fresh)}`);
      assert.ok(!fresh.some((e) => e.event === C.LOG_LOCKOUT), `spare ${spare}: no lockout`);
      car.advance(3000); // FAULT recovers to LOCKED
    }
    assert.ok(failedAt >= 3, 'the id hash, the diversification and the authentication each failed once: ' + failedAt);
    assert.ok(spare < 40, 'with enough room the tap unlocked');
    assert.equal(car.board.resets.length, boots, 'no reset, no crash loop');
    assert.deepEqual(car.board.uncaught, []);
    car.advance(15000);
    // And the owner's phone was never touched by any of it.
    assert.equal(car.phone(car.keys.owner).unlock().status, C.R_OK);
  });

  it('a card enrolment whose check fails on the board\'s side is logged as an internal error, not as a bad card', () => {
    const owner = car.phone(car.keys.owner);
    assert.equal(owner.enrolCard({ role: C.ROLE_DRIVER, perms: C.PERM_UNLOCK, label: 'Card2' }).status, C.R_OK);
    const from = (car.auditLog().pop()?.seq ?? 0) + 1;
    // A genuine card of this site (its diversified key), not yet in the table, tapped while AES has no room.
    const uid = new Uint8Array([0x04, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56]);
    const genuine = new SimDesfireCard(uid, [{ aid: CARD_AID, keys: [cardKeyOf(car.site, uid)] }]);
    car.board.fragmentHeap('always', 1);
    car.tap(genuine);
    car.board.fragmentHeap(false);
    const fresh = car.auditLog(from);
    const denied = fresh.filter((e) => e.event === C.LOG_DENIED && e.result === C.LOG_KEY_ADDED);
    assert.equal(denied.length, 1, JSON.stringify(fresh));
    assert.equal(denied[0].reason, C.R_ERROR, 'the board\'s failure, said as such');
    assert.equal(denied[0].keyId, cardKeyIdOf(uid));
    assert.ok(!fresh.some((e) => e.reason === C.R_BAD_MAC), JSON.stringify(fresh));
  });
});
