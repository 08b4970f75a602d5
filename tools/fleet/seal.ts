/**
 * Secrets at rest in the fleet registry: one key from the passphrase (the site file's scrypt,
 * tools/host/provision/sitefile.ts deriveKey / checkKdf, salt and parameters kept in the registry's meta
 * table), then each secret value sealed on its own with AES-256-GCM: a fresh 12-byte IV per value,
 * and its place (table, column, row) as additional data, so a sealed value moved to another row or
 * column fails to open. Layout of a sealed value: iv(12) | ciphertext | tag(16).
 * A known "check" value sealed at creation tells a wrong passphrase from a damaged registry.
 * Not here: which values are secret (registry.ts decides: site secret, card master, setup codes).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type KdfParams, checkKdf, deriveKey } from '../host/provision/sitefile';
import { CliError } from '../host/cli-error';

export interface Sealer {
  seal(plain: Uint8Array, place: string): Buffer;
  open(sealed: Uint8Array, place: string): Uint8Array;
  /** Forgets the key (overwrites it). */
  close(): void;
}

export function sealerFor(passphrase: string, salt: Buffer, kdf: KdfParams): Sealer {
  if (!passphrase) throw new CliError('an empty passphrase is not allowed');
  const key = deriveKey(passphrase, salt, checkKdf(kdf));
  return {
    seal(plain, place) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(place, 'utf8'));
      const ct = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, ct, c.getAuthTag()]);
    },
    open(sealed, place) {
      const b = Buffer.from(sealed);
      if (b.length < 28) throw new CliError('the registry is damaged (' + place + ' is too short)');
      try {
        const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
        d.setAAD(Buffer.from(place, 'utf8'));
        d.setAuthTag(b.subarray(b.length - 16));
        return new Uint8Array(Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]));
      } catch {
        throw new CliError('cannot open ' + place + ': wrong passphrase, or the registry was modified (authentication failed)');
      }
    },
    close() { key.fill(0); },
  };
}
