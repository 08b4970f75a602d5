/** AES-128 ECB on one block through node:crypto, as a firmware BlockCipher (card key diversification in tests). */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { BlockCipher } from '../../firmware/cmac';

const ecb = (decrypt: boolean) => (k: Uint8Array, b: Uint8Array) => {
  const c = decrypt ? createDecipheriv('aes-128-ecb', k, null) : createCipheriv('aes-128-ecb', k, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(b), c.final()]));
};

export const hostCipherForTest: BlockCipher = { encrypt: ecb(false), decrypt: ecb(true) };
