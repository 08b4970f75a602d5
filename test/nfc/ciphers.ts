/** The two block ciphers card tests run with: the JS fallback (firmware/aes.ts) and node:crypto standing in for a board's native AES. */
import { aesDecryptBlock, aesEncryptBlock } from '../../firmware/aes';
import type { BlockCipher } from '../../firmware/cmac';
import { hostCipher } from '../../tools/host/crypto';

export const soft: BlockCipher = { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock };

/** One AES-128 block with the host's AES (tools/host/crypto.ts). */
export function ecb(enc: boolean, key: Uint8Array, block: Uint8Array): Uint8Array {
  return enc ? hostCipher.encrypt(key, block) : hostCipher.decrypt(key, block);
}

/** Stands in for a board's native AES (Crypto port aesEncryptBlock/aesDecryptBlock). */
export const native: BlockCipher = hostCipher;
