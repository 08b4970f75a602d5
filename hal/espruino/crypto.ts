/** Crypto port on Espruino: crypto.SHA256 everywhere; AES-128-ECB only where the board's build has it. */
import type { Crypto } from '../ports';

export function espruinoCrypto(hasAes: boolean): Crypto {
  const c = require('crypto');
  const port: Crypto = { sha256: (data) => new Uint8Array(c.SHA256(data)), crc32: (s) => E.CRC32(s) };
  const aes = c.AES;
  if (hasAes && aes) {
    // The build prints an error and returns undefined (no throw) on a bad length: turn that into a throw.
    port.aesEncryptBlock = (key, block) => {
      const r = aes.encrypt(block, key, { mode: 'ECB' });
      if (!r) throw new Error('AES');
      return new Uint8Array(r);
    };
    port.aesDecryptBlock = (key, block) => {
      const r = aes.decrypt(block, key, { mode: 'ECB' });
      if (!r) throw new Error('AES');
      return new Uint8Array(r);
    };
  }
  return port;
}
