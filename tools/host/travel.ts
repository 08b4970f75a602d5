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
import { reasonName } from './names';
import { BOARD_ID_BYTES, MAX_SLOT, boardCardMaster, boardSecret, boardSlot } from '../../firmware/boardkeys';
import { type Site, keySecret } from '../../firmware/site';
import { type Ticket, ticketEncode, ticketGuestSecret, ticketParse, ticketTag } from '../../firmware/ticket';
import { type BoardPart, type TravelKey, TravelError } from './travelkey';
import { nodeMac, parseAnswer, ticketCommandWith } from './protocol';
import { V1_BOARD } from './visit';
import { LIST_MAX_BOARDS, LIST_MAX_IDS, LIST_TAG, listEncodeBody, listParse, listTag } from '../../firmware/revlist';

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

function slotsOf(parts: BoardPart[]): number {
  let mask = 0;
  for (const p of parts) mask = (mask | (1 << (boardSlot(p.boardId) - 1))) >>> 0;
  return mask;
}

export type TicketFields = Omit<Ticket, 'issuer' | 'boards' | 'label'> & { label?: string };

/**
 * A ticket made by `owner` (an owner's TravelKey, its secret on each board) for the boards of
 * `boardIds` (all of them when absent): the guest's TravelKey, carrying the body, and for each
 * board the tag and the guest's secret there. Refuses what a board would refuse.
 */
export function makeTicket(owner: TravelKey, fields: TicketFields, boardIds?: Uint8Array[]): TravelKey {
  if (owner.ticket) throw new TravelError('a ticket cannot issue tickets');
  const parts = boardIds ? boardIds.map((b) => partFor(owner, b)) : owner.boards;
  if (!parts.length) throw new TravelError('a ticket must open at least one board');
  const t: Ticket = { ...fields, issuer: owner.keyId, boards: slotsOf(parts), label: fields.label ?? '' };
  if (!/^[\x20-\x7e]{0,6}$/.test(t.label)) throw new TravelError('ticket label: at most 6 printable ASCII characters');
  const body = ticketEncode(t);
  const checked = ticketParse(body);
  if (typeof checked === 'number') throw new TravelError('a board would refuse this ticket: ' + reasonName(checked) + ' (role driver or guest, permissions unlock/lock/drive, an end after its start and its making)');
  const guest: TravelKey = {
    keyId: t.id, ticket: body,
    boards: parts.map((p) => ({ boardId: p.boardId, tag: ticketTag(travelCrypto, p.secret, body), secret: ticketGuestSecret(travelCrypto, p.secret, body) })),
  };
  if (t.label) guest.label = t.label;
  // The guest carries the newest list its maker knows, to hand on (docs/KEYS-THAT-TRAVEL.md section 6).
  if (owner.list) guest.list = owner.list;
  return guest;
}

function partFor(key: TravelKey, boardId: Uint8Array): BoardPart {
  const p = key.boards.find((b) => hex(b.boardId) === hex(boardId));
  if (!p) throw new TravelError('key ' + key.keyId + ' has no secret for board ' + hex(boardId));
  return p;
}

/**
 * A revocation list signed by `owner` for all its boards: version, made-at time (seconds), the
 * revoked key and ticket ids (sorted, duplicates dropped). Bounded: 24 ids, 8 boards.
 */
export function makeList(owner: TravelKey, version: number, madeAt: number, ids: number[]): Uint8Array {
  if (owner.ticket) throw new TravelError('only an owner key can sign a revocation list');
  const sorted = [...new Set(ids.map((i) => i >>> 0))].sort((a, b) => a - b);
  if (sorted.length > LIST_MAX_IDS) throw new TravelError(`a revocation list holds at most ${LIST_MAX_IDS} ids, got ${sorted.length}: drop expired tickets and keys removed from every board`);
  if (sorted.includes(0) || sorted.includes(owner.keyId)) throw new TravelError('a revocation list cannot name id 0 or its own signer');
  const parts = [...owner.boards].sort((a, b) => boardSlot(a.boardId) - boardSlot(b.boardId));
  if (parts.length > LIST_MAX_BOARDS) throw new TravelError(`a revocation list covers at most ${LIST_MAX_BOARDS} boards, this key has ${parts.length}`);
  const body = listEncodeBody(version, madeAt, owner.keyId, slotsOf(parts), sorted);
  const out = new Uint8Array(body.length + LIST_TAG * parts.length);
  out.set(body);
  parts.forEach((p, i) => out.set(listTag(travelCrypto, p.secret, body), body.length + LIST_TAG * i));
  const checked = listParse(out);
  if (typeof checked === 'number') throw new TravelError('a board would refuse this list: ' + reasonName(checked) + ' (version >= 1, a made-at time)');
  return out;
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
