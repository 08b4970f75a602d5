/**
 * HMAC-SHA256 (RFC 2104) on top of the Crypto port's sha256 (crypto.SHA256 on the board, which
 * has no HMAC of its own). One working buffer per call serves both the inner and the outer hash;
 * a key's pads can be kept (hmacPads) so that repeated MACs under it run no interpreted loop.
 * Must not: keep key material in module state, or compare MACs other than in constant time.
 */
import { equalConstantTime } from './bytes';

/** The shape of Crypto.sha256 in firmware/ports.ts. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** Shortest tag hmacVerify accepts: half the hash, as RFC 2104 section 5 advises. */
export const MIN_TAG = 16;

/**
 * A key's HMAC pads: its bytes XOR 0x36 (inner) and XOR 0x5c (outer), each padded to the 64-byte
 * block. Built with native fills and a loop over the key's own bytes only (16 or 32, not 128):
 * on the board an interpreted loop over 64 bytes costs about 40 ms. A caller that MACs often
 * under one key keeps its pads (they are as secret as the key) and calls hmacWithPads.
 */
export interface HmacPads {
  i: Uint8Array;
  o: Uint8Array;
}

/** Pads of a key of at most 64 bytes (hmacSha256 hashes a longer one first). */
export function hmacPads(k: Uint8Array): HmacPads {
  const i = new Uint8Array(64), o = new Uint8Array(64);
  i.fill(0x36);
  o.fill(0x5c);
  for (let j = 0; j < k.length; j++) { i[j] ^= k[j]; o[j] ^= k[j]; }
  return { i, o };
}

/** HMAC-SHA256 under precomputed pads: two native SHA-256 calls and native copies, no loop. */
export function hmacWithPads(sha256: Sha256, pads: HmacPads, data: Uint8Array): Uint8Array {
  const n = data.length;
  // The inner pad, then the message (inner pass) or the inner hash (outer pass).
  const buf = new Uint8Array(64 + (n > 32 ? n : 32));
  buf.set(pads.i);
  buf.set(data, 64);
  const inner = sha256(buf.subarray(0, 64 + n));
  buf.set(pads.o);
  buf.set(inner, 64);
  const mac = sha256(buf.subarray(0, 96));
  buf.fill(0); // the padded key is as secret as the key
  return mac;
}

/** HMAC-SHA256(key, data): 32 bytes. Keys longer than the 64-byte block are hashed first. */
export function hmacSha256(sha256: Sha256, key: Uint8Array, data: Uint8Array): Uint8Array {
  const pads = hmacPads(key.length > 64 ? sha256(key) : key);
  const mac = hmacWithPads(sha256, pads, data);
  pads.i.fill(0);
  pads.o.fill(0);
  return mac;
}

/**
 * True when `tag` is HMAC-SHA256(key, data) or its first tag.length bytes (MIN_TAG..32),
 * compared in constant time. Shorter or longer tags are refused.
 */
export function hmacVerify(sha256: Sha256, key: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean {
  const mac = hmacSha256(sha256, key, data);
  const len = tag.length;
  return equalConstantTime(mac.subarray(0, len), tag) && len >= MIN_TAG && len <= 32;
}
