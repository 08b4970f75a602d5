/**
 * A fragmented heap: near the top of a Puck.js's memory a native SHA-256 or AES result can find no
 * contiguous free block; the interpreter then prints "ERROR: Not enough memory for result" and
 * returns undefined (seen under the real-interpreter engine, docs/PERFORMANCE.md). The firmware must
 * never turn that into a wrong answer: it retries after E.defrag(), and when there is still no room
 * it refuses without counting a failure against the key, leaves the relay off and keeps running.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { createCar, type SimCar } from '../../sim/car';
import { NO_ROOM } from '../../sim/engine/crypto';

const printedNoRoom = (car: SimCar) => car.board.consoleText().split('\n').filter((l) => l === NO_ROOM).length;

describe('a fragmented heap (native crypto results without room)', function () {
  this.timeout(30000);
  let car: SimCar;
  beforeEach(async () => { car = await createCar({ board: 'puckjs-nfc', demo: true }); });

  it('is retried after E.defrag(): the owner card and the owner phone still unlock', () => {
    car.board.fragmentHeap('until-defrag');
    car.tap(car.cards['owner-card']);
    assert.equal(car.relayOn(), true, 'the card unlocked');
    assert.ok(printedNoRoom(car) >= 1, 'the interpreter did report a result without room');
    car.advance(15000);
    assert.equal(car.relayOn(), false);
    car.board.fragmentHeap('until-defrag');
    const before = printedNoRoom(car);
    const a = car.phone(car.keys.owner).unlock();
    assert.equal(a.status, C.R_OK);
    assert.equal(a.authentic, true);
    assert.equal(car.relayOn(), true, 'the phone unlocked');
    assert.ok(printedNoRoom(car) > before);
    assert.deepEqual(car.board.uncaught, []);
  });

  it('with no room even after E.defrag(): no unlock, no failure counted, no reset; it works once memory is back', () => {
    car.board.fragmentHeap('always');
    const boots = car.board.resets.length;
    const phone = car.phone(car.keys.owner);
    for (let i = 0; i < 8; i++) {
      const a = phone.unlock();
      assert.equal(a.status, C.R_ERROR, 'said: internal error, not "bad MAC"');
      car.tap(car.cards['owner-card']);
      car.advance(3000);
    }
    assert.equal(car.relayOn(), false);
    assert.ok(!car.auditLog().some((e) => e.event === C.EV_UNLOCK), 'never an unlock');
    assert.ok(!car.auditLog().some((e) => e.event === C.LOG_DENIED && e.reason === C.R_BAD_MAC), 'nothing blamed on the keys');
    assert.ok(!car.auditLog().some((e) => e.event === C.LOG_LOCKOUT), 'no lockout');
    assert.equal(car.board.resets.length, boots, 'no reset, no crash loop');
    car.board.fragmentHeap(false);
    car.advance(3000);
    assert.equal(phone.unlock().status, C.R_OK);
    assert.equal(car.relayOn(), true);
    car.advance(15000);
    car.tap(car.cards['owner-card']);
    assert.equal(car.relayOn(), true, 'the card works again');
  });
});
