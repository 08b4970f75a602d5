/**
 * require('crypto') inside the sim, as the board's Espruino build has it (shared/espruino-dialect.md):
 * SHA1/SHA256 returning an ArrayBuffer; AES (CBC default with a zero IV, ECB, CTR from counter 0
 * ignoring iv, CFB-8), no padding, a bad length prints an error and returns undefined.
 * AES is absent when the board file says crypto.aes = false. No HMAC, no PBKDF2 (the board has none).
 */
import * as nodeCrypto from 'node:crypto';
import { toBytes } from './storage';
import type { Realm } from './realm';
import type { Heap } from './globals';

/** What the interpreter prints when a native result finds no contiguous free block (then it returns undefined). */
export const NO_ROOM = 'ERROR: Not enough memory for result';

export function cryptoModule(realm: Realm, hasAes: boolean, printError: (line: string) => void, heap: Heap = { fragmented: false }): object {
  const room = () => {
    if (heap.fragmented && heap.spare) { heap.spare--; return true; }
    if (heap.fragmented) printError(NO_ROOM);
    return !heap.fragmented;
  };
  const hash = (algo: string) => (data: unknown) => (room() ? realm.arrayBuffer(nodeCrypto.createHash(algo).update(toBytes(data)).digest()) : undefined);
  const mod: Record<string, unknown> = { SHA1: hash('sha1'), SHA256: hash('sha256') };
  if (hasAes) {
    mod.AES = {
      encrypt: (data: unknown, key: unknown, options?: { iv?: unknown; mode?: string }) => (room() ? aes(realm, true, data, key, options, printError) : undefined),
      decrypt: (data: unknown, key: unknown, options?: { iv?: unknown; mode?: string }) => (room() ? aes(realm, false, data, key, options, printError) : undefined),
    };
  }
  return realm.plain(mod);
}

function aes(realm: Realm, encrypt: boolean, dataIn: unknown, keyIn: unknown, options: { iv?: unknown; mode?: string } | undefined,
  printError: (line: string) => void): ArrayBuffer | undefined {
  const data = toBytes(dataIn);
  const key = toBytes(keyIn);
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw realm.error('Invalid key length');
  const mode = String((options && options.mode) || 'CBC').toUpperCase();
  const bits = key.length * 8;
  let cipher: string;
  let iv: Uint8Array | null = new Uint8Array(16);
  if (mode === 'ECB') { cipher = `aes-${bits}-ecb`; iv = null; }
  else if (mode === 'CBC') cipher = `aes-${bits}-cbc`;
  else if (mode === 'CTR') cipher = `aes-${bits}-ctr`; // the board ignores iv: the counter starts at 0
  else if (mode === 'CFB') cipher = `aes-${bits}-cfb8`;
  else throw realm.error('Unknown AES mode ' + mode);
  if ((mode === 'CBC' || mode === 'CFB') && options && options.iv !== undefined) {
    const given = toBytes(options.iv);
    iv = new Uint8Array(16);
    iv.set(given.subarray(0, 16));
  }
  if ((mode === 'ECB' || mode === 'CBC') && data.length % 16 !== 0) {
    printError('ERROR: Message length must be a multiple of 16 bytes');
    return undefined;
  }
  const c = encrypt ? nodeCrypto.createCipheriv(cipher, key, iv) : nodeCrypto.createDecipheriv(cipher, key, iv);
  c.setAutoPadding(false);
  return realm.arrayBuffer(Buffer.concat([c.update(data), c.final()]));
}
