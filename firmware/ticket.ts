/**
 * Tickets (protocol v2, docs/KEYS-THAT-TRAVEL.md): a driver or guest key an owner's phone makes
 * offline. The body names the ticket, its issuer (an owner key id), role, permissions, validity,
 * the boards it opens and when it was made; for each board it opens, the owner's phone adds a tag
 * under the owner's secret ON THAT BOARD and gives the guest a secret derived the same way, which
 * the board derives again from the body alone:
 *
 *   tag_b    = HMAC(ownerSecret_b, 'CK2T' | body)[0..16]
 *   secret_b = HMAC(ownerSecret_b, 'CK2G' | body)[0..16]
 *
 * Body (38 bytes, big-endian): 'T' | ticket id u32 | issuer id u32 | role u8 | perms u8 |
 * weekdays u8 | notBefore u32 | notAfter u32 | winStart u16 | winEnd u16 | boards u32 | madeAt u32 |
 * label 6. On the air a ticket is body | tag_b (54 bytes).
 *
 * A ticket cannot issue tickets: its role is driver or guest, its permissions never include
 * managing keys, and its issuer must be an active owner phone key in the board's own table (a
 * ticket id is never in that table). Pure functions; the caller supplies the issuer's record and
 * the board's secrets, and checks time (firmware/timebound.ts), revocation (firmware/revlist.ts)
 * and the live-ticket cap (firmware/ticketbook.ts).
 */
import type { Crypto } from './ports';
import { readU16, readU32, writeU16, writeU32 } from './bytes';
import { boardSlot, ck2Input, inBoards } from './boardkeys';
import { KIND_PHONE, PERM_DRIVE, PERM_LOCK, PERM_UNLOCK, R_BAD_INPUT, R_BAD_MAC, R_NOT_PERMITTED, R_OK, R_WRONG_BOARD, ROLE_DRIVER, ROLE_GUEST } from './codes';
import { hmacSha256, hmacVerify } from './hmac';
import { type KeyRecord, isActiveOwner } from './keystore';
import { type Site, keySecret } from './site';

export const TICKET_TYPE = 0x54; // 'T'
/** Domain bytes after 'CK2' (boardkeys.ts ck2Input): a ticket's tag_b ('T') and the guest's secret_b ('G'). */
export const TICKET_TAG_DOMAIN = 84;
export const TICKET_GUEST_DOMAIN = 71;
export const TICKET_BODY = 38;
export const TICKET_TAG = 16;
export const TICKET_BYTES = TICKET_BODY + TICKET_TAG;
/** What a ticket may grant: never managing keys (so never another ticket). */
export const TICKET_PERMS = PERM_UNLOCK | PERM_LOCK | PERM_DRIVE;

export interface Ticket {
  id: number;
  issuer: number;
  role: number;
  perms: number;
  weekdays: number;
  notBefore: number;
  notAfter: number;
  winStart: number;
  winEnd: number;
  /** Board slots it opens: bit s-1 for slot s. */
  boards: number;
  madeAt: number;
  label: string;
}

/** The 38-byte body of `t` (fields are not checked here: ticketParse is the gate). */
export function ticketEncode(t: Ticket): Uint8Array {
  const b = new Uint8Array(TICKET_BODY);
  b[0] = TICKET_TYPE;
  writeU32(b, 1, t.id);
  writeU32(b, 5, t.issuer);
  b[9] = t.role & 255; b[10] = t.perms & 255; b[11] = t.weekdays & 255;
  writeU32(b, 12, t.notBefore);
  writeU32(b, 16, t.notAfter);
  writeU16(b, 20, t.winStart);
  writeU16(b, 22, t.winEnd);
  writeU32(b, 24, t.boards);
  writeU32(b, 28, t.madeAt);
  for (let i = 0; i < 6; i++) b[32 + i] = i < t.label.length ? t.label.charCodeAt(i) & 255 : 0;
  return b;
}

/**
 * The ticket in the first 38 bytes of `b`, or a reason: R_BAD_INPUT for a malformed body,
 * R_NOT_PERMITTED for one that claims more than a ticket may (owner role, managing keys).
 */
export function ticketParse(b: Uint8Array): Ticket | number {
  if (!b || b.length < TICKET_BODY || b[0] !== TICKET_TYPE) return R_BAD_INPUT;
  let label = '';
  for (let i = 32; i < 38 && b[i]; i++) {
    if (b[i] < 32 || b[i] > 126) return R_BAD_INPUT;
    label += String.fromCharCode(b[i]);
  }
  const t: Ticket = {
    id: readU32(b, 1), issuer: readU32(b, 5), role: b[9], perms: b[10], weekdays: b[11], notBefore: readU32(b, 12),
    notAfter: readU32(b, 16), winStart: readU16(b, 20), winEnd: readU16(b, 22), boards: readU32(b, 24), madeAt: readU32(b, 28), label,
  };
  if (t.role !== ROLE_DRIVER && t.role !== ROLE_GUEST) return t.role < ROLE_DRIVER ? R_NOT_PERMITTED : R_BAD_INPUT;
  if (t.perms & ~TICKET_PERMS) return R_NOT_PERMITTED;
  if (!t.id || !t.issuer || t.id === t.issuer || !t.perms || t.weekdays > 127 || t.winStart >= 1440 || t.winEnd >= 1440 || !t.boards) return R_BAD_INPUT;
  // Every ticket ends; it was made before it ends and not after it starts to matter.
  if (!t.notAfter || t.notAfter < t.notBefore || t.madeAt > t.notAfter) return R_BAD_INPUT;
  return t;
}

function ticketMac(crypto: Crypto, ownerSecret: Uint8Array, domain: number, body: Uint8Array): Uint8Array {
  return hmacSha256(crypto.sha256, ownerSecret, ck2Input(domain, body.subarray(0, TICKET_BODY)));
}

/** tag_b: the first 16 bytes of HMAC(ownerSecret_b, 'CK2T' | body). */
export function ticketTag(crypto: Crypto, ownerSecret: Uint8Array, body: Uint8Array): Uint8Array {
  return ticketMac(crypto, ownerSecret, TICKET_TAG_DOMAIN, body).subarray(0, TICKET_TAG); // 'T'
}

/** secret_b: the guest's 16-byte key secret on the board whose owner secret this is. */
export function ticketGuestSecret(crypto: Crypto, ownerSecret: Uint8Array, body: Uint8Array): Uint8Array {
  return ticketMac(crypto, ownerSecret, TICKET_GUEST_DOMAIN, body).subarray(0, 16); // 'G'
}

/** True when bytes 38..54 of `t` are tag_b of its body, compared in constant time. */
export function ticketVerify(crypto: Crypto, ownerSecret: Uint8Array, t: Uint8Array): boolean {
  if (t.length < TICKET_BYTES) return false;
  return hmacVerify(crypto.sha256, ownerSecret, ck2Input(TICKET_TAG_DOMAIN, t.subarray(0, TICKET_BODY)), t.subarray(TICKET_BODY, TICKET_BYTES)); // 'T'
}

export interface TicketAdmission {
  /** R_OK, or why the ticket proves nothing here. */
  reason: number;
  ticket: Ticket | undefined;
  /** The guest's secret on this board (R_OK only): its COMMAND MAC key. */
  secret: Uint8Array | undefined;
}

/**
 * Is ticket `t` (body | tag, at least 54 bytes) one this board's owner made for this board?
 * `site` holds the board's secrets (the board secret in `site.secret`), `boardId` its identity,
 * `issuer` the table's record for the ticket's issuer id (undefined when unknown). Order: shape,
 * board, issuer, tag; every failure after the board check answers R_BAD_MAC after the same
 * SHA-256 work whether or not the issuer exists, as a v1 COMMAND does.
 */
export function ticketAdmit(crypto: Crypto, site: Site, boardId: Uint8Array, t: Uint8Array, issuer: KeyRecord | undefined): TicketAdmission {
  const parsed = t.length >= TICKET_BYTES ? ticketParse(t) : R_BAD_INPUT;
  if (typeof parsed === 'number') return { reason: parsed, ticket: undefined, secret: undefined };
  if (!inBoards(parsed.boards, boardSlot(boardId))) return { reason: R_WRONG_BOARD, ticket: parsed, secret: undefined };
  const owner = !!issuer && issuer.id === parsed.issuer && issuer.kind === KIND_PHONE && isActiveOwner(issuer);
  // An unknown issuer costs the same derivation, under a key no one holds.
  const ownerSecret = keySecret(crypto, site, parsed.issuer, owner ? issuer!.salt : 0);
  if (!(ticketVerify(crypto, ownerSecret, t) && owner)) return { reason: R_BAD_MAC, ticket: parsed, secret: undefined };
  return { reason: R_OK, ticket: parsed, secret: ticketGuestSecret(crypto, ownerSecret, t) };
}
