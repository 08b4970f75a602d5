/**
 * Keycards end to end in the simulator: the production bundle with its PN532 driver, a frame-level
 * simulated PN532 on I2C and cards that do real AES. Every failure ends in no unlock, a logged
 * reason, and a reader that works afterwards.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { createCar, type SimCar } from '../../sim/car';
import { SimDesfireCard } from '../../sim/cards/desfire';
import { CARD_AID, cardKeyIdOf } from '../../tools/host/provision/site';

function denials(car: SimCar) {
  return car.auditLog().filter((e) => e.event === C.LOG_DENIED);
}

function neverUnlocked(car: SimCar, since = 0): boolean {
  return !car.auditLog().some((e) => e.seq > since && e.event === C.EV_UNLOCK);
}

const lastSeq = (car: SimCar) => { const l = car.auditLog(); return l.length ? l[l.length - 1].seq : 0; };

describe('keycards in the simulator (puckjs-nfc bundle)', function () {
  this.timeout(30000);
  let car: SimCar;
  beforeEach(async () => { car = await createCar({ board: 'puckjs-nfc', demo: true }); });

  it('a valid card unlocks, and the next tap locks', () => {
    car.tap(car.cards['owner-card']);
    assert.equal(car.relayOn(), true);
    car.advance(3000);
    car.tap(car.cards['owner-card']);
    assert.equal(car.auditLog().filter((e) => e.event === C.EV_LOCK).length, 1);
  });

  it('a clone with the right UID but not the key is refused, logged as bad MAC', () => {
    const s = lastSeq(car);
    car.tap(car.cards['cloned-card']);
    assert.equal(car.relayOn(), false);
    assert.ok(neverUnlocked(car, s));
    assert.equal(denials(car).pop()!.reason, C.R_BAD_MAC);
  });

  it('cards with random UIDs each work with their own diversified key', () => {
    for (let i = 0; i < 4; i++) {
      const uid = new Uint8Array([0x04, i, 0x9a, 0x33 * i & 255, 0x10 + i, 0x77, 0x80 | i]);
      const card = car.provisionCard('c' + i, C.ROLE_DRIVER, uid);
      car.reset();
      car.tap(card);
      assert.equal(car.relayOn(), true, 'card ' + i);
      car.advance(12000);
    }
  });

  it('a UID-only card is refused unless cloneable cards are allowed', () => {
    const uid = car.cards['uid-only-card'].uid;
    car.provisionKey; // (UID-only cards are enrolled like any key record)
    const s = lastSeq(car);
    car.tap(car.cards['uid-only-card']);
    assert.ok(neverUnlocked(car, s));
    assert.equal(denials(car).pop()!.keyId, cardKeyIdOf(uid));
  });

  it('a card removed mid-authentication: no unlock, a reason, and the next tap works', () => {
    const s = lastSeq(car);
    car.pn532!.faults.removeAtExchange = 2;
    car.tap(car.cards['owner-card']);
    assert.ok(neverUnlocked(car, s));
    assert.ok(denials(car).some((e) => e.seq > s));
    car.advance(3000);
    car.tap(car.cards['owner-card']);
    assert.equal(car.relayOn(), true);
  });

  it('garbage frames and bad checksums: no unlock, and the reader recovers', () => {
    const s = lastSeq(car);
    car.pn532!.faults.garbage = 3;
    car.pn532!.faults.badDcs = 2;
    car.tap(car.cards['cloned-card'], 3000);
    assert.ok(neverUnlocked(car, s));
    car.advance(3000);
    const s2 = lastSeq(car);
    car.tap(car.cards['owner-card'], 3000);
    assert.ok(!neverUnlocked(car, s2), 'the owner card unlocks afterwards');
  });

  it('a PN532 that stops answering is reset and the reader works afterwards', () => {
    car.advance(1000);
    const resets = car.pn532!.resets;
    car.pn532!.faults.hang = true;
    car.advance(5000);
    assert.ok(car.pn532!.resets > resets, 'the driver pulsed the reset line');
    assert.ok(car.board.consoleText().includes('reader: timeout'), 'and said why');
    const s = lastSeq(car);
    car.tap(car.cards['owner-card'], 3000);
    assert.ok(!neverUnlocked(car, s), 'the reader works afterwards');
  });

  it('an owner card tapped while the button is held opens the phone enrolment window, without unlocking', () => {
    const s = lastSeq(car);
    car.setButton(true);
    car.tap(car.cards['owner-card']);
    car.setButton(false);
    assert.ok(neverUnlocked(car, s));
    assert.ok(car.auditLog().some((e) => e.seq > s && e.event === C.EV_ENROL_OPEN));
    const phone = car.phone();
    phone.connect();
    phone.pair();
    assert.equal(phone.enrol('Dana').status, C.R_OK);
  });

  it('an owner enrols a new (personalised) card from the phone: tap within 30 s', () => {
    const uid = new Uint8Array([0x04, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa]);
    const { cardKeyOf } = require('../../tools/host/provision/site');
    const card = new SimDesfireCard(uid, [{ aid: CARD_AID, keys: [cardKeyOf(car.site, uid)] }]);
    car.tap(card);
    assert.equal(car.relayOn(), false, 'unknown before enrolment');
    const owner = car.phone(car.keys.owner);
    assert.equal(owner.enrolCard({ role: C.ROLE_DRIVER, perms: C.PERM_UNLOCK | C.PERM_LOCK, label: 'Kid' }).status, C.R_OK);
    car.advance(3000);
    car.tap(card);
    assert.ok(car.auditLog().some((e) => e.event === C.LOG_KEY_ADDED && e.keyId === cardKeyIdOf(uid) && e.reason === C.R_OK));
    car.advance(3000);
    car.tap(card);
    assert.equal(car.relayOn(), true, 'the enrolled card unlocks');
  });
});

describe('card personalisation at enrolment (xiaoble bundle)', function () {
  this.timeout(30000);
  it('an owner enrols a factory-blank DESFire card: the board creates our application and per-card key, then it unlocks', async () => {
    const car = await createCar({ board: 'xiaoble', demo: true });
    const uid = new Uint8Array([0x04, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76]);
    const blank = SimDesfireCard.blank(uid);
    const owner = car.phone(car.keys.owner);
    assert.equal(owner.enrolCard({ role: C.ROLE_DRIVER, perms: C.PERM_UNLOCK | C.PERM_LOCK, label: 'New' }).status, C.R_OK);
    car.tap(blank, 3000);
    assert.ok(car.auditLog().some((e) => e.event === C.LOG_KEY_ADDED && e.keyId === cardKeyIdOf(uid) && e.reason === C.R_OK), car.board.consoleText());
    car.advance(3000);
    const s = lastSeq(car);
    car.tap(blank);
    assert.ok(!neverUnlocked(car, s), 'the personalised card unlocks');
  });
});
