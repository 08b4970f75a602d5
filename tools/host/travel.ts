/**
 * Keys that travel, the owner's side (protocol v2, docs/KEYS-THAT-TRAVEL.md): board identities and
 * per-board secrets for the site-file holder, per-board phone key secrets, tickets and revocation
 * lists made by an owner's phone key, and the v2 key file and link. Every byte is made by the
 * board's own functions (firmware/boardkeys.ts, ticket.ts, revlist.ts) over Node's SHA-256, so
 * there is one implementation of each format; tests check them against node:crypto's HMAC too.
 * Host layer: imports only itself, hal/ and firmware/. Throws TravelError with one clear line.
 */
import { randomBytes } from 'node:crypto';
import type { Crypto } from '../../firmware/ports';
import { hostCrypto } from './crypto';
import { BOARD_ID_BYTES, MAX_SLOT, boardCardMaster, boardSecret, boardSlot } from '../../firmware/boardkeys';
import { type Site, keySecret } from '../../firmware/site';
import { ticketGuestSecret, ticketTag } from '../../firmware/ticket';
import { type TicketFields, checkedList, listPlan, ticketPlan } from './travelmake';
import { type BoardPart, type TravelKey, TravelError } from './travelkey';
import { nodeMac, parseAnswer, ticketCommandWith } from './protocol';
import { V1_BOARD } from './visit';
import { LIST_TAG, listParse, listTag } from '../../firmware/revlist';

// The key formats live in travelkey.ts (browser-safe); their users have always imported them from here.
export { type BoardPart, type ClientKey, type TravelKey, TravelError, isTravelKey, parseClientKey, parseTravelFragment, parseTravelKeyJson, travelFragment, travelKeyJson } from './travelkey';
export { hello } from './protocol';

/** The host's Crypto port (tools/host/crypto.ts), under the name the v2 tests use. */
export const travelCrypto: Crypto = hostCrypto;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const siteOf = (secret: Uint8Array): Site => ({ secret, cardMaster: new Uint8Array(16), setupCode: '', gen: undefined });

/** A new board identity for slot `slot`: the slot, then 7 random bytes. */
export function newBoardId(slot: number, random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): Uint8Array {
  if (!(Number.isInteger(slot) && slot >= 1 && slot <= MAX_SLOT)) throw new TravelError(`board slot must be 1..${MAX_SLOT}, got ${slot}`);
  const id = new Uint8Array(BOARD_ID_BYTES);
  id[0] = slot;
  id.set(random(BOARD_ID_BYTES - 1), 1);
  return id;
}

/** What provisioning writes into board `boardId`'s flash in place of the site secrets. */
export function boardSecretsFor(siteSecret: Uint8Array, boardId: Uint8Array): { secret: Uint8Array; cardMaster: Uint8Array } {
  if (!boardSlot(boardId)) throw new TravelError('not a board identity: ' + hex(boardId));
  return { secret: boardSecret(travelCrypto, siteSecret, boardId), cardMaster: boardCardMaster(travelCrypto, siteSecret, boardId) };
}

/** Phone key (keyId, salt)'s secret on each board: the site-file holder's view (firmware/site.ts keySecret). */
export function phoneKeyParts(siteSecret: Uint8Array, boardIds: Uint8Array[], keyId: number, salt: number): BoardPart[] {
  return boardIds.map((boardId) => ({ boardId, secret: keySecret(travelCrypto, siteOf(boardSecretsFor(siteSecret, boardId).secret), keyId, salt) }));
}

export type { TicketFields } from './travelmake';

/**
 * A ticket made by `owner` (an owner's TravelKey, its secret on each board) for the boards of
 * `boardIds` (all of them when absent): the guest's TravelKey, carrying the body, and for each
 * board the tag and the guest's secret there. Refuses what a board would refuse (travelmake.ts ticketPlan).
 */
export function makeTicket(owner: TravelKey, fields: TicketFields, boardIds?: Uint8Array[]): TravelKey {
  const { body, parts } = ticketPlan(owner, fields, boardIds);
  const guest: TravelKey = {
    keyId: fields.id, ticket: body,
    boards: parts.map((p) => ({ boardId: p.boardId, tag: ticketTag(travelCrypto, p.secret, body), secret: ticketGuestSecret(travelCrypto, p.secret, body) })),
  };
  if (fields.label) guest.label = fields.label;
  // The guest carries the newest list its maker knows, to hand on (docs/KEYS-THAT-TRAVEL.md section 6).
  if (owner.list) guest.list = owner.list;
  return guest;
}

/**
 * A revocation list signed by `owner` for all its boards: version, made-at time (seconds), the
 * revoked key and ticket ids (sorted, duplicates dropped). Bounded: 24 ids, 8 boards (travelmake.ts listPlan).
 */
export function makeList(owner: TravelKey, version: number, madeAt: number, ids: number[]): Uint8Array {
  const { body, parts } = listPlan(owner, version, madeAt, ids);
  const out = new Uint8Array(body.length + LIST_TAG * parts.length);
  out.set(body);
  parts.forEach((p, i) => out.set(listTag(travelCrypto, p.secret, body), body.length + LIST_TAG * i));
  return checkedList(out);
}

/** The newer of two lists a phone holds (by version; undefined for none). */
export function newerList(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array | undefined {
  const v = (l: Uint8Array | undefined) => { const p = l ? listParse(l) : undefined; return p && typeof p !== 'number' ? p.version : 0; };
  return v(b) > v(a) ? b : a;
}

export interface Challenge {
  nonce: Uint8Array;
  flags: number;
  /** 1 for an 18-byte (v1) CHALLENGE. */
  version: number;
  boardId?: Uint8Array;
  listVersion?: number;
}

/** Reads a CHALLENGE (v1 or v2; tools/host/protocol.ts parseAnswer). Throws TravelError for anything else. */
export function parseChallenge(msg: Uint8Array): Challenge {
  const a = parseAnswer(nodeMac, undefined, msg);
  if (a.type !== 'challenge') throw new TravelError('not a CHALLENGE from the board');
  return { nonce: a.nonce!, flags: a.flags!, version: a.version!, boardId: a.boardId, listVersion: a.listVersion };
}

/** The key's part for the board that sent `c`, with one clear line when the board is too old or not one of the key's. */
export function partForChallenge(k: TravelKey, c: Challenge): BoardPart {
  if (c.version < 2 || !c.boardId) throw new TravelError(V1_BOARD);
  const p = k.boards.find((b) => hex(b.boardId) === hex(c.boardId!));
  if (!p) throw new TravelError('this key does not open this car (board ' + hex(c.boardId) + ')');
  return p;
}

/**
 * A TICKET COMMAND for the board whose CHALLENGE gave `nonce`: 05 | ticket body | tag_b | op |
 * validMs | args | MAC under the guest secret_b (node:crypto's HMAC: an implementation apart from
 * the board's, which the tests check it against).
 */
export function ticketCommand(k: TravelKey, part: BoardPart, nonce: Uint8Array, op: number, args: Uint8Array = new Uint8Array(0), validMs = 5000): Uint8Array {
  if (!k.ticket || !part.tag) throw new TravelError('not a ticket');
  return ticketCommandWith(nodeMac, k.ticket, part.tag, part.secret, nonce, op, args, validMs);
}
