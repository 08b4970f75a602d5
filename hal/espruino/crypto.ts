/** Crypto port on Espruino: crypto.SHA256 everywhere; AES-128-CBC only where the board's build has it. */
import type { Crypto } from '../../firmware/ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
//
// A native SHA-256 or AES result needs one contiguous, aligned run of free variables. Near the top
// of a Puck.js's memory the free list can be too fragmented for that even after the garbage
// collection the call runs itself: the call then prints "ERROR: Not enough memory for result" and
// returns undefined. A wrong digest would refuse a genuine key (and count it towards a lockout), so
// each call is retried once after E.defrag() (slow, but rare), and throws if it still has no room.
const CR = require('crypto');

function sha256(data: Uint8Array): Uint8Array {
  let r = CR.SHA256(data);
  if (!r) { E.defrag(); r = CR.SHA256(data); }
  if (!r) throw new Error('SHA256: no memory');
  return new Uint8Array(r);
}

function aesBlock(encrypt: boolean, key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  // Static methods of Espruino's AES class: called without their object, as E.CRC32 is.
  const f = encrypt ? CR.AES!.encrypt : CR.AES!.decrypt;
  // CBC is the build's default mode, with a zero IV when none is given.
  const o = iv ? { iv: iv } : undefined;
  let r = f(data, key, o);
  if (!r) { E.defrag(); r = f(data, key, o); }
  // Also a bad length: the build prints an error and returns undefined (no throw) for that too.
  if (!r) throw new Error('AES');
  return new Uint8Array(r);
}

const port: Crypto = {
  sha256,
  crc32: E.CRC32, // E's own (a static method): 2 variables where a forwarding arrow costs ~6
};

function aesEncrypt(key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  return aesBlock(true, key, data, iv);
}

function aesDecrypt(key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  return aesBlock(false, key, data, iv);
}

/** The crypto port; AES only where the board's build has it, and only in builds with keycards (its only user). */
export function espruinoCrypto(hasAes: boolean): Crypto {
  if (__NFC__ && hasAes && CR.AES) {
    port.aesEncryptBlock = aesEncrypt;
    port.aesDecryptBlock = aesDecrypt;
  }
  return port;
}
