/**
 * The simulator's phone (sim/phone.ts) with v2 keys, against today's firmware (which answers a v2
 * HELLO with a v1 CHALLENGE): a key for this one board proves itself with its secret here and
 * unlocks; a key for several boards or a ticket stops with the documented line before sending any
 * command; v1 key files still work; HELLO says version 2. The v2 exchanges themselves (board ids,
 * tickets, lists) are tested against the stand-in board in test/travel/clients.test.ts.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { createCar } from '../../sim/car';
import { type TravelKey, makeTicket, newBoardId } from '../../tools/host/travel';
import { V1_BOARD } from '../../tools/host/visit';

describe('the simulated phone with v2 keys, at a board that speaks v1', function () {
  this.timeout(60000);
  const boardId = newBoardId(2);

  it('a key for this one board unlocks (its secret here); several boards or a ticket: the clear line, nothing sent', async () => {
    const car = await createCar({ board: 'puckjs', boardId, demo: true });
    const owner = car.keys.owner;
    const one: TravelKey = { keyId: owner.keyId, label: 'owner', boards: [{ boardId, secret: owner.secret }] };
    const phone = car.phone(one);
    const a = phone.unlock();
    assert.deepEqual([a.type, a.status, a.authentic], ['response', C.R_OK, true]);
    assert.equal(car.relayOn(), true);
    assert.equal(phone.challenge!.version, 1);
    assert.equal(phone.lastSync, undefined, 'no list exchange with a v1 board');
    assert.equal(phone.syncList(), undefined);

    const logBefore = car.auditLog().length;
    const several: TravelKey = { ...one, boards: [...one.boards, { boardId: newBoardId(3), secret: new Uint8Array(16).fill(1) }] };
    assert.throws(() => car.phone(several).unlock(), (e: Error) => e.message === V1_BOARD);
    const ticket = makeTicket(one, { id: 0x7e570042, role: C.ROLE_DRIVER, perms: 7, weekdays: 0, notBefore: 0, notAfter: 2000000000, winStart: 0, winEnd: 0, madeAt: 1799990000, label: 'ann' });
    assert.throws(() => car.phone(ticket).unlock(), (e: Error) => e.message === V1_BOARD);
    assert.equal(car.auditLog().length, logBefore, 'no command reached the board');

    // The v1 key file of the same key works as ever.
    assert.equal(car.phone(owner).lock().status, C.R_OK);
  });
});
