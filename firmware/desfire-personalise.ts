/**
 * Personalisation: turns a blank DESFire EV1/EV2/EV3 card into one of our keycards (enrolment,
 * "tap the new card"). Steps, each one ISO-wrapped exchange (see desfire.ts):
 *   1. authenticateDesfire with the card's diversified key: success = already ours (idempotent).
 *      'no-application' -> 2; 'auth-failed'/'no-key' (the app exists) -> 4; anything else fails.
 *   2. Select PICC (000000); legacy Authenticate (0x0A) with the factory 2K3DES/DES all-zero PICC
 *      master key (desfire-des.ts); if the card answers AE (its PICC key is AES), AuthenticateAES
 *      with the all-zero AES key instead. Any other PICC master key: 'picc-key'.
 *   3. CreateApplication(cfg.aid, settings 0x09 = only the app master key changes keys, config
 *      changeable, no free listing/creation; keyNo+1 AES keys, all zero).
 *   4. Select the app, AuthenticateAES key 0 with the zero key (fails: 'already-personalised').
 *   5. GetKeySettings under CMAC: the app must be AES with more than keyNo keys and let key 0
 *      change key keyNo, else 'already-personalised'.
 *   6. ChangeKey(keyNo) to AN10922(siteKey, uid, aid, systemId), version 0. keyNo 0 (the key we
 *      are authenticated with): newKey || ver || CRC32(C4 kn newKey ver); else newKey^oldKey(zero)
 *      || ver || CRC32(C4 kn data ver) || CRC32(newKey). Zero-padded to 32, CBC with the session
 *      IV. A card refusing it (integrity 1E: the old key was not zero; 9D: rights) is
 *      'already-personalised'.
 *   7. authenticateDesfire again: the result of the whole run.
 * EV1 secure messaging (after an AES auth): IV zero; each plain command and each answer's
 * data || status is CMACed with the IV as start value, the CMAC becomes the IV, answers carry
 * its first 8 bytes (checked in constant time); ChangeKey's cryptogram is CBC-encrypted on the IV,
 * whose last block becomes the IV; ChangeKey of the authenticated key ends the session (no MAC).
 * After legacy (DES) auth commands and answers are plain.
 * Every step is one atomic card command, so a card taken away at any point is left blank, with the
 * app and zero keys, or finished; a later run resumes from there (step 1 or 4). App key 0 stays
 * the zero key when keyNo > 0, and the PICC master key is never changed: anyone may format the
 * card (denial of service), nobody can derive our key from it.
 * Must not: throw out of a callback, touch the reader (only `tx`), or change the PICC master key.
 */
import { equalConstantTime } from './bytes';
import type { BlockCipher } from './cmac';
import { apdu, authenticateAes, authenticateDesfire, diversifyAes128, sessionKey, statusReason } from './desfire';
import type { AuthRandoms, DesfireConfig, Transceive } from './desfire';
import { desRelease, desZeroKey } from './desfire-des';

export type PersonaliseCallback = (ok: boolean, reason: string) => void;

interface PState {
  cfg: DesfireConfig;
  tx: Transceive;
  uid: Uint8Array;
  cb: PersonaliseCallback | undefined;
  next: (resp: Uint8Array | undefined, err?: string) => void;
  step: number;
  /** AES session key (EV1 secure messaging), or undefined after legacy auth / when none. */
  sk: Uint8Array | undefined;
  iv: Uint8Array;
  ra: Uint8Array;
}

const PICC = new Uint8Array(3);
const ZERO = new Uint8Array(16);

function done(s: PState, ok: boolean, reason: string): void {
  const cb = s.cb;
  s.cb = undefined;
  s.step = -1;
  desRelease();
  if (!cb) return;
  try { cb(ok, reason); } catch (e) { /* a caller's throw must not unwind into the reader */ }
}

function rotl(b: Uint8Array): Uint8Array {
  const n = b.length;
  const o = new Uint8Array(n);
  for (let i = 0; i < n; i++) o[i] = b[(i + 1) % n];
  return o;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) o[i] = a[i] ^ b[i];
  return o;
}

/** DESFire CRC32 (IEEE polynomial, init 0xFFFFFFFF, no final inversion) of d[0..n), little-endian at `at`. */
function crc32(d: Uint8Array, n: number, at: number): void {
  let c = -1;
  for (let i = 0; i < n; i++) {
    c ^= d[i];
    for (let j = 0; j < 8; j++) c = (c >>> 1) ^ (c & 1 ? 0xedb88320 : 0);
  }
  for (let i = 0; i < 4; i++) d[at + i] = (c >>> (8 * i)) & 255;
}

/**
 * AES-CMAC (RFC 4493) of at most 16 bytes whose CBC chain starts from `iv` instead of zero:
 * EV1 secure messaging. Every message this file MACs is one block long.
 */
function cmacIv(c: BlockCipher, key: Uint8Array, iv: Uint8Array, msg: Uint8Array): Uint8Array {
  const n = msg.length;
  const b = new Uint8Array(16);
  b.set(msg);
  if (n < 16) b[n] = 0x80;
  const k = c.encrypt(key, new Uint8Array(16));
  // Subkey K1 = dbl(L) for a complete block, K2 = dbl(dbl(L)) for a padded one.
  for (let r = n < 16 ? 2 : 1; r > 0; r--) {
    const msb = k[0] & 128;
    for (let i = 0; i < 15; i++) k[i] = ((k[i] << 1) | (k[i + 1] >> 7)) & 255;
    k[15] = ((k[15] << 1) & 255) ^ (msb ? 0x87 : 0);
  }
  for (let i = 0; i < 16; i++) b[i] ^= iv[i] ^ k[i];
  return c.encrypt(key, b);
}

function send(s: PState, cmd: number, data: Uint8Array): void {
  try { s.tx(apdu(cmd, data), s.next); } catch (e) { done(s, false, 'reader-fault'); }
}

/** A plain command; under an AES session its CMAC (cmd || data) advances the IV first. */
function sendMac(s: PState, step: number, cmd: number, data: Uint8Array): void {
  if (s.sk) {
    const m = new Uint8Array(1 + data.length);
    m[0] = cmd;
    m.set(data, 1);
    s.iv = cmacIv(s.cfg.cipher, s.sk, s.iv, m);
  }
  s.step = step;
  send(s, cmd, data);
}

/** True for an OK answer of `len` data bytes (+ 8 MAC bytes under an AES session, checked). */
function answerOk(s: PState, resp: Uint8Array, len: number): boolean {
  const n = resp.length;
  if (resp[n - 1] !== 0 || n !== 2 + len + (s.sk ? 8 : 0)) return false;
  if (!s.sk) return true;
  const m = new Uint8Array(len + 1);
  m.set(resp.subarray(0, len));
  s.iv = cmacIv(s.cfg.cipher, s.sk, s.iv, m);
  return equalConstantTime(s.iv.subarray(0, 8), resp.subarray(len, len + 8));
}

/** Step 1's and step 7's answer. */
function afterCheck(s: PState, ok: boolean, reason: string): void {
  if (s.step < 0) return;
  if (ok || s.step === 7) { done(s, ok, reason); return; }
  if (reason === 'no-application') { sendMac(s, 2, 0x5a, PICC); return; }
  if (reason === 'auth-failed' || reason === 'no-key') { appAuth(s); return; }
  done(s, false, reason);
}

/** Step 4: select the app and authenticate key 0 with the zero AES key. */
function appAuth(s: PState): void {
  s.sk = undefined;
  const auth: AuthRandoms = {};
  authenticateAes(s.cfg, s.tx, s.cfg.aid, 0, ZERO, function (ok, reason) {
    try {
      if (!ok) { done(s, false, reason === 'auth-failed' ? 'already-personalised' : reason); return; }
      s.sk = sessionKey(auth);
      s.iv = new Uint8Array(16);
      sendMac(s, 5, 0x45, new Uint8Array(0));
    } catch (e) { done(s, false, 'protocol'); }
  }, auth);
}

/** Step 3: CreateApplication. */
function create(s: PState): void {
  const a = s.cfg.aid;
  sendMac(s, 4, 0xca, new Uint8Array([a[0], a[1], a[2], 0x09, 0x80 | (s.cfg.keyNo + 1)]));
}

/** Step 6: ChangeKey(keyNo) to the diversified key. */
function changeKey(s: PState): void {
  const cfg = s.cfg, kn = cfg.keyNo, sk = s.sk as Uint8Array;
  const key = diversifyAes128(cfg.cipher, cfg.siteKey, s.uid, cfg.aid, cfg.systemId);
  // d = C4 kn | key (xor the zero old key) ver=0 CRC32(C4..ver) [CRC32(key)] zero padding (32 bytes).
  const d = new Uint8Array(34);
  d[0] = 0xc4;
  d[1] = kn;
  d.set(key, 2);
  crc32(d, 19, 19);
  if (kn) {
    const t = new Uint8Array(20);
    t.set(key);
    crc32(t, 16, 16);
    d.set(t.subarray(16), 23);
  }
  const out = new Uint8Array(33);
  out[0] = kn;
  let iv = s.iv;
  for (let b = 0; b < 2; b++) {
    iv = cfg.cipher.encrypt(sk, xor(d.subarray(2 + 16 * b, 18 + 16 * b), iv));
    out.set(iv, 1 + 16 * b);
  }
  s.iv = iv;
  if (!kn) s.sk = undefined; // the session ends with the key it was opened with: no answer MAC
  s.step = 6;
  send(s, 0xc4, out);
}

function onAnswer(s: PState, resp: Uint8Array | undefined, err: string | undefined): void {
  if (s.step < 0) return;
  if (!resp) { done(s, false, err || 'timeout'); return; }
  const n = resp.length;
  if (n < 2 || resp[n - 2] !== 0x91) { done(s, false, 'protocol'); return; }
  const st = resp[n - 1];
  const step = s.step;
  if (step === 2) {
    // PICC selected: legacy Authenticate with the factory key.
    if (!answerOk(s, resp, 0)) { done(s, false, 'protocol'); return; }
    sendMac(s, 3, 0x0a, new Uint8Array(1));
  } else if (step === 3) {
    if (st === 0xae) {
      // Not a DES key: the PICC master key may be the zero AES key.
      const auth: AuthRandoms = {};
      authenticateAes(s.cfg, s.tx, PICC, 0, ZERO, function (ok, reason) {
        try {
          if (!ok) { done(s, false, reason === 'auth-failed' ? 'picc-key' : reason); return; }
          s.sk = sessionKey(auth);
          s.iv = new Uint8Array(16);
          create(s);
        } catch (e) { done(s, false, 'protocol'); }
      }, auth);
      return;
    }
    if (st !== 0xaf || n !== 10) { done(s, false, 'protocol'); return; }
    // D40 scheme: the reader deciphers everything (send mode: CBC on the deciphered blocks).
    const rb = desZeroKey(resp.subarray(0, 8));
    const ra = s.cfg.random.bytes(8);
    s.ra = ra;
    const b1 = desZeroKey(ra);
    const out = new Uint8Array(16);
    out.set(b1);
    out.set(desZeroKey(xor(rotl(rb), b1)), 8);
    s.step = 8;
    send(s, 0xaf, out);
  } else if (step === 8) {
    if (st === 0xae) { done(s, false, 'picc-key'); return; }
    if (st !== 0 || n !== 10) { done(s, false, 'protocol'); return; }
    if (!equalConstantTime(desZeroKey(resp.subarray(0, 8)), rotl(s.ra))) { done(s, false, 'picc-key'); return; }
    create(s);
  } else if (step === 4) {
    if (!answerOk(s, resp, 0)) { done(s, false, st ? statusReason(st) : 'protocol'); return; }
    appAuth(s);
  } else if (step === 5) {
    if (!answerOk(s, resp, 2)) { done(s, false, 'protocol'); return; }
    const ks = resp[0], mk = resp[1], kn = s.cfg.keyNo;
    if ((mk & 0xc0) !== 0x80 || (mk & 15) <= kn || (kn ? ks >> 4 : ~ks & 1)) { done(s, false, 'already-personalised'); return; }
    changeKey(s);
  } else if (step === 6) {
    if (st === 0x1e || st === 0x9d) { done(s, false, 'already-personalised'); return; }
    if (!answerOk(s, resp, 0)) { done(s, false, st ? statusReason(st) : 'protocol'); return; }
    s.step = 7;
    authenticateDesfire(s.cfg, s.tx, s.uid, 0x20, function (ok, reason) { afterCheck(s, ok, reason); });
  }
}

/**
 * Personalises the card in the field (see the header). `sak` as for authenticateDesfire. Calls
 * cb exactly once with (true, 'ok') or (false, reason): 'not-desfire', 'internal', 'card-removed',
 * 'timeout', 'picc-key', 'already-personalised', 'protocol', or a reader/card reason. Never throws.
 */
export function personaliseDesfire(cfg: DesfireConfig, tx: Transceive, uid: Uint8Array, sak: number, cb: PersonaliseCallback): void {
  const s: PState = {
    cfg: cfg, tx: tx, uid: uid, cb: cb, next: function () { /* set below */ },
    step: 1, sk: undefined, iv: ZERO, ra: ZERO,
  };
  s.next = function (resp, err) {
    try { onAnswer(s, resp, err); } catch (e) { done(s, false, 'protocol'); }
  };
  authenticateDesfire(cfg, tx, uid, sak, function (ok, reason) {
    try { afterCheck(s, ok, reason); } catch (e) { done(s, false, 'protocol'); }
  });
}
