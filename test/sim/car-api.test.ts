/**
 * createCar is a public API (sim/README.md "createCar"): its README example runs as written, and
 * every name the README promises is there. A rename here breaks scenarios outside this repository.
 */
import { strict as assert } from 'node:assert';
import * as carModule from '../../sim/car';
import { createCar } from '../../sim/car';
import type { PhoneConnectOptions, PhoneOptions, SimCar, SimPhone, CarOptions } from '../../sim/car';

describe('createCar, the public API', function () {
  this.timeout(60000);

  it('runs the README example: the owner unlocks, time relocks, a clone is refused, a power cut keeps the keys', async () => {
    const car = await createCar({ board: 'puckjs-nfc', demo: true });
    const owner = car.phone(car.keys.owner);
    assert.equal(owner.unlock().status, 0);
    assert.equal(car.relayOn(), true);
    car.advance(60_000);
    const before = car.auditLog().length;
    car.tap(car.cards['cloned-card']);
    assert.equal(car.relayOn(), false, 'the clone opened nothing');
    assert.ok(car.auditLog().length > before, 'the refusal is logged');
    car.powerCut(); car.powerOn();
    assert.equal(car.phone(car.keys.owner).unlock().status, 0, 'the key table survived the cut');
  });

  it('keeps every name the README documents', async () => {
    assert.deepEqual(Object.keys(carModule).sort(), ['createCar', 'firmwareFor']);
    const car: SimCar = await createCar({ demo: true, seed: 3 } as CarOptions);
    for (const name of ['board', 'config', 'site', 'pn532', 'keys', 'cards', 'relayOn', 'driveOn', 'led', 'advance', 'setDoor',
      'setButton', 'holdButton', 'tap', 'phone', 'auditLog', 'powerCut', 'powerOn', 'reset', 'provisionKey', 'provisionCard']) {
      assert.ok(name in car, 'SimCar.' + name);
    }
    assert.deepEqual(Object.keys(car.keys).sort(), ['driver', 'guest', 'owner']);
    const opts: PhoneOptions = { setupMs: 0 }, link: PhoneConnectOptions = {};
    const phone: SimPhone = car.phone(car.keys.guest, opts);
    for (const name of ['connect', 'unlock', 'lock', 'drive', 'status', 'setTime', 'addKey', 'revoke', 'enrolCard', 'enrol',
      'pair', 'run', 'sendRaw', 'sendMessage', 'lastMs', 'nonce', 'disconnect', 'connected', 'key']) {
      assert.ok(name in phone, 'SimPhone.' + name);
    }
    assert.equal(phone.connect(link).type, 'challenge');
    for (const name of ['cutPowerAtWrite']) assert.equal(typeof (car.board.storage as any)[name], 'function');
    assert.equal(typeof car.board.i2c.holdSclLow, 'function');
    assert.equal(typeof car.board.fragmentHeap, 'function');
  });
});
