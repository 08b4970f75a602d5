/** hal/pn532.ts against the simulated PN532 (sim/pn532): detection, power, faults and recovery. */
import { strict as assert } from 'node:assert';
import { pn532Release, pn532Stop, pn532Transceive } from '../../hal/pn532';
import { SimUidOnlyCard } from '../../sim/cards/uid-only';
import { SimDesfireCard } from '../../sim/cards/desfire';
import { h, hex, rig } from './rig';

const desfire = (uid = '04112233445566') => new SimDesfireCard(h(uid), []);

describe('nfc: PN532 driver on the simulated chip', () => {
  it('resets the chip, reads the firmware version and configures SAM and retries before polling', () => {
    const k = rig();
    assert.ok(k.t.until(() => k.sim.commands.includes(0x4a), 2000));
    assert.equal(k.sim.resets, 1);
    assert.deepEqual(k.sim.commands.slice(0, 4), [0x02, 0x14, 0x32, 0x32]);
    assert.deepEqual(k.errors, []);
  });

  it('polls with the field off and the chip powered down in between, every 500 ms', () => {
    const k = rig();
    k.t.tick(10000);
    const lists = k.sim.commands.filter((c) => c === 0x4a).length;
    assert.ok(lists >= 17 && lists <= 20, 'polls in 10 s: ' + lists);
    assert.equal(k.sim.commands.filter((c) => c === 0x16).length >= lists, true);
    assert.equal(k.fieldLeaks, 0);
    assert.deepEqual(k.errors, []);
    assert.equal(k.cards.length, 0);
  });

  it('detects a DESFire card (UID and SAK; its ATQA and ATS in place), then turns the field off on release', () => {
    const k = rig();
    k.onCard = () => { k.t.after(30, () => pn532Release(k.r)); };
    k.sim.card = desfire();
    assert.ok(k.t.until(() => k.cards.length === 1, 2000));
    const c = k.cards[0];
    assert.equal(c.uid, '04112233445566');
    assert.equal(c.sak, 0x20);
    assert.equal(k.sim.fieldOn, true);
    k.sim.card = undefined;
    k.t.tick(150);
    assert.equal(k.sim.fieldOn, false);
    assert.equal(k.fieldLeaks, 0);
  });

  it('reports a UID-only card (no ATS) and reports the same card again on the next poll', () => {
    const k = rig();
    k.onCard = () => pn532Release(k.r);
    k.sim.card = new SimUidOnlyCard(h('a1b2c3d4'));
    k.t.tick(1500);
    assert.ok(k.cards.length >= 2, 'cards ' + k.cards.length);
    assert.equal(k.cards[0].uid, 'a1b2c3d4');
    assert.equal(k.cards[0].sak, 0x08);
    assert.equal(k.fieldLeaks, 0);
  });

  it('releases a card nobody releases after 3 s', () => {
    const k = rig();
    k.sim.card = desfire();
    assert.ok(k.t.until(() => k.cards.length === 1, 2000));
    const at = k.t.now();
    assert.ok(k.t.until(() => !k.sim.fieldOn, 4000));
    assert.ok(k.t.now() - at >= 3000 && k.t.now() - at < 3050, 'released after ' + (k.t.now() - at));
  });

  it('holds a card 3 s after its last answer too, then releases it', () => {
    const k = rig();
    k.sim.card = desfire();
    let answered = -1;
    k.onCard = () => { k.t.after(2500, () => pn532Transceive(k.r, h('906000000000'), () => { answered = k.t.now(); })); };
    assert.ok(k.t.until(() => answered >= 0, 5000));
    assert.equal(k.sim.fieldOn, true, 'still held 2.5 s after it was found, and answering');
    assert.ok(k.t.until(() => !k.sim.fieldOn, 4000));
    assert.ok(k.t.now() - answered >= 3000 && k.t.now() - answered < 3050, 'released ' + (k.t.now() - answered) + ' ms after the answer');
  });

  it('transceive without a card answers no-card; two at once answer busy', () => {
    const k = rig();
    const got: Array<string | undefined> = [];
    pn532Transceive(k.r, h('905a000003010203 00'), (_r, e) => got.push(e));
    assert.deepEqual(got, ['no-card']);
    k.sim.card = desfire();
    k.onCard = () => {
      pn532Transceive(k.r, h('906000000000'), (r, e) => got.push(r ? hex(r) : String(e)));
      pn532Transceive(k.r, h('906000000000'), (r, e) => got.push(r ? hex(r) : String(e)));
    };
    assert.ok(k.t.until(() => got.length === 3, 2000));
    assert.deepEqual(got, ['no-card', 'busy', '911c']);
  });

  it('a card that does not answer an exchange gives card-removed', () => {
    const k = rig();
    k.sim.card = new SimUidOnlyCard(h('a1b2c3d4'));
    let got: string | undefined;
    k.onCard = () => pn532Transceive(k.r, h('9060000000'), (r, e) => { got = r ? 'answer' : e; pn532Release(k.r); });
    assert.ok(k.t.until(() => got !== undefined, 2000));
    assert.equal(got, 'card-removed');
  });

  it('a hung chip is reset (pulse on the reset output) and works again after', () => {
    const k = rig();
    k.t.tick(1000);
    assert.equal(k.sim.resets, 1);
    k.sim.faults.hang = true; // cleared by the next reset pulse
    k.t.tick(2000);
    assert.equal(k.sim.resets, 2);
    assert.deepEqual(k.errors.map((e) => e.reason), ['timeout']);
    k.onCard = () => pn532Release(k.r);
    k.sim.card = desfire('04aabbccddeeff');
    assert.ok(k.t.until(() => k.cards.length > 0, 2000));
    assert.equal(k.cards[0].uid, '04aabbccddeeff');
  });

  it('a chip that stays hung gives reader-fault after bounded resets, backs off, and recovers when it does', () => {
    const k = rig();
    k.t.tick(500);
    k.sim.faults.hang = true;
    k.sim.faults.hangSurvivesReset = true;
    k.t.tick(300000);
    const faults = k.errors.filter((e) => e.reason === 'reader-fault');
    assert.ok(faults.length >= 8, 'faults ' + faults.length);
    // Back-off doubles from 1 s: the gaps between faults grow, capped at 60 s + the resets' own time.
    const gaps = faults.slice(1).map((f, i) => f.at - faults[i].at);
    assert.ok(gaps[0] >= 1000 && gaps[0] < 1000 + 3 * 300, 'gaps ' + gaps);
    for (let i = 1; i < 6; i++) assert.ok(gaps[i] > gaps[i - 1], 'gaps ' + gaps);
    assert.ok(gaps.every((g) => g < 60000 + 3 * 300), 'gaps ' + gaps);
    assert.ok(gaps[gaps.length - 1] >= 60000, 'gaps ' + gaps);
    const resetsWhileHung = k.sim.resets;
    assert.ok(resetsWhileHung >= 3 * faults.length);
    assert.equal(k.sim.fieldOn, false);
    k.sim.faults.hang = false;
    k.onCard = () => pn532Release(k.r);
    k.sim.card = desfire();
    assert.ok(k.t.until(() => k.cards.length > 0, 62000));
  });

  it('garbage frames give protocol, the reader recovers', () => {
    const k = rig();
    k.t.tick(500);
    k.sim.faults.garbage = 1;
    k.t.tick(500);
    assert.deepEqual(k.errors.map((e) => e.reason), ['protocol']);
    k.onCard = () => pn532Release(k.r);
    k.sim.card = desfire();
    assert.ok(k.t.until(() => k.cards.length > 0, 2000));
    assert.equal(k.fieldLeaks, 0);
  });

  it('bad DCS and bad LCS give bad-checksum; three in a row reset the chip; the reader recovers', () => {
    const k = rig();
    k.t.tick(500);
    k.sim.faults.badDcs = 1;
    k.t.tick(1000);
    k.sim.faults.badLcs = 1;
    k.t.tick(1000);
    // Two isolated errors, each followed by good polls: reported, no reset.
    assert.deepEqual(k.errors.map((e) => e.reason), ['bad-checksum', 'bad-checksum']);
    assert.equal(k.sim.resets, 1);
    k.sim.faults.badDcs = 3;
    k.t.tick(1500);
    // Three in a row with no good poll between: reset.
    assert.deepEqual(k.errors.map((e) => e.reason), ['bad-checksum', 'bad-checksum', 'bad-checksum', 'bad-checksum', 'bad-checksum']);
    assert.equal(k.sim.resets, 2);
    k.onCard = () => pn532Release(k.r);
    k.sim.card = desfire();
    assert.ok(k.t.until(() => k.cards.length > 0, 2000));
  });

  it('a chip that NACKs the transaction waking it from PowerDown gets the command resent', () => {
    const k = rig();
    k.sim.faults.nackOnWake = true;
    k.onCard = () => pn532Release(k.r);
    k.sim.card = desfire();
    assert.ok(k.t.until(() => k.cards.length >= 2, 3000));
    assert.deepEqual(k.errors, []);
  });

  it('stop() holds the chip in reset, ends a pending exchange with stopped, and nothing runs after', () => {
    const k = rig();
    k.sim.card = desfire();
    let got: string | undefined;
    k.onCard = () => { pn532Transceive(k.r, h('906000000000'), (r, e) => { got = r ? 'answer' : e; }); pn532Stop(k.r); };
    assert.ok(k.t.until(() => got !== undefined, 2000));
    assert.equal(got, 'stopped');
    const n = k.sim.commands.length;
    k.t.tick(5000);
    assert.equal(k.sim.commands.length, n);
    assert.equal(k.sim.fieldOn, false);
    assert.equal(k.cards.length, 1);
  });

  it('a consumer that throws in onCard does not stop the reader', () => {
    const k = rig();
    k.onCard = () => { throw new Error('consumer bug'); };
    k.sim.card = desfire();
    k.t.tick(8000);
    assert.ok(k.cards.length >= 2);
  });
});
