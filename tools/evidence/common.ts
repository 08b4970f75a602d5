/**
 * Shared by the evidence suites (fuzz, power cuts, soak): a watcher of the car's
 * outputs (rising edges, longest time on), and a mirror of the audit log that checks its sequence
 * numbers as it reads. Host-only; never bundled for the board. Must not call firmware functions on
 * a running car: it reads flash and pins from outside, as the simulated world does.
 */
import type { SimCar } from '../../sim/car';
import type { LogEntry } from '../../firmware/auditlog';
import type { Rng } from '../host/random';


/**
 * Mutates bytes the way a fuzzer does: bit flips, byte sets to interesting values, inserts,
 * deletes, truncation, extension, duplicated slices. Returns a new array (may be empty).
 */
export function mutate(r: Rng, input: Uint8Array, maxLen = 244): Uint8Array {
  let b = Array.from(input);
  const n = 1 + r.int(3);
  const interesting = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0xc0, 0x20];
  for (let k = 0; k < n; k++) {
    const op = r.int(8);
    const at = r.int(b.length + 1);
    if (op === 0 && b.length) b[at % b.length] ^= 1 << r.int(8);
    else if (op === 1 && b.length) b[at % b.length] = r.pick(interesting);
    else if (op === 2 && b.length) b[at % b.length] = r.int(256);
    else if (op === 3) b.splice(at, 0, ...Array.from(r.bytes(1 + r.int(4))));
    else if (op === 4 && b.length) b.splice(at % b.length, 1 + r.int(4));
    else if (op === 5) b = b.slice(0, r.int(b.length + 1));
    else if (op === 6) b = b.concat(Array.from(r.bytes(1 + r.int(8))));
    else if (b.length) { const from = r.int(b.length); const len = 1 + r.int(8); b.splice(at, 0, ...b.slice(from, from + len)); }
  }
  if (b.length > maxLen) b = b.slice(0, maxLen);
  return new Uint8Array(b);
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface OutputWatch {
  relayRises: number;
  driveRises: number;
  /** Longest continuous on-time seen, in virtual ms (an output still on counts up to now). */
  maxRelayOnMs(): number;
  maxDriveOnMs(): number;
  /** Virtual times of every relay rising edge. */
  relayRiseTimes: number[];
  /**
   * A valid unlock (or drive) was accepted now: the firmware restarts the output's hold without an
   * edge, so the on-time that must stay within the limit counts from here.
   */
  retrigger(which: 'relay' | 'drive'): void;
}

/**
 * Hooks the car's output pins (car.board.pins.onOutput takes one callback: on NFC boards the car
 * wired the PN532 reset line there, so this keeps doing that). Call once per car.
 */
export function watchOutputs(car: SimCar, keepRiseTimes = false): OutputWatch {
  const p = car.config.pins;
  const on = car.config.relayActiveHigh ? 1 : 0;
  const pn = car.pn532;
  let relaySince = -1, driveSince = -1, maxRelay = 0, maxDrive = 0;
  const w: OutputWatch = {
    relayRises: 0, driveRises: 0, relayRiseTimes: [],
    maxRelayOnMs: () => Math.max(maxRelay, relaySince >= 0 ? car.board.clock.now() - relaySince : 0),
    maxDriveOnMs: () => Math.max(maxDrive, driveSince >= 0 ? car.board.clock.now() - driveSince : 0),
    retrigger: (which) => {
      const now = car.board.clock.now();
      if (which === 'relay' && relaySince >= 0) { maxRelay = Math.max(maxRelay, now - relaySince); relaySince = now; }
      if (which === 'drive' && driveSince >= 0) { maxDrive = Math.max(maxDrive, now - driveSince); driveSince = now; }
    },
  };
  let bootsSeen = car.board.resets.length;
  car.board.pins.onOutput((pin, level) => {
    if (pn && p.pn532Reset !== undefined && pin === p.pn532Reset) pn.resetPin.set(level === 0);
    const now = car.board.clock.now();
    if (car.board.resets.length !== bootsSeen) {
      // A boot clears every output without an edge: close what was open at the boot.
      bootsSeen = car.board.resets.length;
      const at = car.board.resets[bootsSeen - 1].at;
      if (relaySince >= 0) { maxRelay = Math.max(maxRelay, at - relaySince); relaySince = -1; }
      if (driveSince >= 0) { maxDrive = Math.max(maxDrive, at - driveSince); driveSince = -1; }
    }
    if (pin === p.relay) {
      if (level === on && relaySince < 0) { relaySince = now; w.relayRises++; if (keepRiseTimes) w.relayRiseTimes.push(now); }
      else if (level !== on && relaySince >= 0) { maxRelay = Math.max(maxRelay, now - relaySince); relaySince = -1; }
    } else if (p.drive !== undefined && pin === p.drive) {
      if (level === on && driveSince < 0) { driveSince = now; w.driveRises++; }
      else if (level !== on && driveSince >= 0) { maxDrive = Math.max(maxDrive, now - driveSince); driveSince = -1; }
    }
  });
  return w;
}

export interface LogMirror {
  /** Every entry read so far (when `keep`), oldest first. */
  entries: LogEntry[];
  lastSeq: number;
  /** Sequence problems found: a gap, a repeat, a decrease. */
  problems: string[];
  /** Reads what is new since the last poll and checks it continues the sequence without a gap. */
  poll(): LogEntry[];
}

/**
 * Mirrors the audit log from outside. Poll often enough that the ring cannot rotate an unread
 * entry out (segments x perSegment entries); then any gap is an entry the board lost.
 */
export function logMirror(car: SimCar, keep = false): LogMirror {
  const first = car.auditLog();
  const m: LogMirror = {
    entries: keep ? first.slice() : [],
    lastSeq: first.length ? first[first.length - 1].seq : 0,
    problems: [],
    poll: () => {
      const fresh = car.auditLog(m.lastSeq + 1);
      for (const e of fresh) {
        if (e.seq !== m.lastSeq + 1) m.problems.push(`seq ${e.seq} after ${m.lastSeq}`);
        m.lastSeq = e.seq;
        if (keep) m.entries.push(e);
      }
      return fresh;
    },
  };
  for (let i = 1; i < first.length; i++) if (first[i].seq <= first[i - 1].seq) m.problems.push(`seq ${first[i].seq} after ${first[i - 1].seq}`);
  return m;
}

