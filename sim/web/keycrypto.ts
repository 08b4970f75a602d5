/**
 * The web phone key's cryptography, on WebCrypto: the secret lives only as a non-extractable
 * HMAC-SHA256 CryptoKey. COMMAND bytes come from tools/host/protocol.ts `command()` itself
 * (its MAC is computed through an injected function: we record what it would MAC, sign that with
 * WebCrypto, and put the tag in place), so they are the same bytes the Node tools send.
 * Runs in browsers and in Node (tests); no DOM, no storage here.
 */
import { M, type Answer, command, parseAnswer } from '../../tools/host/protocol';
import { requestFor } from '../../tools/host/visit';

const TAG = 16;
/** Our byte arrays are never over a SharedArrayBuffer, which is all WebCrypto's typing guards against. */
const buf = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

/** Imports a secret as a non-extractable signing key, then wipes the bytes it was given. */
export async function importSecret(secret: Uint8Array): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey('raw', buf(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  } finally {
    secret.fill(0);
  }
}

/** The first 16 bytes of HMAC-SHA256(key, data): a tag, or a derived secret (tickets, sim/web/share.ts). */
export async function hmac16(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, buf(data))).subarray(0, TAG);
}

/** A signed COMMAND for `op` answering `nonce`: the bytes `command()` makes with this key's secret. */
export async function signedCommand(key: CryptoKey, keyId: number, nonce: Uint8Array, op: number, args?: Uint8Array, validMs?: number): Promise<Uint8Array> {
  let signed: Uint8Array | undefined;
  const msg = command((_secret, data) => { signed = data.slice(); return new Uint8Array(32); }, { keyId, secret: new Uint8Array(0) }, nonce, op, args, validMs);
  msg.set(await hmac16(key, signed!), msg.length - TAG);
  return msg;
}

/** What a key proves itself with at one board (tools/host/visit.ts Credential, the secret as a CryptoKey). */
export interface WebCredential {
  keyId: number;
  key: CryptoKey;
  ticket?: Uint8Array;
  tag?: Uint8Array;
}

/** A signed COMMAND, or for a ticket a TICKET COMMAND: the bytes tools/host/visit.ts requestFor makes with this secret. */
export async function signedRequest(cred: WebCredential, nonce: Uint8Array, op: number, args?: Uint8Array, validMs?: number): Promise<Uint8Array> {
  let signed: Uint8Array | undefined;
  const msg = requestFor((_secret, data) => { signed = data.slice(); return new Uint8Array(32); }, { keyId: cred.keyId, secret: new Uint8Array(0), ticket: cred.ticket, tag: cred.tag }, nonce, op, args, validMs);
  msg.set(await hmac16(cred.key, signed!), msg.length - TAG);
  return msg;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/**
 * Parses a message from the board. A RESPONSE is authentic when its tag is our key's MAC over
 * "CK1R" | the nonce our command answered | the response without its tag (docs/PROTOCOL.md).
 */
export async function readAnswer(key: CryptoKey, msg: Uint8Array, sentNonce?: Uint8Array): Promise<Answer> {
  const a = parseAnswer(() => new Uint8Array(32), undefined, msg);
  if (a.type === 'response') {
    a.authentic = false;
    if (sentNonce) {
      const body = msg.subarray(0, msg.length - TAG);
      const input = new Uint8Array(4 + sentNonce.length + body.length);
      input.set([67, 75, 49, 82]);
      input.set(sentNonce, 4);
      input.set(body, 4 + sentNonce.length);
      a.authentic = equal(await hmac16(key, input), msg.subarray(msg.length - TAG));
    }
  }
  return a;
}

export { M };
