/**
 * The message layouts protocol v2 adds (docs/KEYS-THAT-TRAVEL.md section 7), as pure functions
 * for firmware/phonekey.ts to call once wired: version negotiation from HELLO, the v2 CHALLENGE,
 * the LISTED answer, and the TICKET COMMAND's parts and MAC (v1's COMMAND MAC, under the guest
 * secret: HMAC(secret, 'CK1C' | nonce | message without tag)[0..16], compared in constant time).
 */
import type { Crypto } from './ports';
import { writeU32 } from './bytes';
import { BOARD_ID_BYTES, PROTOCOL_VERSION } from './boardkeys';
import { hmacVerify } from './hmac';
import { TICKET_BYTES } from './ticket';

export const M_LIST = 0x04;
export const M_TICKET_COMMAND = 0x05;
export const M_LISTED = 0x85;
export { OP_GET_LIST } from './codes';
/** The lowest version this firmware speaks. */
export const MIN_VERSION = 1;
export const CHALLENGE_V2_BYTES = 31;
/** TICKET COMMAND: type | ticket (54) | op | validMs u16 | args | tag (16). */
export const TCMD_OP = 1 + TICKET_BYTES;
export const TCMD_HEAD = TCMD_OP + 3;
export const TCMD_MIN = TCMD_HEAD + 16;

/** The version a HELLO asks for: its second byte, or 1 for a bare v1 HELLO. */
export function helloVersion(hello: Uint8Array): number {
  return hello.length >= 2 ? hello[1] : 1;
}

/**
 * The version to speak with a phone that speaks up to `phone`, on a board that speaks up to
 * `highest` (PROTOCOL_VERSION; 1 on a board with a v1 site): 0 when none (REFUSED R_VERSION).
 */
export function negotiate(phone: number, highest?: number): number {
  if (!highest) highest = PROTOCOL_VERSION;
  if (phone < MIN_VERSION) return 0;
  return phone < highest ? phone : highest;
}

/** CHALLENGE for a v2 phone: 81 | nonce 16 | flags | version | board id 8 | list version u32. */
export function challengeV2(nonce: Uint8Array, flags: number, boardId: Uint8Array, listVersion: number): Uint8Array {
  const m = new Uint8Array(CHALLENGE_V2_BYTES);
  m[0] = 0x81;
  m.set(nonce.subarray(0, 16), 1);
  m[17] = flags & 255;
  m[18] = PROTOCOL_VERSION;
  m.set(boardId.subarray(0, BOARD_ID_BYTES), 19);
  writeU32(m, 27, listVersion);
  return m;
}

/** LISTED: 85 | status | the board's list version after the LIST. */
export function listedAnswer(status: number, listVersion: number): Uint8Array {
  const m = new Uint8Array(6);
  m[0] = M_LISTED;
  m[1] = status & 255;
  writeU32(m, 2, listVersion);
  return m;
}

/** True when `msg` is long enough to be a TICKET COMMAND (callers then read the ticket at 1, op at TCMD_OP). */
export function ticketCommandShaped(msg: Uint8Array): boolean {
  return msg.length >= TCMD_MIN && msg[0] === M_TICKET_COMMAND;
}

/** Does the TICKET COMMAND's tag verify under `secret` (the guest's, from ticketAdmit) and `nonce`? */
export function ticketCommandMacOk(crypto: Crypto, secret: Uint8Array, nonce: Uint8Array, msg: Uint8Array): boolean {
  if (!ticketCommandShaped(msg)) return false;
  const body = msg.subarray(0, msg.length - 16);
  const input = new Uint8Array(4 + nonce.length + body.length);
  input[0] = 67; input[1] = 75; input[2] = 49; input[3] = 67; // 'CK1C'
  input.set(nonce, 4);
  input.set(body, 4 + nonce.length);
  return hmacVerify(crypto.sha256, secret, input, msg.subarray(msg.length - 16));
}
