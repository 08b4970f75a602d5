/**
 * Revocation lists that travel (protocol v2, docs/KEYS-THAT-TRAVEL.md): an owner's phone makes a
 * versioned list of revoked key and ticket ids with one tag per board it covers, each under the
 * owner's secret on that board; any phone key carries it, and a board adopts it only when it is
 * newer than its own and its own tag verifies under an active owner's secret. A non-owner (and a
 * thief holding another board's flash) can copy a list but not make one for this board.
 *
 * Layout (big-endian): 'L' | version u32 | madeAt u32 | signer id u32 | boards u32 | count u8 |
 * ids: count x u32, strictly ascending | tags: 16 bytes per board in `boards`, ascending slot.
 * tag_b = HMAC(signerSecret_b, 'CK2L' | header and ids)[0..16]. At most 24 ids and 8 boards:
 * 242 bytes, one message. The board stores the whole list (all tags, so it can hand it on) as a
 * flash file; lookups read that flash-backed string and need no RAM per id.
 * Pure functions; the caller writes an adopted list (two generations, firmware/genfile.ts).
 */
import type { Crypto } from './ports';
import { u32 } from './binstr';
import { readU32, writeU32 } from './bytes';
import { boardCount, boardSlot, ck2Input, inBoards } from './boardkeys';
import { KIND_PHONE, R_BAD_INPUT, R_BAD_MAC, R_EXISTS, R_NOT_PERMITTED, R_OK, R_WRONG_BOARD } from './codes';
import { hmacSha256, hmacVerify } from './hmac';
import { type KeyRecord, isActiveOwner } from './keystore';
import { type Site, keySecret } from './site';

export const LIST_TYPE = 0x4c; // 'L'
export const LIST_HEAD = 18;
export const LIST_MAX_IDS = 24;
export const LIST_MAX_BOARDS = 8;
export const LIST_TAG = 16;
export const LIST_MAX_BYTES = LIST_HEAD + 4 * LIST_MAX_IDS + LIST_TAG * LIST_MAX_BOARDS;

export interface RevList {
  version: number;
  madeAt: number;
  signer: number;
  boards: number;
  count: number;
  /** Bytes the tags cover: the header and the ids. */
  bodyLength: number;
}

/** The list's tagged part: header and ids (tags are appended by the owner's phone, one per board). */
export function listEncodeBody(version: number, madeAt: number, signer: number, boards: number, ids: number[]): Uint8Array {
  const b = new Uint8Array(LIST_HEAD + 4 * ids.length);
  b[0] = LIST_TYPE;
  writeU32(b, 1, version);
  writeU32(b, 5, madeAt);
  writeU32(b, 9, signer);
  writeU32(b, 13, boards);
  b[17] = ids.length & 255;
  for (let i = 0; i < ids.length; i++) writeU32(b, LIST_HEAD + 4 * i, ids[i]);
  return b;
}

/** The list in `b` (exactly its length), or R_BAD_INPUT. Ids must be nonzero and strictly ascending. */
export function listParse(b: Uint8Array): RevList | number {
  if (!b || b.length < LIST_HEAD || b[0] !== LIST_TYPE) return R_BAD_INPUT;
  const l: RevList = { version: readU32(b, 1), madeAt: readU32(b, 5), signer: readU32(b, 9), boards: readU32(b, 13), count: b[17], bodyLength: LIST_HEAD + 4 * b[17] };
  const nb = boardCount(l.boards);
  if (!l.version || !l.madeAt || !l.signer || !nb || nb > LIST_MAX_BOARDS || l.count > LIST_MAX_IDS) return R_BAD_INPUT;
  if (b.length !== l.bodyLength + LIST_TAG * nb) return R_BAD_INPUT;
  let last = 0;
  for (let at = LIST_HEAD; at < l.bodyLength; at += 4) {
    const id = readU32(b, at);
    if (id <= last) return R_BAD_INPUT;
    last = id;
  }
  return l;
}

/** Offset of slot `slot`'s tag in a list of `l` (after the body, in ascending slot order); -1 when absent. */
export function listTagOffset(l: RevList, slot: number): number {
  if (!inBoards(l.boards, slot)) return -1;
  let before = 0;
  for (let s = 1; s < slot; s++) if (inBoards(l.boards, s)) before++;
  return l.bodyLength + LIST_TAG * before;
}

/** What a list's tag_b is the HMAC of, under the signer's secret on board b ('CK2L' | body). */
export function listTagInput(body: Uint8Array): Uint8Array {
  return ck2Input(76, body); // 'CK2L'
}

/** tag_b over the list's body (header and ids) under the signer's secret on board b. */
export function listTag(crypto: Crypto, signerSecret: Uint8Array, body: Uint8Array): Uint8Array {
  return hmacSha256(crypto.sha256, signerSecret, listTagInput(body)).subarray(0, LIST_TAG);
}

/** The version of a stored list (a flash-backed string), 0 for none. */
export function listVersionOf(stored: string): number {
  return stored.length >= LIST_HEAD ? u32(stored, 1) : 0;
}

/** Is `id` revoked by the stored list? Binary search over the flash-backed string. */
export function listHasId(stored: string, id: number): boolean {
  if (stored.length < LIST_HEAD) return false;
  let lo = 0, hi = (stored.charCodeAt(17) & 255) - 1;
  id = id >>> 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = u32(stored, LIST_HEAD + 4 * mid);
    if (v === id) return true;
    if (v < id) lo = mid + 1; else hi = mid - 1;
  }
  return false;
}

/**
 * Should this board adopt list `b`? R_OK: yes (write it, then learn its madeAt as a time bound).
 * R_EXISTS: not newer than `stored` (the board's own list, '' for none): hand the phone the
 * board's list when it is older. R_WRONG_BOARD: not for this board. R_NOT_PERMITTED: its signer is
 * revoked by the board's own list. R_BAD_MAC: the signer is not an active owner phone key here
 * (`signer`: the table's record for the signer id) or this board's tag is wrong. R_BAD_INPUT: malformed.
 */
export function listAdmit(crypto: Crypto, site: Site, boardId: Uint8Array, b: Uint8Array, stored: string, signer: KeyRecord | undefined): number {
  const l = listParse(b);
  if (typeof l === 'number') return l;
  const at = listTagOffset(l, boardSlot(boardId));
  if (at < 0) return R_WRONG_BOARD;
  if (l.version <= listVersionOf(stored)) return R_EXISTS;
  if (listHasId(stored, l.signer)) return R_NOT_PERMITTED;
  const owner = !!signer && signer.id === l.signer && signer.kind === KIND_PHONE && isActiveOwner(signer);
  const secret = keySecret(crypto, site, l.signer, owner ? signer!.salt : 0);
  const ok = hmacVerify(crypto.sha256, secret, listTagInput(b.subarray(0, l.bodyLength)), b.subarray(at, at + LIST_TAG));
  return ok && owner ? R_OK : R_BAD_MAC;
}
