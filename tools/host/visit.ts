/**
 * One visit of a phone key to a board, the client's decisions (docs/PROTOCOL.md "Protocol v2"):
 * which secret proves the key at the board that sent this CHALLENGE, the COMMAND or TICKET COMMAND
 * that carries an operation, what a version mismatch says, and the revocation-list exchange after
 * the command (hand over a newer list with LIST; fetch the board's newer one with GET LIST and keep
 * it only from a MACed RESPONSE, only when newer). Pure functions over bytes; the MAC is injected so
 * the CLI and the simulator's phone (node:crypto) and the web phone key (WebCrypto) share them.
 * Not here: links and retries (each client), key formats (travelkey.ts), making tickets (travel.ts).
 */
import { hex } from './bytes';
import { type Answer, type Mac, type PhoneKeyFile, CLIENT_VERSION, OP, command, hello, ticketCommandWith } from './protocol';
import { type ClientKey, TravelError, isTravelKey } from './travelkey';
import { listParse } from '../../firmware/revlist';
import { R_VERSION } from '../../firmware/codes';

/** What a key proves itself with at one board: the key id and secret of its MACs, and for a ticket the body and this board's tag. */
export interface Credential extends PhoneKeyFile {
  /** The board this secret is for (v2 CHALLENGE), if known. */
  boardId?: Uint8Array;
  ticket?: Uint8Array;
  tag?: Uint8Array;
}

/** What a key that needs v2 says at a board that speaks version 1. */
export const V1_BOARD = "this car's board speaks protocol version 1; tickets and revocation lists need version 2: update its firmware";

/**
 * The part of a key's `parts` (one per board) for the board whose CHALLENGE is `c`. At a v2 board:
 * the part for the board id it names. At a v1 board (no board id): the one part of a single-board
 * key (its COMMAND is a v1 COMMAND); a ticket or a key for several boards stops with V1_BOARD.
 * Throws TravelError. Generic so the web phone key picks among CryptoKeys with the same rule.
 */
export function pickBoard<P extends { boardId: Uint8Array }>(parts: P[], ticket: boolean, c: Answer): P {
  if ((c.version || 1) < 2 || !c.boardId) {
    if (ticket || parts.length !== 1) throw new TravelError(V1_BOARD);
    return parts[0];
  }
  const id = hex(c.boardId);
  const p = parts.find((b) => hex(b.boardId) === id);
  if (!p) throw new TravelError('this key does not open this car (board ' + id + ')');
  return p;
}

/**
 * The credential of `k` at the board whose CHALLENGE is `c`: a v1 key file's one secret, or a v2
 * key's secret (and ticket tag) for that board (pickBoard). Throws TravelError.
 */
export function credentialFor(k: ClientKey, c: Answer): Credential {
  if (!isTravelKey(k)) return k;
  const p = pickBoard(k.boards, !!k.ticket, c);
  return { keyId: k.keyId, secret: p.secret, label: k.label, boardId: p.boardId, ticket: k.ticket, tag: p.tag };
}

/**
 * The HELLO a client sends with key `k` (docs/PROTOCOL.md HELLO): `01 02` and the key id its
 * COMMANDs name, so the board does the key's work during the phone's round trip. A ticket names
 * none (its TICKET COMMAND is checked from the ticket itself), nor does a phone without a key.
 */
export function helloFor(k: { keyId: number; ticket?: Uint8Array } | undefined): Uint8Array {
  return k && !k.ticket ? hello(CLIENT_VERSION, k.keyId) : hello();
}

/** The message that asks for `op` with `cred` answering `nonce`: a COMMAND, or for a ticket a TICKET COMMAND. */
export function requestFor(mac: Mac, cred: Credential, nonce: Uint8Array, op: number, args?: Uint8Array, validMs?: number): Uint8Array {
  if (cred.ticket && cred.tag) return ticketCommandWith(mac, cred.ticket, cred.tag, cred.secret, nonce, op, args, validMs);
  return command(mac, cred, nonce, op, args, validMs);
}

/** One line for a REFUSED `version mismatch`, or undefined for any other answer. */
export function versionMismatch(a: Answer): string | undefined {
  if (a.type !== 'refused' || a.status !== R_VERSION) return undefined;
  const range = a.versions ? a.versions[0] + '..' + a.versions[1] : 'other than ' + CLIENT_VERSION;
  return 'the board speaks protocol versions ' + range + ', this phone key speaks ' + CLIENT_VERSION;
}

/** The version of a list (0 for none or a malformed one). */
export function listVersion(list: Uint8Array | undefined): number {
  const l = list ? listParse(list) : undefined;
  return l && typeof l !== 'number' ? l.version : 0;
}

/**
 * After the command, what the key and the board whose CHALLENGE is `c` should exchange: 'send'
 * (LIST: the key knows a newer list), 'get' (GET LIST: the board has a newer one), or undefined
 * (the same version, or a v1 board, or a v1 key).
 */
export function listSync(k: ClientKey | undefined, c: Answer | undefined): 'send' | 'get' | undefined {
  return isTravelKey(k) ? listAction(k.list, c) : undefined;
}

/** listSync for a v2 key holding `list` (undefined: none). */
export function listAction(list: Uint8Array | undefined, c: Answer | undefined): 'send' | 'get' | undefined {
  if (!c || c.listVersion === undefined || (c.version || 1) < 2) return undefined;
  const mine = listVersion(list);
  if (mine > c.listVersion) return 'send';
  if (c.listVersion > mine) return 'get';
  return undefined;
}

/**
 * Takes the board's list from an authentic GET LIST RESPONSE into `k` when it is well formed and
 * newer than the key's own. Returns true when the key's list changed (the caller saves the key).
 */
export function takeBoardList(k: { list?: Uint8Array }, a: Answer): boolean {
  if (a.type !== 'response' || !a.authentic || a.status !== 0 || a.op !== OP.GET_LIST || !a.data || !a.data.length) return false;
  if (listVersion(a.data) <= listVersion(k.list)) return false;
  k.list = a.data.slice();
  return true;
}
