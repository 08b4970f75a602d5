/**
 * The firmware bench's board entry (tools/benchmarks/board.ts bundles it for a Puck.js; never in dist/):
 * the real firmware started by the same startFirmware as hal/espruino/boot.ts, on bench ports: a
 * console-driven radio (`ev.connect()`: connect and HELLO; `ev.packets([...hex])`: packets in, the
 * answer's fragments PULLed) and memory sampling at every SHA-256 call, flash write and radio send.
 * Phone key only (the puckjs build has no reader); 1000 keys of capacity, more than a Puck.js holds.
 */
import type { Ports, Radio } from '../../firmware/ports';
import { espruinoOutput, espruinoInput } from './gpio';
import { espruinoTimers } from './timers';
import { espruinoClock } from './clock';
import { espruinoRandom } from './random';
import { espruinoCrypto } from './crypto';
import { espruinoStorage } from './storage';
import { espruinoWatchdog } from './watchdog';
import { startFirmware } from '../../firmware/app';
import { board } from '../boards/puckjs';

const p = board.pins;
let out: string[] = [];
let onC: (id: string) => void = () => {};
let onP: (packet: Uint8Array) => void = () => {};
let links = 0;
let mode = 0, peak = 0;
function sample(): void {
  if (!mode) return;
  const u = process.memory(mode === 2).usage;
  if (u > peak) peak = u;
}
function hex(b: Uint8Array): string { let s = ''; for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; }
function unhex(h: string): Uint8Array { const b = new Uint8Array(h.length >> 1); for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16); return b; }
const c0 = espruinoCrypto(board.crypto.aes);
const s0 = espruinoStorage();
const led = (pin: number | undefined) => (pin === undefined ? undefined : espruinoOutput(pin, true));
// ---- perf instrumentation (issue 15; read by tools/benchmarks/timeline.ts) ----
// While ev.packets times the last packet, every native call the firmware makes through a port
// (SHA-256, Storage read/write), the relay switching on and each radio send is noted as
// [what, start ms, end ms] from the packet's arrival: the host splits the path at these marks and
// counts native time apart from interpreted time.
let tl: [string, number, number][] | null = null, tl0 = 0;
function note(what: string, t0: number): void { if (tl) tl.push([what, (t0 - tl0) * 1000, (getTime() - tl0) * 1000]); }
/** What one mark costs outside the call it times (ms, best of 20 rounds of 20), to take off the interpreted time. */
function markCost(): number {
  let b = 1e9;
  for (let k = 0; k < 20; k++) {
    tl = []; tl0 = getTime();
    const t = getTime();
    for (let j = 0; j < 20; j++) { const t0 = getTime(); note('x', t0); }
    const d = getTime() - t;
    if (d < b) b = d;
  }
  tl = null;
  return b * 1000 / 20;
}
const relay0 = espruinoOutput(p.relay, board.relayActiveHigh);
const relayPort = { set: (on: boolean) => { const t0 = getTime(); relay0.set(on); if (on) note('relay', t0); } };
function sha(d: Uint8Array): Uint8Array { sample(); const t0 = getTime(); const r = c0.sha256(d); note('sha', t0); return r; }
function read(n: string, o?: number, z?: number): string | undefined { const t0 = getTime(); const r = s0.read(n, o, z); note('read', t0); return r; }
function write(n: string, d: string, o?: number, z?: number): boolean { sample(); const t0 = getTime(); const r = s0.write(n, d, o, z); note('write', t0); return r; }
// ---- end of perf instrumentation ----
const radio: Radio = {
  start: (c, _d, q) => { onC = c; onP = q; }, send: (q) => { sample(); const t0 = getTime(); out.push(hex(q)); note('send', t0); }, payloadSize: () => 20,
  linkProtected: () => true, protect: () => {}, disconnect: () => {},
};
const ports: Ports = {
  timers: espruinoTimers(), clock: espruinoClock(), random: espruinoRandom(),
  crypto: { sha256: sha, crc32: c0.crc32 },
  storage: { read: read, write: write, erase: s0.erase, list: s0.list, free: s0.free, compact: s0.compact },
  relay: relayPort, drive: espruinoOutput(p.drive!, board.relayActiveHigh),
  leds: { red: led(p.ledRed), green: led(p.ledGreen), blue: led(p.ledBlue) },
  door: espruinoInput(p.door!, true, 'input_pullup'), button: espruinoInput(p.button!, board.buttonActiveHigh, 'input_pulldown'),
  watchdog: espruinoWatchdog(), console: { log: (m) => console.log(m) },
  radio,
};
const core = startFirmware(ports, { id: board.id, keyCapacity: 1000, logSegments: board.logSegments, logPerSegment: board.logPerSegment })!;
// Each next fragment of an answer PULLed at once, as a phone does (docs/PROTOCOL.md "Pacing").
function pullRest(): void { for (let k = 1; out.length === k && !(parseInt(out[k - 1].substr(0, 2), 16) & 64); k++) onP(new Uint8Array([k])); }
global.ev = {
  /** Connects and asks with HELLO (the board sends nothing unasked); returns the CHALLENGE's packets. */
  connect: () => { out = []; onC('bench-' + (++links)); onP(new Uint8Array([0xc0, 0, 1, 1])); pullRest(); const r = out; out = []; return r.join(' '); },
  /**
   * HELLO (packets in hex) on the link, its answer's fragments PULLed: what the board sent, the
   * interpreter ms from the first packet until the board was done (a HELLO naming a key: the key's
   * work after the CHALLENGE's last fragment, docs/PROTOCOL.md), and the timeline marks of it all.
   */
  hello: (hs: string[]) => {
    out = []; tl = []; tl0 = getTime();
    for (let i = 0; i < hs.length; i++) onP(unhex(hs[i]));
    pullRest();
    const t = (getTime() - tl0) * 1000, marks = tl; tl = null;
    const r = out; out = [];
    return JSON.stringify({ sent: r.join(' '), t: t, marks: marks });
  },
  /** What one timeline mark costs (ms). */
  markCost: () => markCost(),
  /** Feeds packets; returns what the board sent, the interpreter time of the last packet (s), the peak usage sampled, and the last packet's timeline marks. */
  packets: (hs: string[], m?: number, nomarks?: boolean) => {
    out = []; mode = m || 0; peak = 0;
    let t = 0;
    for (let i = 0; i < hs.length; i++) {
      const b = unhex(hs[i]);
      if (i === hs.length - 1 && !nomarks && !mode) tl = []; // no marks while memory is sampled
      const t0 = getTime(); tl0 = t0; onP(b); t = getTime() - t0;
    }
    const marks = tl; tl = null;
    pullRest();
    mode = 0;
    const r = out; out = [];
    return JSON.stringify({ sent: r.join(' '), t: t, peak: peak, relay: core.out.relayOnAt >= 0, marks: marks });
  },
};
