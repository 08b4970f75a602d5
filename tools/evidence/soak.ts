/**
 * Soak: hours of simulated time of mixed traffic on an NFC car (sim/car.ts, the real puckjs-nfc
 * bundle): phone unlocks, locks and drives, bad attempts, card taps (genuine, cloned, UID-only),
 * keys added by the owner and later revoked and removed, clock changes, door openings, status and
 * log reads. Measured at intervals, honestly, from outside the board: pending board timers, flash
 * used and trash, keys in the table; the audit log is mirrored after every event and must continue
 * without a gap; the relay is hooked on every pin change and must never stay on past its hold.
 *
 *   npx tsx tools/evidence/soak.ts [--hours 24] [--seed 1] [--board puckjs-nfc] [--espruino-iterations 300]
 *
 * With ESPRUINO_BIN set it also runs a mixed loop inside the real interpreter (the bench bundle of
 * tools/benchmarks/board.ts: the real firmware plus a console-driven radio) and reports whether
 * process.memory() grows. Prints a summary, then one JSON line. Host-only.
 */
import { performance } from 'node:perf_hooks';
import { createCar, type SimPhone } from '../../sim/car';
import type { PhoneKeyFile } from '../host/protocol';
import { OP } from '../host/protocol';
import { HARD_MAX_HOLD_MS } from '../../firmware/config';
import * as C from '../../firmware/codes';
import { logMirror, watchOutputs } from './common';
import { rng } from '../host/random';
import { type Spec, UsageError, duration, help, int, parse, runMain, str } from '../host/cli-args';
import { boards } from '../../hal/boards/index';
import { espruinoBinary } from '../host/espruino-binary';
import { bootImage, boardPhone, memoryUsage, phoneKeyBenchBundle, provisionImage } from '../benchmarks/board';
import { keyTableOf } from '../host/provision/keystores';
import { flashOf } from '../../sim/provision';

export interface SoakSample {
  hour: number;
  pendingBoardTimers: number;
  fileBytes: number;
  trashBytes: number;
  freeBytes: number;
  keys: number;
  lastSeq: number;
}

export interface SoakReport {
  board: string;
  hours: number;
  seed: number;
  realMs: number;
  events: Record<string, number>;
  outcomes: Record<string, number>;
  samples: SoakSample[];
  maxRelayOnMs: number;
  relayRises: number;
  logEntries: number;
  problems: string[];
}

export async function runSoak(opts: { hours: number; seed?: number; board?: string; sampleEveryMin?: number }): Promise<SoakReport> {
  const t0 = performance.now();
  const seed = opts.seed ?? 1;
  const boardId = opts.board || 'puckjs-nfc';
  const r = rng(seed ^ 0x50a4);
  const car = await createCar({ board: boardId, demo: true, seed });
  const out = watchOutputs(car);
  const log = logMirror(car);
  const problems: string[] = [];
  const problem = (m: string) => { if (problems.length < 50) problems.push(`${(car.board.clock.now() / 3600000).toFixed(2)} h: ${m}`); };
  const events: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const count = (rec: Record<string, number>, k: string) => { rec[k] = (rec[k] || 0) + 1; };
  const phones = new Map<number, SimPhone>();
  const phoneOf = (k: PhoneKeyFile) => { let p = phones.get(k.keyId); if (!p) { p = car.phone(k); phones.set(k.keyId, p); } return p; };
  const owner = car.keys.owner;
  const added: PhoneKeyFile[] = [];
  const revoked: PhoneKeyFile[] = [];
  const resets0 = car.board.resets.length;
  const start = car.board.clock.now();
  const end = start + opts.hours * 3600000;
  const everyMs = (opts.sampleEveryMin ?? 10) * 60000;
  const samples: SoakSample[] = [];
  let nextSample = start;
  let acceptedUnlocks = 0, unlockEntries = 0;
  const keysInTable = () => countKeys();
  const countKeys = () => keyTableOf(flashOf(car.board)).length / 64;
  const sample = () => {
    const st = car.board.storage.stats();
    samples.push({ hour: +((car.board.clock.now() - start) / 3600000).toFixed(3), pendingBoardTimers: car.board.clock.pendingBoardTimers(),
      fileBytes: st.fileBytes, trashBytes: st.trashBytes, freeBytes: st.freeBytes, keys: keysInTable(), lastSeq: log.lastSeq });
  };
  const phoneOp = (k: PhoneKeyFile, op: number, args?: Uint8Array) => {
    const a = phoneOf(k).run(op, args);
    count(outcomes, `${op === OP.UNLOCK ? 'unlock' : op === OP.LOCK ? 'lock' : op === OP.DRIVE ? 'drive' : 'op' + op}:${a.reason}`);
    if (a.type === 'response' && !a.authentic) problem('a response to a real key was not authentic');
    if (op === OP.UNLOCK && a.status === C.R_OK) { acceptedUnlocks++; out.retrigger('relay'); }
    if (op === OP.DRIVE && a.status === C.R_OK) out.retrigger('drive');
    return a;
  };
  const realKeys = () => [owner, car.keys.driver, car.keys.guest].concat(added);

  while (car.board.clock.now() < end) {
    while (nextSample <= car.board.clock.now()) { sample(); nextSample += everyMs; }
    const x = r.int(100);
    try {
      if (x < 40) {
        count(events, 'phone unlock');
        const k = r.chance(0.5) ? owner : r.pick(realKeys());
        phoneOp(k, OP.UNLOCK);
        if (r.chance(0.3)) { car.advance(1000 + r.int(4000)); count(events, 'phone lock'); phoneOp(k, OP.LOCK); }
      } else if (x < 42) {
        count(events, 'bad attempt');
        const fake = { keyId: r.chance(0.5) ? r.pick(realKeys()).keyId : r.u32() || 9, secret: r.bytes(16) };
        const a = car.phone(fake).unlock();
        count(outcomes, 'bad:' + a.reason);
        if (a.type === 'response') problem('a wrong secret got a MACed response');
      } else if (x < 60) {
        const which = r.int(10) < 7 ? 'owner-card' : r.chance(0.6) ? 'cloned-card' : 'uid-only-card';
        count(events, 'tap ' + which);
        const rises = out.relayRises;
        car.tap(car.cards[which], 1200 + r.int(800));
        if (out.relayRises > rises) { count(outcomes, 'tap unlocked:' + which); if (which !== 'owner-card') problem(which + ' unlocked the car'); }
        car.advance(2100);
      } else if (x < 65) {
        count(events, 'owner adds a key');
        if (added.length < 20) {
          const res = phoneOf(owner).addKey({ role: r.chance(0.5) ? C.ROLE_GUEST : C.ROLE_DRIVER, perms: C.PERM_UNLOCK | C.PERM_LOCK, label: 'k' + r.int(1000) });
          count(outcomes, 'add:' + res.answer.reason);
          if (res.key) { added.push(res.key); if (phoneOp(res.key, OP.UNLOCK).status !== C.R_OK && !car.relayOn()) count(outcomes, 'new key first unlock refused'); }
        }
      } else if (x < 69) {
        count(events, 'owner revokes a key');
        if (added.length) {
          const k = added.splice(r.int(added.length), 1)[0];
          const a = phoneOp(owner, OP.REVOKE, new Uint8Array([(k.keyId >>> 24) & 255, (k.keyId >> 16) & 255, (k.keyId >> 8) & 255, k.keyId & 255]));
          if (a.status === C.R_OK) {
            revoked.push(k);
            const b = phoneOf(k).run(OP.UNLOCK);
            count(outcomes, 'revoked key:' + b.reason);
            if (b.status === C.R_OK) problem('a revoked key unlocked');
          }
        }
        if (revoked.length > 5) {
          // Removing frees the slot for good.
          const k = revoked.shift()!;
          count(events, 'owner removes a revoked key');
          phoneOp(owner, OP.REMOVE, new Uint8Array([(k.keyId >>> 24) & 255, (k.keyId >> 16) & 255, (k.keyId >> 8) & 255, k.keyId & 255]));
        }
      } else if (x < 72) {
        count(events, 'clock change');
        phoneOp(owner, OP.SET_TIME, new Uint8Array([0x65, r.int(256), r.int(256), 0]));
      } else if (x < 80) {
        count(events, 'door');
        car.setDoor(true); car.advance(2000 + r.int(5000)); car.setDoor(false);
      } else if (x < 84) {
        count(events, 'drive');
        phoneOp(owner, OP.DRIVE);
      } else if (x < 92) {
        count(events, 'status / log read');
        phoneOp(r.pick(realKeys()), r.chance(0.5) ? OP.STATUS : OP.READ_LOG, new Uint8Array([0, 0, 0, 0]));
      } else {
        count(events, 'disconnect');
        car.board.nrf.disconnect();
      }
    } catch (e) {
      problem('event failed: ' + (e as Error).message);
    }
    for (const e of log.poll()) if (e.event === C.EV_UNLOCK && e.reason === C.R_OK) unlockEntries++;
    car.board.nrf.notifications.length = 0;
    if (car.board.uncaught.length) { problem('uncaught: ' + car.board.uncaught.join('; ')); car.board.uncaught.length = 0; }
    car.advance(1000 + r.int(14000));
  }
  sample();
  // The end: an hour of quiet, then the owner still unlocks and the outputs go off.
  car.advance(3600000);
  log.poll();
  if (car.relayOn() || car.driveOn()) problem('an output is on after an hour of quiet');
  const last = car.phone(owner).unlock();
  if (last.status !== C.R_OK) problem('the owner could not unlock at the end: ' + last.reason);
  car.advance(15000);
  for (const e of log.poll()) if (e.event === C.EV_UNLOCK && e.reason === C.R_OK) unlockEntries++;
  if (last.status === C.R_OK) acceptedUnlocks++;
  const cardUnlocks = Object.entries(outcomes).filter(([k]) => k.startsWith('tap unlocked')).reduce((n, [, v]) => n + v, 0);
  if (unlockEntries !== acceptedUnlocks + cardUnlocks) problem(`log has ${unlockEntries} unlocks, the world saw ${acceptedUnlocks} phone + ${cardUnlocks} card unlocks`);
  for (const p of log.problems) problem('audit log: ' + p);
  if (car.board.resets.length !== resets0) problem('the board reset ' + (car.board.resets.length - resets0) + ' times: ' + car.board.resets.slice(resets0).map((x) => x.reason).join(', '));
  const holdLimit = HARD_MAX_HOLD_MS; // the configured hold is 3 s; the hard limit is what no setting can exceed
  if (out.maxRelayOnMs() > 3000 + 1000) problem(`relay on for ${out.maxRelayOnMs()} ms (hold 3000 ms, hard limit ${holdLimit} ms)`);
  // Nothing grows: timers and flash use in the last samples are within what the first hours saw.
  const early = samples.filter((s) => s.hour <= Math.min(2, opts.hours / 2));
  const late = samples.filter((s) => s.hour >= opts.hours - Math.min(2, opts.hours / 2));
  const maxOf = (xs: SoakSample[], f: (s: SoakSample) => number) => Math.max(...xs.map(f));
  if (maxOf(late, (s) => s.pendingBoardTimers) > maxOf(early, (s) => s.pendingBoardTimers) + 2) problem('pending board timers grew');
  if (maxOf(samples, (s) => s.pendingBoardTimers) > 12) problem('more than 12 board timers pending at once');
  // Trash is reclaimed by compaction when needed: what matters is what files hold. The journal
  // layout's files fill Storage from the start and the firmware makes none at run time: they must not change.
  const live = samples.map((s) => s.fileBytes);
  if (boards.find((b) => b.id === boardId)!.tile) { if (Math.max(...live) !== Math.min(...live)) problem('live files changed in the journal layout'); }
  else if (Math.min(...samples.map((s) => s.freeBytes + s.trashBytes)) < 4096) problem('flash nearly full of live files');
  return {
    board: boardId, hours: opts.hours, seed, realMs: Math.round(performance.now() - t0), events, outcomes, samples,
    maxRelayOnMs: out.maxRelayOnMs(), relayRises: out.relayRises, logEntries: log.lastSeq, problems,
  };
}

/** The mixed loop inside the real interpreter: does process.memory() grow? */
export async function soakOnEspruino(bin: string, iterations: number): Promise<Record<string, unknown>> {
  const img = provisionImage(200, 3);
  const s = await bootImage(bin, img, await phoneKeyBenchBundle());
  try {
    const ph = boardPhone(s);
    await ph.connect();
    const r = rng(77);
    const series: Array<{ i: number; usage: number }> = [{ i: 0, usage: await memoryUsage(s) }];
    let ok = 0, refused = 0;
    for (let i = 1; i <= iterations; i++) {
      const k = r.int(10);
      if (k < 5) { const a = await ph.run(img.owner, OP.UNLOCK); if (a.answer.status === C.R_OK) ok++; }
      else if (k < 7) { const a = await ph.run({ keyId: img.guest.keyId, secret: r.bytes(16) }, OP.UNLOCK); if (a.answer.type === 'refused') refused++; }
      else if (k < 8) await ph.run(img.owner, OP.STATUS);
      else if (k < 9) await ph.run(img.owner, OP.READ_LOG, new Uint8Array([0, 0, 0, r.int(100)]));
      else await ph.raw([Buffer.from(r.bytes(1 + r.int(19))).toString('hex')]);
      if (i % Math.max(1, Math.floor(iterations / 10)) === 0) series.push({ i, usage: await memoryUsage(s) });
    }
    const after = series[series.length - 1].usage;
    const firstAfterWarm = series.length > 2 ? series[1].usage : series[0].usage;
    return { iterations, unlocksOk: ok, badRefused: refused, series, grewFromWarm: after - firstAfterWarm, grows: after - firstAfterWarm > 20 };
  } finally {
    await s.quit();
  }
}

const SPEC: Spec = {
  usage: 'npm run evidence:soak --',
  options: {
    hours: { type: 'string', arg: 'DURATION', help: 'simulated time: 24, 24h, 90m, 7d (plain number: hours; default 24h, at most 30d)' },
    seed: { type: 'string', arg: 'N', help: 'random seed (default 1)' },
    board: { type: 'string', arg: 'ID', help: 'the board: ' + boards.map((b) => b.id).join(', ') + ' (default puckjs-nfc)' },
    'espruino-iterations': { type: 'string', arg: 'N', help: 'with ESPRUINO_BIN: unlock loops inside the real interpreter (default 300)' },
  },
  notes: 'One JSON line at the end; exit 1 on any problem.',
};

async function main(argv: string[]): Promise<number> {
  const a = parse(argv, SPEC);
  if (a.help) { process.stdout.write(help(SPEC)); return 0; }
  const hours = duration(str(a.values, 'hours'), '--hours', { unit: 'h', maxMs: 30 * 86400000, defMs: 24 * 3600000 }) / 3600000;
  const seed = int(str(a.values, 'seed'), '--seed', { min: 0, max: 0xffffffff, def: 1 });
  const board = str(a.values, 'board');
  if (board !== undefined && !boards.some((b) => b.id === board)) throw new UsageError('unknown board ' + board + '; known: ' + boards.map((b) => b.id).join(', '));
  const iterations = int(str(a.values, 'espruino-iterations'), '--espruino-iterations', { min: 1, max: 1000000, def: 300 });
  const rep = await runSoak({ hours, seed, board });
  console.log(`soak ${rep.board}: ${rep.hours} simulated hours in ${(rep.realMs / 1000).toFixed(1)} s real`);
  console.log('events   ', JSON.stringify(rep.events));
  console.log('outcomes ', JSON.stringify(rep.outcomes));
  console.log(`relay: ${rep.relayRises} times on, longest ${rep.maxRelayOnMs} ms; audit log: ${rep.logEntries} entries, mirrored without a gap: ${rep.problems.every((p) => !p.includes('audit'))}`);
  const t = rep.samples.map((s) => s.pendingBoardTimers), f = rep.samples.map((s) => s.fileBytes);
  console.log(`pending board timers: min ${Math.min(...t)} max ${Math.max(...t)}; flash in files: min ${Math.min(...f)} max ${Math.max(...f)} B; free+trash min ${Math.min(...rep.samples.map((s) => s.freeBytes + s.trashBytes))} B`);
  for (const p of rep.problems) console.log('PROBLEM ' + p);
  let espruino: Record<string, unknown> | null = null;
  const bin = espruinoBinary();
  if (bin) {
    espruino = await soakOnEspruino(bin, iterations);
    console.log('espruino loop: ' + JSON.stringify(espruino));
  } else console.log('(set ESPRUINO_BIN for the loop inside the real interpreter)');
  const { samples, ...rest } = rep;
  console.log(JSON.stringify({ soak: rest, samples: samples.filter((_, i) => i % 6 === 0 || i === samples.length - 1), espruino }));
  return rep.problems.length || (espruino && espruino.grows) ? 1 : 0;
}

if (require.main === module) runMain('soak', () => main(process.argv.slice(2)));
