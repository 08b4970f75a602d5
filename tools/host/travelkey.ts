/**
 * The v2 phone key as clients hold it (docs/KEYS-THAT-TRAVEL.md section 12, docs/PROTOCOL.md
 * "Key files and links"): key id, label, one secret per board (and for a ticket its body and one
 * tag per board), and the newest revocation list it knows; written as a JSON key file or a
 * `#v=2&...` link. Also reads every key text a client accepts: v1 and v2 key files and links.
 * Browser-safe (no Node imports): the CLI, the simulator's phone and the web phone key share it.
 * Not here: making tickets and lists (travel.ts), speaking to a board (visit.ts).
 */
import { hex, unhex as unhexAny } from './bytes';
import { BOARD_ID_BYTES, boardSlot } from '../../firmware/boardkeys';
import { TICKET_BODY, TICKET_TAG, ticketParse } from '../../firmware/ticket';
import { listParse } from '../../firmware/revlist';
import type { PhoneKeyFile } from './protocol';

/** One clear line about a v2 key, ticket, list or visit. */
export class TravelError extends Error {}

/** One board's part of a phone key: the board, the key's secret there, and (tickets) the ticket's tag there. */
export interface BoardPart {
  boardId: Uint8Array;
  secret: Uint8Array;
  tag?: Uint8Array;
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

/** Any key a client holds: v1 (one secret, any board that knows it) or v2. */
export type ClientKey = PhoneKeyFile | TravelKey;

export function isTravelKey(k: ClientKey | undefined): k is TravelKey {
  return !!k && Array.isArray((k as TravelKey).boards);
}

export const KEY_FILE_FORMAT = 'carkey-phonekey';

function unhex(s: unknown, what: string, bytes?: number): Uint8Array {
  if (typeof s !== 'string' || !/^([0-9a-f]{2})+$/i.test(s) || (bytes !== undefined && s.length !== 2 * bytes)) {
    throw new TravelError(`${what}: expected ${bytes ?? 'some'} bytes of hex, got ${JSON.stringify(String(s).slice(0, 80))}`);
  }
  return unhexAny(s);
}

function keyIdOf(v: unknown): number {
  const id = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (!(typeof id === 'number' && Number.isInteger(id) && id > 0 && id <= 0xffffffff)) throw new TravelError('the key has no valid key id (1..4294967295)');
  return id;
}

/** Checks a key's parts against each other; returns it. */
function checked(k: TravelKey): TravelKey {
  if (!k.boards.length) throw new TravelError('the key names no board');
  const seen = new Set<string>();
  for (const p of k.boards) {
    if (!boardSlot(p.boardId)) throw new TravelError('not a board identity: ' + hex(p.boardId));
    if (seen.has(hex(p.boardId))) throw new TravelError('board ' + hex(p.boardId) + ' is named twice');
    seen.add(hex(p.boardId));
    if (!!k.ticket !== !!p.tag) throw new TravelError(k.ticket ? 'a ticket needs a tag for every board' : 'a tag without a ticket');
  }
  if (k.ticket) {
    const t = ticketParse(k.ticket);
    if (typeof t === 'number') throw new TravelError('the key carries a malformed ticket');
    if (t.id !== k.keyId) throw new TravelError('the ticket id ' + t.id + ' is not the key id ' + k.keyId);
  }
  if (k.list && typeof listParse(k.list) === 'number') throw new TravelError('the key carries a malformed revocation list');
  return k;
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
  const k: TravelKey = { keyId: keyIdOf(params.get('k')), boards: [] };
  const tb = params.get('t');
  if (tb) k.ticket = unhex(tb, 'ticket', TICKET_BODY);
  for (const b of params.getAll('b')) {
    const [id, secret, tag, more] = b.split('.');
    if (more !== undefined || !id || !secret) throw new TravelError('board entry: <boardId>.<secret>[.<tag>], got ' + JSON.stringify(b.slice(0, 80)));
    const part: BoardPart = { boardId: unhex(id, 'board id', BOARD_ID_BYTES), secret: unhex(secret, 'secret', 16) };
    if (tag) part.tag = unhex(tag, 'ticket tag', TICKET_TAG);
    k.boards.push(part);
  }
  const l = params.get('l');
  if (l) k.list = unhex(l, 'list');
  const label = params.get('label');
  if (label) k.label = label;
  return checked(k);
}

/** The JSON key file of a v2 key (docs/PROTOCOL.md "Key files and links"). */
export function travelKeyJson(k: TravelKey): string {
  const j: Record<string, unknown> = { format: KEY_FILE_FORMAT, version: 2, keyId: k.keyId };
  if (k.label) j.label = k.label;
  j.boards = k.boards.map((b) => (b.tag ? { boardId: hex(b.boardId), secret: hex(b.secret), tag: hex(b.tag) } : { boardId: hex(b.boardId), secret: hex(b.secret) }));
  if (k.ticket) j.ticket = hex(k.ticket);
  if (k.list) j.list = hex(k.list);
  return JSON.stringify(j, null, 2) + '\n';
}

/** A v2 key from a parsed JSON key file; throws TravelError. */
export function parseTravelKeyJson(j: any): TravelKey {
  if (!j || j.format !== KEY_FILE_FORMAT || j.version !== 2) throw new TravelError('not a v2 key file ({"format":"carkey-phonekey","version":2,...})');
  if (!Array.isArray(j.boards)) throw new TravelError('the key file has no "boards" list');
  const k: TravelKey = { keyId: keyIdOf(j.keyId), boards: [] };
  if (j.label !== undefined) {
    if (typeof j.label !== 'string') throw new TravelError('the key file\'s label is not text');
    if (j.label) k.label = j.label;
  }
  if (j.ticket !== undefined) k.ticket = unhex(j.ticket, 'ticket', TICKET_BODY);
  for (const b of j.boards) {
    if (!b || typeof b !== 'object') throw new TravelError('a board entry is not {boardId, secret, tag?}');
    const part: BoardPart = { boardId: unhex(b.boardId, 'board id', BOARD_ID_BYTES), secret: unhex(b.secret, 'secret', 16) };
    if (b.tag !== undefined) part.tag = unhex(b.tag, 'ticket tag', TICKET_TAG);
    k.boards.push(part);
  }
  if (j.list !== undefined) k.list = unhex(j.list, 'list');
  return checked(k);
}

/**
 * Any key text a client accepts: a v2 key file (JSON, `"version": 2`), a v1 key file
 * (`{keyId, secret}`), a v2 link (`#v=2&...`) or a v1 link (`#k=<keyId>.<secret>`), or a
 * fragment alone. Throws TravelError with the reason.
 */
export function parseClientKey(text: string): ClientKey {
  const t = text.trim();
  if (t.startsWith('{')) {
    let j: any;
    try { j = JSON.parse(t); } catch (e) { throw new TravelError('the key file is not JSON: ' + (e as Error).message); }
    if (j && j.version === 2) return parseTravelKeyJson(j);
    if (!j || typeof j.secret !== 'string' || !/^([0-9a-f]{2}){16,32}$/i.test(j.secret)) throw new TravelError('not a phone key file ({keyId, secret: hex} or {"format":"carkey-phonekey","version":2,...})');
    const v1: PhoneKeyFile = { keyId: keyIdOf(j.keyId), secret: unhexAny(j.secret) };
    if (typeof j.label === 'string' && j.label) v1.label = j.label;
    return v1;
  }
  const params = new URLSearchParams(t.slice(t.indexOf('#') + 1));
  if (params.get('v') === '2') return parseTravelFragment(t);
  const k = params.get('k');
  const m = k ? /^(\d+)\.(([0-9a-f]{2}){16,32})$/i.exec(k) : null;
  if (!m) throw new TravelError('neither a key file (JSON) nor a key link (#v=2&k=... or #k=<keyId>.<secret hex>)');
  const v1: PhoneKeyFile = { keyId: keyIdOf(m[1]), secret: unhexAny(m[2]) };
  const label = params.get('label');
  if (label) v1.label = label;
  return v1;
}
