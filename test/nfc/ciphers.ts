/** The two block ciphers card tests run with: the JS fallback (firmware/aes.ts) and node:crypto standing in for a board's native AES. */
import * as crypto from 'node:crypto';
import { aesDecryptBlock, aesEncryptBlock } from '../../firmware/aes';
import type { BlockCipher } from '../../firmware/cmac';

export const soft: BlockCipher = { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock };

export function ecb(enc: boolean, key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = enc ? crypto.createCipheriv('aes-128-ecb', key, null) : crypto.createDecipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}

/** Stands in for a board's native AES (Crypto port aesEncryptBlock/aesDecryptBlock). */
export const native: BlockCipher = { encrypt: (k, b) => ecb(true, k, b), decrypt: (k, b) => ecb(false, k, b) };
