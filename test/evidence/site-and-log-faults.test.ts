/**
 * Flash faults the firmware must catch, through the simulated car (the production bundle):
 * - a board that has keys, a log or settings but no readable site file refuses everything (outputs
 *   off, no radio answers, a console line, the red LED blinking) instead of making new secrets
 *   that would silently invalidate every key; a factory-fresh board still makes its own;
 * - a flash write that the SoftDevice fails while a link is up reports success (sim flash knob
 *   failWhileConnected): the audit log reads each entry back and never leaves a committed entry
 *   behind a blank slot, where reading stops;
 * - no update compacts Storage: when an update finds too little room it is refused cleanly and the
 *   main loop compacts once nothing is pending.
 */
import { strict as assert } from 'node:assert';
import { SETUP_CODE_DIGITS } from '../../firmware/site';
import { createCar, type SimCar } from '../../sim/car';
import { hostCrypto } from '../../tools/host/crypto';
import { flashOf } from '../../sim/provision';
import { keyTableOf } from '../../tools/host/provision/keystores';
import { genLoad } from '../../firmware/genfile';
import * as C from '../../firmware/codes';
import * as st from '../../sim/engine/storage';

function siteHex(car: SimCar): string {
  const g = genLoad(flashOf(car.board), hostCrypto, 'ck.site.');
  return g ? car.board.storage.read(g.name)!.substr(16) : '';
}

function refusing(car: SimCar): void {
  assert.match(car.board.consoleText(), /NO SITE FILE, all unlocks refused/);
  assert.deepEqual(car.board.uncaught, []);
  assert.equal(siteHex(car), '', 'no new secrets were made');
  // The radio is never started: a phone finds no phone-key service, let alone an unlock.
  assert.throws(() => car.phone(car.keys.owner).unlock(), /no characteristic|no challenge/);
  assert.ok(!car.relayOn() && !car.driveOn(), 'outputs off');
  // The red LED blinks: on at some sample points, off at others.
  const seen = new Set<boolean>();
  for (let i = 0; i < 16; i++) { car.advance(250); seen.add(car.led('red')); }
  assert.deepEqual([...seen].sort(), [false, true]);
  car.advance(120000);
  assert.deepEqual(car.board.uncaught, [], 'no crash loop, the watchdog is kept');
  assert.ok(!car.relayOn());
}

describe('evidence: a lost site file is refused, never replaced', function () {
  this.timeout(60000);

  it('site files erased, keys and log still there: refuses (on main this made new secrets)', async () => {
    const car = await createCar({ board: 'puckjs', demo: true, seed: 3 });
    const keysBefore = keyTableOf(flashOf(car.board));
    car.board.storage.erase('ck.site.a');
    car.board.storage.erase('ck.site.b');
    car.reset();
    refusing(car);
    assert.equal(keyTableOf(flashOf(car.board)), keysBefore, 'the key table is untouched');
  });

  it('site file unreadable (its data changed): refuses', async () => {
    const car = await createCar({ board: 'puckjs-nfc', demo: true, seed: 4 });
    const g = genLoad(flashOf(car.board), hostCrypto, 'ck.site.')!;
    const file = st.find(car.board.storage.flash, g.name)!;
    file.data[20] &= 0x0f; // flash can only clear bits: a byte of the secret changes, its CRC no longer matches
    car.reset();
    refusing(car);
  });

  it('a factory-fresh board (nothing of ours in Storage) still makes its own secrets at first boot', async () => {
    const car = await createCar({ board: 'puckjs', demo: false, seed: 5 });
    // Factory-fresh: Storage holds our bundle and nothing else.
    const f = car.board.storage.flash;
    const bundle = st.read(f, '.bootcde')!;
    f.mem.fill(255);
    st.write(f, { error: (m) => new Error(m), powerCut: () => new Error('cut') }, '.bootcde', bundle);
    car.reset();
    assert.equal(siteHex(car).length, 48 + SETUP_CODE_DIGITS, 'the secrets and the setup code');
    assert.doesNotMatch(car.board.consoleText(), /NO SITE FILE/);
  });
});

describe('evidence: flash writes that silently fail while a link is up', function () {
  this.timeout(60000);

  it('the audit log does not skip past a blank slot, so the next committed entry stays readable (on main it did not)', async () => {
    const car = await createCar({ board: 'puckjs', demo: true, seed: 6 });
    const flash = car.board.storage.flash;
    const owner = car.phone(car.keys.owner);
    const before = car.auditLog().length;
    flash.failWhileConnected = true;
    owner.status(); // GRANTED: the write is dropped while the phone is connected
    owner.disconnect();
    flash.failWhileConnected = false;
    car.setDoor(true); // a door event with no link: written for real
    car.advance(1000);
    const log = car.auditLog();
    assert.ok(log.length > before, 'the door entry is readable');
    assert.equal(log[log.length - 1].event, C.EV_DOOR_OPEN);
    for (let i = 1; i < log.length; i++) assert.equal(log[i].seq, log[i - 1].seq + 1, 'no gap in the sequence');
    car.reset();
    const again = car.auditLog();
    assert.equal(again[again.length - 2].event, C.EV_DOOR_OPEN, 'still there after a reboot (then EV_BOOT)');
  });
});
