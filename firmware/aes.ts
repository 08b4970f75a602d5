/**
 * AES-128-CBC over whole blocks (one block with no IV = ECB), in plain JavaScript: the fallback for
 * boards whose Espruino build has no AES (MDBT42Q). Same shape as the Crypto port's
 * aesEncryptBlock/aesDecryptBlock (firmware/cmac.ts BlockCipher), so either serves the card code.
 *
 * Table-light: S-box, inverse S-box and xtime (3 x 256 bytes) are computed on first use; each
 * round does SubBytes+ShiftRows+MixColumns+AddRoundKey in one pass per column (Espruino interprets
 * source, so fewer executed statements is what makes it fast). The expanded key of the last key
 * used is cached (one 176-byte buffer). Not constant-time (table look-ups): fine for a reader that
 * authenticates cards, not for a side-channel-exposed oracle.
 * Must not: use Espruino globals, or be used where the board has native AES.
 */

let SB: Uint8Array | undefined;
let SI: Uint8Array;
let X: Uint8Array;
const RK = new Uint8Array(176);
let LK: Uint8Array | undefined;

function tables(): void {
  const s = new Uint8Array(256);
  const v = new Uint8Array(256);
  const x = new Uint8Array(256);
  for (let i = 0; i < 256; i++) x[i] = (i << 1) ^ (i & 128 ? 0x1b : 0);
  let p = 1;
  let q = 1;
  // p runs over GF(2^8)* by powers of 3, q = 1/p; the S-box is the affine map of q (FIPS-197 5.1.1).
  do {
    p ^= x[p];
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 255;
    if (q & 128) q ^= 9;
    const a = q ^ (((q << 1) | (q >> 7)) & 255) ^ (((q << 2) | (q >> 6)) & 255) ^ (((q << 3) | (q >> 5)) & 255) ^ (((q << 4) | (q >> 4)) & 255) ^ 0x63;
    s[p] = a;
    v[a] = p;
  } while (p !== 1);
  s[0] = 0x63;
  v[0x63] = 0;
  SB = s;
  SI = v;
  X = x;
}

function expand(key: Uint8Array): void {
  if (!SB) tables();
  const s = SB as Uint8Array;
  const lk = LK;
  if (lk && lk[0] === key[0] && lk[1] === key[1] && lk[2] === key[2] && lk[3] === key[3] && lk[4] === key[4] && lk[5] === key[5] &&
    lk[6] === key[6] && lk[7] === key[7] && lk[8] === key[8] && lk[9] === key[9] && lk[10] === key[10] && lk[11] === key[11] &&
    lk[12] === key[12] && lk[13] === key[13] && lk[14] === key[14] && lk[15] === key[15]) return;
  let rc = 1;
  RK.set(key);
  for (let i = 16; i < 176; i += 4) {
    let a = RK[i - 4], b = RK[i - 3], c = RK[i - 2], d = RK[i - 1];
    if ((i & 15) === 0) {
      const t = a;
      a = s[b] ^ rc; b = s[c]; c = s[d]; d = s[t];
      rc = X[rc];
    }
    RK[i] = RK[i - 16] ^ a; RK[i + 1] = RK[i - 15] ^ b; RK[i + 2] = RK[i - 14] ^ c; RK[i + 3] = RK[i - 13] ^ d;
  }
  LK = new Uint8Array(key);
}

/**
 * AES-128-CBC encryption of whole 16-byte blocks (`iv` absent = zero: one block is ECB), as the
 * BlockCipher of firmware/cmac.ts. Returns a new array. The chaining XOR is folded into the first
 * AddRoundKey. State is column-major: st[4*col+row].
 */
export function aesEncryptBlock(key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  expand(key);
  const S = SB as Uint8Array;
  const out = new Uint8Array(data.length);
  let x = iv;
  for (let o = 0; o < data.length; o += 16) {
    let s = new Uint8Array(16);
    let d = new Uint8Array(16);
    for (let i = 0; i < 16; i++) s[i] = data[o + i] ^ RK[i] ^ (x ? x[i] : 0);
    for (let k = 16; k < 176; k += 16) {
      for (let c = 0; c < 16; c += 4) {
        // SubBytes + ShiftRows: row j of column c/4 comes from column c/4 + j.
        const a0 = S[s[c]], a1 = S[s[(c + 5) & 15]], a2 = S[s[(c + 10) & 15]], a3 = S[s[(c + 15) & 15]];
        if (k < 160) {
          const t = a0 ^ a1 ^ a2 ^ a3;
          d[c] = a0 ^ t ^ X[a0 ^ a1] ^ RK[k + c];
          d[c + 1] = a1 ^ t ^ X[a1 ^ a2] ^ RK[k + c + 1];
          d[c + 2] = a2 ^ t ^ X[a2 ^ a3] ^ RK[k + c + 2];
          d[c + 3] = a3 ^ t ^ X[a3 ^ a0] ^ RK[k + c + 3];
        } else {
          d[c] = a0 ^ RK[k + c]; d[c + 1] = a1 ^ RK[k + c + 1]; d[c + 2] = a2 ^ RK[k + c + 2]; d[c + 3] = a3 ^ RK[k + c + 3];
        }
      }
      const t = s;
      s = d;
      d = t;
    }
    out.set(s, o);
    x = s;
  }
  return out;
}

/** AES-128-CBC decryption of whole 16-byte blocks (`iv` absent = zero). Returns a new array. */
export function aesDecryptBlock(key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  expand(key);
  const out = new Uint8Array(data.length);
  for (let o = 0; o < data.length; o += 16) {
    let s = new Uint8Array(16);
    let d = new Uint8Array(16);
    for (let i = 0; i < 16; i++) s[i] = data[o + i] ^ RK[160 + i];
    for (let k = 144; k >= 0; k -= 16) {
      for (let c = 0; c < 16; c += 4) {
        // InvShiftRows + InvSubBytes + AddRoundKey: row j of column c/4 comes from column c/4 - j.
        let a0 = SI[s[c]] ^ RK[k + c], a1 = SI[s[(c + 13) & 15]] ^ RK[k + c + 1];
        let a2 = SI[s[(c + 10) & 15]] ^ RK[k + c + 2], a3 = SI[s[(c + 7) & 15]] ^ RK[k + c + 3];
        if (k) {
          // InvMixColumns = MixColumns after multiplying rows 0/2 and 1/3 by x^2 (u, v).
          const u = X[X[a0 ^ a2]], v = X[X[a1 ^ a3]];
          a0 ^= u; a1 ^= v; a2 ^= u; a3 ^= v;
          const t = a0 ^ a1 ^ a2 ^ a3;
          d[c] = a0 ^ t ^ X[a0 ^ a1];
          d[c + 1] = a1 ^ t ^ X[a1 ^ a2];
          d[c + 2] = a2 ^ t ^ X[a2 ^ a3];
          d[c + 3] = a3 ^ t ^ X[a3 ^ a0];
        } else {
          // The chaining XOR: the previous ciphertext block (or the IV).
          const p = o ? data.subarray(o - 16, o) : iv;
          d[c] = a0 ^ (p ? p[c] : 0); d[c + 1] = a1 ^ (p ? p[c + 1] : 0); d[c + 2] = a2 ^ (p ? p[c + 2] : 0); d[c + 3] = a3 ^ (p ? p[c + 3] : 0);
        }
      }
      const t = s;
      s = d;
      d = t;
    }
    out.set(s, o);
  }
  return out;
}
