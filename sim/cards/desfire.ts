/**
 * Simulated MIFARE DESFire EV1-style card, ISO 7816 wrapped native commands (CLA 0x90), with real
 * crypto from node:crypto (independent of firmware/aes.ts, firmware/desfire-des.ts):
 *   SelectApplication (5A; 000000 = PICC level, selected after activation)
 *   AuthenticateAES (AA, AF): app keys, or the PICC master key when it is AES
 *   Authenticate legacy (0A, AF): PICC master key when it is DES/2K3DES (factory: 16 zero bytes);
 *     the card side only ever encrypts (des-ede-ecb), as in the D40 scheme
 *   CreateApplication (CA): PICC level; needs PICC master key auth unless PICC settings bit 2
 *   GetKeySettings (45), ChangeKey (C4) of AES application keys, checked like a card: change rights,
 *     zero padding and CRC32s of the cryptogram; on any error the authentication is dropped
 * EV1 secure messaging after AES auth: IV zero; every plain command and every MACed answer is
 * CMACed with the current IV (the CMAC becomes the IV); encrypted data chains CBC on the IV.
 * After ChangeKey of the authenticated key the session ends and the answer carries no MAC.
 * A card built with apps (an issued card) behaves as before; `SimDesfireCard.blank(uid)` is a
 * factory card. Commands are atomic: each is applied entirely or not at all. Host-only.
 */
import * as crypto from 'node:crypto';
import { crc32 } from '../../tools/host/bytes';
import type { SimCard } from '../pn532/pn532';

export interface SimDesfireApp {
  aid: Uint8Array;
  keys: Uint8Array[];
  /** Application key settings (default 0x0F: master key changes keys, everything changeable). */
  settings?: number;
}

export interface SimDesfireOptions {
  /** Card randomness (RndB); node:crypto by default. */
  random?: (n: number) => Uint8Array;
  /** A forged clone that skips checking the reader and answers the last step with made-up bytes. */
  liar?: boolean;
  /** PICC master key: 16 bytes, DES/2K3DES unless `aes` (default: factory, 16 zero bytes 2K3DES). */
  piccKey?: Uint8Array;
  piccAes?: boolean;
  /** PICC key settings (default 0x0F, factory: bit 2 set = CreateApplication without auth). */
  piccSettings?: number;
}

function run(alg: string, encrypt: boolean, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Uint8Array {
  const c = encrypt ? crypto.createCipheriv(alg, key, iv) : crypto.createDecipheriv(alg, key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}
const cbc = (encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array) => run('aes-128-cbc', encrypt, key, iv, data);
/** 2K3DES ECB (single DES when both halves are equal), encrypt direction only (the card's side). */
const des = (key: Uint8Array, data: Uint8Array) => run('des-ede-ecb', true, key, null, data);

function dbl(b: Uint8Array): Uint8Array {
  const o = new Uint8Array(16);
  for (let i = 0; i < 16; i++) o[i] = ((b[i] << 1) | (i < 15 ? b[i + 1] >> 7 : 0)) & 255;
  if (b[0] & 128) o[15] ^= 0x87;
  return o;
}

/** AES-CMAC chained on `iv` (EV1 secure messaging): CBC-MAC from iv over the CMAC-padded message. */
export function simCmacIv(key: Uint8Array, iv: Uint8Array, msg: Uint8Array): Uint8Array {
  const k1 = dbl(run('aes-128-ecb', true, key, null, new Uint8Array(16)));
  const n = Math.max(1, Math.ceil(msg.length / 16));
  const m = new Uint8Array(n * 16);
  m.set(msg);
  const complete = msg.length > 0 && msg.length === n * 16;
  if (!complete) m[msg.length] = 0x80;
  const k = complete ? k1 : dbl(k1);
  for (let i = 0; i < 16; i++) m[(n - 1) * 16 + i] ^= k[i];
  return cbc(true, key, iv, m).slice(-16);
}

/** DESFire CRC32: IEEE CRC-32 with initial 0xFFFFFFFF and no final inversion, little-endian. */
export function simCrc32(data: Uint8Array): Uint8Array {
  const c = (~crc32(data)) >>> 0;
  return new Uint8Array([c & 255, (c >>> 8) & 255, (c >>> 16) & 255, c >>> 24]);
}

const rotl1 = (b: Uint8Array) => new Uint8Array([...b.subarray(1), b[0]]);
const sw = (s2: number, data?: Uint8Array) => new Uint8Array([...(data || []), 0x91, s2]);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const cat = (...p: Uint8Array[]) => new Uint8Array(Buffer.concat(p));

export class SimDesfireCard implements SimCard {
  atqa = 0x0344;
  sak = 0x20;
  ats = new Uint8Array([0x06, 0x75, 0x77, 0x81, 0x02, 0x80]);
  /** Session key of the last successful authentication (for tests). */
  sessionKey: Uint8Array | undefined;
  authentications = 0;
  /** Why the last command was refused, for tests ('crc', 'padding', 'rights', 'auth', ...). */
  lastError = '';
  /** Commands (INS) the card applied: CreateApplication and ChangeKey count here. */
  applied: number[] = [];
  readonly piccKey: Uint8Array;
  piccAes: boolean;
  piccSettings: number;
  /** Selected application; undefined = PICC level. */
  private app: SimDesfireApp | undefined;
  /** Authentication in progress (waiting for AF). */
  private pend: { kind: 'aes' | 'des'; key: Uint8Array; kn: number; rb: Uint8Array } | undefined;
  /** Key number authenticated (-1 none); AES session (EV1 secure messaging) when `sm`. */
  private authKey = -1;
  private sm = false;
  private iv: Uint8Array = new Uint8Array(16);

  constructor(readonly uid: Uint8Array, readonly apps: SimDesfireApp[], private readonly opts: SimDesfireOptions = {}) {
    this.piccKey = opts.piccKey || new Uint8Array(16);
    this.piccAes = !!opts.piccAes;
    this.piccSettings = opts.piccSettings === undefined ? 0x0f : opts.piccSettings;
  }

  /** A factory-fresh card: PICC master key 2K3DES all zero, settings 0x0F, no applications. */
  static blank(uid: Uint8Array, opts: SimDesfireOptions = {}): SimDesfireCard {
    return new SimDesfireCard(uid, [], opts);
  }

  private rnd(n: number): Uint8Array {
    return (this.opts.random || ((k: number) => new Uint8Array(crypto.randomBytes(k))))(n);
  }

  private deauth(): void {
    this.authKey = -1;
    this.sm = false;
    this.sessionKey = undefined;
  }

  private fail(s2: number, why: string): Uint8Array {
    this.lastError = why;
    this.deauth();
    return sw(s2);
  }

  /** EV1: a plain command under an AES session is CMACed into the IV. */
  private macIn(cmd: Uint8Array): void {
    if (this.sm && this.sessionKey) this.iv = simCmacIv(this.sessionKey, this.iv, cmd);
  }

  /** An OK answer: under an AES session it carries the first 8 bytes of CMAC(data || 00). */
  private okOut(data: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (!this.sm || !this.sessionKey) return sw(0, data);
    this.iv = simCmacIv(this.sessionKey, this.iv, cat(data, new Uint8Array([0])));
    return sw(0, cat(data, this.iv.subarray(0, 8)));
  }

  apdu(cmd: Uint8Array): Uint8Array | undefined {
    if (cmd.length < 5 || cmd[0] !== 0x90) return new Uint8Array([0x6e, 0x00]);
    const lc = cmd[4];
    if (cmd.length !== 6 + lc) return new Uint8Array([0x67, 0x00]);
    const data = cmd.subarray(5, 5 + lc);
    const ins = cmd[1];
    const pend = this.pend;
    this.pend = undefined;
    const native = cat(new Uint8Array([ins]), data);
    switch (ins) {
      case 0x5a: {
        if (lc !== 3) return this.fail(0x7e, 'length');
        this.deauth();
        if (same(data, new Uint8Array(3))) { this.app = undefined; return sw(0); }
        this.app = this.apps.find((a) => same(a.aid, data));
        return sw(this.app ? 0x00 : 0xa0);
      }
      case 0x0a:
      case 0xaa: {
        this.deauth();
        if (lc !== 1) return this.fail(0x7e, 'length');
        const kn = data[0];
        const aes = this.app ? true : this.piccAes;
        const key = this.app ? this.app.keys[kn] : kn === 0 ? this.piccKey : undefined;
        if (!key) return this.fail(0x40, 'no-key');
        if (aes !== (ins === 0xaa)) return this.fail(0xae, 'key-type');
        const rb = this.rnd(aes ? 16 : 8);
        this.pend = { kind: aes ? 'aes' : 'des', key, kn, rb };
        if (!aes) return sw(0xaf, des(key, rb));
        const ek = cbc(true, key, new Uint8Array(16), rb);
        this.iv = ek;
        return sw(0xaf, ek);
      }
      case 0xaf: {
        if (!pend) return this.fail(0xae, 'auth');
        const rb = pend.rb, key = pend.key;
        if (pend.kind === 'des') {
          if (lc !== 16) return this.fail(0xae, 'auth');
          // The reader deciphered in send mode; the card inverts with encryption.
          const ra = des(key, data.subarray(0, 8));
          const rbP = des(key, data.subarray(8, 16)).map((b, i) => b ^ data[i]);
          if (!same(rbP, rotl1(rb))) return this.fail(0xae, 'auth');
          this.authKey = pend.kn;
          this.sm = false;
          this.sessionKey = cat(ra.subarray(0, 4), rb.subarray(0, 4));
          this.authentications++;
          return sw(0x00, des(key, rotl1(ra)));
        }
        if (lc !== 32) return this.fail(0xae, 'auth');
        if (this.opts.liar) return sw(0x00, new Uint8Array(crypto.randomBytes(16)));
        const plain = cbc(false, key, this.iv, data);
        this.iv = data.slice(16, 32);
        const ra = plain.slice(0, 16);
        if (!same(plain.subarray(16), rotl1(rb))) return this.fail(0xae, 'auth');
        const out = cbc(true, key, this.iv, rotl1(ra));
        this.sessionKey = cat(ra.subarray(0, 4), rb.subarray(0, 4), ra.subarray(12, 16), rb.subarray(12, 16));
        this.authKey = pend.kn;
        this.sm = true;
        this.iv = new Uint8Array(16);
        this.authentications++;
        return sw(0x00, out);
      }
      case 0x45: {
        if (lc !== 0) return this.fail(0x7e, 'length');
        this.macIn(native);
        const a = this.app;
        const out = a ? new Uint8Array([a.settings === undefined ? 0x0f : a.settings, 0x80 | a.keys.length])
          : new Uint8Array([this.piccSettings, this.piccAes ? 0x81 : 0x01]);
        return this.okOut(out);
      }
      case 0xca: {
        if (this.app) return this.fail(0x1c, 'level');
        if (lc !== 5) return this.fail(0x7e, 'length');
        if (!(this.piccSettings & 4) && this.authKey !== 0) return this.fail(0xae, 'auth');
        this.macIn(native);
        const aid = data.slice(0, 3), n = data[4] & 15;
        if (same(aid, new Uint8Array(3))) return this.fail(0x9e, 'aid');
        if ((data[4] & 0xf0) !== 0x80 || n < 1 || n > 14) return this.fail(0x9e, 'keys');
        if (this.apps.some((a) => same(a.aid, aid))) return this.fail(0xde, 'duplicate');
        const keys: Uint8Array[] = [];
        for (let i = 0; i < n; i++) keys.push(new Uint8Array(16));
        this.apps.push({ aid, keys, settings: data[3] });
        this.applied.push(ins);
        return this.okOut();
      }
      case 0xc4: {
        const a = this.app, sk = this.sessionKey;
        if (!a || !this.sm || !sk || this.authKey < 0) return this.fail(0xae, 'auth');
        if (lc !== 33) return this.fail(0x7e, 'length');
        const kn = data[0] & 15;
        if (kn >= a.keys.length) return this.fail(0x40, 'no-key');
        const rights = (a.settings === undefined ? 0x0f : a.settings) >> 4;
        const allowed = kn === 0 ? this.authKey === 0 && ((a.settings === undefined ? 0x0f : a.settings) & 1) === 1
          : rights === 0 ? this.authKey === 0 : rights === 0x0e ? this.authKey === kn : rights < 14 && this.authKey === rights;
        if (!allowed) return this.fail(0x9d, 'rights');
        const enc = data.subarray(1);
        const p = cbc(false, sk, this.iv, enc);
        const ivAfter = enc.slice(16, 32);
        const sameKey = kn === this.authKey;
        const head = cat(new Uint8Array([0xc4, data[0]]), p.subarray(0, 17));
        const end = sameKey ? 21 : 25;
        if (!same(simCrc32(head), p.subarray(17, 21))) return this.fail(0x1e, 'crc');
        const newKey = sameKey ? p.slice(0, 16) : p.slice(0, 16).map((b, i) => b ^ a.keys[kn][i]);
        if (!sameKey && !same(simCrc32(newKey), p.subarray(21, 25))) return this.fail(0x1e, 'crc');
        if (p.subarray(end).some((b) => b !== 0)) return this.fail(0x1e, 'padding');
        a.keys[kn] = newKey;
        this.applied.push(ins);
        if (sameKey) { this.deauth(); return sw(0); }
        this.iv = ivAfter;
        return this.okOut();
      }
      default:
        return this.fail(0x1c, 'illegal');
    }
  }
}
