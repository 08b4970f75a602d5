/**
 * MIFARE DESFire EV1/EV2/EV3 keycards: per-card AES-128 key diversification (NXP AN10922) and
 * the 3-pass AES mutual authentication (AuthenticateAES, 0xAA; EV2/EV3 accept it for AES keys).
 *
 * Wrapping: ISO 7816-4 wrapped native commands, CLA 0x90 — `90 cmd 00 00 Lc data 00`, answers end
 * in SW1 0x91, SW2 = DESFire status (00 OK, AF more frames, AE auth error, A0 no application).
 * ISO wrapping was picked because it is what PN532 InDataExchange and every ISO-DEP stack carry
 * unchanged, and the SW makes a short or cut answer detectable.
 *
 * Crypto per the EV1 AES scheme: CBC with the IV chained over the whole exchange (IV starts at 0;
 * each step's IV is the last ciphertext block sent or received), one CBC call per step (native AES,
 * Crypto port, does the blocks and the chaining in C; firmware/aes.ts alike in JavaScript). The
 * card's RndA' is checked in constant time, as ciphertext. Session key = RndA[0..3] RndB[0..3]
 * RndA[12..15] RndB[12..15].
 *
 * `authenticateAes` is the same exchange with any AID/key number/key (personalisation uses it with
 * the default all-zero AES key); blank-card personalisation itself lives in desfire-personalise.ts.
 *
 * Must not: throw out of a callback, touch the reader (only the `tx` function), or decide an unlock
 * (it reports ok/reason; the state machine decides). Reading files under CMAC is not done here.
 */
import type { Random } from './ports';
import { cmacPadded, type BlockCipher } from './cmac';
import { equalConstantTime } from './bytes';

/** Sends one APDU to the card in the field; calls back with its answer, or undefined and a reason. */
export type Transceive = (apdu: Uint8Array, cb: (resp: Uint8Array | undefined, err?: string) => void) => void;

/** The site's card configuration, built once. */
export interface DesfireConfig {
  /** AES-128 site master key from which each card's key is diversified. */
  siteKey: Uint8Array;
  /** Application id, 3 bytes in the order sent on the wire (LSB first), used as-is in the diversification input. */
  aid: Uint8Array;
  /** Key number inside the application (0..13). */
  keyNo: number;
  /** AN10922 system identifier (e.g. the site's name bytes); UID + AID + it must be 1..31 bytes. */
  systemId: Uint8Array;
  cipher: BlockCipher;
  random: Random;
}

/**
 * Result: ok, or a reason ('not-desfire', 'no-application', 'auth-failed', 'protocol', 'card-removed',
 * ...). 'internal' is the board's own failure, not the card's: its crypto threw (a native AES
 * error, or no memory for a result after the crypto port's retry).
 */
export const INTERNAL = 'internal';
/** RndA and RndB of an authentication, from which its session key is made (`sessionKey`). */
export interface AuthRandoms {
  ra?: Uint8Array;
  rb?: Uint8Array;
}
/**
 * Exactly two arguments: Espruino keeps an argument beyond a function's parameters in its scope, and
 * a tap's decision closure keeps that scope until the relay switched.
 */
export type AuthCallback = (ok: boolean, reason: string) => void;

/**
 * AN10922 AES-128 diversification: CMAC(master, 0x01 || UID || AID || systemId), the input padded
 * (0x80 00..) to 32 bytes with subkey K2 when shorter, K1 when exactly 32. Throws on a bad length.
 */
export function diversifyAes128(c: BlockCipher, master: Uint8Array, uid: Uint8Array, aid: Uint8Array, systemId: Uint8Array): Uint8Array {
  const m = 1 + uid.length + aid.length + systemId.length;
  if (m < 2 || m > 32) throw new Error('div-input');
  // Built padded in place: 0x01 || UID || AID || systemId || 0x80 00.. (32 bytes).
  const d = new Uint8Array(32);
  d[0] = 1;
  d.set(uid, 1);
  d.set(aid, 1 + uid.length);
  d.set(systemId, m - systemId.length);
  if (m < 32) d[m] = 0x80;
  return cmacPadded(c, master, d, m === 32);
}

interface AuthState extends AuthRandoms {
  cfg: DesfireConfig;
  tx: Transceive;
  cb: AuthCallback | undefined;
  next: (resp: Uint8Array | undefined, err?: string) => void;
  key: Uint8Array;
  step: number;
  /** Set at step 1 with RndA and RndB: the IV for the card's last answer. */
  iv?: Uint8Array;
  /** Key number to authenticate. */
  kn: number;
  /** Where RndA and RndB go on success, when the caller wants the session key. */
  out: AuthRandoms | undefined;
}

/** ISO 7816 wrapping of a native command: `90 cmd 00 00 Lc data 00`. */
export function apdu(cmd: number, data: Uint8Array | number[]): Uint8Array {
  const a = new Uint8Array(6 + data.length);
  a[0] = 0x90;
  a[1] = cmd;
  a[4] = data.length;
  a.set(data, 5);
  return a;
}

/** `b` rotated left by one byte (RndA', RndB'). */
function rotl1(b: Uint8Array): Uint8Array {
  const o = new Uint8Array(16);
  o.set(b.subarray(1));
  o[15] = b[0];
  return o;
}

function finish(s: AuthState, ok: boolean, reason: string): void {
  const cb = s.cb;
  s.cb = undefined;
  s.step = -1;
  if (!cb) return;
  try { cb(ok, reason); } catch (e) { /* a caller's throw must not unwind into the reader */ }
}

/** The EV1 AES session key of a successful authentication: RndA[0..3] RndB[0..3] RndA[12..15] RndB[12..15]. */
export function sessionKey(a: AuthRandoms): Uint8Array {
  const ra = a.ra!, rb = a.rb!;
  const sk = new Uint8Array(16);
  sk.set(ra.subarray(0, 4));
  sk.set(rb.subarray(0, 4), 4);
  sk.set(ra.subarray(12), 8);
  sk.set(rb.subarray(12), 12);
  return sk;
}

/** A DESFire status (SW2) as a reason string. */
export function statusReason(sw2: number): string {
  return sw2 === 0xae ? 'auth-failed' : sw2 === 0xa0 ? 'no-application' : sw2 === 0x40 ? 'no-key' : 'card-error';
}

function send(s: AuthState, cmd: number, data: Uint8Array | number[]): void {
  try { s.tx(apdu(cmd, data), s.next); } catch (e) { finish(s, false, 'reader-fault'); }
}

/** One answer from the card; `s.step` says which command it answers. */
function onAnswer(s: AuthState, resp: Uint8Array | undefined, err: string | undefined): void {
  if (s.step < 0) return;
  if (!resp) { finish(s, false, err || 'timeout'); return; }
  const n = resp.length;
  if (n < 2 || resp[n - 2] !== 0x91) { finish(s, false, 'protocol'); return; }
  // SelectApplication answers 91 00; AuthenticateAES ek(RndB) 91 AF; the last pass E(RndA') 91 00.
  const sw = resp[n - 1];
  const want = s.step === 1 ? 0xaf : 0;
  if (sw !== want || n !== (s.step ? 18 : 2)) { finish(s, false, sw !== want ? statusReason(sw) : 'protocol'); return; }
  const c = s.cfg.cipher;
  if (!s.step) {
    // SelectApplication answered: start AuthenticateAES with the key number.
    s.step = 1;
    send(s, 0xaa, [s.kn]);
  } else if (s.step === 1) {
    // ek(RndB) with IV 0; answer E(RndA || RndB') CBC-chained on ek: one CBC call over both blocks.
    const ek = resp.subarray(0, 16);
    const rb = c.decrypt(s.key, ek);
    const ra = s.cfg.random.bytes(16);
    const p = new Uint8Array(32);
    p.set(ra);
    p.set(rb.subarray(1), 16);
    p[31] = rb[0];
    const out = c.encrypt(s.key, p, ek);
    s.rb = rb;
    s.ra = ra;
    s.iv = out.subarray(16);
    s.step = 2;
    send(s, 0xaf, out);
  } else {
    // E(RndA') chained on the last block sent: checked by encrypting the expected RndA' the same
    // way and comparing ciphertexts (AES is a permutation), an encryption being the cheaper block
    // in firmware/aes.ts.
    const ok = equalConstantTime(c.encrypt(s.key, rotl1(s.ra!), s.iv), resp.subarray(0, 16));
    const out = s.out;
    if (ok && out) { out.ra = s.ra; out.rb = s.rb; }
    finish(s, ok, ok ? 'ok' : 'auth-failed');
  }
}

/**
 * Selects application `aid` (000000 = PICC level) and runs AuthenticateAES with key `keyNo` = `key`.
 * Uses cfg.cipher and cfg.random only. Calls cb exactly once; on success `out`, when given, gets RndA
 * and RndB (sessionKey makes the session key from them);
 * never throws. After success the EV1 session IV is all zero.
 */
export function authenticateAes(cfg: DesfireConfig, tx: Transceive, aid: Uint8Array, keyNo: number, key: Uint8Array, cb: AuthCallback, out?: AuthRandoms): void {
  const s: AuthState = {
    cfg: cfg, tx: tx, cb: cb, next: undefined!, // set below
    key: key, step: 0, kn: keyNo, out: out,
  };
  s.next = function (resp, err) {
    // onAnswer checks every length and status before it computes, so what throws is the board's
    // own crypto or RNG: never the card's fault.
    try { onAnswer(s, resp, err); } catch (e) { finish(s, false, INTERNAL); }
  };
  send(s, 0x5a, aid);
}

/**
 * The last card's diversified key, by its UID and the configuration (site key, AID, system id) it
 * came from: the same card tapped again skips the CMAC (two to three AES blocks; seconds with the
 * JavaScript AES). The key is a function of the UID and the site key the board holds anyway.
 */
let divUid = '';
let divCfg: DesfireConfig | undefined;
let divKey: Uint8Array | undefined;

/**
 * Selects the application and runs AuthenticateAES with the card's diversified key.
 * `sak` is the card's SAK from the reader: cards that do not speak ISO 14443-4 (bit 0x20 clear,
 * e.g. MIFARE Classic, Ultralight, UID-only tags) are refused with 'not-desfire' before any exchange.
 * The configuration is the site's own (firmware/cards.ts): its AID and key number are not checked
 * here (a wrong one cannot authenticate), and a UID the diversification cannot take is 'internal'.
 * Calls cb exactly once; never throws.
 */
export function authenticateDesfire(cfg: DesfireConfig, tx: Transceive, uid: Uint8Array, sak: number, cb: AuthCallback, out?: AuthRandoms): void {
  let why = sak & 0x20 ? '' : 'not-desfire';
  let key: Uint8Array | undefined;
  if (!why) {
    const u = String.fromCharCode.apply(null, uid as unknown as number[]);
    if (u === divUid && cfg === divCfg) key = divKey;
    else {
      // What throws here is the board's crypto, or a UID too long for the diversification input.
      try { key = diversifyAes128(cfg.cipher, cfg.siteKey, uid, cfg.aid, cfg.systemId); } catch (e) { why = INTERNAL; }
      divUid = key ? u : '';
      divCfg = cfg;
      divKey = key;
    }
  }
  if (why || !key) {
    try { cb(false, why); } catch (e) { /* a caller's throw must not unwind into the reader */ }
    return;
  }
  authenticateAes(cfg, tx, cfg.aid, cfg.keyNo, key, cb, out);
}
