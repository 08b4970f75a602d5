/**
 * The audit log: an append-only ring of 16-byte entries in a few pre-sized flash segments
 * (`ck.log.0` ..). An entry is one flash write into bytes that were never written, so a power
 * cut either leaves it whole (and it was reported written) or leaves a torn entry that fails its
 * check byte and is read as the end. When the newest segment is full the oldest is erased and
 * reused: a full log drops the oldest entries.
 *
 * Entry: seq u32 | time u32 | event u8 (bit 7: time is trusted real time, else seconds since
 *        boot) | result u8 | reason u8 | check u8 | key id u32
 */
import type { Crypto, FlashStorage } from '../hal/ports';
import { str32, u32, u8 } from './binstr';
import { fits } from './flashroom';

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

export interface AuditLog {
  storage: FlashStorage;
  segments: number;
  perSegment: number;
  /** Segment being written and the next free slot in it. */
  seg: number;
  slot: number;
  nextSeq: number;
}

function segName(i: number): string {
  return LOG_FILE + i;
}

function check(s: string, at: number): number {
  let c = 0x5a;
  for (let i = 0; i < ENTRY_SIZE; i++) if (i !== 11) c = (c + u8(s, at + i) * (i + 1)) & 255;
  return c;
}

/** Never written: all 16 bytes still erased (0xFF). */
function blank(s: string, at: number): boolean {
  if (s.length < at + ENTRY_SIZE) return true;
  for (let i = 0; i < ENTRY_SIZE; i++) if (u8(s, at + i) !== 255) return false;
  return true;
}

function valid(s: string, at: number): boolean {
  return s.length >= at + ENTRY_SIZE && u32(s, at) !== 0xffffffff && u8(s, at + 11) === check(s, at);
}

/** Opens the log, finding the newest segment and its first free slot. */
export function logOpen(storage: FlashStorage, _crypto: Crypto, segments: number, perSegment: number): AuditLog {
  const log: AuditLog = { storage, segments, perSegment, seg: 0, slot: perSegment, nextSeq: 1 };
  let bestSeq = 0;
  for (let i = 0; i < segments; i++) {
    const s = storage.read(segName(i));
    if (!s) continue;
    // Scan to the first blank slot; torn entries (a power cut mid-write) are skipped, not reused.
    let slot = 0, last = 0;
    while (slot < perSegment && !blank(s, slot * ENTRY_SIZE)) {
      if (valid(s, slot * ENTRY_SIZE)) last = u32(s, slot * ENTRY_SIZE);
      slot++;
    }
    if (last > bestSeq) { bestSeq = last; log.seg = i; log.slot = slot; log.nextSeq = last + 1; }
  }
  return log;
}

/** Appends an entry; true once it is in flash. `time` is seconds (real if `trusted`, else since boot). */
export function logAppend(log: AuditLog, time: number, trusted: boolean, event: number, result: number, reason: number, keyId: number): boolean {
  const body = str32(log.nextSeq) + str32(Math.max(0, Math.floor(time))) + String.fromCharCode((event & 127) | (trusted ? 128 : 0), result & 255, reason & 255, 0) + str32(keyId);
  const entry = body.substr(0, 11) + String.fromCharCode(check(body, 0)) + body.substr(12);
  if (log.slot >= log.perSegment) {
    // Start the next segment: erase it (dropping the oldest entries) and create it pre-sized with
    // this entry as its first bytes. (A write at offset 0 always creates a file on Espruino, so
    // the first entry cannot be written into a file pre-sized earlier.) Only where it fits
    // without a compaction (firmware/flashroom.ts); else, or if it did not reach the flash, the
    // next append tries again.
    const next = (log.seg + 1) % log.segments;
    if (!fits(log.storage, log.perSegment * ENTRY_SIZE)) return false;
    log.storage.erase(segName(next));
    if (!log.storage.write(segName(next), entry, 0, log.perSegment * ENTRY_SIZE) || log.storage.read(segName(next), 0, ENTRY_SIZE) !== entry) return false;
    log.seg = next;
    log.slot = 1;
    log.nextSeq++;
    return true;
  }
  // Read back: a flash write the SoftDevice failed while a link was up reports success all the same.
  const ok = log.storage.write(segName(log.seg), entry, log.slot * ENTRY_SIZE) && log.storage.read(segName(log.seg), log.slot * ENTRY_SIZE, ENTRY_SIZE) === entry;
  // A torn write leaves this slot unusable: move past it. One that left it blank is tried again
  // there (entries after a blank slot would read as the end of the segment), unless the segment
  // is gone, when moving on leads to the next one.
  const got = log.storage.read(segName(log.seg), log.slot * ENTRY_SIZE, ENTRY_SIZE);
  if (ok || got === undefined || !blank(got, 0)) log.slot++;
  if (ok) log.nextSeq++;
  return ok;
}

/** Calls `visit` for each entry with seq >= fromSeq, oldest first, at most `max` entries. */
export function logRead(log: AuditLog, fromSeq: number, max: number, visit: (e: LogEntry) => void): number {
  let n = 0;
  for (let k = 1; k <= log.segments && n < max; k++) {
    const i = (log.seg + k) % log.segments;
    const s = log.storage.read(segName(i));
    if (!s) continue;
    for (let slot = 0; slot < log.perSegment && n < max; slot++) {
      const at = slot * ENTRY_SIZE;
      if (blank(s, at)) break; // never written: end of this segment
      if (!valid(s, at)) continue; // torn by a power cut: skip
      const seq = u32(s, at);
      if (seq < fromSeq) continue;
      const ev = u8(s, at + 8);
      visit({ seq, time: u32(s, at + 4), trusted: (ev & 128) !== 0, event: ev & 127, result: u8(s, at + 9), reason: u8(s, at + 10), keyId: u32(s, at + 12) });
      n++;
    }
  }
  return n;
}
