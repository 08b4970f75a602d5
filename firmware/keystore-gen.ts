/**
 * The key store of the boards whose bundle leaves no room for the slot-file store
 * (firmware/keystore.ts): `puckjs-nfc`, where tools/host/build/bundle.ts resolves './keystore' to
 * this module (the slot store's code costs about 1.9 KB more, which its 40 KB Storage does not
 * have: docs/ESPRUINO.md "Flash"). Same API and rules as keystore.ts; the host side picks it by the
 * files in flash (tools/host/provision/keystores.ts).
 *
 * Phone keys and cards as fixed-size 32-byte records, sorted by id, in a
 * two-generation flash file (firmware/genfile.ts). Lookups binary-search the flash-backed string,
 * so RAM use does not grow with the number of keys. Every change rewrites the table record by
 * record into the other generation; a power cut leaves the old or the new table.
 *
 * The rules no caller can bypass are applied here, as firmware/access.ts states them: only an
 * owner (or physical presence / USB provisioning, passed as actor `undefined` by the caller that
 * checked it) changes keys (mayManage); the last owner cannot be revoked, disabled or demoted
 * (leavesNoOwner).
 *
 * Record: id u32 | kind u8 | flags u8 (1 disabled, 2 revoked, 4 unconfirmed) | role u8 | perms u8 | weekdays u8
 *         (bit0 Monday .. bit6 Sunday, 0 = every day) | 0 | notBefore u32 | notAfter u32 (seconds,
 *         0 = unbounded) | window start u16 | window end u16 (minutes of the day; equal = all day)
 *         | salt u32 (phone secret derivation) | label 6 bytes
 */
import type { Crypto, FlashStorage } from './ports';
import { str32, u32, u8 } from './binstr';
import { type KeyRecord, RECORD_SIZE, decodeRecord, encodeRecord, validRecord } from './keyslots';
import { type Generation, genData, genLoad, genWrite } from './genfile';
import { isActiveOwner, leavesNoOwner, mayManage } from './access';
import { FLAG_DISABLED, FLAG_REVOKED, FLAG_UNCONFIRMED, R_BAD_INPUT, R_EXISTS, R_FULL, R_LAST_OWNER, R_NOT_PERMITTED, R_OK, R_STORAGE, R_UNKNOWN_KEY, ROLE_OWNER } from './codes';

export const KEYS_FILE = 'ck.keys.';
const CHUNK_RECORDS = 8;
export { FLAG_DISABLED, FLAG_REVOKED, FLAG_UNCONFIRMED, RECORD_SIZE, decodeRecord, encodeRecord, isActiveOwner };
export type { KeyRecord };


export interface KeyStore {
  storage: FlashStorage;
  crypto: Crypto;
  gen: Generation | undefined;
  capacity: number;
}

export function ksOpen(storage: FlashStorage, crypto: Crypto, capacity: number): KeyStore {
  return { storage, crypto, gen: genLoad(storage, crypto, KEYS_FILE), capacity };
}

export function ksCount(ks: KeyStore): number {
  return ks.gen ? (ks.gen.length / RECORD_SIZE) | 0 : 0;
}

function table(ks: KeyStore): string {
  return ks.gen ? genData(ks.storage, ks.gen) : '';
}

/**
 * Index of the record with this id, or -1. A native search of the flash-backed table for the id's
 * four bytes (no RAM per key, no interpreted loop per record): a hit that is not at a record's
 * start (the bytes inside another field) is passed over.
 */
export function ksFind(ks: KeyStore, id: number): number {
  const t = table(ks);
  const key = str32(id);
  let at = t.indexOf(key);
  while (at > 0 && at % RECORD_SIZE) at = t.indexOf(key, at + 1);
  // An int, not the division's float: Espruino keeps a float in a variable of its own.
  return at < 0 ? -1 : (at / RECORD_SIZE) | 0;
}

export function ksGet(ks: KeyStore, index: number): KeyRecord {
  return decodeRecord(table(ks), index * RECORD_SIZE);
}

export function ksLookup(ks: KeyStore, id: number): KeyRecord | undefined {
  const i = ksFind(ks, id);
  return i < 0 ? undefined : ksGet(ks, i);
}

/** Owners that can act (optionally also without any of the flags in `exclude`). */
export function ksActiveOwners(ks: KeyStore, exclude?: number): number {
  const t = table(ks);
  const bad = FLAG_DISABLED | FLAG_REVOKED | (exclude || 0);
  let n = 0;
  for (let i = 0, c = ksCount(ks); i < c; i++) {
    const at = i * RECORD_SIZE;
    if (u8(t, at + 6) === ROLE_OWNER && !(u8(t, at + 5) & bad)) n++;
  }
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

/** ksAdd (`add`) or ksUpdate in one function, the one the core calls, as in firmware/keystore.ts (one resident function, not two). */
export function ksPut(ks: KeyStore, actor: KeyRecord | undefined, rec: KeyRecord, add: boolean): number {
  if (!mayManage(actor)) return R_NOT_PERMITTED;
  if (!validRecord(rec)) return R_BAD_INPUT;
  const pos = ksFind(ks, rec.id);
  if (add ? pos >= 0 : pos < 0) return add ? R_EXISTS : R_UNKNOWN_KEY;
  const count = ksCount(ks);
  const enc = encodeRecord(rec);
  if (!add) {
    if (leavesNoOwner(isActiveOwner(ksGet(ks, pos)), isActiveOwner(rec), ksActiveOwners, ks)) return R_LAST_OWNER;
    return rewrite(ks, count, (old, i) => (i === pos ? enc : old.substr(i * RECORD_SIZE, RECORD_SIZE)));
  }
  if (count >= ks.capacity) return R_FULL;
  const t = table(ks);
  // Position: first record with a larger id.
  let at = 0;
  while (at < count && u32(t, at * RECORD_SIZE) < rec.id >>> 0) at++;
  return rewrite(ks, count + 1, (old, i) => (i < at ? old.substr(i * RECORD_SIZE, RECORD_SIZE) : i === at ? enc : old.substr((i - 1) * RECORD_SIZE, RECORD_SIZE)));
}

/**
 * Revokes a key (it stays in the table, so its id is never reused, but never opens again), or with
 * `remove` deletes its record for good (frees its slot). Same rules for both; the last active owner
 * can be neither. A revoke changes only the flags byte, copied from flash record by record: no
 * record is decoded, because an owner's revoke over the phone is the firmware's deepest call chain
 * and its tightest point for memory.
 */
export function ksRetire(ks: KeyStore, actor: KeyRecord | undefined, id: number, remove: boolean): number {
  if (!mayManage(actor)) return R_NOT_PERMITTED;
  const pos = ksFind(ks, id);
  if (pos < 0) return R_UNKNOWN_KEY;
  const t = table(ks), at = pos * RECORD_SIZE;
  if (leavesNoOwner(u8(t, at + 6) === ROLE_OWNER && !(u8(t, at + 5) & (FLAG_DISABLED | FLAG_REVOKED)), false, ksActiveOwners, ks)) return R_LAST_OWNER;
  if (remove) return rewrite(ks, ksCount(ks) - 1, (old, i) => old.substr((i < pos ? i : i + 1) * RECORD_SIZE, RECORD_SIZE));
  return rewrite(ks, ksCount(ks), (old, i) => (i === pos
    ? old.substr(at, 5) + String.fromCharCode(u8(old, at + 5) | FLAG_REVOKED) + old.substr(at + 6, RECORD_SIZE - 6)
    : old.substr(i * RECORD_SIZE, RECORD_SIZE)));
}

/**
 * Writes a new generation of `count` records produced by `record(oldTable, i)`, CHUNK_RECORDS per
 * flash write. The old table is read again for every chunk: creating the new file may compact
 * Storage, which moves files and leaves any flash-backed string read before it pointing at junk.
 */
function rewrite(ks: KeyStore, count: number, record: (old: string, i: number) => string): number {
  const gen = genWrite(ks.storage, ks.crypto, KEYS_FILE, ks.gen, count * RECORD_SIZE, (off) => {
    const old = table(ks);
    let s = '';
    for (let i = off / RECORD_SIZE, n = 0; i < count && n < CHUNK_RECORDS; i++, n++) s += record(old, i);
    return s;
  });
  if (!gen) return R_STORAGE;
  ks.gen = gen;
  return R_OK;
}
