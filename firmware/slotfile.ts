/**
 * Slot files: fixed-size records updated in place, so that a change never erases a file and never
 * leaves trash in Storage. Espruino's Storage cannot change a written byte (src/jsflash.c
 * jsfWriteFile: a write at an offset > 0 needs its bytes still erased, 0xFF, and a write at
 * offset 0 to a written file erases it and creates a new one), but it can write, once, any byte
 * left 0xFF when the file was created. So every slot is written once, with its kill byte left
 * 0xFF, and retired later by writing that one byte:
 * - add: write the next blank slot (one flash write);
 * - remove: write the slot's kill byte (one flash write of one byte);
 * - mark: a slot may carry one-shot mark bytes, each set once in place (e.g. "revoked" or
 *   "confirmed" on a key), so such a change uses no slot;
 * - replace: add the new record, then kill the old one. A power cut between the two leaves both
 *   live; slotOpen resolves it: the later slot wins and the earlier one is killed then (only the
 *   last written slot can have such a twin, so this costs one lookup, not a scan per slot).
 * A slot torn by a cut (its check byte, written last, still 0xFF or wrong) is dead: skipped, never
 * reused. When every slot is used the file is full (slotAppend returns -1) even if many are dead:
 * the caller must rebuild it (a new file, which is trash-producing and so a job for a moment when
 * the owner is there, see docs/ESPRUINO.md "Flash").
 *
 * Lookups use the string's native indexOf over the flash-backed file's used slots (no RAM per
 * record); a match counts only at a slot boundary, in a live slot.
 *
 * File: 'CKS' | '0' + marks | record size u16 | capacity u16 | slots.
 * Slot: record | check u8 | kill u8 | marks (u8 each, 0xFF until set).
 */
import type { FlashStorage } from './ports';
import { str16, u16, u8 } from './binstr';
import { checkSum } from './journal';

export const SLOT_HEADER = 8;
const MAGIC = 'CKS';
/** The mark number of the kill byte (just before mark 0): slotMark(sf, i, KILL) retires slot `i`. */
export const KILL = -1;

export interface SlotFile {
  storage: FlashStorage;
  name: string;
  /** Record bytes (without check and kill bytes), and slots in the file. */
  rec: number;
  cap: number;
  /** One-shot mark bytes after the kill byte (slotMark): flags a record gains once, without a new slot. */
  marks: number;
  /** Slots used (written or torn): the next record goes in slot `used`. */
  used: number;
  /** Live slots. */
  live: number;
  /**
   * Slots found torn (written, check byte wrong) at open or by an append this session. While 0,
   * slotLive trusts every used slot whose kill byte is clear without recomputing its check byte: a
   * slot verified whole stays whole (no write ever touches its record or check byte again: kills
   * and marks are bytes after them), so only a slot torn by a cut can fail the check, and each is
   * counted here. A lookup then costs the native search and no 32-byte interpreted loop.
   */
  torn: number;
}

/** Check byte of a record: never 0xFF, so a record torn before its check byte is always dead. */
export function slotCheck(data: string): number {
  const c = checkSum(data, 0, data.length, -1);
  return c === 255 ? 0 : c;
}

/** File bytes for `cap` slots of `rec`-byte records with `marks` mark bytes each. */
export function slotFileSize(rec: number, cap: number, marks?: number): number {
  return SLOT_HEADER + cap * (rec + 2 + (marks || 0));
}

/** Offset of slot `i` in the file. */
export function slotAt(sf: SlotFile, i: number): number {
  return SLOT_HEADER + i * (sf.rec + 2 + sf.marks);
}

/** The whole file as a flash-backed string ('' if it is gone). */
export function slotData(sf: SlotFile): string {
  return sf.storage.read(sf.name) || '';
}

/** True when slot `i` holds a whole record that was not killed. `s` is slotData(sf). */
export function slotLive(sf: SlotFile, s: string, i: number): boolean {
  const at = slotAt(sf, i);
  // While no slot is torn, a used slot's check byte needs no test (see `torn`).
  return i < sf.used && u8(s, at + sf.rec + 1) === 255
    && (!sf.torn || u8(s, at + sf.rec) === slotCheck(s.substr(at, sf.rec)));
}

/** The record of slot `i`. */
export function slotRecord(sf: SlotFile, i: number): string {
  return slotData(sf).substr(slotAt(sf, i), sf.rec);
}

/** First live slot from `from` on, or -1. */
export function slotNext(sf: SlotFile, from: number): number {
  const s = slotData(sf);
  for (let i = from; i < sf.used; i++) if (slotLive(sf, s, i)) return i;
  return -1;
}

/** The live slot whose record starts with `key`, or -1 (the first such slot; there is at most one after slotOpen). */
export function slotFind(sf: SlotFile, key: string, from?: number): number {
  // The used slots only: the native search never walks the blank rest of the file (on a table made
  // for 1000 keys holding 200, four fifths of it), and an unknown id costs what the last key costs.
  const s = sf.storage.read(sf.name, 0, slotAt(sf, sf.used)) || '';
  const step = sf.rec + 2 + sf.marks;
  let at = s.indexOf(key, SLOT_HEADER + (from || 0) * step);
  while (at >= 0) {
    const off = at - SLOT_HEADER;
    if (off % step === 0 && slotLive(sf, s, off / step)) return off / step;
    at = s.indexOf(key, at + 1);
  }
  return -1;
}

/**
 * Opens the slot file `name`, or creates it (empty, `cap` slots) if absent; an existing file keeps
 * the slot count in its header. `keyLen`: records whose first
 * `keyLen` bytes are equal are one record's versions (0: the file holds one record, the last live
 * slot). `marks`: one-shot mark bytes per slot (slotMark). A new file takes `size` bytes (default:
 * just the slots; more pads it, e.g. to end on a page boundary). Returns undefined when the file
 * is absent and cannot be created, or has another shape.
 */
export function slotOpen(storage: FlashStorage, name: string, rec: number, cap: number, keyLen: number, size?: number, marks?: number): SlotFile | undefined {
  marks = marks || 0;
  let s = storage.read(name, 0, SLOT_HEADER);
  // An existing file keeps the slots it was made with (the USB tool sizes it to its layout).
  if (s && u16(s, 6) !== 0xffff) cap = u16(s, 6);
  const head = MAGIC + String.fromCharCode(48 + marks) + str16(rec) + str16(cap);
  // torn 1 while opening: every slot's check byte is verified, and the torn ones counted below.
  const sf: SlotFile = { storage, name, rec, cap, marks, used: cap, live: 0, torn: 1 };
  // A creation cut short left the header blank or in part (no slot is written before it): make it again.
  if (s && s !== head) {
    let torn = true;
    for (let i = 0; i < SLOT_HEADER; i++) if (u8(s, i) !== 255 && s.charCodeAt(i) !== head.charCodeAt(i)) torn = false;
    if (torn) { storage.erase(name); s = undefined; }
  }
  let made = false;
  if (!s) {
    if (!storage.write(name, head, 0, Math.max(size || 0, slotAt(sf, cap)))) return undefined;
    s = storage.read(name, 0, SLOT_HEADER);
    made = true;
  }
  const all = slotData(sf), blank = '\xff'.repeat(rec + 2 + marks);
  // Used slots: up to the last one with any byte written (a cut that kept nothing leaves a slot blank).
  while (sf.used > 0 && all.substr(slotAt(sf, sf.used - 1), blank.length) === blank) sf.used--;
  // Espruino makes a new file over whatever the flash holds after the last file (src/jsflash.c
  // _jsfCreateFile checks nothing), and a compaction cut short can leave old bytes there: a file just
  // made must read blank (and its header as written), else it is erased (trash) and made again
  // after itself. An older file with another header is another shape.
  if (s !== head || (made && sf.used)) {
    if (!made) return undefined;
    storage.erase(name);
    return slotOpen(storage, name, rec, cap, keyLen, size, marks);
  }
  let torn = 0, i;
  // Not live and not killed: torn.
  for (i = 0; i < sf.used; i++) if (slotLive(sf, all, i)) sf.live++; else if (u8(all, slotAt(sf, i) + rec + 1) === 255) torn++;
  // A replace cut between its add and its kill: the last slot's older twin is still live (keyLen 0:
  // the empty key, which every live slot starts with, finds the first live slot).
  i = sf.used - 1;
  if (i >= 0 && slotLive(sf, all, i)) {
    const twin = slotFind(sf, all.substr(slotAt(sf, i), keyLen));
    if (twin >= 0 && twin < i) slotMark(sf, twin, KILL);
  }
  sf.torn = torn;
  return sf;
}

/** Writes `data` (exactly `rec` bytes) into the next blank slot. Returns its index, or -1 (full, or the write failed). */
export function slotAppend(sf: SlotFile, data: string): number {
  if (sf.used >= sf.cap || data.length !== sf.rec) return -1;
  // Counted as used before the write: a failed or torn write leaves a slot that is never reused.
  const i = sf.used++;
  // A write refused or read back other than written may have left part of the slot: counted torn (see `torn`).
  const w = data + String.fromCharCode(slotCheck(data)), at = slotAt(sf, i);
  if (!sf.storage.write(sf.name, w, at) || slotData(sf).substr(at, w.length) !== w) {
    sf.torn++;
    return -1;
  }
  sf.live++;
  return i;
}

/** Retires slot `i` for good (writes its kill byte): slotMark(sf, i, KILL), named for tools and tests. */
export function slotKill(sf: SlotFile, i: number): boolean {
  return slotMark(sf, i, KILL);
}

/** Replaces the record in live slot `i` with `data`: the new slot's index, or -1 (then slot `i` is still current). */
export function slotReplace(sf: SlotFile, i: number, data: string): number {
  const n = slotAppend(sf, data);
  if (n < 0 || slotMark(sf, i, KILL)) return n;
  // The old one would not die (the flash refused the write): take the new one back, so the old is
  // the one current, as the caller is told. (If that fails too, the next slotOpen keeps the new.)
  slotMark(sf, n, KILL);
  return -1;
}

/**
 * Sets mark `k` (0 .. marks-1, not checked) of live slot `i`, once and for good: true once it reads
 * back set. With k = KILL it retires the slot for good (writes its kill byte): true once the slot
 * reads back dead, also when it was dead already. One function for both, as each function the
 * firmware keeps costs the board variables (docs/ARCHITECTURE.md "Memory rules").
 */
export function slotMark(sf: SlotFile, i: number, k: number): boolean {
  if (!slotLive(sf, slotData(sf), i)) return k === KILL;
  if (!slotMarked(sf, slotData(sf), i, k)) sf.storage.write(sf.name, '\0', slotAt(sf, i) + sf.rec + 2 + k);
  if (!slotMarked(sf, slotData(sf), i, k)) return false;
  if (k === KILL) sf.live--;
  return true;
}

/** Whether mark `k` of slot `i` is set (KILL: the slot was retired). `s` is slotData(sf). */
export function slotMarked(sf: SlotFile, s: string, i: number, k: number): boolean {
  return u8(s, slotAt(sf, i) + sf.rec + 2 + k) !== 255;
}

/** The header's shape: record size, capacity and marks as stored (for tools reading an image). */
export function slotShape(s: string): { rec: number; cap: number; marks: number } | undefined {
  return s.substr(0, 3) === MAGIC ? { rec: u16(s, 4), cap: u16(s, 6), marks: s.charCodeAt(3) - 48 } : undefined;
}
