/**
 * HMAC-SHA256 (RFC 2104) on top of the Crypto port's sha256 (crypto.SHA256 on the board, which
 * has no HMAC of its own). One working buffer per call serves both the inner and the outer hash.
 * Must not: keep key material in module state, or compare MACs other than in constant time.
 */
import { equalConstantTime } from './bytes';

/** The shape of Crypto.sha256 in firmware/ports.ts. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** Shortest tag hmacVerify accepts: half the hash, as RFC 2104 section 5 advises. */
export const MIN_TAG = 16;

/** HMAC-SHA256(key, data): 32 bytes. Keys longer than the 64-byte block are hashed first. */
export function hmacSha256(sha256: Sha256, key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = key.length > 64 ? sha256(key) : key;
  const n = data.length;
  // 64 bytes of padded key, then the message (inner pass) or the inner hash (outer pass).
  const buf = new Uint8Array(64 + (n > 32 ? n : 32));
  for (let i = 0; i < 64; i++) buf[i] = (k[i] | 0) ^ 0x36;
  buf.set(data, 64);
  const inner = sha256(buf.subarray(0, 64 + n));
  for (let i = 0; i < 64; i++) buf[i] = (k[i] | 0) ^ 0x5c;
  buf.set(inner, 64);
  const mac = sha256(buf.subarray(0, 96));
  buf.fill(0); // the padded key is as secret as the key
  return mac;
}

/**
 * True when `tag` is HMAC-SHA256(key, data) or its first tag.length bytes (MIN_TAG..32),
 * compared in constant time. Shorter or longer tags are refused.
 */
export function hmacVerify(sha256: Sha256, key: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean {
  const mac = hmacSha256(sha256, key, data);
  const len = tag.length;
  return equalConstantTime(mac, tag, len) && len >= MIN_TAG && len <= 32;
}
