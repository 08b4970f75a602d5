/**
 * Power cuts at every flash write of every update path, through the simulated car (the real
 * bundle on sim/engine's flash model). For each update: run it once to learn how many flash writes
 * it makes and what the data looks like before and after; then, for every write n and for a cut
 * that keeps 0, half or all of that write's bytes, replay the same car from scratch, cut the power
 * at write n, power it on again and check: the board boots without an uncaught error, every output
 * is off, the data is the old or the new version (never neither, never a mix), no committed log
 * entry is lost (the ring only drops its oldest segment), nothing torn reads as an entry, and the
 * owner can still unlock.
 *
 * The key store's own module-level cuts (ksAdd/ksRetire with 10 and 200 keys) are in
 * test/core/keystore.test.ts; here the key table is cut through the protocol (ADD_KEY, REVOKE, the
 * enrolment window), together with the log entries those paths write.
 */
import { strict as assert } from 'node:assert';
import { createCar, type SimCar, type SimPhone } from '../../sim/car';
import { hostCrypto } from '../../tools/host/crypto';
import { flashOf, journalOf } from '../../sim/provision';
import { configOfJournal } from '../../firmware/config';
import { SLOTS } from '../../firmware/journal';
import * as st from '../../sim/engine/storage';
import { keyTableOf } from '../../tools/host/provision/keystores';
import { genData, genLoad } from '../../firmware/genfile';
import { type LogEntry, logOpen } from '../../firmware/auditlog';
import * as C from '../../firmware/codes';
import { OP, addKeyArgs } from '../../tools/host/protocol';
import { CARD_AID, cardKeyOf } from '../../tools/host/provision/site';
import { SimDesfireCard } from '../../sim/cards/desfire';

const KEEPS = [0, 0.5, 1];
const KNOWN_EVENTS = new Set(Object.entries(C).filter(([k]) => k.startsWith('EV_') || k.startsWith('LOG_')).map(([, v]) => v as number));

interface Update {
  name: string;
  board?: string;
  demo?: boolean;
  /** Brings a fresh car to the state before the update; deterministic (same seed, same steps). */
  setup(car: SimCar): void;
  /** The update itself; may throw when the power dies under it. */
  op(car: SimCar): void;
  /** The data the update changes, read from flash from outside ('' when absent). */
  state(car: SimCar): string;
  /** Whether "old" means "absent, regenerated at the next boot" (the site secrets). */
  regeneratedWhenAbsent?: boolean;
  /** The owner's way back in after power returns; by default the demo owner's phone unlocks. */
  ownerUnlocks?(car: SimCar): boolean;
}

function gen(car: SimCar, base: string): string {
  const flash = flashOf(car.board);
  const g = genLoad(flash, hostCrypto, base);
  return g ? Buffer.from(genData(flash, g), 'latin1').toString('hex') : '';
}

/** The saved clock: the journal's newest clock record (the journal layout), else the generation file. */
function clockState(car: SimCar): string {
  const j = journalOf(car.board);
  if (!j) return gen(car, 'ck.clk.');
  return j.cl < 0 ? '' : Buffer.from(j.f.read(j.cl + 4, 4), 'latin1').toString('hex');
}

/** The saved settings: the journal's newest settings group, else the generation file. */
function configState(car: SimCar): string {
  const j = journalOf(car.board);
  if (!j) return gen(car, 'ck.cfg.');
  return j.cg < 0 ? '' : JSON.stringify(configOfJournal(j));
}

/** The key table as it reads (either store: tools/host/provision/keystores.ts). */
function keys(car: SimCar): string {
  return keyTableOf(flashOf(car.board));
}

let phones = new WeakMap<SimCar, SimPhone>();
let orphanOwners = 0;
function owner(car: SimCar): SimPhone {
  let p = phones.get(car);
  if (!p) { p = car.phone(car.keys.owner); phones.set(car, p); }
  return p;
}

function demoOwnerUnlocks(car: SimCar): boolean {
  const a = car.phone(car.keys.owner).unlock();
  return a.status === C.R_OK && a.authentic === true && car.relayOn();
}

/** A fresh board's first owner: hold the button, pair with the board's setup code (its label, or read over USB), enrol through the window, unlock. */
function enrolAndUnlock(car: SimCar): boolean {
  car.holdButton(5200);
  const p = car.phone();
  p.connect();
  const site = car.board.storage.read('ck.site.a') || car.board.storage.read('ck.site.b') || '';
  p.pair(site.length === 16 + 54 ? site.slice(16 + 48) : car.site.setupCode);
  const e = p.enrol('Owner');
  if (e.status !== C.R_OK) return false;
  const u = p.unlock();
  if (u.status !== C.R_OK || !car.relayOn()) return false;
  car.advance(15000);
  car.reset();
  // The secrets it was given survive a reboot.
  return car.phone(p.key).unlock().status === C.R_OK;
}

/** The main ring's segment and slot (failures have their own ring: firmware/auditlog.ts), or the journal's page and slot. */
function logState(car: SimCar): { seg: number; slot: number; segments: number; per: number } {
  const j = journalOf(car.board);
  if (j) return { seg: j.ps, slot: j.slot, segments: j.n, per: SLOTS };
  const l = logOpen(flashOf(car.board), hostCrypto, car.config.logSegments, car.config.logPerSegment, !!car.config.tile);
  return { seg: l.main.seg, slot: l.main.slot, segments: l.main.segs, per: car.config.logPerSegment };
}

/** Storage as it leaves the factory with our code on it: the bundle alone. */
function factoryFresh(car: SimCar): void {
  const f = car.board.storage.flash;
  const bundle = st.read(f, '.bootcde')!;
  f.mem.fill(255);
  st.write(f, { error: (m) => new Error(m), powerCut: () => new Error('cut') }, '.bootcde', bundle);
}

/** STATUS from the owner: exactly one audit log append (GRANTED). */
const status = (car: SimCar) => { owner(car).status(); };

const UPDATES: Update[] = [
  {
    name: 'audit log append (one entry, mid-segment)',
    setup: (car) => { owner(car).connect(); },
    op: status,
    state: () => '',
  },
  {
    name: 'audit log append that starts a new segment (erases the oldest)',
    setup: (car) => {
      owner(car).connect();
      // Fill the current segment so the next append rotates.
      while (logState(car).slot < logState(car).per) owner(car).status();
    },
    op: status,
    state: () => '',
  },
  {
    name: 'boot (EV_BOOT log append)',
    setup: () => undefined,
    op: (car) => car.reset(),
    state: () => '',
  },
  {
    name: 'clock save (SET_TIME from the owner)',
    setup: (car) => { owner(car).setTime(1700000000); car.advance(5000); },
    op: (car) => { owner(car).setTime(1710000000); },
    state: (car) => clockState(car),
  },
  {
    name: 'config save (SET_CONFIG from the owner)',
    setup: (car) => { owner(car).run(OP.SET_CONFIG, new Uint8Array(Buffer.from('{"holdMs":4000}'))); },
    op: (car) => { owner(car).run(OP.SET_CONFIG, new Uint8Array(Buffer.from('{"holdMs":5000,"relockMs":12000,"buttonEnrol":true}'))); },
    state: (car) => configState(car),
  },
  {
    name: 'site save (first boot of a factory-fresh board generates its secrets)',
    demo: false,
    // Factory-fresh: nothing of ours in Storage but the bundle (a board with other files but no site refuses instead).
    setup: (car) => { factoryFresh(car); },
    op: (car) => car.reset(),
    state: (car) => gen(car, 'ck.site.'),
    regeneratedWhenAbsent: true,
    ownerUnlocks: enrolAndUnlock,
  },
  {
    name: 'key table: ADD_KEY from the owner (table rewrite + log entries)',
    setup: (car) => { owner(car).connect(); },
    op: (car) => { owner(car).addKey({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, label: 'Carol' }); },
    state: (car) => keys(car),
  },
  {
    name: 'key table: REVOKE from the owner',
    setup: (car) => { owner(car).connect(); },
    op: (car) => { owner(car).revoke(car.keys.guest.keyId); },
    state: (car) => keys(car),
  },
  {
    name: 'key table: first owner enrolled through the button window',
    demo: false,
    setup: (car) => {
      car.holdButton(5200);
      const p = car.phone();
      p.connect();
      p.pair();
      phones.set(car, p);
    },
    op: (car) => { phones.get(car)!.enrol('Alice'); },
    state: (car) => keys(car),
    ownerUnlocks: (car) => {
      if (keys(car) === '') return enrolAndUnlock(car);
      // The record committed but the ENROLLED answer (the secret) never left: that owner is still
      // unconfirmed, so the button opens the window again and the real owner enrols.
      orphanOwners++;
      return enrolAndUnlock(car);
    },
  },
  {
    name: 'key table: first use of a window-enrolled key confirms it (table rewrite + log)',
    demo: false,
    setup: (car) => {
      car.holdButton(5200);
      const p = car.phone();
      p.connect();
      p.pair();
      p.enrol('Alice');
      phones.set(car, p);
    },
    op: (car) => { phones.get(car)!.unlock(); },
    state: (car) => keys(car),
    ownerUnlocks: (car) => {
      const a = car.phone(phones.get(car)!.key).unlock();
      return a.status === C.R_OK && a.authentic === true && car.relayOn();
    },
  },
  {
    name: 'clock: the hourly save from the main loop',
    setup: (car) => { owner(car).setTime(1700000000); car.advance(3600000 - 2500); },
    op: (car) => { car.advance(5000); },
    state: (car) => clockState(car),
  },
  {
    name: 'card enrolment on puckjs-nfc (ENROL_CARD from the owner, then the new card tapped)',
    board: 'puckjs-nfc',
    setup: (car) => { owner(car).run(OP.ENROL_CARD, addKeyArgs({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, label: 'Card2' })); },
    op: (car) => {
      const uid = new Uint8Array([0x04, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76]);
      car.tap(new SimDesfireCard(uid, [{ aid: CARD_AID, keys: [cardKeyOf(car.site, uid)] }]));
    },
    state: (car) => keys(car),
  },
  {
    name: 'card tap on puckjs-nfc (GRANTED and unlock log entries)',
    board: 'puckjs-nfc',
    setup: () => undefined,
    op: (car) => { car.tap(car.cards['owner-card']); },
    state: () => '',
  },
  {
    name: 'key table with 64 keys: ADD_KEY (eight chunk writes)',
    setup: (car) => {
      for (let i = 0; i < 61; i++) car.provisionKey('k' + i, C.ROLE_GUEST);
      car.reset();
      owner(car).connect();
    },
    op: (car) => { owner(car).addKey({ role: C.ROLE_DRIVER, perms: C.PERM_UNLOCK | C.PERM_LOCK, label: 'Dan' }); },
    state: (car) => keys(car),
  },
];

async function freshCar(u: Update): Promise<SimCar> {
  const car = await createCar({ board: u.board || 'puckjs', demo: u.demo !== false, seed: 7 });
  u.setup(car);
  return car;
}

function sameEntry(a: LogEntry, b: LogEntry): boolean {
  return a.seq === b.seq && a.time === b.time && a.trusted === b.trusted && a.event === b.event && a.result === b.result && a.reason === b.reason && a.keyId === b.keyId;
}

describe('evidence: a power cut at every flash write of every update path (through the simulated car)', function () {
  // The card paths replay a PN532 exchange per cut: about half a minute each.
  this.timeout(180000);
  let total = 0;
  after(() => { if (process.env.EVIDENCE_VERBOSE) console.log(`      ${total} power cuts`); });

  for (const u of UPDATES) {
    it(u.name, async () => {
      // The reference run: how many writes, and the data before and after.
      phones = new WeakMap();
      const ref = await freshCar(u);
      const oldState = u.state(ref);
      const refBefore = ref.auditLog();
      const w0 = ref.board.storage.flash.writes;
      u.op(ref);
      const writes = ref.board.storage.flash.writes - w0;
      const newState = u.state(ref);
      const refEntries = new Map(ref.auditLog().map((e) => [e.seq, e] as [number, LogEntry]));
      assert.ok(writes > 0, 'the update writes to flash');
      assert.deepEqual(ref.board.uncaught, []);
      if (u.state(ref) !== '' || oldState !== '') assert.notEqual(newState, oldState, 'the update changes the data');
      // What the main ring keeps through a rotation; in the journal, the pages not dropped, less a page's clock and settings copies.
      const keepWindow = (logState(ref).segments - 1) * (journalOf(ref.board) ? SLOTS - 2 - 16 : ref.config.logPerSegment);

      for (let n = 1; n <= writes; n++) {
        for (const keep of KEEPS) {
          const where = `${u.name}: cut at write ${n}/${writes}, keeping ${keep * 100}% of it`;
          phones = new WeakMap();
          const car = await freshCar(u);
          const before = car.auditLog();
          assert.deepEqual(before, refBefore, 'the replay is deterministic');
          car.board.storage.cutPowerAtWrite(n, keep);
          try { u.op(car); } catch (e) { /* the board died under the phone */ }
          assert.ok(car.board.dead, where + ': the power was cut');
          total++;
          car.powerOn();
          assert.equal(car.board.dead, false);
          assert.deepEqual(car.board.uncaught, [], where + ': boots without an uncaught error');
          assert.ok(!car.relayOn() && !car.driveOn(), where + ': outputs off after power returns');
          car.advance(3000);
          assert.ok(!car.relayOn() && !car.driveOn(), where + ': and stay off');
          assert.deepEqual(car.board.uncaught, [], where + ': first seconds of main loop');

          const s = u.state(car);
          if (u.regeneratedWhenAbsent) assert.ok(s === newState || s.length === 2 * 54, where + ': the secrets are the new ones or freshly generated (48 bytes and a setup code)');
          else assert.ok(s === oldState || s === newState, `${where}: data is neither old nor new`);

          // The log: the newest committed entries all survive, unchanged; nothing torn reads as an entry.
          const after = car.auditLog();
          const byseq = new Map(after.map((e) => [e.seq, e] as [number, LogEntry]));
          const maxBefore = before.length ? before[before.length - 1].seq : 0;
          for (const e of before) {
            if (e.seq <= maxBefore - keepWindow) continue;
            const a = byseq.get(e.seq);
            assert.ok(a && sameEntry(a, e), `${where}: committed log entry #${e.seq} lost or changed`);
          }
          for (let i = 1; i < after.length; i++) assert.equal(after[i].seq, after[i - 1].seq + 1, `${where}: log sequence ${after[i - 1].seq} -> ${after[i].seq}`);
          const newer = after.filter((e) => e.seq > maxBefore);
          let i = 0;
          while (i < newer.length && refEntries.has(newer[i].seq) && sameEntry(newer[i], refEntries.get(newer[i].seq)!)) i++;
          if (i < newer.length) assert.equal(newer[i].event, C.EV_BOOT, `${where}: entry #${newer[i].seq} is neither one the update wrote nor the next boot's: ${JSON.stringify(newer[i])}`);
          for (const e of after) assert.ok(KNOWN_EVENTS.has(e.event), `${where}: unknown event ${e.event} in the log`);

          car.advance(61 * 60000);
          assert.ok((u.ownerUnlocks || demoOwnerUnlocks)(car), where + ': the owner can still unlock');
          assert.deepEqual(car.board.uncaught, []);
        }
      }
    });
  }

  it('the first-owner enrolment cut after its record commits leaves an owner nobody holds (counted above)', () => {
    assert.ok(orphanOwners > 0, 'the cuts after the commit were exercised');
  });

  // Once a gap: a cut after the first owner's record committed but before ENROLLED reached the
  // phone left an owner nobody held and a window that would not open. Window-enrolled keys are now
  // 'unconfirmed' until first used, and unconfirmed owners do not keep the window shut.
  it('the orphaned-owner case occurred above and was recovered through the button', () => {
    assert.ok(orphanOwners > 0, 'some cut left a committed but undelivered owner');
  });
});
