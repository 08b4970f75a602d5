/**
 * AES-CMAC (RFC 4493) over AES-128-CBC, and the cipher shape the card code uses: either the
 * board's native AES (Crypto port) or firmware/aes.ts.
 *
 * CMAC is CBC-MAC with the last block XORed with a subkey: one CBC call over the padded message
 * (native AES does every block in C), then its last block. The subkeys (K1, K2) of the last key
 * used are kept, so a fixed key (the site's card master key) pays their AES block and shifts once.
 * Must not: pick the cipher itself (the caller passes it), modify a key array it was given (the
 * subkey cache is keyed by the array itself), or compare MACs with `===` (use equalConstantTime).
 */

/**
 * AES-128 in CBC mode over whole 16-byte blocks, no padding. `iv` absent = all zero, so one block
 * is plain ECB. Returns a new array the length of `data`.
 */
export interface BlockCipher {
  encrypt(key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array;
}

/** Doubling in GF(2^128) (RFC 4493 subkey step): `b` (16 bytes at `from`) doubled into `o` at `to`. */
function dbl(b: Uint8Array, from: number, o: Uint8Array, to: number): void {
  for (let i = 0; i < 15; i++) o[to + i] = ((b[from + i] << 1) | (b[from + i + 1] >> 7)) & 255;
  o[to + 15] = ((b[from + 15] << 1) & 255) ^ (b[from] & 128 ? 0x87 : 0);
}

/** The key whose subkeys are kept, and K1 || K2. */
let subKey: Uint8Array | undefined;
let subkeys: Uint8Array;

/** K1 || K2 of `key` (32 bytes; kept for the last key). */
export function cmacSubkeys(c: BlockCipher, key: Uint8Array): Uint8Array {
  if (key !== subKey) {
    const l = c.encrypt(key, new Uint8Array(16));
    const k = new Uint8Array(32);
    dbl(l, 0, k, 0);
    dbl(k, 0, k, 16);
    subkeys = k;
    subKey = key;
  }
  return subkeys;
}

/**
 * CMAC's last step over `buf`, a message already padded to whole blocks (0x80 00.. after it unless
 * `complete`: its last block was full): XORs the subkey into the last block, in place, and returns
 * the MAC (a view of 16 bytes).
 */
export function cmacPadded(c: BlockCipher, key: Uint8Array, buf: Uint8Array, complete: boolean): Uint8Array {
  const k = cmacSubkeys(c, key);
  const n = buf.length - 16;
  const o = complete ? 0 : 16;
  for (let i = 0; i < 16; i++) buf[n + i] ^= k[o + i];
  return c.encrypt(key, buf).subarray(n);
}

/**
 * CMAC of msg under key. `minBlocks` (optional) pads short messages to that many blocks the
 * CMAC way (0x80 00.., subkey K2): AN10922 diversification uses 2; RFC 4493 is 1 (the default).
 */
export function cmac(c: BlockCipher, key: Uint8Array, msg: Uint8Array, minBlocks?: number): Uint8Array {
  const len = msg.length;
  let n = (len + 15) >> 4;
  if (n < 1) n = 1;
  if (minBlocks && n < minBlocks) n = minBlocks;
  const buf = new Uint8Array(n * 16);
  buf.set(msg);
  const complete = len > 0 && len === n * 16;
  if (!complete) buf[len] = 0x80;
  return cmacPadded(c, key, buf, complete);
}
