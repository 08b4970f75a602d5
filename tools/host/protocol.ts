/**
 * The phone side of the phone-key protocol, for host tools, tests and the simulator's web page
 * (docs/PROTOCOL.md). Pure functions over bytes; the MAC function is injected so Node (node:crypto)
 * and browsers can share it. It mirrors firmware/phonekey.ts, which is what the board runs.
 */
import { createHmac } from 'node:crypto';
import { createReassembler, fragment } from '../../firmware/frames';
import { M_CHALLENGE, M_COMMAND, M_ENROL, M_ENROLLED, M_HELLO, M_REFUSED, M_RESPONSE } from '../../firmware/phonekey';
import {
  OP_ADD_KEY, OP_DRIVE, OP_ENROL_CARD, OP_LIST_KEYS, OP_LOCK, OP_READ_LOG, OP_REMOVE, OP_REVOKE, OP_SET_CONFIG, OP_SET_TIME, OP_STATUS, OP_UNLOCK,
} from '../../firmware/codes';
import { M_LIST, M_LISTED, M_TICKET_COMMAND, OP_GET_LIST } from '../../firmware/travelmsg';
import { reasonName } from './names';

export { PULL_RETRIES, PULL_RETRY_MS, createAnswerReader, type AnswerReader } from '../../firmware/frames';

/** Message types and operations: the firmware's own constants (firmware/phonekey.ts, firmware/codes.ts), by name. */
export const M = { HELLO: M_HELLO, COMMAND: M_COMMAND, ENROL: M_ENROL, CHALLENGE: M_CHALLENGE, RESPONSE: M_RESPONSE, REFUSED: M_REFUSED, ENROLLED: M_ENROLLED,
  LIST: M_LIST, TICKET_COMMAND: M_TICKET_COMMAND, LISTED: M_LISTED } as const;
export const OP = { UNLOCK: OP_UNLOCK, LOCK: OP_LOCK, DRIVE: OP_DRIVE, ADD_KEY: OP_ADD_KEY, REVOKE: OP_REVOKE, LIST_KEYS: OP_LIST_KEYS, READ_LOG: OP_READ_LOG,
  SET_TIME: OP_SET_TIME, SET_CONFIG: OP_SET_CONFIG, STATUS: OP_STATUS, REMOVE: OP_REMOVE, ENROL_CARD: OP_ENROL_CARD, GET_LIST: OP_GET_LIST } as const;
/** The highest protocol version these clients speak (docs/PROTOCOL.md "Protocol versions"). */
export const CLIENT_VERSION = 2;

/**
 * HELLO saying the highest version this phone speaks, `01 02` (a bare `01` is a v1 phone), and
 * with `keyId` the key its COMMAND will name, `01 02` keyId(4): the board then does that key's
 * work while the phone computes its COMMAND (docs/PROTOCOL.md "Connecting").
 */
export function hello(version = CLIENT_VERSION, keyId?: number): Uint8Array {
  return new Uint8Array(keyId === undefined ? [M_HELLO, version] : [M_HELLO, version, ...be32(keyId)]);
}

export type Mac = (key: Uint8Array, data: Uint8Array) => Uint8Array;
export const nodeMac: Mac = (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest());

export interface PhoneKeyFile {
  keyId: number;
  secret: Uint8Array;
  label?: string;
}

const DOMAIN = { C: 67, R: 82, W: 87 };

function macOf(mac: Mac, secret: Uint8Array, domain: number, nonce: Uint8Array, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(4 + nonce.length + body.length);
  m.set([67, 75, 49, domain]);
  m.set(nonce, 4);
  m.set(body, 4 + nonce.length);
  return mac(secret, m).subarray(0, 16);
}

/** A COMMAND or TICKET COMMAND body followed by its MAC (domain C, bound to the board's nonce). */
function commandMacd(mac: Mac, secret: Uint8Array, nonce: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 16);
  out.set(body);
  out.set(macOf(mac, secret, DOMAIN.C, nonce, body), body.length);
  return out;
}

export function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
}

export function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/**
 * A TICKET COMMAND answering `nonce`: 05 | ticket body 38 | tag_b 16 | op | validMs u16 | args |
 * tag, the tag being the COMMAND's MAC ("CK1C" | nonce | message without tag) under the guest's
 * secret on this board (docs/PROTOCOL.md "Protocol v2").
 */
export function ticketCommandWith(mac: Mac, ticket: Uint8Array, ticketTag: Uint8Array, secret: Uint8Array, nonce: Uint8Array, op: number, args: Uint8Array = new Uint8Array(0), validMs = 5000): Uint8Array {
  const body = new Uint8Array(58 + args.length);
  body[0] = M_TICKET_COMMAND;
  body.set(ticket.subarray(0, 38), 1);
  body.set(ticketTag.subarray(0, 16), 39);
  body[55] = op;
  body[56] = (validMs >> 8) & 255;
  body[57] = validMs & 255;
  body.set(args, 58);
  return commandMacd(mac, secret, nonce, body);
}

/** LIST: 04 | a revocation list (docs/PROTOCOL.md "Protocol v2"). */
export function listMessage(list: Uint8Array): Uint8Array {
  const m = new Uint8Array(1 + list.length);
  m[0] = M_LIST;
  m.set(list, 1);
  return m;
}

/** A signed COMMAND answering `nonce`. */
export function command(mac: Mac, key: PhoneKeyFile, nonce: Uint8Array, op: number, args: Uint8Array = new Uint8Array(0), validMs = 5000): Uint8Array {
  const body = new Uint8Array(8 + args.length);
  body[0] = M.COMMAND;
  body.set(be32(key.keyId), 1);
  body[5] = op;
  body[6] = (validMs >> 8) & 255;
  body[7] = validMs & 255;
  body.set(args, 8);
  return commandMacd(mac, key.secret, nonce, body);
}

export interface Answer {
  type: 'challenge' | 'response' | 'refused' | 'enrolled' | 'listed' | 'unknown';
  /** The nonce for the next command. */
  nonce?: Uint8Array;
  status?: number;
  reason?: string;
  op?: number;
  data?: Uint8Array;
  /** For responses: the board proved it knows our key (MAC over the command's nonce). */
  authentic?: boolean;
  flags?: number;
  retrySeconds?: number;
  keyId?: number;
  secret?: Uint8Array;
  /** CHALLENGE: the protocol version the board speaks with us (1 for an 18-byte CHALLENGE). */
  version?: number;
  /** CHALLENGE v2: the board's identity (slot, serial). */
  boardId?: Uint8Array;
  /** CHALLENGE v2, LISTED: the version of the board's revocation list (0: none). */
  listVersion?: number;
  /** REFUSED `version mismatch` (24): the lowest and highest version the board speaks. */
  versions?: [number, number];
}

/** Parses a message from the board; `sentNonce` is the nonce our last command answered. */
export function parseAnswer(mac: Mac, key: PhoneKeyFile | undefined, msg: Uint8Array, sentNonce?: Uint8Array): Answer {
  const t = msg[0];
  if (t === M.CHALLENGE && msg.length >= 18) {
    const c: Answer = { type: 'challenge', nonce: msg.slice(1, 17), flags: msg[17], version: 1 };
    // v2 (31 bytes): version, board id, list version. Clients ignore bytes they do not know.
    if (msg.length >= 31) { c.version = msg[18]; c.boardId = msg.slice(19, 27); c.listVersion = u32(msg, 27); }
    return c;
  }
  if (t === M.REFUSED && msg.length >= 20) {
    const a: Answer = { type: 'refused', status: msg[1], reason: reasonName(msg[1]), nonce: msg.slice(2, 18), retrySeconds: (msg[18] << 8) | msg[19] };
    if (msg.length >= 22) a.versions = [msg[20], msg[21]];
    return a;
  }
  if (t === M.LISTED && msg.length >= 6) return { type: 'listed', status: msg[1], reason: reasonName(msg[1]), listVersion: u32(msg, 2) };
  if (t === M.RESPONSE && msg.length >= 35) {
    const body = msg.subarray(0, msg.length - 16);
    const tag = msg.subarray(msg.length - 16);
    const authentic = !!key && !!sentNonce && Buffer.from(macOf(mac, key.secret, DOMAIN.R, sentNonce, body)).equals(Buffer.from(tag));
    return { type: 'response', status: msg[1], reason: reasonName(msg[1]), op: msg[2], nonce: msg.slice(3, 19), data: msg.slice(19, msg.length - 16), authentic };
  }
  if (t === M.ENROLLED && msg.length >= 22) return { type: 'enrolled', status: msg[1], keyId: u32(msg, 2), secret: msg.slice(6, 22) };
  return { type: 'unknown' };
}

/** Unwraps the secret of a key an owner added (ADD_KEY answer data: id u32 | wrapped secret 16). */
export function unwrapNewKey(mac: Mac, owner: PhoneKeyFile, sentNonce: Uint8Array, data: Uint8Array): PhoneKeyFile {
  const id = data.subarray(0, 4);
  const pad = macOf(mac, owner.secret, DOMAIN.W, sentNonce, id);
  const secret = new Uint8Array(16);
  for (let i = 0; i < 16; i++) secret[i] = data[4 + i] ^ pad[i];
  return { keyId: u32(data, 0), secret };
}

export interface NewKeyRequest {
  role: number;
  perms: number;
  weekdays?: number;
  notBefore?: number;
  notAfter?: number;
  winStart?: number;
  winEnd?: number;
  kind?: number;
  label?: string;
}

/** ADD_KEY arguments. */
export function addKeyArgs(r: NewKeyRequest): Uint8Array {
  const a = new Uint8Array(23);
  a[0] = r.role; a[1] = r.perms; a[2] = r.weekdays || 0;
  a.set(be32(r.notBefore || 0), 3);
  a.set(be32(r.notAfter || 0), 7);
  a[11] = ((r.winStart || 0) >> 8) & 255; a[12] = (r.winStart || 0) & 255;
  a[13] = ((r.winEnd || 0) >> 8) & 255; a[14] = (r.winEnd || 0) & 255;
  a[16] = r.kind || 0;
  const label = (r.label || '').slice(0, 6);
  for (let i = 0; i < label.length; i++) a[17 + i] = label.charCodeAt(i) & 127;
  return a;
}

/** Packets of a message, and a collector of packets back into messages: the board's own framing code. */
export function packets(message: Uint8Array, payload = 20): Uint8Array[] {
  return fragment(message, payload);
}

export function collector(max = 4096): (packet: Uint8Array) => Uint8Array | undefined {
  const r = createReassembler(max);
  return (p) => r.push(p).message;
}


/** The firmware version a STATUS answer ends with (docs/PROTOCOL.md op 10), or '' from firmware that sends none. */
export function statusVersion(data: Uint8Array): string {
  let v = '';
  for (let i = 12; i < data.length; i++) v += String.fromCharCode(data[i]);
  return v;
}
