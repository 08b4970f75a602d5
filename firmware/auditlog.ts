/**
 * The audit log: two append-only rings of 16-byte entries in pre-sized flash segments, sharing one
 * sequence number. The main ring (`ck.log.0` ..) keeps everything but failures: grants, state
 * changes, key changes, clock and settings changes, boots, faults. The failure ring (`ck.log.f0`,
 * `ck.log.f1`) keeps refusals (DENIED, bursts of failures, lockouts), so no number of failures
 * can push a grant or a key change out of the log. logRead merges both rings in sequence order; a
 * gap in the sequence is failure entries the failure ring dropped.
 *
 * Sizes: the board's `segments` x `perSegment` entries, of which the main ring takes `segments`-1
 * segments and the failure ring two of half a segment each (the same flash as before the split).
 * Short property names (`segs`, `per`, `bn` ..) on purpose: Espruino keeps a name of up to four
 * characters in one variable, a longer one takes two, and these objects live as long as the board.
 *
 * An entry is one flash write into bytes that were never written, so a power cut either leaves it
 * whole (and it was reported written) or leaves a torn entry that fails its check byte and is read
 * as the end. When a ring's newest segment is full its oldest is erased and reused.
 *
 * Entry: seq u32 | time u32 | event u8 (bit 7: time is trusted real time, else seconds since
 *        boot) | result u8 | reason u8 | check u8 | key id u32.
 * A burst of failures (event LOG_FAILURES, firmware/failures.ts) uses the last 4 bytes as
 *        count u16 | span u16 (seconds from its first failure, which is `time`, to its last), the
 *        result byte as the reasons seen (FAIL_* bits) and the reason byte as the last reason.
 */
import type { Crypto, FlashStorage } from './ports';
import { u32, u8 } from './binstr';
import { fits } from './flashroom';
import { JPAGE, type Journal, K_CFG, REC, SLOTS, jAppend, jBlank, jEach, jRec, jValid, pageSeq } from './journal';
import { LOG_DENIED, LOG_FAILURES, LOG_LOCKOUT } from './codes';

export const ENTRY_SIZE = 16;
const LOG_FILE = 'ck.log.';

export interface LogEntry {
  seq: number;
  time: number;
  trusted: boolean;
  event: number;
  result: number;
  reason: number;
  keyId: number;
}

/** One ring: its files `ck.log.<tag><i>`, the segment being written and its next free slot. */
export interface LogRing {
  tag: string;
  segs: number;
  per: number;
  seg: number;
  slot: number;
}

export interface AuditLog {
  storage: FlashStorage;
  main: LogRing;
  fail: LogRing;
  nextSeq: number;
  /** The burst of unproven failures (firmware/failures.ts): failures counted in the open window. */
  bn: number;
  /** Uptime (ms) of the open window's start, -1 when none is open. */
  bs: number;
  /** Uptime (ms) of the window's first and last counted failure. */
  bf: number;
  bl: number;
  /** Reasons seen (failBit bits) and the last reason. */
  bk: number;
  br: number;
  /** Uptime (ms) when the last window closed, -1 before any. */
  bc: number;
  /** Journal layout (firmware/journal.ts): the journal, and failure entries on its active page `fp`. */
  j?: Journal;
  nf?: number;
  fp?: number;
}

/**
 * At most this many failure entries a journal page takes: the rest of the page is for everything
 * else, so no number of failures pushes a grant or a key change out of the log (a page is only
 * ever dropped for entries that are not failures). Failures past it leave a gap in the sequence.
 */
export const FAIL_CAP = SLOTS >> 1;

/** Failure entries: refusals and what they lead to. They go to the failure ring. */
export function isFailureEvent(event: number): boolean {
  return event === LOG_DENIED || event === LOG_FAILURES || event === LOG_LOCKOUT;
}

function segName(r: LogRing, i: number): string {
  return LOG_FILE + r.tag + i;
}

/** Never written: all 16 bytes still erased (0xFF). */
function blank(s: string, at: number): boolean {
  return s.length < at + ENTRY_SIZE || jBlank(s, at);
}

/**
 * The log in the journal (firmware/journal.ts; none: nothing is logged). The next sequence number
 * follows the newest entry, looked for from the newest record back, page by page; failure entries
 * on the active page are counted for FAIL_CAP. Host tools read a board's log with it too.
 */
export function logOpenJ(storage: FlashStorage, j: Journal | undefined): AuditLog {
  // No rings and no Storage: the journal holds the log (fewer fields for the board to keep).
  const log = { nextSeq: 1, bn: 0, bs: -1, bf: 0, bl: 0, bk: 0, br: 0, bc: -1, j, nf: 0, fp: 0 } as AuditLog;
  if (!j) return log;
  log.fp = j.ps;
  let best = 0, at, d = j.f.read(j.pg * JPAGE, JPAGE), i, p;
  for (at = 2 * REC; at < j.slot * REC; at += REC) if (isFailureEvent(u8(d, at + 8) & 127) && jValid(d, at)) log.nf!++;
  for (i = 0; i < j.n && !best; i++) {
    p = (j.pg - i + j.n) % j.n;
    // A page without a committed header holds no entries (firmware/journal.ts).
    if (!pageSeq(j.f, p)) continue;
    d = j.f.read(p * JPAGE, JPAGE);
    // A blank slot's kind reads 127: not an entry.
    for (at = JPAGE - REC; at >= 2 * REC && !best; at -= REC) if ((u8(d, at + 8) & 127) < K_CFG && jValid(d, at)) best = u32(d, at);
  }
  log.nextSeq = best + 1;
  return log;
}

/** logRead in the journal: one stream in sequence order, oldest page first; the check only for entries to be sent. */
export function logReadJ(log: AuditLog, fromSeq: number, max: number, visit: (e: LogEntry) => void): number {
  let n = 0;
  if (log.j) jEach(log.j, (s, at) => {
    let ev;
    if (u32(s, at) >= fromSeq && ((ev = u8(s, at + 8)) & 127) < K_CFG && jValid(s, at)) {
      visit({ seq: u32(s, at), time: u32(s, at + 4), trusted: (ev & 128) !== 0, event: ev & 127, result: u8(s, at + 9), reason: u8(s, at + 10), keyId: u32(s, at + 12) });
      return ++n >= max;
    }
    return false;
  }, fromSeq);
  return n;
}

/**
 * Opens the log (the board's `segs` segments x `per` entries; at least 3 segments of 2). `tiled`:
 * the failure ring's two segments are whole segments too, each a tile (docs/ESPRUINO.md "Flash").
 */
export function logOpen(storage: FlashStorage, _crypto: Crypto, segs: number, per: number, tiled?: boolean, j?: Journal): AuditLog {
  if (typeof __TILED__ !== 'undefined' && __TILED__) return logOpenJ(storage, j);
  const fp = tiled ? per : per >> 1;
  const main: LogRing = { tag: '', segs: segs > 2 ? segs - 1 : 2, per, seg: 0, slot: per };
  const fail: LogRing = { tag: 'f', segs: 2, per: fp, seg: 0, slot: fp };
  let bestSeq = 0;
  // Each ring: find its newest segment and that segment's first free slot (one loop, not a
  // function per ring: a function kept for the board's lifetime costs variables).
  for (let k = 0; k < 2; k++) {
    const r = k ? fail : main;
    let ringBest = 0;
    for (let i = 0; i < r.segs; i++) {
      const s = storage.read(segName(r, i));
      if (!s) continue;
      // Scan to the first blank slot; torn entries (a power cut mid-write) are skipped, not reused.
      let slot = 0, last = 0;
      while (slot < r.per && !blank(s, slot * ENTRY_SIZE)) {
        if (jValid(s, slot * ENTRY_SIZE)) last = u32(s, slot * ENTRY_SIZE);
        slot++;
      }
      if (last > ringBest) { ringBest = last; r.seg = i; r.slot = slot; }
    }
    if (ringBest > bestSeq) bestSeq = ringBest;
  }
  return { storage, main, fail, nextSeq: bestSeq + 1, bn: 0, bs: -1, bf: 0, bl: 0, bk: 0, br: 0, bc: -1 };
}

/** Appends an entry; true once it is in flash. `time` is seconds (real if `trusted`, else since boot). */
export function logAppend(log: AuditLog, time: number, trusted: boolean, event: number, result: number, reason: number, keyId: number): boolean {
  // The same 16 bytes as a journal record (firmware/journal.ts jRec): event and trusted flag as its kind.
  const entry = jRec(log.nextSeq, Math.max(0, Math.floor(time)), (event & 127) | (trusted ? 128 : 0), result, reason, keyId);
  const j = log.j;
  if (typeof __TILED__ !== 'undefined' && __TILED__) {
    if (!j) return false;
    const f = isFailureEvent(event);
    // Past the cap on a page that is not full: a gap in the sequence instead of the entry (`nf`
    // counts the failures on page `fp`; none yet on a page the clock or the settings turned to).
    if (f && log.fp === j.ps && log.nf! >= FAIL_CAP && j.slot < SLOTS) { log.nextSeq++; return false; }
    if (jAppend(j, entry) < 0) return false;
    if (log.fp !== j.ps) { log.fp = j.ps; log.nf = 0; }
    if (f) log.nf!++;
    log.nextSeq++;
    return true;
  }
  const r = isFailureEvent(event) ? log.fail : log.main;
  if (r.slot >= r.per) {
    // Start the next segment: erase it (dropping the ring's oldest entries) and create it
    // pre-sized with this entry as its first bytes. (A write at offset 0 always creates a file on
    // Espruino, so the first entry cannot be written into a file pre-sized earlier.) Only where it
    // fits without a compaction (firmware/flashroom.ts); else, or if it did not reach the flash,
    // the next append tries again.
    const next = (r.seg + 1) % r.segs;
    if (!fits(log.storage, r.per * ENTRY_SIZE)) return false;
    log.storage.erase(segName(r, next));
    if (!log.storage.write(segName(r, next), entry, 0, r.per * ENTRY_SIZE) || log.storage.read(segName(r, next), 0, ENTRY_SIZE) !== entry) return false;
    r.seg = next;
    r.slot = 1;
    log.nextSeq++;
    return true;
  }
  // Read back: a flash write the SoftDevice failed while a link was up reports success all the same.
  const name = segName(r, r.seg), at = r.slot * ENTRY_SIZE;
  const ok = log.storage.write(name, entry, at) && log.storage.read(name, at, ENTRY_SIZE) === entry;
  // A torn write leaves this slot unusable: move past it. One that left it blank is tried again
  // there (entries after a blank slot would read as the end of the segment), unless the segment
  // is gone, when moving on leads to the next one.
  const got = log.storage.read(name, at, ENTRY_SIZE);
  if (ok || got === undefined || !blank(got, 0)) r.slot++;
  if (ok) log.nextSeq++;
  return ok;
}

/** A reading position in one ring: `k` counts segments from the oldest (1) on, `slot` is the entry in it. */
interface Cursor {
  r: LogRing;
  k: number;
  slot: number;
  s: string | undefined;
  /** Seq of the entry at the cursor, -1 at the end of the ring. */
  seq: number;
}

/** Moves `c` to the next valid entry with seq >= fromSeq (or to the end). */
function advance(log: AuditLog, c: Cursor, fromSeq: number): void {
  const r = c.r;
  for (;;) {
    c.slot++;
    if (!c.s || c.slot >= r.per || blank(c.s, c.slot * ENTRY_SIZE)) {
      // End of this segment: on to the next one, oldest first.
      if (++c.k > r.segs) { c.seq = -1; return; }
      c.s = log.storage.read(segName(r, (r.seg + c.k) % r.segs));
      c.slot = -1;
      continue;
    }
    const at = c.slot * ENTRY_SIZE;
    if (!jValid(c.s, at)) continue; // torn by a power cut: skip
    c.seq = u32(c.s, at);
    if (c.seq >= fromSeq) return;
  }
}

/** Calls `visit` for each entry with seq >= fromSeq, in sequence order over both rings, at most `max` entries. */
export function logRead(log: AuditLog, fromSeq: number, max: number, visit: (e: LogEntry) => void): number {
  if (typeof __TILED__ !== 'undefined' && __TILED__) return logReadJ(log, fromSeq, max, visit);
  const a: Cursor = { r: log.main, k: 0, slot: log.main.per, s: undefined, seq: -1 };
  const b: Cursor = { r: log.fail, k: 0, slot: log.fail.per, s: undefined, seq: -1 };
  advance(log, a, fromSeq);
  advance(log, b, fromSeq);
  let n = 0;
  while (n < max && (a.seq >= 0 || b.seq >= 0)) {
    const c = a.seq < 0 || (b.seq >= 0 && b.seq < a.seq) ? b : a;
    const s = c.s!, at = c.slot * ENTRY_SIZE;
    const ev = u8(s, at + 8);
    visit({ seq: c.seq, time: u32(s, at + 4), trusted: (ev & 128) !== 0, event: ev & 127, result: u8(s, at + 9), reason: u8(s, at + 10), keyId: u32(s, at + 12) });
    n++;
    advance(log, c, fromSeq);
  }
  return n;
}
