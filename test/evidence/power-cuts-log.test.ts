/**
 * Power cuts at every flash write of the audit log's failure paths (firmware/failures.ts, the
 * failure ring of firmware/auditlog.ts) and of the relay's rest entry, through the simulated car
 * (the real puckjs bundle on sim/engine's flash model). Kept apart from power-cuts.test.ts so both
 * can grow. For each path: learn its writes from a reference run, then replay the same car from
 * scratch once per write n and per share of that write kept (0, half, all), cut the power there,
 * power on and check: no uncaught error, outputs off, no grant or other important entry lost (the
 * failure ring may drop only its own oldest), nothing torn reads as an entry, the merged log is in
 * seq order, and the owner still unlocks.
 */
import { strict as assert } from 'node:assert';
import { createCar, type SimCar, type SimPhone } from '../../sim/car';
import { FAIL_CAP, isFailureEvent, type LogEntry } from '../../firmware/auditlog';
import { SLOTS } from '../../firmware/journal';
import { journalOf } from '../../sim/provision';
import { BURST_MS } from '../../firmware/failures';
import * as C from '../../firmware/codes';

const KEEPS = [0, 0.5, 1];
const KNOWN_EVENTS = new Set(Object.entries(C).filter(([k]) => k.startsWith('EV_') || k.startsWith('LOG_')).map(([, v]) => v as number));

interface LogPath {
  name: string;
  setup(car: SimCar): void;
  op(car: SimCar): void;
  /** What the reference run must have written: the entries the path is about. */
  wrote(fresh: LogEntry[], car: SimCar): boolean;
}

let phones = new WeakMap<SimCar, SimPhone>();
function owner(car: SimCar): SimPhone {
  let p = phones.get(car);
  if (!p) { p = car.phone(car.keys.owner); phones.set(car, p); }
  return p;
}
function forger(car: SimCar, keyId: number): SimPhone {
  const p = car.phone({ keyId, secret: new Uint8Array(16).fill(7) });
  return p;
}
const failRing = (car: SimCar) => car.auditLog().filter((e) => isFailureEvent(e.event)).length;
/** Failure-ring entries per segment (half a log segment) and how many of them survive its rotation; in the journal, the failure entries a page takes. */
const failPer = (car: SimCar) => (car.config.tile ? FAIL_CAP : car.config.logPerSegment >> 1);

const PATHS: LogPath[] = [
  {
    name: 'failure ring: the first unproven failure after a quiet spell (one DENIED entry)',
    setup: (car) => { owner(car).unlock(); car.advance(20000); },
    op: (car) => { forger(car, car.keys.owner.keyId).unlock(); },
    wrote: (fresh) => fresh.length === 1 && fresh[0].event === C.LOG_DENIED && fresh[0].reason === C.R_BAD_MAC,
  },
  {
    name: 'failure ring: a burst written when its window ends (one LOG_FAILURES entry, from the main loop)',
    setup: (car) => {
      owner(car).unlock();
      const f = forger(car, 12345);
      const t0 = car.board.clock.now(); // about when the first failure opens the burst window
      for (let i = 0; i < 20; i++) { f.unlock(); car.advance(9000); }
      owner(car).unlock();
      car.advance(t0 + BURST_MS - car.board.clock.now() - 5000);
    },
    op: (car) => { car.advance(10000); },
    wrote: (fresh) => fresh.length === 1 && fresh[0].event === C.LOG_FAILURES && fresh[0].keyId >>> 16 === 19,
  },
  {
    name: 'failure ring: an append that starts a new segment (erases the ring\'s oldest); in the journal, a denial that turns the page',
    setup: (car) => {
      owner(car).unlock();
      // Proven denials (a guest asking to drive) are written one by one into the failure ring; in
      // the journal, grants fill the active page to its last slot.
      const g = car.phone(car.keys.guest);
      if (journalOf(car.board)) while (journalOf(car.board)!.slot < SLOTS) owner(car).status();
      else {
        while (failRing(car) % failPer(car) !== 0 || failRing(car) === 0) g.drive();
        owner(car).unlock();
      }
    },
    op: (car) => { car.phone(car.keys.guest).drive(); },
    // The new segment's file was created with this entry: the other segment is still there; the
    // journal's new page holds it after the copied clock and settings.
    wrote: (fresh, car) => fresh.some((e) => e.event === C.LOG_DENIED && e.reason === C.R_NOT_PERMITTED)
      && (journalOf(car.board) ? journalOf(car.board)!.slot < 20 : failRing(car) === failPer(car) + 1),
  },
  {
    name: 'main ring: a grant (GRANTED, UNLOCK) right after failures filled the failure ring',
    setup: (car) => {
      const g = car.phone(car.keys.guest);
      for (let i = 0; i < failPer(car) * 2 + 3; i++) g.drive();
      forger(car, 999).unlock();
    },
    op: (car) => { owner(car).unlock(); },
    wrote: (fresh) => fresh.some((e) => e.event === C.LOG_GRANTED) && fresh.some((e) => e.event === C.EV_UNLOCK),
  },
  {
    name: 'main ring: the relay rest entry (successive unlocks reach the 30 s cap)',
    setup: (car) => {
      // Unlocks 2 s apart keep the relay on (3 s hold); the one at 28 s meets the 30 s cap.
      for (let i = 0; i < 14; i++) { owner(car).unlock(); car.advance(2000); }
    },
    op: (car) => { owner(car).unlock(); },
    wrote: (fresh) => fresh.some((e) => e.event === C.LOG_RELAY_REST),
  },
];

async function freshCar(p: LogPath): Promise<SimCar> {
  const car = await createCar({ board: 'puckjs', demo: true, seed: 9 });
  p.setup(car);
  return car;
}

const same = (a: LogEntry, b: LogEntry) => JSON.stringify(a) === JSON.stringify(b);

describe('evidence: a power cut at every flash write of the log\'s failure paths and the relay rest entry', function () {
  this.timeout(120000);

  for (const p of PATHS) {
    it(p.name, async () => {
      phones = new WeakMap();
      const ref = await freshCar(p);
      const refBefore = ref.auditLog();
      const w0 = ref.board.storage.flash.writes;
      p.op(ref);
      const writes = ref.board.storage.flash.writes - w0;
      const refAfter = ref.auditLog();
      assert.ok(writes > 0, 'the path writes to flash');
      assert.ok(refAfter.length > refBefore.length || refAfter[refAfter.length - 1].seq > refBefore[refBefore.length - 1].seq, 'it adds to the log');
      assert.deepEqual(ref.board.uncaught, []);
      const last = refBefore[refBefore.length - 1].seq;
      assert.ok(p.wrote(refAfter.filter((e) => e.seq > last), ref), 'the path wrote what it is about: ' + JSON.stringify(refAfter.filter((e) => e.seq > last)));
      if (process.env.EVIDENCE_VERBOSE) console.log(`      ${writes} writes`);
      const refBySeq = new Map(refAfter.map((e) => [e.seq, e] as [number, LogEntry]));

      for (let n = 1; n <= writes; n++) {
        for (const keep of KEEPS) {
          const where = `${p.name}: cut at write ${n}/${writes}, keeping ${keep * 100}%`;
          phones = new WeakMap();
          const car = await freshCar(p);
          const before = car.auditLog();
          assert.deepEqual(before, refBefore, 'the replay is deterministic');
          car.board.storage.cutPowerAtWrite(n, keep);
          try { p.op(car); } catch (e) { /* the board died under the phone */ }
          assert.ok(car.board.dead, where + ': the power was cut');
          car.powerOn();
          assert.deepEqual(car.board.uncaught, [], where + ': boots without an uncaught error');
          assert.ok(!car.relayOn() && !car.driveOn(), where + ': outputs off');
          car.advance(3000);
          assert.ok(!car.relayOn() && !car.driveOn(), where + ': and stay off');

          const after = car.auditLog();
          const bySeq = new Map(after.map((e) => [e.seq, e] as [number, LogEntry]));
          // Every important entry committed before survives unchanged; failures may lose only the ring's oldest.
          const failBefore = before.filter((e) => isFailureEvent(e.event));
          const oldestKeptFailure = failBefore.length > failPer(car) ? failBefore[failBefore.length - failPer(car)].seq : 0;
          for (const e of before) {
            const a = bySeq.get(e.seq);
            if (isFailureEvent(e.event) && e.seq < oldestKeptFailure) continue;
            assert.ok(a && same(a, e), `${where}: committed entry #${e.seq} (event ${e.event}) lost or changed`);
          }
          for (let i = 1; i < after.length; i++) assert.ok(after[i].seq > after[i - 1].seq, `${where}: seq order`);
          // What is newer: entries the reference run wrote, then the next boot's.
          const maxBefore = before[before.length - 1].seq;
          const newer = after.filter((e) => e.seq > maxBefore);
          let i = 0;
          while (i < newer.length && refBySeq.has(newer[i].seq) && same(newer[i], refBySeq.get(newer[i].seq)!)) i++;
          if (i < newer.length) assert.equal(newer[i].event, C.EV_BOOT, `${where}: #${newer[i].seq} is neither the path's nor the boot's: ${JSON.stringify(newer[i])}`);
          for (const e of after) assert.ok(KNOWN_EVENTS.has(e.event), `${where}: unknown event ${e.event}`);

          car.advance(61 * 60000);
          const a = car.phone(car.keys.owner).unlock();
          assert.ok(a.status === C.R_OK && car.relayOn(), `${where}: the owner can still unlock (${a.reason})`);
          assert.deepEqual(car.board.uncaught, []);
        }
      }
    });
  }
});
