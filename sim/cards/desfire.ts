/**
 * Simulated MIFARE DESFire EV1-style card: applications with AES-128 keys, ISO 7816 wrapped
 * native commands (CLA 0x90): SelectApplication (5A) and AuthenticateAES (AA, AF) with real
 * mutual authentication and session key derivation, CBC with IV chaining done by node:crypto's
 * own AES-128-CBC (independent of firmware/aes.ts). Host-only.
 */
import * as crypto from 'node:crypto';
import type { SimCard } from '../pn532/pn532';

export interface SimDesfireApp {
  aid: Uint8Array;
  keys: Uint8Array[];
}

export interface SimDesfireOptions {
  /** Card randomness (RndB); node:crypto by default. */
  random?: (n: number) => Uint8Array;
  /** A forged clone that skips checking the reader and answers the last step with made-up bytes. */
  liar?: boolean;
}

function cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = encrypt ? crypto.createCipheriv('aes-128-cbc', key, iv) : crypto.createDecipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

const rotl1 = (b: Uint8Array) => new Uint8Array([...b.subarray(1), b[0]]);
const sw = (s2: number, data?: Uint8Array) => new Uint8Array([...(data || []), 0x91, s2]);

export class SimDesfireCard implements SimCard {
  atqa = 0x0344;
  sak = 0x20;
  ats = new Uint8Array([0x06, 0x75, 0x77, 0x81, 0x02, 0x80]);
  /** Session key of the last successful authentication (for tests). */
  sessionKey: Uint8Array | undefined;
  authentications = 0;
  private app: SimDesfireApp | undefined;
  private key: Uint8Array | undefined;
  private rb: Uint8Array | undefined;
  private iv: Uint8Array = new Uint8Array(16);

  constructor(readonly uid: Uint8Array, readonly apps: SimDesfireApp[], private readonly opts: SimDesfireOptions = {}) {}

  apdu(cmd: Uint8Array): Uint8Array | undefined {
    if (cmd.length < 5 || cmd[0] !== 0x90) return new Uint8Array([0x6e, 0x00]);
    const lc = cmd[4];
    if (cmd.length !== 6 + lc) return new Uint8Array([0x67, 0x00]);
    const data = cmd.subarray(5, 5 + lc);
    const ins = cmd[1];
    if (ins !== 0xaf) this.rb = undefined;
    if (ins === 0x5a) {
      this.app = this.apps.find((a) => Buffer.from(a.aid).equals(Buffer.from(data)));
      this.sessionKey = undefined;
      return sw(this.app ? 0x00 : 0xa0);
    }
    if (ins === 0xaa) {
      const key = this.app && lc === 1 ? this.app.keys[data[0]] : undefined;
      if (!key) return sw(0x40);
      this.key = key;
      this.rb = (this.opts.random || ((n: number) => new Uint8Array(crypto.randomBytes(n))))(16);
      const ek = cbc(true, key, new Uint8Array(16), this.rb);
      this.iv = ek;
      return sw(0xaf, ek);
    }
    if (ins === 0xaf) {
      const rb = this.rb, key = this.key;
      this.rb = undefined;
      if (!rb || !key || lc !== 32) return sw(0xae);
      if (this.opts.liar) return sw(0x00, new Uint8Array(crypto.randomBytes(16)));
      const plain = cbc(false, key, this.iv, data);
      this.iv = data.slice(16, 32);
      const ra = plain.slice(0, 16);
      if (!Buffer.from(plain.subarray(16)).equals(Buffer.from(rotl1(rb)))) return sw(0xae);
      const out = cbc(true, key, this.iv, rotl1(ra));
      this.iv = out;
      this.sessionKey = new Uint8Array([...ra.subarray(0, 4), ...rb.subarray(0, 4), ...ra.subarray(12, 16), ...rb.subarray(12, 16)]);
      this.authentications++;
      return sw(0x00, out);
    }
    return sw(0x1c);
  }
}
