/**
 * Host helpers for measuring the firmware inside the real Espruino interpreter (ESPRUINO_BIN):
 * a flash image provisioned with N keys (as sim/provision.ts does), and a board-side bench entry
 * that starts the real firmware exactly as hal/espruino/boot.ts does but with a console-driven
 * radio (`ev.connect()`: connect and HELLO; `ev.packets([...hex])`: packets in, the answer's fragments
 * PULLed) and memory sampling at every SHA-256 call, flash
 * write and radio send. The production firmware has no global API; this hook exists only in the
 * bench bundle, never in dist/. Host-only (the entry string is bundled for the board by tools/build).
 */
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { bundleFirmware } from '../build';
import { type Session, startInterpreter } from '../espruino/interpreter';
import { installFlash } from '../../sim/espruino/board';
import { makeBoardDir } from '../../sim/espruino/link';
import { prelude } from '../espruino/boot-bundles';
import { addKey, keyRecord, newSite, writeSite, type SiteSecrets } from '../../sim/provision';
import { fakeFlash, type FakeFlash } from '../../test/support/fake-ports';
import * as C from '../../firmware/codes';
import { type Answer, type PhoneKeyFile, collector, command, nodeMac, packets, parseAnswer } from '../phonekey/protocol';
import { rng } from '../evidence/common';

/** The bench entry: boot.ts's wiring (phone key only, no reader), plus the `ev` console hook. */
export const PHONEKEY_ENTRY = `
import { espruinoOutput, espruinoInput } from './hal/espruino/gpio';
import { espruinoTimers } from './hal/espruino/timers';
import { espruinoClock } from './hal/espruino/clock';
import { espruinoRandom } from './hal/espruino/random';
import { espruinoCrypto } from './hal/espruino/crypto';
import { espruinoStorage } from './hal/espruino/storage';
import { espruinoWatchdog } from './hal/espruino/watchdog';
import { startFirmware } from './firmware/app';
import { siteLoad } from './firmware/site';
import { phoneKeyStart } from './firmware/phonekey';
import { board } from './hal/boards/puckjs';
declare const global: any;
const p = board.pins;
let out = [];
let onC: any, onP: any, links = 0;
let mode = 0, peak = 0;
function sample() {
  if (!mode) return;
  const u = process.memory(mode === 2).usage;
  if (u > peak) peak = u;
}
function hex(b) { let s = ''; for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; }
function unhex(h) { const b = new Uint8Array(h.length >> 1); for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16); return b; }
const c0 = espruinoCrypto(board.crypto.aes);
const s0 = espruinoStorage();
const led = (pin) => (pin === undefined ? undefined : espruinoOutput(pin, true));
const timers = espruinoTimers();
// ---- perf instrumentation (issue 15; read by tools/bench/timeline.ts) ----
// While ev.packets times the last packet, every native call the firmware makes through a port
// (SHA-256, Storage read/write), the relay switching on and each radio send is noted as
// [what, start ms, end ms] from the packet's arrival: the host splits the path at these marks and
// counts native time apart from interpreted time.
let tl: any = null, tl0 = 0;
function note(what, t0) { if (tl) tl.push([what, (t0 - tl0) * 1000, (getTime() - tl0) * 1000]); }
/** What one mark costs outside the call it times (ms, best of 20 rounds of 20), to take off the interpreted time. */
function markCost() { let b = 1e9; for (let k = 0; k < 20; k++) { tl = []; tl0 = getTime(); const t = getTime(); for (let j = 0; j < 20; j++) { const t0 = getTime(); note('x', t0); } const d = getTime() - t; if (d < b) b = d; } tl = null; return b * 1000 / 20; }
const relay0 = espruinoOutput(p.relay, board.relayActiveHigh);
const relayPort = { set: (on) => { const t0 = getTime(); relay0.set(on); if (on) note('relay', t0); } };
function sha(d) { sample(); const t0 = getTime(); const r = c0.sha256(d); note('sha', t0); return r; }
function read(n, o, z) { const t0 = getTime(); const r = s0.read(n, o, z); note('read', t0); return r; }
function write(n, d, o, z) { sample(); const t0 = getTime(); const r = s0.write(n, d, o, z); note('write', t0); return r; }
// ---- end of perf instrumentation ----
const ports: any = {
  timers, clock: espruinoClock(), random: espruinoRandom(),
  crypto: { sha256: sha, crc32: c0.crc32 },
  storage: { read: read, write: write, erase: s0.erase, list: s0.list, free: s0.free, compact: s0.compact },
  relay: relayPort, drive: espruinoOutput(p.drive, board.relayActiveHigh),
  leds: { red: led(p.ledRed), green: led(p.ledGreen), blue: led(p.ledBlue) },
  door: espruinoInput(p.door, true, 'input_pullup'), button: espruinoInput(p.button, board.buttonActiveHigh, 'input_pulldown'),
  watchdog: espruinoWatchdog(), console: { log: (m) => console.log(m) },
  radio: { start: (c, d, q) => { onC = c; onP = q; }, send: (q) => { sample(); const t0 = getTime(); out.push(hex(q)); note('send', t0); }, payloadSize: () => 20, linkProtected: () => true, protect: () => {}, disconnect: () => {} },
};
const site = siteLoad(ports.storage, ports.crypto, ports.random);
const core = startFirmware(ports, board.id, { keyCapacity: 1000, logSegments: board.logSegments, logPerSegment: board.logPerSegment });
phoneKeyStart(core, ports.radio, site);
// Each next fragment of an answer PULLed at once, as a phone does (docs/PROTOCOL.md "Pacing").
function pullRest() { for (let k = 1; out.length === k && !(parseInt(out[k - 1].substr(0, 2), 16) & 64); k++) onP(new Uint8Array([k])); }
global.ev = {
  /** Connects and asks with HELLO (the board sends nothing unasked); returns the CHALLENGE's packets. */
  connect: () => { out = []; onC('bench-' + (++links)); onP(new Uint8Array([0xc0, 0, 1, 1])); pullRest(); const r = out; out = []; return r.join(' '); },
  /** Feeds packets; returns what the board sent, the interpreter time of the last packet (s), and the peak usage sampled. */
  markCost: () => markCost(),
  packets: (hs, m, nomarks) => {
    out = []; mode = m || 0; peak = 0;
    let t = 0;
    for (let i = 0; i < hs.length; i++) { const b = unhex(hs[i]); if (i === hs.length - 1 && !nomarks && !mode) tl = []; /* no marks while memory is sampled */ const t0 = getTime(); tl0 = t0; onP(b); t = getTime() - t0; }
    const marks = tl; tl = null;
    pullRest();
    mode = 0;
    const r = out; out = [];
    return JSON.stringify({ sent: r.join(' '), t: t, peak: peak, relay: core.out.relayOnAt >= 0, marks: marks });
  },
};
`;

export interface Image {
  flash: FakeFlash;
  site: SiteSecrets;
  owner: PhoneKeyFile;
  guest: PhoneKeyFile;
}

/** A flash image as the USB tool writes it: site secrets, an owner, a guest and n-2 more keys. */
export function provisionImage(n: number, seed = 1): Image {
  const r = rng(seed);
  const flash = fakeFlash(1 << 20);
  const site = newSite((k) => r.bytes(k));
  writeSite(flash, site);
  if (n === 0) return { flash, site, owner: { keyId: 1, secret: new Uint8Array(16) }, guest: { keyId: 2, secret: new Uint8Array(16) } };
  const owner = addKey(flash, site, 2000, keyRecord(0x10000001, C.ROLE_OWNER, { label: 'owner' }));
  const guest = addKey(flash, site, 2000, keyRecord(0x10000002, C.ROLE_GUEST, { label: 'guest' }));
  // The rest in one table write: adding one at a time rewrites the table n times.
  for (let i = 3; i <= n; i++) addKey(flash, site, 2000, keyRecord((0x20000000 + i * 7919) >>> 0, C.ROLE_GUEST, { label: 'k' + i }));
  return { flash, site, owner, guest };
}

/** Writes the image's files, the prelude and `bundle` (as .bootcde) into a fresh Storage; boots from it. */
export async function bootImage(bin: string, image: Image | undefined, bundle: string, settleMs = 400): Promise<Session> {
  // The Linux interpreter sometimes aborts on console input (ASSERT(len <= 64) in jsdevices.c,
  // or a garbled line that never answers, more often under load): a fresh attempt in a fresh directory gets through.
  for (let attempt = 1; ; attempt++) {
    try {
      return await bootImageOnce(bin, image, bundle, settleMs);
    } catch (e) {
      if (attempt >= 4) throw e;
    }
  }
}

async function bootImageOnce(bin: string, image: Image | undefined, bundle: string, settleMs: number): Promise<Session> {
  const dir = makeBoardDir();
  // Installed through the interpreter's own file API, not its console (which drops characters).
  const files: Record<string, string> = {};
  if (image) for (const [name, f] of image.flash.files) files[name] = f.data.toString('latin1');
  files['.boot0'] = prelude();
  files['.bootcde'] = bundle;
  installFlash(bin, dir, files);
  const s = startInterpreter(bin, dir);
  await new Promise((res) => setTimeout(res, settleMs));
  return s;
}

/** One timeline mark from the bench bundle: what (sha, read, write, relay, send), start and end in ms after the last packet arrived. */
export type Mark = [string, number, number];

/**
 * The reference loop of ../shared/device-time.md (280 ms on an nRF52), typed at the interpreter's
 * console exactly as published; best of 20, in ms of this interpreter.
 */
export async function referenceMs(s: Session): Promise<number> {
  const out = await s.eval('function nojit(){for(i=0;i<1000;i=i+1);} var rb=1e9;for(var rk=0;rk<20;rk++){var rt=getTime();nojit();rt=getTime()-rt;if(rt<rb)rb=rt;} print(rb*1000)', 30000);
  return Number(out.trim().split('\n').pop());
}

export async function memoryUsage(s: Session): Promise<number> {
  const out = await s.eval('print(process.memory().usage)');
  return Number(out.trim().split('\n').pop());
}

let benchBundle: string | undefined;
export async function phoneKeyBenchBundle(): Promise<string> {
  if (!benchBundle) benchBundle = (await bundleFirmware(boardById('puckjs') as BoardConfig, { entry: PHONEKEY_ENTRY })).code;
  return benchBundle;
}

export interface BoardPhone {
  connect(): Promise<Answer>;
  /** Sends one signed command; `mode` 1 samples usage without GC, 2 with GC (live), 0 none; `nomarks`: no timeline. */
  run(key: PhoneKeyFile, op: number, args?: Uint8Array, mode?: number, nomarks?: boolean): Promise<{ answer: Answer; seconds: number; peak: number; relay: boolean; marks: Mark[] }>;
  raw(hexPackets: string[]): Promise<Answer | undefined>;
}

/** A phone talking to the bench bundle through the interpreter's console. */
export function boardPhone(s: Session): BoardPhone {
  let nonce: Uint8Array | undefined;
  const decode = (key: PhoneKeyFile | undefined, sent: string, sentNonce?: Uint8Array): Answer | undefined => {
    const collect = collector();
    let msg: Uint8Array | undefined;
    for (const h of sent.split(' ').filter(Boolean)) msg = collect(new Uint8Array(Buffer.from(h, 'hex'))) || msg;
    if (!msg) return undefined;
    const a = parseAnswer(nodeMac, key, msg, sentNonce);
    if (a.nonce) nonce = a.nonce;
    return a;
  };
  const feed = async (pk: Uint8Array[], mode: number, nomarks?: boolean) => {
    const js = `print(ev.packets(${JSON.stringify(pk.map((p) => Buffer.from(p).toString('hex')))}, ${mode}, ${nomarks ? 1 : 0}))`;
    return JSON.parse((await s.eval(js, 30000)).trim().split('\n').pop()!);
  };
  const phone: BoardPhone = {
    connect: async () => {
      const sent = (await s.eval('print(ev.connect())')).trim().split('\n').pop()!;
      const a = decode(undefined, sent);
      if (!a || a.type !== 'challenge') throw new Error('no challenge from the board: ' + sent);
      return a;
    },
    run: async (key, op, args, mode = 0, nomarks = false) => {
      if (!nonce) await phone.connect();
      const n = nonce!;
      const r = await feed(packets(command(nodeMac, key, n, op, args)), mode, nomarks);
      const answer = decode(key, r.sent, n);
      if (!answer) throw new Error('no answer from the board');
      return { answer, seconds: r.t, peak: r.peak, relay: r.relay, marks: r.marks || [] };
    },
    raw: async (hexPackets) => {
      const r = await feed(hexPackets.map((h) => new Uint8Array(Buffer.from(h, 'hex'))), 0);
      return decode(undefined, r.sent);
    },
  };
  return phone;
}
