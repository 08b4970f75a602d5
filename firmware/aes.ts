/**
 * AES-128-CBC over whole blocks (one block with no IV = ECB), in plain JavaScript: the fallback for
 * boards whose Espruino build has no AES (xiaoble; MDBT42Q). Same shape as the Crypto port's
 * aesEncryptBlock/aesDecryptBlock (firmware/cmac.ts BlockCipher), so either serves the card code.
 *
 * Table-driven on 32-bit words: the state is four column words in local variables, and a round is
 * four statements, each four look-ups in one 256-word table (SubBytes and MixColumns together,
 * rotated for the other rows) and XORs: Espruino interprets source, so fewer executed tokens is
 * what makes it fast (measured in the interpreter: ~0.9 ms of host time a block, against ~7.6 ms
 * for the byte-by-byte version this replaced). Decryption is the equivalent inverse cipher
 * (FIPS-197 5.3.5) on its own table. Tables are built on first use and kept: S-box and inverse
 * (2 x 256 B), the two word tables (2 x 1 KB), the last key's schedules (2 x 176 B), about 230
 * variables. CBC chaining is done on the words. Not constant-time (table look-ups): fine for a
 * reader that authenticates cards, not for a side-channel-exposed oracle.
 * Must not: use Espruino globals, be used where the board has native AES, or be given a key array
 * that is later modified in place (the schedule is kept for the array itself).
 */

let SB: Uint8Array | undefined;
let SI: Uint8Array;
/** Encryption word table: SubBytes then MixColumns of one byte, row 0 in the top byte. */
let TE: Int32Array;
/** Decryption word table: InvSubBytes then InvMixColumns of one byte. */
let TD: Int32Array;
/** The key whose schedules are kept, its encryption schedule, and its decryption one (made on first decrypt). */
let LK: Uint8Array | undefined;
const EK = new Int32Array(44);
let DK: Int32Array | undefined;

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
  const te = new Int32Array(256);
  const td = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    // MixColumns column of byte b in row 0: 2b, b, b, 3b; InvMixColumns: 14b, 9b, 13b, 11b.
    const b = s[i], b2 = x[b];
    te[i] = (b2 << 24) | (b << 16) | (b << 8) | (b2 ^ b);
    const c = v[i], c2 = x[c], c4 = x[c2], c8 = x[c4];
    td[i] = ((c8 ^ c4 ^ c2) << 24) | ((c8 ^ c) << 16) | ((c8 ^ c4 ^ c) << 8) | (c8 ^ c2 ^ c);
  }
  SB = s;
  SI = v;
  TE = te;
  TD = td;
}

function expand(key: Uint8Array): void {
  if (key === LK) return;
  if (!SB) tables();
  const s = SB as Uint8Array;
  for (let i = 0; i < 4; i++) EK[i] = (key[4 * i] << 24) | (key[4 * i + 1] << 16) | (key[4 * i + 2] << 8) | key[4 * i + 3];
  let rc = 1;
  for (let i = 4; i < 44; i++) {
    let t = EK[i - 1];
    if ((i & 3) === 0) {
      t = ((s[(t >>> 16) & 255] << 24) | (s[(t >>> 8) & 255] << 16) | (s[t & 255] << 8) | s[t >>> 24]) ^ (rc << 24);
      rc = (rc << 1) ^ (rc & 128 ? 0x11b : 0);
    }
    EK[i] = EK[i - 4] ^ t;
  }
  DK = undefined;
  LK = key;
}

/** The equivalent inverse cipher's schedule: round keys in reverse, the middle ones through InvMixColumns. */
function expandDecrypt(): Int32Array {
  const d = new Int32Array(44);
  const s = SB as Uint8Array, t = TD;
  let v: number;
  for (let r = 0; r < 44; r += 4) {
    for (let j = 0; j < 4; j++) {
      const w = EK[40 - r + j];
      // InvMixColumns(w) = TD of SubBytes(w): the table's InvSubBytes undoes it.
      d[r + j] = r === 0 || r === 40 ? w
        : t[s[w >>> 24]] ^ (v = t[s[(w >>> 16) & 255]], (v >>> 8) | (v << 24)) ^ (v = t[s[(w >>> 8) & 255]], (v >>> 16) | (v << 16)) ^ (v = t[s[w & 255]], (v >>> 24) | (v << 8));
    }
  }
  return d;
}

/** Big-endian word of data at o. */
function word(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function put(out: Uint8Array, o: number, a: number, c: number, d: number, e: number): void {
  out[o] = a >>> 24; out[o + 1] = a >>> 16; out[o + 2] = a >>> 8; out[o + 3] = a;
  out[o + 4] = c >>> 24; out[o + 5] = c >>> 16; out[o + 6] = c >>> 8; out[o + 7] = c;
  out[o + 8] = d >>> 24; out[o + 9] = d >>> 16; out[o + 10] = d >>> 8; out[o + 11] = d;
  out[o + 12] = e >>> 24; out[o + 13] = e >>> 16; out[o + 14] = e >>> 8; out[o + 15] = e;
}

/**
 * AES-128-CBC encryption of whole 16-byte blocks (`iv` absent = zero: one block is ECB). Returns a
 * new array. Column words: a, c, d, e; row r of a new column j comes from column j + r.
 */
export function aesEncryptBlock(key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  expand(key);
  const T = TE, S = SB as Uint8Array, K = EK;
  const out = new Uint8Array(data.length);
  let f = iv ? word(iv, 0) : 0, g = iv ? word(iv, 4) : 0, h = iv ? word(iv, 8) : 0, j = iv ? word(iv, 12) : 0;
  let v: number;
  for (let o = 0; o < data.length; o += 16) {
    let a = word(data, o) ^ f ^ K[0], c = word(data, o + 4) ^ g ^ K[1], d = word(data, o + 8) ^ h ^ K[2], e = word(data, o + 12) ^ j ^ K[3];
    for (let r = 4; r < 40; r += 4) {
      f = T[a >>> 24] ^ (v = T[(c >>> 16) & 255], (v >>> 8) | (v << 24)) ^ (v = T[(d >>> 8) & 255], (v >>> 16) | (v << 16)) ^ (v = T[e & 255], (v >>> 24) | (v << 8)) ^ K[r];
      g = T[c >>> 24] ^ (v = T[(d >>> 16) & 255], (v >>> 8) | (v << 24)) ^ (v = T[(e >>> 8) & 255], (v >>> 16) | (v << 16)) ^ (v = T[a & 255], (v >>> 24) | (v << 8)) ^ K[r + 1];
      h = T[d >>> 24] ^ (v = T[(e >>> 16) & 255], (v >>> 8) | (v << 24)) ^ (v = T[(a >>> 8) & 255], (v >>> 16) | (v << 16)) ^ (v = T[c & 255], (v >>> 24) | (v << 8)) ^ K[r + 2];
      j = T[e >>> 24] ^ (v = T[(a >>> 16) & 255], (v >>> 8) | (v << 24)) ^ (v = T[(c >>> 8) & 255], (v >>> 16) | (v << 16)) ^ (v = T[d & 255], (v >>> 24) | (v << 8)) ^ K[r + 3];
      a = f; c = g; d = h; e = j;
    }
    // Last round: SubBytes and ShiftRows only.
    f = ((S[a >>> 24] << 24) | (S[(c >>> 16) & 255] << 16) | (S[(d >>> 8) & 255] << 8) | S[e & 255]) ^ K[40];
    g = ((S[c >>> 24] << 24) | (S[(d >>> 16) & 255] << 16) | (S[(e >>> 8) & 255] << 8) | S[a & 255]) ^ K[41];
    h = ((S[d >>> 24] << 24) | (S[(e >>> 16) & 255] << 16) | (S[(a >>> 8) & 255] << 8) | S[c & 255]) ^ K[42];
    j = ((S[e >>> 24] << 24) | (S[(a >>> 16) & 255] << 16) | (S[(c >>> 8) & 255] << 8) | S[d & 255]) ^ K[43];
    put(out, o, f, g, h, j);
  }
  return out;
}

/** AES-128-CBC decryption of whole 16-byte blocks (`iv` absent = zero). Returns a new array. Row r of column j comes from column j - r. */
export function aesDecryptBlock(key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  expand(key);
  const K = DK || (DK = expandDecrypt());
  const T = TD, S = SI;
  const out = new Uint8Array(data.length);
  let f: number, g: number, h: number, j: number, v: number;
  for (let o = 0; o < data.length; o += 16) {
    let a = word(data, o) ^ K[0], c = word(data, o + 4) ^ K[1], d = word(data, o + 8) ^ K[2], e = word(data, o + 12) ^ K[3];
    for (let r = 4; r < 40; r += 4) {
      f = T[a >>> 24] ^ (v = T[(e >>> 16) & 255], (v >>> 8) | (v << 24)) ^ (v = T[(d >>> 8) & 255], (v >>> 16) | (v << 16)) ^ (v = T[c & 255], (v >>> 24) | (v << 8)) ^ K[r];
      g = T[c >>> 24] ^ (v = T[(a >>> 16) & 255], (v >>> 8) | (v << 24)) ^ (v = T[(e >>> 8) & 255], (v >>> 16) | (v << 16)) ^ (v = T[d & 255], (v >>> 24) | (v << 8)) ^ K[r + 1];
      h = T[d >>> 24] ^ (v = T[(c >>> 16) & 255], (v >>> 8) | (v << 24)) ^ (v = T[(a >>> 8) & 255], (v >>> 16) | (v << 16)) ^ (v = T[e & 255], (v >>> 24) | (v << 8)) ^ K[r + 2];
      j = T[e >>> 24] ^ (v = T[(d >>> 16) & 255], (v >>> 8) | (v << 24)) ^ (v = T[(c >>> 8) & 255], (v >>> 16) | (v << 16)) ^ (v = T[a & 255], (v >>> 24) | (v << 8)) ^ K[r + 3];
      a = f; c = g; d = h; e = j;
    }
    // Last round: InvShiftRows and InvSubBytes; then the CBC chaining with the previous ciphertext block (or the IV).
    const p = o ? data : iv, q = o ? o - 16 : 0;
    f = ((S[a >>> 24] << 24) | (S[(e >>> 16) & 255] << 16) | (S[(d >>> 8) & 255] << 8) | S[c & 255]) ^ K[40] ^ (p ? word(p, q) : 0);
    g = ((S[c >>> 24] << 24) | (S[(a >>> 16) & 255] << 16) | (S[(e >>> 8) & 255] << 8) | S[d & 255]) ^ K[41] ^ (p ? word(p, q + 4) : 0);
    h = ((S[d >>> 24] << 24) | (S[(c >>> 16) & 255] << 16) | (S[(a >>> 8) & 255] << 8) | S[e & 255]) ^ K[42] ^ (p ? word(p, q + 8) : 0);
    j = ((S[e >>> 24] << 24) | (S[(d >>> 16) & 255] << 16) | (S[(c >>> 8) & 255] << 8) | S[a & 255]) ^ K[43] ^ (p ? word(p, q + 12) : 0);
    put(out, o, f, g, h, j);
  }
  return out;
}
