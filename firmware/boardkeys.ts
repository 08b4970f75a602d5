/**
 * Per-board secrets (protocol v2, docs/KEYS-THAT-TRAVEL.md). A board has an 8-byte identity:
 * its slot in the site (1..32, byte 0) and 7 random bytes that make a re-provisioned or replaced
 * board in the same slot a different board. From the site secret and that identity the owner's
 * tools derive the only secrets the board holds:
 *
 *   board secret      = HMAC-SHA256(siteSecret, 'CK2B' | boardId)            (32 bytes)
 *   board card master = HMAC-SHA256(siteSecret, 'CK2D' | boardId)[0..16]      (AES-128, AN10922 master)
 *
 * The board keeps the board secret where v1 kept the site secret, so a phone key's secret on this
 * board is firmware/site.ts keySecret unchanged: HMAC(boardSecret, 'CK1K' | id | salt)[0..16].
 * Reading one board's flash gives that board's secrets, never the site secret or another board's.
 *
 * Cards: a card opens board s with the key in slot s of our DESFire application(s): 13 boards per
 * application (key numbers 1..13; key 0 stays the application master), AID 31 4b 43 for slots
 * 1..13, 31 4b 44 for 14..26, 31 4b 45 for 27..32, each key diversified (AN10922) from that
 * board's card master. Pure functions; no Espruino globals.
 */
import type { Crypto } from './ports';
import { hmacSha256 } from './hmac';

export const BOARD_ID_BYTES = 8;
export const MAX_SLOT = 32;
/** Current protocol version (v1: one site secret on every board; v2: this file, tickets, lists). */
export const PROTOCOL_VERSION = 2;

/** The board's slot (1..32), or 0 when `boardId` is not a valid identity. */
export function boardSlot(boardId: Uint8Array): number {
  const s = boardId.length === BOARD_ID_BYTES ? boardId[0] : 0;
  return s >= 1 && s <= MAX_SLOT ? s : 0;
}

/** True when slot `slot` (1..32) is in the u32 board set `mask` (bit slot-1). */
export function inBoards(mask: number, slot: number): boolean {
  return slot >= 1 && slot <= MAX_SLOT && ((mask >>> (slot - 1)) & 1) === 1;
}

/** How many boards the set names. */
export function boardCount(mask: number): number {
  let n = 0;
  for (let s = 0; s < MAX_SLOT; s++) n += (mask >>> s) & 1;
  return n;
}

/** 'CK2' | domain | bytes: the input of every v2 derivation and tag (the domain byte keeps them apart). */
export function ck2Input(domain: number, bytes: Uint8Array): Uint8Array {
  const m = new Uint8Array(4 + bytes.length);
  m[0] = 67; m[1] = 75; m[2] = 50; m[3] = domain; // 'CK2' + domain
  m.set(bytes, 4);
  return m;
}

function derive(crypto: Crypto, siteSecret: Uint8Array, domain: number, boardId: Uint8Array): Uint8Array {
  return hmacSha256(crypto.sha256, siteSecret, ck2Input(domain, boardId.subarray(0, BOARD_ID_BYTES)));
}

/** The 32-byte secret board `boardId` holds in place of the site secret. */
export function boardSecret(crypto: Crypto, siteSecret: Uint8Array, boardId: Uint8Array): Uint8Array {
  return derive(crypto, siteSecret, 66, boardId); // 'B'
}

/** The 16-byte AN10922 master from which this board's card keys (its slot) are diversified. */
export function boardCardMaster(crypto: Crypto, siteSecret: Uint8Array, boardId: Uint8Array): Uint8Array {
  return derive(crypto, siteSecret, 68, boardId).subarray(0, 16); // 'D'
}

/** The DESFire application (wire order) holding slot `slot`'s card key. */
export function cardAidForSlot(slot: number): Uint8Array {
  return new Uint8Array([0x31, 0x4b, 0x43 + (((slot - 1) / 13) | 0)]);
}

/** The key number (1..13) of slot `slot`'s card key inside its application. */
export function cardKeyNoForSlot(slot: number): number {
  return ((slot - 1) % 13) + 1;
}
