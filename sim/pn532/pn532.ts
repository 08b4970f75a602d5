/**
 * A simulated PN532 on an I2C bus at address 0x24, at the frame level: status byte (0x01 = ready)
 * before every read, ACK frames, normal information frames with LEN/LCS and DCS, and the commands
 * the driver uses (GetFirmwareVersion, SAMConfiguration, RFConfiguration, InListPassiveTarget
 * 106 kbps type A, InDataExchange, PowerDown). Its delays run on the injected Timers, so tests with
 * fake timers are deterministic. Faults on demand: hang, garbage frames, bad checksums, card
 * removed mid-exchange, NACK on wake-up. Host-only: never bundled for the board.
 */
import type { I2CBus, Output, Timers } from '../../firmware/ports';

/** A card in the field. `apdu` answers an InDataExchange payload, or undefined for no answer. */
export interface SimCard {
  uid: Uint8Array;
  atqa: number;
  sak: number;
  ats?: Uint8Array;
  apdu(cmd: Uint8Array): Uint8Array | undefined;
}

export interface SimPn532Faults {
  /** Accepts writes but never becomes ready again. Cleared by a reset pulse unless `hangSurvivesReset`. */
  hang?: boolean;
  hangSurvivesReset?: boolean;
  /** The next N response frames are replaced with garbage bytes. */
  garbage?: number;
  /** The next N response frames get a wrong DCS (data checksum). */
  badDcs?: number;
  /** The next N response frames get a wrong LCS (length checksum). */
  badLcs?: number;
  /** The card leaves the field just before the N-th InDataExchange from now (1 = the next one). */
  removeAtExchange?: number;
  /** The first I2C transaction after PowerDown is NACKed (throws), as a waking chip may do. */
  nackOnWake?: boolean;
}

const ADDRESS = 0x24;
const ACK = new Uint8Array([0, 0, 0xff, 0, 0xff, 0]);

export class SimPn532 {
  readonly bus: I2CBus;
  readonly resetPin: Output;
  card: SimCard | undefined;
  faults: SimPn532Faults = {};
  fieldOn = false;
  poweredDown = false;
  /** Reset pulses seen (assert edges), command codes received, InDataExchanges run. */
  resets = 0;
  commands: number[] = [];
  exchanges = 0;
  private inReset = false;
  private booting = false;
  private ready = false;
  private out: Uint8Array | undefined;
  private pending: { code: number; params: Uint8Array } | undefined;
  private timer = 0;

  constructor(private readonly timers: Timers, private readonly delays = { cmd: 2, list: 10, listEmpty: 30, exchange: 15, boot: 20 }) {
    this.bus = { writeTo: (a, d) => this.writeTo(a, d), readFrom: (a, n) => this.readFrom(a, n) };
    this.resetPin = { set: (on) => this.setReset(on) };
  }

  private nack(): never {
    throw new Error('I2C NACK');
  }

  private writeTo(address: number, data: Uint8Array): void {
    if (address !== ADDRESS || this.inReset || this.booting) this.nack();
    if (this.poweredDown) {
      this.poweredDown = false;
      if (this.faults.nackOnWake) this.nack();
    }
    if (this.faults.hang) return;
    if (data.length === 6 && data.every((b, i) => b === ACK[i])) {
      // Host ACK: abort whatever runs.
      this.abort();
      return;
    }
    const f = parseCommand(data);
    if (!f) return; // a real PN532 ignores a frame it cannot parse
    this.abort();
    this.commands.push(f.code);
    this.pending = f;
    this.out = ACK;
    this.ready = true;
  }

  private readFrom(address: number, n: number): Uint8Array {
    if (address !== ADDRESS || this.inReset || this.booting) this.nack();
    const r = new Uint8Array(n);
    if (this.faults.hang || !this.ready || !this.out) return r;
    r[0] = 1;
    if (n === 1) return r;
    r.set(this.out.subarray(0, n - 1), 1);
    const wasAck = this.out === ACK;
    this.ready = false;
    this.out = undefined;
    if (wasAck && this.pending) {
      const p = this.pending;
      this.timer = this.timers.after(this.delayFor(p.code), () => { this.timer = 0; this.process(p.code, p.params); });
    }
    return r;
  }

  private delayFor(code: number): number {
    if (code === 0x4a) return this.card ? this.delays.list : this.delays.listEmpty;
    return code === 0x40 ? this.delays.exchange : this.delays.cmd;
  }

  private abort(): void {
    this.timers.cancel(this.timer);
    this.timer = 0;
    this.pending = undefined;
    this.out = undefined;
    this.ready = false;
  }

  private setReset(on: boolean): void {
    if (on && !this.inReset) {
      this.resets++;
      this.abort();
      this.inReset = true;
      this.fieldOn = false;
      this.poweredDown = false;
      if (!this.faults.hangSurvivesReset) this.faults.hang = false;
    } else if (!on && this.inReset) {
      this.inReset = false;
      this.booting = true;
      this.timer = this.timers.after(this.delays.boot, () => { this.timer = 0; this.booting = false; });
    }
  }

  private process(code: number, p: Uint8Array): void {
    this.pending = undefined;
    if (this.faults.hang) return;
    let data: number[] | undefined;
    switch (code) {
      case 0x02: data = [0x32, 0x01, 0x06, 0x07]; break;
      case 0x14: data = []; break;
      case 0x32:
        if (p[0] === 1) this.fieldOn = (p[1] & 1) === 1;
        data = [];
        break;
      case 0x4a: data = this.list(p); break;
      case 0x40: data = this.exchange(p); break;
      case 0x16: data = [0]; this.fieldOn = false; this.poweredDown = true; break;
      default: data = undefined;
    }
    this.out = data ? this.corrupt(responseFrame(code + 1, data)) : new Uint8Array([0, 0, 0xff, 1, 0xff, 0x7f, 0x81, 0]);
    this.ready = true;
  }

  private list(p: Uint8Array): number[] | undefined {
    if (p[0] < 1 || p[0] > 2 || p[1] !== 0) return undefined;
    this.fieldOn = true;
    const c = this.card;
    if (!c) return [0];
    const d = [1, 1, c.atqa >> 8, c.atqa & 255, c.sak, c.uid.length];
    c.uid.forEach((b) => d.push(b));
    if (c.ats) c.ats.forEach((b) => d.push(b));
    return d;
  }

  private exchange(p: Uint8Array): number[] {
    this.exchanges++;
    if (this.faults.removeAtExchange && --this.faults.removeAtExchange === 0) this.card = undefined;
    if (!this.card || !this.fieldOn || p[0] !== 1) return [0x01];
    const resp = this.card.apdu(p.slice(1));
    if (!resp) return [0x01];
    return [0].concat([...resp]);
  }

  private corrupt(f: Uint8Array): Uint8Array {
    const fl = this.faults;
    if (fl.garbage && fl.garbage > 0) {
      fl.garbage--;
      const g = new Uint8Array(f.length);
      for (let i = 0; i < g.length; i++) g[i] = (i * 73 + 41) & 255;
      return g;
    }
    if (fl.badDcs && fl.badDcs > 0) { fl.badDcs--; f[f.length - 2] ^= 0x5a; }
    else if (fl.badLcs && fl.badLcs > 0) { fl.badLcs--; f[4] ^= 0x01; }
    return f;
  }
}

/** Parses a host frame `00 00 FF LEN LCS D4 code params DCS 00`; undefined when malformed. */
function parseCommand(d: Uint8Array): { code: number; params: Uint8Array } | undefined {
  if (d.length < 9 || d[0] !== 0 || d[1] !== 0 || d[2] !== 0xff) return undefined;
  const len = d[3];
  if (((len + d[4]) & 255) !== 0 || len < 2 || d.length < len + 7 || d[5] !== 0xd4) return undefined;
  let sum = 0;
  for (let i = 0; i <= len; i++) sum += d[5 + i];
  if ((sum & 255) !== 0 || d[6 + len] !== 0) return undefined;
  return { code: d[6], params: d.slice(7, 5 + len) };
}

/** A PN532-to-host normal information frame. */
export function responseFrame(code: number, data: number[]): Uint8Array {
  const len = data.length + 2;
  const f = new Uint8Array(len + 7);
  f[2] = 0xff; f[3] = len; f[4] = (256 - len) & 255; f[5] = 0xd5; f[6] = code;
  let sum = 0xd5 + code;
  data.forEach((b, i) => { f[7 + i] = b; sum += b; });
  f[5 + len] = (256 - (sum & 255)) & 255;
  return f;
}
