/**
 * The card-tap bench's board entry (tools/benchmarks/card.ts bundles it for puckjs-nfc, with native
 * or with JavaScript AES; never in dist/): the real firmware (startFirmware) with the real PN532
 * driver (hal/pn532.ts) on bench ports, as `cardTap(file, tapRead)` on the console.
 *
 * - The I2C bus replays, in order, the reads the host recorded (files `file` and `file`+'w') from the simulated PN532 and DESFire
 *   card for the same tap (writes are compared with the recording and counted when they differ).
 * - Timers run on virtual time that moves only between callbacks, so only the board's own code is
 *   timed, never the reader's or the card's waits (those are stated from the datasheets).
 * - From the read that reports the card (`tapRead`) to the end of the callback that switched the
 *   relay on, each callback's time is added to the phase it is in: detect (driver + cards.ts up to
 *   the first APDU), pn532 (the driver from an APDU to its answer: frames, polls, parsing), auth
 *   (desfire.ts on each answer), decision (from the callback after the last answer to the relay),
 *   after relay (the rest of that callback). Native calls (AES, SHA-256, Storage) are timed apart.
 * Best of n boots is the host's job (one tap per boot: the first tap after boot, as in a car).
 * `cardParts` then times parts alone, best of n: the key id, the key lookup, the diversification,
 * and the PN532 driver alone on the tap's three APDUs and reads (less disturbed by a loaded host
 * than the whole tap).
 */
import type { I2CBus, Ports, Timers } from '../../firmware/ports';
import { espruinoOutput } from './gpio';
import { espruinoCrypto } from './crypto';
import { espruinoStorage } from './storage';
import { startFirmware } from '../../firmware/app';
import { createPn532, pn532Reader, pn532Transceive } from '../pn532';
import { board } from '../boards/puckjs-nfc';
import { CARD_AID, CARD_SYSTEM_ID, cardKeyId } from '../../firmware/cards';
import { coreKeys, type Core } from '../../firmware/core';
// The key store the firmware keeps (the slot file).
import { type KeyStore, ksLookup, ksOpen } from '../../firmware/keystore';
import { diversifyAes128 } from '../../firmware/desfire';
import { siteLoad } from '../../firmware/site';
import { aesDecryptBlock, aesEncryptBlock } from '../../firmware/aes';

declare const global: any;


// ---- virtual time ----
interface Entry { id: number; at: number; every: number; fn: () => void }
let vnow = 0, seq = 0;
let q: Entry[] = [];
// The bench's own timer bookkeeping stands for setTimeout/clearTimeout, native on a board: timed apart.
const timers: Timers = {
  after: (ms, fn) => { const t0 = pre(); q.push({ id: ++seq, at: vnow + ms, every: 0, fn: fn }); post('timer-call', t0); return seq; },
  every: (ms, fn) => { const t0 = pre(); q.push({ id: ++seq, at: vnow + ms, every: ms < 1 ? 1 : ms, fn: fn }); post('timer-call', t0); return seq; },
  cancel: (id) => { const t0 = pre(); if (id) q = q.filter((e) => e.id !== id); post('timer-call', t0); },
};

// ---- phases ----
let timing = false, cur = '', last = 0, rx = 0, done = false;
const acc: { [phase: string]: number } = {};
const nat: { [kind: string]: number[] } = {};
/** Closes the running stretch into the current phase and starts `phase`. */
function go(phase: string): void {
  const t = getTime();
  if (timing) acc[cur] = (acc[cur] || 0) + (t - last) * 1000;
  cur = phase;
  last = t;
}
/** Around a native call: `const t0 = pre(); ...; post(kind, t0)` (no closure: the bench's own cost stays small). */
function pre(): number {
  go(cur);
  return getTime();
}
function post(kind: string, t0: number): void {
  const d = (getTime() - t0) * 1000;
  if (timing) { const k = cur === 'after relay' ? 'after relay: ' + kind : kind; const n = nat[k] || (nat[k] = [0, 0]); n[0]++; n[1] += d; }
  last = getTime();
}

// ---- the scripted reader ----
// The transcript stays in flash (files of length-prefixed frames), read a frame at a time inside
// a native-timed call: the bench's own bus work is counted as I2C, not as the driver's time.
let file = '', rp = 0, wp = 0, ri = 0, tapAt = -1, mismatches = 0, firstBad = '';
/** The tap's APDUs, and where in the transcript the driver's reads for them start: replayed by the `exchanges` part. */
const xApdus: Uint8Array[] = [];
let xAt = -1;
function frame(name: string, pos: number): string {
  const n = s0.read(name, pos, 1);
  return n === undefined ? '' : s0.read(name, pos + 1, n.charCodeAt(0)) || '';
}
const bus: I2CBus = {
  writeTo: (_a, d) => {
    const t0 = pre();
    const w = frame(file + 'w', wp);
    wp += w.length + 1;
    let same = w.length === d.length;
    for (let i = 0; same && i < d.length; i++) same = w.charCodeAt(i) === d[i];
    if (!same && !mismatches++) firstBad = ri + ': ' + d.join(',');
    post('i2c', t0);
  },
  readFrom: (_a, n) => {
    // A board collects garbage when idle (between polls) or when its memory runs out; this bench runs
    // in one call, never idle, so a collection would land in whichever phase ran out (a phase's
    // time doubled by one tree's memory layout and not another's): collected before the tap, untimed.
    if (ri === tapAt) process.memory();
    const t0 = pre();
    const f = frame(file, rp);
    rp += f.length + 1;
    const r = new Uint8Array(f ? f.length : n);
    for (let i = 0; i < f.length; i++) r[i] = f.charCodeAt(i);
    if (ri++ === tapAt) { timing = true; cur = 'detect'; }
    if (timing && cur === 'pn532' && xAt < 0) xAt = rp - f.length - 1;
    post('i2c', t0);
    return r;
  },
};
const pn = pn532Reader(createPn532(bus, timers, undefined, E.sum));

const c0 = espruinoCrypto(true);
const s0 = espruinoStorage();
const relay0 = espruinoOutput(board.pins.relay, board.relayActiveHigh);
const quiet = { set: () => {} };
const ports: Ports = {
  timers: timers,
  clock: { uptimeMs: () => vnow },
  // Fixed, as the host's recording used it: the card's answers are only right for this RndA.
  random: { bytes: (n) => { const o = new Uint8Array(n); for (let i = 0; i < n; i++) o[i] = (i * 7 + 1) & 255; return o; } },
  crypto: {
    sha256: (d) => { const t0 = pre(); const r = c0.sha256(d); post('sha', t0); return r; },
    crc32: c0.crc32,
    aesEncryptBlock: (k, b, v) => { const t0 = pre(); const r = c0.aesEncryptBlock!(k, b, v); post('aes-block', t0); return r; },
    aesDecryptBlock: (k, b, v) => { const t0 = pre(); const r = c0.aesDecryptBlock!(k, b, v); post('aes-block', t0); return r; },
  },
  storage: {
    read: (n, o, z) => { const t0 = pre(); const r = s0.read(n, o, z); post('read', t0); return r; },
    write: (n, d, o, z) => { const t0 = pre(); const r = s0.write(n, d, o, z); post('write', t0); return r; },
    erase: s0.erase, list: s0.list, free: s0.free, compact: s0.compact,
  },
  relay: { set: (on) => { relay0.set(on); if (on && timing) { go('after relay'); done = true; } } },
  drive: quiet, leds: {},
  watchdog: { start: () => {}, kick: () => {} },
  console: { log: (m) => console.log(m) },
  radio: { start: () => {}, send: () => {}, payloadSize: () => 20, linkProtected: () => false, protect: () => {}, disconnect: () => {} },
  reader: {
    start: pn.start, release: pn.release,
    transceive: (apdu, cb) => { go('pn532'); xApdus.push(apdu); pn.transceive(apdu, (r, e) => { go('auth'); rx++; cb(r, e); }); },
  },
};

/** Runs the earliest timer; false when none is due within `limit` virtual ms. */
function runOne(limit: number): boolean {
  let e: Entry | undefined;
  for (let i = 0; i < q.length; i++) if (!e || q[i].at < e.at || (q[i].at === e.at && q[i].id < e.id)) e = q[i];
  if (!e || e.at > limit) return false;
  vnow = e.at;
  if (e.every) e.at += e.every; else q = q.filter((x) => x !== e);
  if (timing && rx === 3 && cur === 'auth') cur = 'decision';
  last = getTime();
  e.fn();
  go(cur);
  if (done) timing = false;
  return true;
}

let core: Core | undefined;

/** Best of n runs of f, host ms, native calls taken out (as `go` does). */
function best(n: number, f: () => void): number {
  let b = 1e9;
  for (let k = 0; k < n; k++) {
    timing = true; cur = 'x'; acc.x = 0; last = getTime();
    f();
    go('x');
    if (acc.x < b) b = acc.x;
  }
  timing = false;
  return b;
}

// ---- the driver alone (part `exchanges`) ----
// A second reader on the same driver code: the tap's three APDUs again, its bus answering with the
// reads the tap got (from the transcript file, timed apart as the tap's I2C reads are), its timers
// a plain queue run at once (interpreted stand-ins for setTimeout, counted in).
let xq: (() => void)[] = [], xp = 0, xGot = 0;
function xRead(): Uint8Array {
  const t0 = pre();
  const f = frame(file, xp);
  xp += f.length + 1;
  const r = E.toUint8Array(f);
  post('part', t0);
  return r;
}
const xDrv = createPn532({ writeTo: () => {}, readFrom: xRead }, { after: (ms, fn) => { xq.push(fn); return 1; }, every: () => 1, cancel: () => {} }, undefined, E.sum);
let xBack = false;
function xDone(resp: Uint8Array | undefined): void { xBack = true; if (resp) xGot++; }
function exchanges(): void {
  xp = xAt;
  for (let k = 0; k < xApdus.length; k++) {
    // The driver's own state after InListPassiveTarget found the card (internal fields, bench only).
    xDrv.running = true;
    xDrv.card = true;
    xBack = false;
    pn532Transceive(xDrv, xApdus[k], xDone);
    while (xq.length && !xBack) xq.shift()!();
    // What the driver queued after the answer (its hold of the card) is no part of the exchange.
    xq = [];
  }
}

/** Storage whose reads return RAM copies, the copy counted as the native read (taken out of the parts' times). */
const ramStorage = {
  read: (nm: string, o?: number, z?: number) => { const t0 = pre(); const r = s0.read(nm, o, z); const c = r === undefined ? r : E.toString(E.toUint8Array(r)); post('read', t0); return c; },
  write: s0.write, erase: s0.erase, list: s0.list, free: s0.free, compact: s0.compact,
};
let ksRam: KeyStore;

/** After cardTap: the detect phase's parts, each alone, best of n (host ms, natives taken out). */
global.cardParts = function (uid: string, n: number): string {
  const u = new Uint8Array(uid.length >> 1);
  for (let i = 0; i < u.length; i++) u[i] = parseInt(uid.substr(2 * i, 2), 16);
  const id = cardKeyId(ports.crypto.sha256, u);
  const site = siteLoad(ports.storage, ports.crypto, ports.random)!;
  ksRam = ksOpen(ramStorage as any, ports.crypto, board.keyCapacity);
  const c = __HAS_AES__ ? { encrypt: ports.crypto.aesEncryptBlock!, decrypt: ports.crypto.aesDecryptBlock! } : { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock };
  const parts: { [k: string]: number } = {
    keyId: best(n, () => { cardKeyId(ports.crypto.sha256, u); }),
    lookup: best(n, () => { ksLookup(coreKeys(core!) as unknown as KeyStore, id); }),
    // The same over a RAM copy of the table (the copy timed apart, as a native read): an nRF52 reads
    // its mapped flash as memory, this Linux build reads a Storage string's data through file reads.
    lookupRam: best(n, () => { ksLookup(ksRam, id); }),
    diversify: best(n, () => { diversifyAes128(c, site.cardMaster, u, CARD_AID, CARD_SYSTEM_ID); }),
    exchanges: best(n, exchanges),
    exchangesOk: xGot === n * 3 ? 1 : 0,
  };
  if (!__HAS_AES__) {
    // The JavaScript AES (firmware/aes.ts): one block each way with the key's schedules kept, and a
    // key seen for the first time (both schedules, then a block each way), as a new card's key is.
    const k = site.cardMaster, b = new Uint8Array(16);
    parts.aesEncrypt = best(n, () => { aesEncryptBlock(k, b); });
    parts.aesDecrypt = best(n, () => { aesDecryptBlock(k, b); });
    parts.aesNewKey = best(n, () => { const f = new Uint8Array(k); aesEncryptBlock(f, b); aesDecryptBlock(f, b); });
  }
  return JSON.stringify(parts);
};

global.cardTap = function (name: string, tap: number): string {
  file = name;
  tapAt = tap;
  core = startFirmware(ports, { id: board.id, keyCapacity: board.keyCapacity, logSegments: board.logSegments, logPerSegment: board.logPerSegment });
  while (!done && vnow < 5000 && runOne(5000)) { /* virtual time */ }
  return JSON.stringify({ phases: acc, native: nat, relay: done, mismatches: mismatches, firstBad: firstBad, reads: ri, site: !!core });
};
