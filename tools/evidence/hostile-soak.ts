/**
 * Hostile soak: a day (virtual time) of a hostile peer in radio range while the owner unlocks
 * periodically, on a phone-only car (sim/car.ts, the real production bundle). Through the
 * simulator's radio central, as a device in range would: every `attackEveryS` seconds the peer
 * connects (taking the board's one link) and sends a command under the owner's key id with a
 * wrong secret, one under an unknown id, a recording of the owner's last command, or garbage;
 * right after each of the owner's unlocks it also injects that recording on the owner's link (a
 * replay the board sees as such). Every `ownerEveryMin` minutes the owner's phone unlocks.
 *
 * Measured from outside the board: flash writes per hour (the VM engine's flash model counts each
 * write; the real interpreter keeps its flash in a file and is not counted), log entries per
 * hour, Storage compactions, whether any grant, key change, clock change or boot left the log
 * while fewer than a main ring's worth of such entries came after it (= pushed out by failures),
 * the owner's outcomes, the relay's longest on-time, and (engine 'espruino', ESPRUINO_BIN) the
 * interpreter's process.memory() after each hour.
 *
 *   npx tsx tools/evidence/hostile-soak.ts [--hours 24] [--seed 1] [--board puckjs] [--engine vm|espruino]
 *
 * Prints a summary, then one JSON line. Host-only.
 */
import { performance } from 'node:perf_hooks';
import { createCar, type SimPhone } from '../../sim/car';
import { OP, command, nodeMac, packets, type PhoneKeyFile } from '../host/protocol';
import { isFailureEvent, type LogEntry } from '../../firmware/auditlog';
import * as C from '../../firmware/codes';
import { watchOutputs } from './common';
import { rng } from '../host/random';
import { boards } from '../../hal/boards/index';
import { type Spec, UsageError, duration, help, int, parse, runMain, str } from '../host/cli-args';

export interface HostileHour {
  hour: number;
  flashWrites: number | undefined;
  logEntries: number;
  failureEntries: number;
  /** Of those, LOG_LOCKOUT entries (written by firmware/lockout.ts's lockouts, not by the failure policy). */
  lockoutEntries: number;
  compactions: number;
  /** Engine 'espruino': process.memory().usage (the firmware's share) at the end of the hour. */
  usage: number | undefined;
}

export interface HostileReport {
  board: string;
  engine: 'vm' | 'espruino';
  hours: number;
  seed: number;
  realMs: number;
  attempts: Record<string, number>;
  refusals: Record<string, number>;
  ownerTries: number;
  ownerOk: number;
  ownerRefused: Record<string, number>;
  hoursLog: HostileHour[];
  maxFlashWritesPerHour: number | undefined;
  maxLogEntriesPerHour: number;
  maxFailureEntriesPerHour: number;
  /** Failure entries per hour the failure policy wrote (DENIED without proof and bursts): LOG_LOCKOUT left out. */
  maxPolicyEntriesPerHour: number;
  compactions: number;
  /** Important entries (not failures) gone from the log with fewer than a main ring's worth of important entries after them. */
  evictedByFailures: LogEntry[];
  maxRelayOnMs: number;
  usageFirst: number | undefined;
  usageLast: number | undefined;
  usageMax: number | undefined;
  problems: string[];
}

export interface HostileOptions {
  hours: number;
  seed?: number;
  board?: string;
  engine?: 'vm' | 'espruino';
  attackEveryS?: number;
  ownerEveryMin?: number;
  /** Called with each hour's figures as it ends (the CLI prints them, so a long run shows progress). */
  onHour?: (h: HostileHour) => void;
}

export async function runHostileSoak(opts: HostileOptions): Promise<HostileReport> {
  const t0 = performance.now();
  const seed = opts.seed ?? 1;
  const boardId = opts.board || 'puckjs';
  const engine = opts.engine || 'vm';
  const attackEveryMs = (opts.attackEveryS ?? 10) * 1000;
  const ownerEveryMs = (opts.ownerEveryMin ?? 10) * 60000;
  const r = rng(seed ^ 0x4057);
  const car = await createCar({ board: boardId, demo: true, seed, engine });
  try {
    const out = watchOutputs(car);
    const owner = car.keys.owner;
    const ownerPhone: SimPhone = car.phone(owner);
    const problems: string[] = [];
    const problem = (m: string) => { if (problems.length < 50) problems.push(`${((car.board.clock.now() - start) / 3600000).toFixed(2)} h: ${m}`); };
    const attempts: Record<string, number> = {}, refusals: Record<string, number> = {}, ownerRefused: Record<string, number> = {};
    const count = (rec: Record<string, number>, k: string) => { rec[k] = (rec[k] || 0) + 1; };
    const vm = engine === 'vm';
    const writes = () => (vm ? car.board.storage.flash.writes : 0);
    // Main ring size (firmware/auditlog.ts): all segments but one; after a rotation it holds at least segments-2 full ones.
    const mainKeeps = Math.max(1, car.config.logSegments - 2) * car.config.logPerSegment;

    // The log, mirrored: every important entry in order, to tell eviction by failures from eviction by newer important entries.
    const important: LogEntry[] = [];
    const evicted: LogEntry[] = [];
    let lastSeq = 0, failureEntries = 0, logEntries = 0, lockoutEntries = 0;
    const pollLog = () => {
      const now = car.auditLog();
      const present = new Set(now.map((e) => e.seq));
      for (const e of now) {
        if (e.seq <= lastSeq) continue;
        lastSeq = e.seq;
        logEntries++;
        if (e.event === C.LOG_LOCKOUT) lockoutEntries++;
        if (isFailureEvent(e.event)) failureEntries++;
        else important.push(e);
      }
      for (let i = 0; i < important.length; i++) {
        const e = important[i];
        if (present.has(e.seq)) continue;
        if (important.length - 1 - i < mainKeeps && !evicted.some((x) => x.seq === e.seq)) { evicted.push(e); problem('pushed out of the log: ' + JSON.stringify(e)); }
      }
      // Entries older than what the ring can still hold need not be followed.
      if (important.length > 4 * mainKeeps) important.splice(0, important.length - 2 * mainKeeps);
    };

    let recording: Uint8Array | undefined;
    const sendRecording = (phone: SimPhone) => {
      let a;
      for (const p of packets(recording!, car.board.nrf.state.mtu - 3)) a = phone.sendRaw(p);
      return a;
    };
    // One simulated phone per role, re-keyed per attempt: each SimPhone listens to the radio for good.
    const hostile = car.phone();
    const forger = car.phone({ keyId: owner.keyId, secret: new Uint8Array(16) });
    const attack = () => {
      const k = r.int(4);
      const kind = k === 0 ? 'bad MAC under the owner\'s id' : k === 1 ? 'unknown key id' : k === 2 && recording ? 'recorded owner command, new link' : 'garbage';
      count(attempts, kind);
      let a;
      if (k < 2) {
        forger.key = { keyId: k === 0 ? owner.keyId : r.u32() || 5, secret: r.bytes(16) };
        a = forger.run(OP.UNLOCK);
      }
      else {
        hostile.connect();
        a = k === 2 && recording ? sendRecording(hostile) : hostile.sendRaw(r.bytes(1 + r.int(19)));
      }
      count(refusals, a ? a.reason || String(a.status) : 'no answer');
      if (a && a.status === C.R_OK) problem('the hostile peer got OK: ' + kind);
    };

    let ownerTries = 0, ownerOk = 0;
    const ownerUnlock = () => {
      ownerTries++;
      const hello = ownerPhone.connect();
      const nonce = hello.nonce!;
      const a = ownerPhone.unlock();
      if (a.status === C.R_OK && a.authentic && car.relayOn()) ownerOk++;
      else count(ownerRefused, a.reason || String(a.status));
      // What a sniffer in range recorded: the command the owner sent on that nonce.
      recording = command(nodeMac, owner as PhoneKeyFile, nonce, OP.UNLOCK);
      // Injected on the owner's own link straight away: the board sees a replay.
      count(attempts, 'replay on the owner\'s link');
      const rep = sendRecording(ownerPhone);
      count(refusals, rep ? rep.reason || String(rep.status) : 'no answer');
      if (rep && rep.status === C.R_OK) problem('a replay got OK');
    };

    const start = car.board.clock.now();
    const end = start + opts.hours * 3600000;
    const hoursLog: HostileHour[] = [];
    const resets0 = car.board.resets.length;
    let hourStart = start, hourWrites = writes(), hourLog = 0, hourFail = 0, hourLockout = 0, compactions = 0, hourCompactions = 0;
    let trash = vm ? car.board.storage.stats().trashBytes : 0;
    let nextOwner = start + 60000;
    pollLog();
    while (car.board.clock.now() < end) {
      try {
        attack();
        if (car.board.clock.now() >= nextOwner) { ownerUnlock(); nextOwner += ownerEveryMs; pollLog(); }
      } catch (e) {
        problem('step failed: ' + (e as Error).message);
      }
      car.board.nrf.notifications.length = 0;
      if (car.board.uncaught.length) { problem('uncaught: ' + car.board.uncaught.join('; ')); (car.board.uncaught as string[]).length = 0; }
      car.advance(attackEveryMs - 1000 + r.int(2000));
      if (vm) {
        const t = car.board.storage.stats().trashBytes;
        if (t < trash) { compactions++; hourCompactions++; }
        trash = t;
      }
      if (car.board.clock.now() - hourStart >= 3600000) {
        pollLog();
        const m = car.board.memory();
        hoursLog.push({ hour: hoursLog.length + 1, flashWrites: vm ? writes() - hourWrites : undefined, logEntries: logEntries - hourLog,
          failureEntries: failureEntries - hourFail, lockoutEntries: lockoutEntries - hourLockout, compactions: hourCompactions, usage: m ? m.usage - m.prelude - m.ballast : undefined });
        if (opts.onHour) opts.onHour(hoursLog[hoursLog.length - 1]);
        hourStart += 3600000; hourWrites = writes(); hourLog = logEntries; hourFail = failureEntries; hourLockout = lockoutEntries; hourCompactions = 0;
      }
    }
    pollLog();
    if (car.board.resets.length > resets0) problem('the board reset: ' + car.board.resets.slice(resets0).map((x) => x.reason).join(', '));
    if (out.maxRelayOnMs() > 30000) problem('relay on for ' + out.maxRelayOnMs() + ' ms');
    const usages = hoursLog.map((h) => h.usage).filter((u): u is number => u !== undefined);
    const maxOf = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
    return {
      board: boardId, engine, hours: opts.hours, seed, realMs: Math.round(performance.now() - t0), attempts, refusals, ownerTries, ownerOk, ownerRefused,
      hoursLog, maxFlashWritesPerHour: vm ? maxOf(hoursLog.map((h) => h.flashWrites!)) : undefined,
      maxLogEntriesPerHour: maxOf(hoursLog.map((h) => h.logEntries)), maxFailureEntriesPerHour: maxOf(hoursLog.map((h) => h.failureEntries)),
      maxPolicyEntriesPerHour: maxOf(hoursLog.map((h) => h.failureEntries - h.lockoutEntries)),
      compactions, evictedByFailures: evicted, maxRelayOnMs: out.maxRelayOnMs(),
      usageFirst: usages[0], usageLast: usages[usages.length - 1], usageMax: usages.length ? Math.max(...usages) : undefined, problems,
    };
  } finally {
    car.board.close();
  }
}

const SPEC: Spec = {
  usage: 'npx tsx tools/evidence/hostile-soak.ts',
  options: {
    hours: { type: 'string', arg: 'DURATION', help: 'simulated time: 24, 24h, 90m, 7d (plain number: hours; default 24h, at most 30d)' },
    seed: { type: 'string', arg: 'N', help: 'random seed (default 1)' },
    board: { type: 'string', arg: 'ID', help: 'the board: ' + boards.map((b) => b.id).join(', ') + ' (default puckjs)' },
    engine: { type: 'string', arg: 'vm|espruino', help: 'the simulator engine (espruino needs ESPRUINO_BIN; default vm)' },
  },
  notes: 'A hostile peer in radio range all the time while the owner unlocks every 10 minutes. One JSON line at the end; exit 1 on any problem.',
};

async function main(argv: string[]): Promise<number> {
  const a = parse(argv, SPEC);
  if (a.help) { process.stdout.write(help(SPEC)); return 0; }
  const engine = str(a.values, 'engine') || 'vm';
  if (engine !== 'vm' && engine !== 'espruino') throw new UsageError('--engine is vm or espruino');
  const board = str(a.values, 'board');
  if (board !== undefined && !boards.some((b) => b.id === board)) throw new UsageError('unknown board ' + board + '; known: ' + boards.map((b) => b.id).join(', '));
  const rep = await runHostileSoak({
    hours: duration(str(a.values, 'hours'), '--hours', { unit: 'h', maxMs: 30 * 86400000, defMs: 24 * 3600000 }) / 3600000,
    seed: int(str(a.values, 'seed'), '--seed', { min: 0, max: 0xffffffff, def: 1 }), board, engine,
    onHour: (h) => console.log('hour ' + JSON.stringify(h)),
  });
  console.log(`hostile soak ${rep.board} (${rep.engine}): ${rep.hours} simulated hours in ${(rep.realMs / 1000).toFixed(1)} s real`);
  console.log('attempts ', JSON.stringify(rep.attempts));
  console.log('refusals ', JSON.stringify(rep.refusals));
  console.log(`owner: ${rep.ownerOk} of ${rep.ownerTries} unlocks ok; refused ${JSON.stringify(rep.ownerRefused)}`);
  console.log(`per hour, most: flash writes ${rep.maxFlashWritesPerHour ?? 'n/a (real interpreter)'}, log entries ${rep.maxLogEntriesPerHour}, failure entries ${rep.maxFailureEntriesPerHour} (${rep.maxPolicyEntriesPerHour} without lockout entries); compactions ${rep.compactions}`);
  console.log(`entries pushed out by failures: ${rep.evictedByFailures.length}; relay longest on ${rep.maxRelayOnMs} ms`);
  if (rep.usageFirst !== undefined) console.log(`process.memory().usage (firmware share): hour 1 ${rep.usageFirst}, last hour ${rep.usageLast}, highest ${rep.usageMax}`);
  for (const p of rep.problems) console.log('PROBLEM ' + p);
  console.log(JSON.stringify(rep));
  return rep.problems.length ? 1 : 0;
}

if (require.main === module) runMain('hostile-soak', () => main(process.argv.slice(2)));
