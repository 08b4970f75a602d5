/**
 * AES-128-CBC over whole blocks (one block with no IV = ECB), in plain JavaScript: the fallback for
 * boards whose Espruino build has no AES (xiaoble; MDBT42Q). Same shape as the Crypto port's
 * aesEncryptBlock/aesDecryptBlock (firmware/cmac.ts BlockCipher), so either serves the card code.
 *
 * Table-driven on 32-bit words: the state is four column words in local variables, and a round is
 * four statements, each four look-ups (SubBytes and MixColumns together, one table per row, so no
 * rotation is computed) and XORs: Espruino interprets source, so fewer executed tokens is what
 * makes it fast. Decryption is the equivalent inverse cipher (FIPS-197 5.3.5) on its own tables.
 * Tables are built on first use and kept: S-box and inverse (2 x 256 B), four word tables per
 * direction (8 x 1 KB; one table and a rotation per look-up was ~1.5x slower), the last key's
 * schedules (2 x 176 B), about 700 variables: only boards without native AES use this (xiaoble,
 * 14 000 variables). CBC chaining is done on the words. Not constant-time (table look-ups): fine
 * for a reader that authenticates cards, not for a side-channel-exposed oracle.
 * Must not: use Espruino globals, be used where the board has native AES, or be given a key array
 * that is later modified in place (the schedule is kept for the array itself).
 */

let SB: Uint8Array | undefined;
let SI: Uint8Array;
/** Encryption word tables: SubBytes then MixColumns of one byte, row 0 in the top byte (TE0), and rotated right by 8, 16, 24 bits for the byte in rows 1-3. */
let TE0: Int32Array, TE1: Int32Array, TE2: Int32Array, TE3: Int32Array;
/** Decryption word tables: InvSubBytes then InvMixColumns of one byte, rotated likewise. */
let TD0: Int32Array, TD1: Int32Array, TD2: Int32Array, TD3: Int32Array;
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
  const e0 = new Int32Array(256), e1 = new Int32Array(256), e2 = new Int32Array(256), e3 = new Int32Array(256);
  const d0 = new Int32Array(256), d1 = new Int32Array(256), d2 = new Int32Array(256), d3 = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    // MixColumns column of byte b in row 0: 2b, b, b, 3b; InvMixColumns: 14b, 9b, 13b, 11b.
    const b = s[i], b2 = x[b];
    let w = (b2 << 24) | (b << 16) | (b << 8) | (b2 ^ b);
    e0[i] = w; e1[i] = (w >>> 8) | (w << 24); e2[i] = (w >>> 16) | (w << 16); e3[i] = (w >>> 24) | (w << 8);
    const c = v[i], c2 = x[c], c4 = x[c2], c8 = x[c4];
    w = ((c8 ^ c4 ^ c2) << 24) | ((c8 ^ c) << 16) | ((c8 ^ c4 ^ c) << 8) | (c8 ^ c2 ^ c);
    d0[i] = w; d1[i] = (w >>> 8) | (w << 24); d2[i] = (w >>> 16) | (w << 16); d3[i] = (w >>> 24) | (w << 8);
  }
  SB = s;
  SI = v;
  TE0 = e0; TE1 = e1; TE2 = e2; TE3 = e3;
  TD0 = d0; TD1 = d1; TD2 = d2; TD3 = d3;
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
  const s = SB as Uint8Array;
  for (let r = 0; r < 44; r += 4) {
    for (let j = 0; j < 4; j++) {
      const w = EK[40 - r + j];
      // InvMixColumns(w) = TD of SubBytes(w): the tables' InvSubBytes undoes it.
      d[r + j] = r === 0 || r === 40 ? w : TD0[s[w >>> 24]] ^ TD1[s[(w >>> 16) & 255]] ^ TD2[s[(w >>> 8) & 255]] ^ TD3[s[w & 255]];
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
  const T0 = TE0, T1 = TE1, T2 = TE2, T3 = TE3, S = SB as Uint8Array, K = EK;
  const out = new Uint8Array(data.length);
  let f = iv ? word(iv, 0) : 0, g = iv ? word(iv, 4) : 0, h = iv ? word(iv, 8) : 0, j = iv ? word(iv, 12) : 0;
  for (let o = 0; o < data.length; o += 16) {
    let a = word(data, o) ^ f ^ K[0], c = word(data, o + 4) ^ g ^ K[1], d = word(data, o + 8) ^ h ^ K[2], e = word(data, o + 12) ^ j ^ K[3];
    for (let r = 4; r < 40; r += 4) {
      f = T0[a >>> 24] ^ T1[(c >>> 16) & 255] ^ T2[(d >>> 8) & 255] ^ T3[e & 255] ^ K[r];
      g = T0[c >>> 24] ^ T1[(d >>> 16) & 255] ^ T2[(e >>> 8) & 255] ^ T3[a & 255] ^ K[r + 1];
      h = T0[d >>> 24] ^ T1[(e >>> 16) & 255] ^ T2[(a >>> 8) & 255] ^ T3[c & 255] ^ K[r + 2];
      j = T0[e >>> 24] ^ T1[(a >>> 16) & 255] ^ T2[(c >>> 8) & 255] ^ T3[d & 255] ^ K[r + 3];
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
  const T0 = TD0, T1 = TD1, T2 = TD2, T3 = TD3, S = SI;
  const out = new Uint8Array(data.length);
  let f: number, g: number, h: number, j: number;
  for (let o = 0; o < data.length; o += 16) {
    let a = word(data, o) ^ K[0], c = word(data, o + 4) ^ K[1], d = word(data, o + 8) ^ K[2], e = word(data, o + 12) ^ K[3];
    for (let r = 4; r < 40; r += 4) {
      f = T0[a >>> 24] ^ T1[(e >>> 16) & 255] ^ T2[(d >>> 8) & 255] ^ T3[c & 255] ^ K[r];
      g = T0[c >>> 24] ^ T1[(a >>> 16) & 255] ^ T2[(e >>> 8) & 255] ^ T3[d & 255] ^ K[r + 1];
      h = T0[d >>> 24] ^ T1[(c >>> 16) & 255] ^ T2[(a >>> 8) & 255] ^ T3[e & 255] ^ K[r + 2];
      j = T0[e >>> 24] ^ T1[(d >>> 16) & 255] ^ T2[(c >>> 8) & 255] ^ T3[a & 255] ^ K[r + 3];
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
