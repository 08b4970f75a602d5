/**
 * Single DES with the ALL-ZERO key, one 8-byte block: just enough for the legacy DESFire
 * "Authenticate" (0x0A) with a factory PICC master key (2K3DES all zero, whose halves are equal,
 * so it is single DES). The zero key is a DES weak key: every round key is zero, so there is no
 * key schedule and encryption equals decryption (the function is its own inverse).
 * 32-bit words, with tables built on first use and freed by desRelease(); 4 blocks per enrolment.
 * Must not: be used with any other key, or for anything but factory-card authentication.
 */

/** The 8 S-boxes, 4 rows x 16 each, one value per character (code - 48). */
const SBOX = '>4=12?;83:6<59070?74>2=1:6<;953841>8=62;?<973:50?<8249175;3>:06=?18>6;34972=<05:3=47?28><01:69;50>7;:4=158<6932?=8:13?42;67<05>9:09>63?51=<7;428=709346:285><;?1=6498?30;12<5:>71:=069874?>3;52<7=>3069:1285;<4?=8;56?03472<1:>9:690<;7=?13>52843?06:1=8945;<72>2<417:;6853?=0>9>;2<47=150?:3986421;:=78?9<5630>;8<71>2=6?09:453<1:?92680=34>75;:?427<9561=>0;389>?528<3704:1=;6432<95?:;>17608=4;2>?08=3<975:61=0;7491:>35<2?8614;=<37>:?6805926;=814:7950?>23<=2846?;1:93>50<71?=8:374<56;0>927;419<>206:=?35821>74:8=?<90356;';
/** The P permutation, 0-based source bit per character (code - 48). */
const PERM = '?6CDL;K@0>FI4AN917G=OJ28B<M5E:3H';

/** 0-based input bit that the initial permutation moves to position i (FIPS 46-3 IP table). */
function ipSource(i: number): number {
  const r = i >> 3;
  return (r < 4 ? 57 + 2 * r : 48 + 2 * r) - 8 * (i & 7);
}

/** P(S-box g output s) as a 32-bit word at [16 g + s], and the S-boxes as bytes: built on first use
 * (1 KB, about 85 variables) and dropped by desRelease(). */
let PS: Int32Array | undefined;
let SB: Uint8Array;

function tables(): Int32Array {
  // pb[k]: where P sends input bit k (output bit i takes input bit PERM[i]).
  const pb = new Int32Array(32);
  for (let i = 0; i < 32; i++) pb[PERM.charCodeAt(i) - 48] = 1 << (31 - i);
  const t = new Int32Array(128);
  for (let n = 0; n < 128; n++) {
    let v = 0;
    for (let j = 0; j < 4; j++) if ((n >> (3 - j)) & 1) v ^= pb[4 * (n >> 4) + j];
    t[n] = v;
  }
  SB = new Uint8Array(512);
  let k = 0;
  // for..of walks the string once; charCodeAt(k) would walk it from the start each time on Espruino.
  for (const ch of SBOX) SB[k++] = ch.charCodeAt(0) - 48;
  return t;
}

/** Frees the tables (call when the legacy authentication is over). */
export function desRelease(): void {
  PS = undefined;
  SB = new Uint8Array(0);
}

/** DES of one 8-byte block under the all-zero key (= decryption). Returns a new array. */
export function desZeroKey(b: Uint8Array): Uint8Array {
  const t = PS || (PS = tables());
  let l = 0;
  let r = 0;
  for (let i = 0; i < 64; i++) {
    const p = ipSource(i);
    const bit = (b[p >> 3] >> (7 - (p & 7))) & 1;
    if (i < 32) l |= bit << (31 - i);
    else r |= bit << (63 - i);
  }
  for (let n = 0; n < 16; n++) {
    // f(R, 0) = P(S(E(R))): group g of E(R) is R bits 4g-1 .. 4g+4 (1-based, wrapping) = R rotated right by 27-4g.
    let f = 0;
    for (let g = 0; g < 8; g++) {
      const sh = (59 - 4 * g) & 31;
      const v = ((r >>> sh) | (r << (32 - sh))) & 63;
      f ^= t[16 * g + SB[64 * g + ((v & 32) | ((v & 1) << 4) | ((v >> 1) & 15))]];
    }
    const w = l ^ f;
    l = r;
    r = w;
  }
  // Pre-output is R16 || L16; the final permutation is the inverse of IP.
  const o = new Uint8Array(8);
  for (let i = 0; i < 64; i++) {
    const p = ipSource(i);
    if ((i < 32 ? r >>> (31 - i) : l >>> (63 - i)) & 1) o[p >> 3] |= 128 >> (p & 7);
  }
  return o;
}
