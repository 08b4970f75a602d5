/**
 * Keys that travel, the owner's side (protocol v2, docs/KEYS-THAT-TRAVEL.md): board identities and
 * per-board secrets for the site-file holder, per-board phone key secrets, tickets and revocation
 * lists made by an owner's phone key, and the v2 key file and link. Every byte is made by the
 * board's own functions (firmware/boardkeys.ts, ticket.ts, revlist.ts) over Node's SHA-256, so
 * there is one implementation of each format; tests check them against node:crypto's HMAC too.
 * Host layer: imports only itself, hal/ and firmware/. Throws TravelError with one clear line.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Crypto } from '../../firmware/ports';
import { hostCrypto } from './crypto';
import { reasonName } from './names';
import { BOARD_ID_BYTES, MAX_SLOT, boardCardMaster, boardSecret, boardSlot } from '../../firmware/boardkeys';
import { type Site, keySecret } from '../../firmware/site';
import { type Ticket, TICKET_BODY, TICKET_TAG, ticketEncode, ticketGuestSecret, ticketParse, ticketTag } from '../../firmware/ticket';
import { CHALLENGE_V2_BYTES, M_TICKET_COMMAND } from '../../firmware/travelmsg';
import { LIST_MAX_BOARDS, LIST_MAX_IDS, LIST_TAG, listEncodeBody, listParse, listTag } from '../../firmware/revlist';

export class TravelError extends Error {}

/** The host's Crypto port (tools/host/crypto.ts), under the name the v2 tests use. */
export const travelCrypto: Crypto = hostCrypto;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
function unhex(s: string, what: string, bytes?: number): Uint8Array {
  if (!/^([0-9a-f]{2})+$/i.test(s) || (bytes !== undefined && s.length !== 2 * bytes)) throw new TravelError(`${what}: expected ${bytes ?? 'some'} bytes of hex, got ${JSON.stringify(s.slice(0, 80))}`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}
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

/** One board's part of a phone key: the board, the key's secret there, and (tickets) the ticket's tag there. */
export interface BoardPart {
  boardId: Uint8Array;
  secret: Uint8Array;
  tag?: Uint8Array;
}

/** Phone key (keyId, salt)'s secret on each board: the site-file holder's view (firmware/site.ts keySecret). */
export function phoneKeyParts(siteSecret: Uint8Array, boardIds: Uint8Array[], keyId: number, salt: number): BoardPart[] {
  return boardIds.map((boardId) => ({ boardId, secret: keySecret(travelCrypto, siteOf(boardSecretsFor(siteSecret, boardId).secret), keyId, salt) }));
}

/** A v2 phone key: an owner's, a driver's, or a ticket's (then keyId is the ticket id and `ticket` its body). */
export interface TravelKey {
  keyId: number;
  label?: string;
  boards: BoardPart[];
  /** The 38-byte ticket body, for a ticket. */
  ticket?: Uint8Array;
  /** The newest revocation list this key knows (docs/KEYS-THAT-TRAVEL.md "Revocation lists"). */
  list?: Uint8Array;
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
  return {
    keyId: t.id, label: t.label || undefined, ticket: body, list: owner.list,
    boards: parts.map((p) => ({ boardId: p.boardId, tag: ticketTag(travelCrypto, p.secret, body), secret: ticketGuestSecret(travelCrypto, p.secret, body) })),
  };
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

/**
 * The v2 key link: `#v=2&k=<keyId>&b=<boardId>.<secret>[.<ticket tag>]...[&t=<ticket body>][&l=<list>][&label=..]`,
 * all bytes in hex, one `b` per board.
 */
export function travelFragment(k: TravelKey): string {
  let s = '#v=2&k=' + k.keyId;
  for (const b of k.boards) s += '&b=' + hex(b.boardId) + '.' + hex(b.secret) + (b.tag ? '.' + hex(b.tag) : '');
  if (k.ticket) s += '&t=' + hex(k.ticket);
  if (k.list) s += '&l=' + hex(k.list);
  if (k.label) s += '&label=' + encodeURIComponent(k.label);
  return s;
}

/** Parses a v2 key link (or its fragment). Throws TravelError with the reason. */
export function parseTravelFragment(text: string): TravelKey {
  const t = text.trim();
  const params = new URLSearchParams(t.slice(t.indexOf('#') + 1));
  if (params.get('v') !== '2') throw new TravelError('not a v2 key link (#v=2&k=...)');
  const keyId = Number(params.get('k'));
  if (!(Number.isInteger(keyId) && keyId > 0 && keyId <= 0xffffffff)) throw new TravelError('the key link has no valid key id');
  const k: TravelKey = { keyId, boards: [] };
  const tb = params.get('t');
  if (tb) k.ticket = unhex(tb, 'ticket', TICKET_BODY);
  for (const b of params.getAll('b')) {
    const [id, secret, tag, more] = b.split('.');
    if (more !== undefined || !id || !secret) throw new TravelError('board entry: <boardId>.<secret>[.<tag>], got ' + JSON.stringify(b.slice(0, 80)));
    const part: BoardPart = { boardId: unhex(id, 'board id', BOARD_ID_BYTES), secret: unhex(secret, 'secret', 16) };
    if (!boardSlot(part.boardId)) throw new TravelError('not a board identity: ' + id);
    if (tag) part.tag = unhex(tag, 'ticket tag', TICKET_TAG);
    if (!!k.ticket !== !!part.tag) throw new TravelError(k.ticket ? 'a ticket needs a tag for every board' : 'a tag without a ticket');
    k.boards.push(part);
  }
  if (!k.boards.length) throw new TravelError('the key link names no board');
  const l = params.get('l');
  if (l) {
    k.list = unhex(l, 'list');
    if (typeof listParse(k.list) === 'number') throw new TravelError('the key link carries a malformed revocation list');
  }
  const label = params.get('label');
  if (label) k.label = label;
  return k;
}

/** HELLO saying the highest version this phone speaks. */
export function hello(version = 2): Uint8Array {
  return new Uint8Array([0x01, version]);
}

export interface Challenge {
  nonce: Uint8Array;
  flags: number;
  /** 1 for an 18-byte (v1) CHALLENGE. */
  version: number;
  boardId?: Uint8Array;
  listVersion?: number;
}

/** Reads a CHALLENGE (v1 or v2). Throws TravelError for anything else. */
export function parseChallenge(msg: Uint8Array): Challenge {
  if (msg.length < 18 || msg[0] !== 0x81) throw new TravelError('not a CHALLENGE from the board');
  const c: Challenge = { nonce: msg.slice(1, 17), flags: msg[17], version: 1 };
  if (msg.length >= CHALLENGE_V2_BYTES) {
    c.version = msg[18];
    c.boardId = msg.slice(19, 27);
    c.listVersion = Buffer.from(msg.subarray(27, 31)).readUInt32BE(0);
  }
  return c;
}

/** The key's part for the board that sent `c`, with one clear line when the board is too old or not one of the key's. */
export function partForChallenge(k: TravelKey, c: Challenge): BoardPart {
  if (c.version < 2 || !c.boardId) throw new TravelError(`this car's board speaks protocol version ${c.version}; tickets and keys for several cars need version 2: update its firmware`);
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
  const body = new Uint8Array(1 + TICKET_BODY + TICKET_TAG + 3 + args.length);
  body[0] = M_TICKET_COMMAND;
  body.set(k.ticket, 1);
  body.set(part.tag, 1 + TICKET_BODY);
  body[55] = op;
  body[56] = (validMs >> 8) & 255;
  body[57] = validMs & 255;
  body.set(args, 58);
  const tag = createHmac('sha256', part.secret).update(Buffer.from('CK1C')).update(nonce).update(body).digest().subarray(0, 16);
  const out = new Uint8Array(body.length + 16);
  out.set(body);
  out.set(tag, body.length);
  return out;
}
