/**
 * The key table on a slot file (firmware/slotfile.ts), for the compaction-safe Storage layout
 * (docs/ESPRUINO.md "Flash"): the storage half of the key store, with no rules (who may change
 * what stays in firmware/keystore.ts). Records are firmware/keystore.ts's 32-byte records; the
 * flags FLAG_REVOKED and FLAG_UNCONFIRMED live partly in two one-shot marks so that a revoke and a
 * first use change a key in place, without using a slot:
 * - mark 0 set: revoked (whatever the record's flags say);
 * - mark 1 set: confirmed (FLAG_UNCONFIRMED in the record no longer counts).
 * Any other change writes a new slot and kills the old (slotReplace). Not used by the firmware yet.
 */
import type { FlashStorage } from './ports';
import { str32 } from './binstr';
import { FLAG_REVOKED, FLAG_UNCONFIRMED, type KeyRecord, RECORD_SIZE, decodeRecord, encodeRecord } from './keystore';
import { type SlotFile, slotAppend, slotAt, slotData, slotFind, slotKill, slotMark, slotMarked, slotNext, slotOpen, slotReplace } from './slotfile';

export const KEY_SLOTS_FILE = 'ck.keys';
export const KEY_MARKS = 2;
const M_REVOKED = 0;
const M_CONFIRMED = 1;

/** Opens (or creates, `size` bytes) the key slot file with room for `slots` records. */
export function kslOpen(storage: FlashStorage, slots: number, size?: number): SlotFile | undefined {
  return slotOpen(storage, KEY_SLOTS_FILE, RECORD_SIZE, slots, 4, size, KEY_MARKS);
}

/** Slot of the key `id`, or -1. */
export function kslFind(sf: SlotFile, id: number): number {
  return slotFind(sf, str32(id));
}

/** The record in slot `i`, its flags as the marks make them. */
export function kslGet(sf: SlotFile, i: number): KeyRecord {
  const s = slotData(sf);
  const r = decodeRecord(s, slotAt(sf, i));
  if (slotMarked(sf, s, i, M_REVOKED)) r.flags |= FLAG_REVOKED;
  if (slotMarked(sf, s, i, M_CONFIRMED)) r.flags &= ~FLAG_UNCONFIRMED;
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
 * Makes slot `i` hold `rec` (same id). A revoke or a first use alone sets a mark in place; any
 * other change takes a new slot. Returns the record's slot, or -1 (then slot `i` is still current).
 */
export function kslPut(sf: SlotFile, i: number, rec: KeyRecord): number {
  const old = kslGet(sf, i);
  const a = encodeRecord(old), b = encodeRecord(rec);
  // Byte 5 is the flags byte (firmware/keystore.ts record layout).
  const flagsOnly = a.substr(0, 5) + a.substr(6) === b.substr(0, 5) + b.substr(6);
  const added = rec.flags & ~old.flags, dropped = old.flags & ~rec.flags;
  if (a === b) return i;
  if (flagsOnly && added === FLAG_REVOKED && !dropped) return slotMark(sf, i, M_REVOKED) ? i : -1;
  if (flagsOnly && dropped === FLAG_UNCONFIRMED && !added) return slotMark(sf, i, M_CONFIRMED) ? i : -1;
  return slotReplace(sf, i, b);
}

/** Deletes the record in slot `i` for good. */
export function kslRemove(sf: SlotFile, i: number): boolean {
  return slotKill(sf, i);
}
