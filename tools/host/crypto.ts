/**
 * The host's crypto behind the firmware's ports: SHA-256 and CRC-32 (the `Crypto` port) and AES-128
 * block encryption (firmware/cmac's `BlockCipher`) from Node's crypto and zlib, for everything on the host
 * that runs firmware code or writes its formats: provisioning, the simulator's peripherals,
 * benches and tests. Node only (the web pages use WebCrypto).
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import type { Crypto } from '../../firmware/ports';
import type { BlockCipher } from '../../firmware/cmac';

export const hostCrypto: Crypto = {
  sha256: (d) => new Uint8Array(createHash('sha256').update(d).digest()),
  // zlib's CRC-32 is tools/host/bytes.ts crc32 (E.CRC32's) computed natively: 3x faster power-cut tests.
  crc32: (s) => zlib.crc32(Buffer.from(s, 'latin1')) >>> 0,
};

/** AES-128-CBC over whole blocks, zero IV by default (firmware/cmac.ts BlockCipher). */
export const hostCipher: BlockCipher = {
  encrypt: (k, b, iv) => { const c = createCipheriv('aes-128-cbc', k, iv || new Uint8Array(16)); c.setAutoPadding(false); return new Uint8Array(Buffer.concat([c.update(b), c.final()])); },
  decrypt: (k, b, iv) => { const c = createDecipheriv('aes-128-cbc', k, iv || new Uint8Array(16)); c.setAutoPadding(false); return new Uint8Array(Buffer.concat([c.update(b), c.final()])); },
};

/** The Crypto port with the host's AES-128-CBC too, as a board whose Espruino build has AES offers it. */
export function hostCryptoWithAes(): Crypto {
  return { ...hostCrypto, aesEncryptBlock: hostCipher.encrypt, aesDecryptBlock: hostCipher.decrypt };
}
