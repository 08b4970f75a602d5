/**
 * The key store: phone keys and cards as 32-byte records (firmware/keyslots.ts) in a slot file
 * (firmware/slotfile.ts) that is never erased or rewritten: an add writes one blank slot, a revoke
 * or a first use sets a one-shot mark in place, any other change writes a new slot and then kills
 * the old one, a removal kills its slot. So a key change makes no trash in Storage (nothing for a
 * compaction to move) and a power cut leaves the table as it was before or after the change
 * (slotfile.ts: a torn slot is dead, a replace cut in the middle is resolved at the next open).
 * Lookups use the string's native indexOf over the flash-backed file: no RAM per key.
 *
 * The file has a fixed number of slots (made by the USB tool to end on a page boundary, or by the
 * firmware when it finds none: `capacity` + a quarter). `capacity` bounds the live keys; when
 * every slot is used (dead ones included) a change that needs one is refused with R_FULL and
 * nothing is lost: the USB tool rebuilds the file (docs/ESPRUINO.md "Flash"). The firmware never
 * does, as a new file would make trash before the bundle.
 *
 * A table left by earlier firmware (two generations `ck.keys.a|b`, firmware/genfile.ts) is copied
 * into a new slot file at the first boot that finds no slot file; the old files are erased once
 * every record is in.
 *
 * The rules no caller can bypass are applied here, as firmware/access.ts states them: only an
 * owner (or physical presence / USB provisioning, passed as actor `undefined` by the caller that
 * checked it) changes keys (mayManage); the last owner cannot be revoked, disabled or demoted
 * (leavesNoOwner).
 *
 * Indexes: ksFind gives a key's slot (>= 0 when it exists); ksGet(ks, n) gives the n-th key in
 * slot order (n < ksCount), as LIST_KEYS pages through them.
 */
import type { Crypto, FlashStorage } from './ports';
import { str32, u8 } from './binstr';
import { genData, genLoad } from './genfile';
import { isActiveOwner, leavesNoOwner, mayManage } from './access';
import { FLAG_DISABLED, FLAG_REVOKED, FLAG_UNCONFIRMED, R_BAD_INPUT, R_EXISTS, R_FULL, R_LAST_OWNER, R_NOT_PERMITTED, R_OK, R_STORAGE, R_UNKNOWN_KEY, ROLE_OWNER } from './codes';
import { KILL, type SlotFile, slotAppend, slotAt, slotData, slotFind, slotLive, slotMark } from './slotfile';
import { type KeyRecord, KEY_SLOTS_FILE, M_REVOKED, RECORD_SIZE, decodeRecord, encodeRecord, kslFlags, kslGet, kslOpen, kslPut, validRecord } from './keyslots';

/** Base name of the two-generation table of earlier firmware (read once, to move it). */
export const OLD_KEYS_FILE = 'ck.keys.';
export { FLAG_DISABLED, FLAG_REVOKED, FLAG_UNCONFIRMED, KEY_SLOTS_FILE, RECORD_SIZE, decodeRecord, encodeRecord, isActiveOwner };
export type { KeyRecord };

export interface KeyStore {
  storage: FlashStorage;
  crypto: Crypto;
  /** The slot file; undefined while it could not be opened or made (then every change is R_STORAGE). */
  sf?: SlotFile;
  capacity: number;
}

/** Slots the firmware gives a key file it has to make itself. */
export function defaultKeySlots(capacity: number): number {
  return capacity + (capacity >> 2);
}

export function ksOpen(storage: FlashStorage, crypto: Crypto, capacity: number): KeyStore {
  const ks: KeyStore = { storage, crypto, capacity };
  file(ks);
  return ks;
}

/** The slot file, opened (and made, and filled from an earlier firmware's table) when needed. */
function file(ks: KeyStore): SlotFile | undefined {
  if (ks.sf) return ks.sf;
  const st = ks.storage;
  const sf = kslOpen(st, defaultKeySlots(ks.capacity));
  const old = sf && genLoad(st, ks.crypto, OLD_KEYS_FILE);
  if (old) {
    // Each record not yet in the slot file is added (so a copy cut short goes on at the next boot);
    // only once all are in is the old table let go.
    const t = genData(st, old);
    for (let at = 0; at < t.length; at += RECORD_SIZE) if (slotFind(sf!, t.substr(at, 4)) < 0 && slotAppend(sf!, t.substr(at, RECORD_SIZE)) < 0) return undefined;
    st.erase(OLD_KEYS_FILE + 'a');
    st.erase(OLD_KEYS_FILE + 'b');
  }
  ks.sf = sf;
  return sf;
}

export function ksCount(ks: KeyStore): number {
  const sf = file(ks);
  return sf ? sf.live : 0;
}

/** The slot of the key with this id (>= 0), or -1. */
export function ksFind(ks: KeyStore, id: number): number {
  const sf = file(ks);
  return sf ? slotFind(sf, str32(id >>> 0)) : -1;
}

/** The n-th key in slot order (0 <= n < ksCount). */
export function ksGet(ks: KeyStore, n: number): KeyRecord {
  const sf = file(ks)!;
  const s = slotData(sf);
  let i = 0;
  for (;; i++) if (slotLive(sf, s, i) && n-- === 0) break;
  return kslGet(sf, i);
}

export function ksLookup(ks: KeyStore, id: number): KeyRecord | undefined {
  const i = ksFind(ks, id);
  return i < 0 ? undefined : kslGet(ks.sf!, i);
}

/** Owners that can act (optionally also without any of the flags in `exclude`). */
export function ksActiveOwners(ks: KeyStore, exclude?: number): number {
  const sf = file(ks);
  if (!sf) return 0;
  const s = slotData(sf);
  const bad = FLAG_DISABLED | FLAG_REVOKED | (exclude || 0);
  let n = 0;
  for (let i = 0; i < sf.used; i++) if (slotLive(sf, s, i) && u8(s, slotAt(sf, i) + 6) === ROLE_OWNER && !(kslFlags(sf, s, i) & bad)) n++;
  return n;
}

/** Adds a key. Returns a reason code (R_OK on success). */
export function ksAdd(ks: KeyStore, actor: KeyRecord | undefined, rec: KeyRecord): number {
  return ksPut(ks, actor, rec, true);
}

/** Replaces a key's record (same id): validity, permissions, role, flags, label. */
export function ksUpdate(ks: KeyStore, actor: KeyRecord | undefined, rec: KeyRecord): number {
  return ksPut(ks, actor, rec, false);
}

/**
 * ksAdd (`add`) or ksUpdate, in one function: the firmware calls this one, so the board keeps one
 * function for both, not four (docs/ARCHITECTURE.md "Memory rules"). A change that finds no blank
 * slot is R_FULL (a rebuild by the USB tool), any other failed write R_STORAGE.
 */
export function ksPut(ks: KeyStore, actor: KeyRecord | undefined, rec: KeyRecord, add: boolean): number {
  if (!mayManage(actor)) return R_NOT_PERMITTED;
  if (!validRecord(rec)) return R_BAD_INPUT;
  const i = ksFind(ks, rec.id);
  if (add ? i >= 0 : i < 0) return add ? R_EXISTS : R_UNKNOWN_KEY;
  const sf = ks.sf;
  if (!sf) return R_STORAGE;
  let n: number;
  if (add) {
    if (sf.live >= ks.capacity) return R_FULL;
    n = slotAppend(sf, encodeRecord(rec));
  } else {
    if (leavesNoOwner(isActiveOwner(kslGet(sf, i)), isActiveOwner(rec), ksActiveOwners, ks)) return R_LAST_OWNER;
    n = kslPut(sf, i, rec);
  }
  return n >= 0 ? R_OK : sf.used >= sf.cap ? R_FULL : R_STORAGE;
}

/**
 * Revokes a key (it stays in the table, so its id is never reused, but never opens again): a mark
 * set in place; or with `remove` deletes its record for good (kills its slot). Same rules for
 * both; the last active owner can be neither. No record is decoded: an owner's revoke over the
 * phone is the firmware's deepest call chain and its tightest point for memory.
 */
export function ksRetire(ks: KeyStore, actor: KeyRecord | undefined, id: number, remove: boolean): number {
  if (!mayManage(actor)) return R_NOT_PERMITTED;
  const i = ksFind(ks, id);
  if (i < 0) return R_UNKNOWN_KEY;
  const sf = ks.sf!;
  const s = slotData(sf);
  if (leavesNoOwner(u8(s, slotAt(sf, i) + 6) === ROLE_OWNER && !(kslFlags(sf, s, i) & (FLAG_DISABLED | FLAG_REVOKED)), false, ksActiveOwners, ks)) return R_LAST_OWNER;
  return slotMark(sf, i, remove ? KILL : M_REVOKED) ? R_OK : R_STORAGE;
}
