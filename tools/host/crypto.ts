/**
 * The host's crypto behind the firmware's ports: SHA-256 and CRC-32 (the `Crypto` port) and AES-128
 * block encryption (firmware/cmac's `BlockCipher`) from Node's crypto (CRC-32: tools/host/bytes.ts), for everything on the host
 * that runs firmware code or writes its formats: provisioning, the simulator's peripherals,
 * benches and tests. Node only (the web pages use WebCrypto).
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { crc32 } from './bytes';
import type { Crypto } from '../../firmware/ports';
import type { BlockCipher } from '../../firmware/cmac';

export const hostCrypto: Crypto = {
  sha256: (d) => new Uint8Array(createHash('sha256').update(d).digest()),
  crc32: (s) => crc32(s), // the one CRC-32 (tools/host/bytes.ts), as E.CRC32
};

export const hostCipher: BlockCipher = {
  encrypt: (k, b) => { const c = createCipheriv('aes-128-ecb', k, null); c.setAutoPadding(false); return new Uint8Array(Buffer.concat([c.update(b), c.final()])); },
  decrypt: (k, b) => { const c = createDecipheriv('aes-128-ecb', k, null); c.setAutoPadding(false); return new Uint8Array(Buffer.concat([c.update(b), c.final()])); },
};

/** The Crypto port with the host's AES-128 blocks too, as a board whose Espruino build has AES offers it. */
export function hostCryptoWithAes(): Crypto {
  return { ...hostCrypto, aesEncryptBlock: hostCipher.encrypt, aesDecryptBlock: hostCipher.decrypt };
}
