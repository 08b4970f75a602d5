/**
 * The key table on a slot file (firmware/slotfile.ts), the compaction-safe Storage layout's key
 * file (docs/ESPRUINO.md "Flash"): the record format and the storage half of the key store, with
 * no rules (who may change what stays in firmware/keystore.ts). The flags FLAG_REVOKED and
 * FLAG_UNCONFIRMED live partly in two one-shot marks, so that a revoke and a first use change a
 * key in place, without using a slot:
 * - mark 0 set: revoked (whatever the record's flags say);
 * - mark 1 set: confirmed (FLAG_UNCONFIRMED in the record no longer counts).
 * A revoke through kslPut (not ksRetire) takes a new slot, as any other change: it writes a new slot and kills the old (slotReplace); a removal kills the slot.
 * Nothing here ever erases the file: a file whose slots are all used is rebuilt by the USB tool.
 *
 * Record (32 bytes): id u32 | kind u8 | flags u8 (1 disabled, 2 revoked, 4 unconfirmed) | role u8
 *         | perms u8 | weekdays u8 (bit0 Monday .. bit6 Sunday, 0 = every day) | 0 | notBefore u32
 *         | notAfter u32 (seconds, 0 = unbounded) | window start u16 | window end u16 (minutes of the
 *         day; equal = all day) | salt u32 (phone secret derivation) | label 6 bytes
 */
import type { FlashStorage } from './ports';
import { fixed, str16, str32, u16, u32, u8, unfixed } from './binstr';
import { FLAG_REVOKED, FLAG_UNCONFIRMED, ROLE_GUEST, ROLE_OWNER } from './codes';
import { KILL, type SlotFile, slotAppend, slotAt, slotData, slotFind, slotMark, slotMarked, slotNext, slotOpen, slotReplace } from './slotfile';

export const RECORD_SIZE = 32;
export const KEY_SLOTS_FILE = 'ck.keys';
export const KEY_MARKS = 2;
export const M_REVOKED = 0;
const M_CONFIRMED = 1;

export interface KeyRecord {
  id: number;
  kind: number;
  flags: number;
  role: number;
  perms: number;
  weekdays: number;
  notBefore: number;
  notAfter: number;
  winStart: number;
  winEnd: number;
  salt: number;
  label: string;
}

/** Whether a record may be stored: an id, a known role and kind, windows within the day, an end not before its start. Both key stores check it. */
export function validRecord(r: KeyRecord): boolean {
  return r.id > 0 && r.id <= 0xffffffff && r.role >= ROLE_OWNER && r.role <= ROLE_GUEST && r.kind >= 0 && r.kind <= 2
    && r.winStart < 1440 && r.winEnd < 1440 && (r.notAfter === 0 || r.notAfter >= r.notBefore);
}

export function decodeRecord(s: string, at: number): KeyRecord {
  // Outside the literal, so the minifier substitutes unfixed here (not a resident function).
  const label = unfixed(s.substr(at + 26, 6));
  return {
    id: u32(s, at), kind: u8(s, at + 4), flags: u8(s, at + 5), role: u8(s, at + 6), perms: u8(s, at + 7),
    weekdays: u8(s, at + 8), notBefore: u32(s, at + 10), notAfter: u32(s, at + 14),
    winStart: u16(s, at + 18), winEnd: u16(s, at + 20), salt: u32(s, at + 22), label,
  };
}

export function encodeRecord(r: KeyRecord): string {
  return str32(r.id) + String.fromCharCode(r.kind & 255, r.flags & 255, r.role & 255, r.perms & 255, r.weekdays & 127, 0)
    + str32(r.notBefore) + str32(r.notAfter) + str16(r.winStart) + str16(r.winEnd) + str32(r.salt) + fixed(r.label, 6);
}

/**
 * Opens the key slot file, or creates it (`slots` slots; `size` bytes, e.g. to end on a page
 * boundary). An existing file keeps the slot count it was made with (the tool may have made it
 * larger). Undefined when it is absent and cannot be created, or is not a key slot file.
 */
export function kslOpen(storage: FlashStorage, slots: number, size?: number): SlotFile | undefined {
  return slotOpen(storage, KEY_SLOTS_FILE, RECORD_SIZE, slots, 4, size, KEY_MARKS);
}

/** Slot of the key `id`, or -1. */
export function kslFind(sf: SlotFile, id: number): number {
  return slotFind(sf, str32(id));
}

/** The flags of slot `i` as its marks make them. `s` is slotData(sf). */
export function kslFlags(sf: SlotFile, s: string, i: number): number {
  let f = u8(s, slotAt(sf, i) + 5);
  if (slotMarked(sf, s, i, M_REVOKED)) f |= FLAG_REVOKED;
  if (slotMarked(sf, s, i, M_CONFIRMED)) f &= ~FLAG_UNCONFIRMED;
  return f;
}

/** The record in slot `i`, its flags as the marks make them. */
export function kslGet(sf: SlotFile, i: number): KeyRecord {
  const s = slotData(sf);
  const r = decodeRecord(s, slotAt(sf, i));
  r.flags = kslFlags(sf, s, i);
  return r;
}

/** First live slot from `from` on, or -1 (iteration in slot order). */
export function kslNext(sf: SlotFile, from: number): number {
  return slotNext(sf, from);
}

/** Adds a record: its slot, or -1 (no slot left, or the write failed). */
export function kslAdd(sf: SlotFile, rec: KeyRecord): number {
  return slotAppend(sf, encodeRecord(rec));
}

/**
 * Makes slot `i` hold `rec` (same id). A first use alone (the record as it was, but confirmed) sets
 * the confirmed mark in place; any other change takes a new slot (a revoke sets its mark through
 * ksRetire, firmware/keystore.ts). Returns the record's slot, or -1 (then slot `i` is still current).
 */
export function kslPut(sf: SlotFile, i: number, rec: KeyRecord): number {
  const old = kslGet(sf, i);
  old.flags &= ~FLAG_UNCONFIRMED;
  const b = encodeRecord(rec);
  // A new slot holds the record's flags whole: a revoked key stays revoked (its mark is not copied).
  if (encodeRecord(old) !== b) return slotReplace(sf, i, b);
  return slotMark(sf, i, M_CONFIRMED) ? i : -1;
}

/** Deletes the record in slot `i` for good. */
export function kslRemove(sf: SlotFile, i: number): boolean {
  return slotMark(sf, i, KILL);
}
