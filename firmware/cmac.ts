/**
 * AES-CMAC (RFC 4493) over any 16-byte block cipher, and the block-cipher shape the card code
 * uses: either the board's native AES (Crypto port) or firmware/aes.ts.
 * Must not: pick the cipher itself (the caller passes it), or compare MACs with `===` (use equalConstantTime from bytes.ts).
 */

/** One-block AES-128 in ECB; returns a new 16-byte array. */
export interface BlockCipher {
  encrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
}

/** Doubling in GF(2^128) (RFC 4493 subkey step), in place. */
function dbl(b: Uint8Array): void {
  const msb = b[0] & 128;
  for (let i = 0; i < 15; i++) b[i] = ((b[i] << 1) | (b[i + 1] >> 7)) & 255;
  b[15] = ((b[15] << 1) & 255) ^ (msb ? 0x87 : 0);
}

/**
 * CMAC of msg under key. `minBlocks` (optional) pads short messages to that many blocks the
 * CMAC way (0x80 00.., subkey K2): AN10922 diversification uses 2; RFC 4493 is 1 (the default).
 */
export function cmac(c: BlockCipher, key: Uint8Array, msg: Uint8Array, minBlocks?: number): Uint8Array {
  const k = c.encrypt(key, new Uint8Array(16));
  dbl(k);
  const len = msg.length;
  let n = (len + 15) >> 4;
  if (n < 1) n = 1;
  if (minBlocks && n < minBlocks) n = minBlocks;
  const complete = len > 0 && len === n * 16;
  if (!complete) dbl(k);
  let x: Uint8Array = new Uint8Array(16);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < 16; i++) {
      const j = b * 16 + i;
      let m = j < len ? msg[j] : j === len ? 128 : 0;
      if (b === n - 1) m ^= k[i];
      x[i] ^= m;
    }
    x = c.encrypt(key, x);
  }
  return x;
}
