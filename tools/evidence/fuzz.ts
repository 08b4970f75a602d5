/**
 * Fuzzing every parser that takes bytes from outside, with deterministic seeds:
 *
 *   frames       random and structured packets into the car's radio (sim/car.ts, the real bundle)
 *   commands     signed phone-key commands, mutated (message bytes or fragments), into the radio
 *   set-config   SET_CONFIG through the protocol with random JSON / bytes, from the owner
 *   config       sanitizeConfig + save/load with random JSON-like values (firmware/config.ts)
 *   pn532-parse  pn532Parse against an independent reference parser (differential)
 *   pn532-driver the PN532 driver against a simulated PN532 whose I2C reads are mutated
 *   desfire      authenticateDesfire against a simulated card whose APDU answers are mutated
 *   cards        mutated card answers through the car's reader (puckjs-nfc bundle)
 *
 * Invariants, per case: no unlock (relay edge, GRANTED/UNLOCK log entry) without a valid
 * credential, no uncaught error on the board, no reset, no output on past its limit, the radio
 * answers exactly the messages it completed; at the end the reader/radio still works (a valid
 * unlock succeeds). Violations are collected, never thrown, so a run reports all of them.
 *
 *   npx tsx tools/evidence/fuzz.ts --cases 1000000 [--targets frames,commands|all] [--seed 1]
 *
 * Prints one line per target, then one JSON line. Host-only.
 */
import { performance } from 'node:perf_hooks';
import { DROP_GRACE_MS } from '../../firmware/phonekey';
import { createCar, type SimCar, type SimPhone } from '../../sim/car';
import { hostCipher, hostCrypto } from '../host/crypto';
import { flashOf } from '../../sim/provision';
import { SimPn532, type SimCard } from '../../sim/pn532/pn532';
import { SimDesfireCard } from '../../sim/cards/desfire';
import { createReassembler, isPull } from '../../firmware/frames';
import { DEFAULTS, HARD_MAX_DRIVE_MS, HARD_MAX_HOLD_MS, type Config, loadConfig, sanitizeConfig, saveConfig } from '../../firmware/config';
import { authenticateDesfire, diversifyAes128, type DesfireConfig } from '../../firmware/desfire';
import { aesDecryptBlock, aesEncryptBlock } from '../../firmware/aes';
import type { BlockCipher } from '../../firmware/cmac';
import { createPn532, pn532Parse, pn532Release, pn532Start, pn532Transceive } from '../../hal/pn532';
import type { I2CBus } from '../../firmware/ports';
import * as C from '../../firmware/codes';
import { OP, type PhoneKeyFile, command, nodeMac, packets } from '../host/protocol';
import { fakeFlash } from '../../test/support/fake-ports';
import { fakeTimers } from '../../test/nfc/fake-timers';
import { type Spec, UsageError, help, int, parse, runMain, str } from '../host/cli-args';
import { logMirror, mutate, sameBytes, watchOutputs } from './common';
import { type Rng, rng } from '../host/random';

export interface FuzzResult {
  target: string;
  cases: number;
  seed: number;
  ms: number;
  violations: string[];
  stats: Record<string, number>;
}

const TARGETS = ['frames', 'commands', 'set-config', 'config', 'pn532-parse', 'pn532-driver', 'desfire', 'cards'] as const;
export type Target = (typeof TARGETS)[number];

const MAX_VIOLATIONS = 20;
/** The relay's hard limit plus the main loop's guard slack and one tick. */
const RELAY_LIMIT_MS = HARD_MAX_HOLD_MS + 2000;
const DRIVE_LIMIT_MS = HARD_MAX_DRIVE_MS + 2000;

/** Log events that only a proven key (or the owner) may cause, when their reason is R_OK. */
const PRIVILEGED = new Set([C.LOG_GRANTED, C.EV_UNLOCK, C.LOG_DRIVE_ON, C.LOG_KEY_ADDED, C.LOG_KEY_REVOKED, C.LOG_KEY_CHANGED, C.LOG_CONFIG, C.LOG_CLOCK_SET]);

function result(target: string, cases: number, seed: number, t0: number, violations: string[], stats: Record<string, number>): FuzzResult {
  return { target, cases, seed, ms: Math.round(performance.now() - t0), violations, stats };
}

function add(v: string[], msg: string): void {
  if (v.length < MAX_VIOLATIONS) v.push(msg);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// ---------------------------------------------------------------- radio (frames, commands)

/** A random JSON-ish text for SET_CONFIG: config keys with odd values, or plain junk. */
function randomConfigText(r: Rng, skip = ''): string {
  const keys = Object.keys(DEFAULTS).filter((k) => !skip || k.indexOf(skip) < 0).concat(['__proto__', 'constructor', 'x', '']);
  const val = (): string => r.pick([
    () => String(r.int(100000)), () => String(-r.int(100000)), () => '1e308', () => '-1e308', () => '0.5', () => '-0',
    () => 'true', () => 'false', () => 'null', () => '"' + r.int(99) + '"', () => '[]', () => '{}', () => '[1,2]', () => '{"holdMs":99999}',
    () => String(r.u32()), () => '9007199254740993',
  ])();
  const parts: string[] = [];
  for (let i = 0, n = r.int(5); i < n; i++) parts.push(JSON.stringify(r.pick(keys)) + ':' + val());
  const text = '{' + parts.join(',') + '}';
  return r.chance(0.15) ? Buffer.from(mutate(r, Buffer.from(text, 'latin1'), 200)).toString('latin1') : text;
}

function opArgs(r: Rng, op: number, car: SimCar): Uint8Array {
  const ids = Object.values(car.keys).map((k) => k.keyId);
  const be = (v: number) => new Uint8Array([(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255]);
  switch (op) {
    case OP.SET_TIME: return be(r.chance(0.5) ? 1500000000 + r.int(500000000) : r.u32());
    // Lockout settings are left alone here (set-config covers them): a fuzzed threshold of 1 would
    // keep the owner locked out and hide the deeper paths from the rest of the run.
    case OP.SET_CONFIG: return new Uint8Array(Buffer.from(randomConfigText(r, 'lockout').slice(0, 200), 'latin1'));
    case OP.READ_LOG: return be(r.int(200));
    case OP.LIST_KEYS: return new Uint8Array([0, r.int(8)]);
    case OP.REVOKE: case OP.REMOVE: return be(r.chance(0.7) ? r.pick(ids) : r.u32());
    case OP.ADD_KEY: case OP.ENROL_CARD: return r.bytes(r.chance(0.8) ? 23 : r.int(40));
    default: return r.chance(0.8) ? new Uint8Array(0) : r.bytes(r.int(12));
  }
}

/** Ops a valid signed command may carry unmutated: none of them changes the key table. */
const SAFE_OPS = [OP.UNLOCK, OP.UNLOCK, OP.UNLOCK, OP.LOCK, OP.DRIVE, OP.STATUS, OP.READ_LOG, OP.LIST_KEYS, OP.SET_TIME, OP.SET_CONFIG];
const TABLE_OPS = [OP.ADD_KEY, OP.REVOKE, OP.REMOVE, OP.ENROL_CARD];

function randomPacket(r: Rng): Uint8Array {
  return r.bytes(r.chance(0.1) ? r.int(245) : r.int(25));
}

/** A random message of a plausible shape, fragmented as a phone would, sometimes with a broken fragment. */
function structuredPackets(r: Rng, car: SimCar): Uint8Array[] {
  const ids = Object.values(car.keys).map((k) => k.keyId);
  const type = r.pick([1, 2, 2, 2, 3, r.int(256)]);
  let msg: Uint8Array;
  if (type === 2) {
    const args = r.bytes(r.pick([0, 0, 4, 23, r.int(60)]));
    msg = new Uint8Array(8 + args.length + 16);
    msg[0] = 2;
    msg.set(new Uint8Array([0, 0, 0, 0]).map((_, i) => ((r.chance(0.6) ? r.pick(ids) : r.u32()) >>> (24 - 8 * i)) & 255), 1);
    msg[5] = r.chance(0.8) ? r.int(14) : r.int(256);
    msg[6] = r.int(256); msg[7] = r.int(256);
    msg.set(args, 8);
    msg.set(r.bytes(16), 8 + args.length);
  } else {
    msg = r.bytes(1 + r.int(40));
    msg[0] = type;
  }
  const pk = packets(msg, r.chance(0.8) ? 20 : 4 + r.int(240));
  if (r.chance(0.3) && pk.length) { const i = r.int(pk.length); pk[i] = mutate(r, pk[i]); }
  return pk;
}

/** Fragment-level faults on a valid message: a mutated, dropped, repeated, swapped or extra packet. */
function mangleFragments(r: Rng, pk: Uint8Array[]): Uint8Array[] {
  const out = pk.slice();
  const n = 1 + r.int(2);
  for (let k = 0; k < n; k++) {
    const i = r.int(out.length);
    const f = r.int(6);
    if (f === 0 || f === 1) out[i] = mutate(r, out[i]);
    else if (f === 2 && out.length > 1) out.splice(i, 1);
    else if (f === 3) out.splice(i, 0, out[i]);
    else if (f === 4 && out.length > 1) { const j = r.int(out.length); const t = out[i]; out[i] = out[j]; out[j] = t; }
    else out.splice(i, 0, randomPacket(r));
  }
  return out;
}

interface RadioRig {
  car: SimCar;
  phone: SimPhone;
  out: ReturnType<typeof watchOutputs>;
  log: ReturnType<typeof logMirror>;
  resets: number;
}


function provisionConfig(car: SimCar, changes: Partial<Config>): void {
  const flash = flashOf(car.board);
  saveConfig(flash, hostCrypto, loadConfig(flash, hostCrypto).gen, sanitizeConfig({ ...DEFAULTS, ...changes }));
  car.reset();
}

async function radioRig(seed: number, board = 'puckjs', config?: Partial<Config>): Promise<RadioRig> {
  const car = await createCar({ board, demo: true, seed });
  if (config) provisionConfig(car, config);
  const out = watchOutputs(car);
  const log = logMirror(car);
  const phone = car.phone(car.keys.owner);
  phone.connect();
  // The largest MTU the board accepts (53 on nRF52832 boards, 131 on nRF52840): packets up to MTU - 3 are legal.
  car.board.nrf.setMtu(247);
  return { car, phone, out, log, resets: car.board.resets.length };
}

/** Checks after one case; `legitOps` are ops of byte-exact valid commands the board received in it. */
function checkCase(g: RadioRig, v: string[], what: () => string, legitOps: number[], rises: { relay: number; drive: number }, stats: Record<string, number>): void {
  const car = g.car;
  if (g.out.relayRises > rises.relay && legitOps.indexOf(OP.UNLOCK) < 0) add(v, 'relay on without a valid unlock: ' + what());
  if (g.out.driveRises > rises.drive && legitOps.indexOf(OP.DRIVE) < 0) add(v, 'drive on without a valid drive: ' + what());
  if (legitOps.indexOf(OP.UNLOCK) >= 0) g.out.retrigger('relay');
  if (legitOps.indexOf(OP.DRIVE) >= 0) g.out.retrigger('drive');
  for (const e of g.log.poll()) {
    if (e.event === C.EV_ERROR) { stats.faults++; add(v, 'core fault (EV_ERROR) on: ' + what()); }
    if (PRIVILEGED.has(e.event) && e.reason === C.R_OK) {
      stats.privileged++;
      if (!legitOps.length) add(v, `log entry ${e.event} (R_OK) without a valid credential: ` + what());
      if (e.event === C.EV_UNLOCK && legitOps.indexOf(OP.UNLOCK) < 0) add(v, 'EV_UNLOCK logged without a valid unlock: ' + what());
    }
  }
  if (car.board.uncaught.length) { add(v, 'uncaught on the board: ' + car.board.uncaught.join('; ') + ' after ' + what()); car.board.uncaught.length = 0; }
  if (car.board.resets.length !== g.resets) { add(v, 'the board reset (' + car.board.resets[car.board.resets.length - 1].reason + ') after ' + what()); g.resets = car.board.resets.length; }
  if (g.out.maxRelayOnMs() > RELAY_LIMIT_MS) add(v, 'relay on for ' + g.out.maxRelayOnMs() + ' ms');
  if (g.out.maxDriveOnMs() > DRIVE_LIMIT_MS) add(v, 'drive on for ' + g.out.maxDriveOnMs() + ' ms');
  car.board.nrf.notifications.length = 0;
}

/** The end of every radio run: time passes, outputs go off, and the owner still unlocks. */
function finalCheck(g: RadioRig, v: string[], stats: Record<string, number>): void {
  const car = g.car;
  car.advance(61 * 60000); // past any lockout the fuzz or a fuzzed setting may have started, and the relock
  g.log.poll();
  if (car.relayOn() || car.driveOn()) add(v, 'an output is still on an hour after the last input');
  const owner = car.phone(car.keys.owner);
  const a = owner.unlock();
  if (a.status !== C.R_OK || !a.authentic || !car.relayOn()) add(v, `the owner's unlock failed after fuzzing: ${a.type} ${a.reason}`);
  car.advance(40000);
  if (car.relayOn()) add(v, 'relay still on 40 s after the final unlock');
  g.log.poll();
  for (const p of g.log.problems) add(v, 'audit log sequence: ' + p);
  if (car.board.uncaught.length) add(v, 'uncaught on the board at the end: ' + car.board.uncaught.join('; '));
  stats.simHours = +(car.board.clock.now() / 3600000).toFixed(2);
  stats.caughtByPhonekey = car.board.consoleText().split('\n').filter((l) => l.startsWith('phonekey:')).length;
  stats.coreFaultLines = car.board.consoleText().split('\n').filter((l) => l.startsWith('fault:')).length;
}

async function fuzzRadio(mode: 'frames' | 'commands', cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ (mode === 'frames' ? 0xf7 : 0xc0));
  const g = await radioRig(seed, 'puckjs');
  const car = g.car;
  const v: string[] = [];
  const stats: Record<string, number> = { packets: 0, messages: 0, answers: 0, legit: 0, privileged: 0, faults: 0, refused: 0, responses: 0 };
  const oracle = createReassembler(256);
  const realKeys: PhoneKeyFile[] = [car.keys.owner, car.keys.driver, car.keys.guest];
  const fakeKeys: PhoneKeyFile[] = [
    { keyId: car.keys.owner.keyId, secret: r.bytes(16) }, // right id, wrong secret
    { keyId: (r.u32() | 1) >>> 0, secret: r.bytes(16) }, // unknown id
  ];
  for (let c = 0; c < cases; c++) {
    let pk: Uint8Array[];
    let valid: Uint8Array | undefined;
    let validOp = 0;
    let desc = '';
    if (mode === 'frames') {
      pk = r.chance(0.5) ? Array.from({ length: 1 + r.int(4) }, () => randomPacket(r)) : structuredPackets(r, car);
    } else {
      const real = r.chance(0.8);
      const key = real ? r.pick(realKeys) : r.pick(fakeKeys);
      const kind = r.int(20);
      const tableOp = kind === 0;
      const op = tableOp ? r.pick(TABLE_OPS) : r.chance(0.97) ? r.pick(SAFE_OPS) : r.int(256);
      const nonce = g.phone.nonce || new Uint8Array(16);
      const msg = command(nodeMac, key, nonce, op, opArgs(r, op, car), r.chance(0.8) ? 5000 : r.int(65536));
      const mtu = r.chance(0.8) ? 20 : 4 + r.int(car.board.nrf.state.mtu - 6);
      if (!tableOp && kind <= 2) { pk = packets(msg, mtu); desc = 'unmutated'; }
      else if (tableOp || kind < 11) {
        let m = mutate(r, msg, 300);
        for (let i = 0; i < 5 && sameBytes(m, msg); i++) m = mutate(r, msg, 300);
        if (sameBytes(m, msg)) continue;
        pk = packets(m, mtu).length ? packets(m, mtu) : [m.subarray(0, 244)];
        desc = 'message-mutated';
      } else { pk = mangleFragments(r, packets(msg, mtu)); desc = 'fragments-mangled'; }
      if (real) { valid = msg; validOp = op; }
    }
    const rises = { relay: g.out.relayRises, drive: g.out.driveRises };
    const legitOps: number[] = [];
    // Unproven attempts cost the link (firmware/linkguard.ts): a dropped fuzzer connects again, and
    // the board starts a fresh reassembler for the new link.
    if (!g.phone.connected()) { g.phone.connect(); car.board.nrf.setMtu(247); oracle.reset(); stats.reconnects = (stats.reconnects || 0) + 1; }
    const most = car.board.nrf.state.mtu - 3;
    for (const p of pk) {
      if (!g.phone.connected()) break; // dropped after an answer in this case: the rest goes nowhere
      const q = p.length > most ? p.subarray(0, most) : p;
      // A PULL asks for a fragment of the last answer (docs/PROTOCOL.md "Pacing"): not framing.
      const pull = isPull(q);
      const expect = pull ? undefined : oracle.push(q).message;
      stats.packets++;
      let a;
      try { a = g.phone.sendRaw(q); } catch (e) { add(v, 'radio write failed: ' + (e as Error).message); break; }
      if (expect) {
        stats.messages++;
        if (valid && sameBytes(expect, valid)) { legitOps.push(validOp); stats.legit++; }
      }
      if (a) { stats.answers++; if (a.type === 'refused') stats.refused++; if (a.type === 'response') stats.responses++; }
      if (!pull && !!a !== !!expect) add(v, (expect ? 'no answer to a complete message' : 'an answer without a complete message') + ` (case ${c}, packet ${hex(q)})`);
    }
    checkCase(g, v, () => `${mode} case ${c} ${desc} [${pk.map(hex).join(' ')}]`, legitOps, rises, stats);
    // A link the case cost goes once its refusal could be PULLed (DROP_GRACE_MS): let that happen
    // before the next case, which would otherwise lose its packets to the drop.
    car.advance(DROP_GRACE_MS);
    // Time passes between attempts (relock timers fire); a stale nonce is part of the fuzz.
    if (mode === 'commands') car.advance(r.int(300));
    if (v.length >= MAX_VIOLATIONS) break;
  }
  finalCheck(g, v, stats);
  return result(mode, cases, seed, t0, v, stats);
}

// ---------------------------------------------------------------- SET_CONFIG through the protocol

/** Limits as sanitizeConfig applies them, found by asking it (not copied from the source). */
export function configLimits(): Record<string, [number, number]> {
  const lo = sanitizeConfig(Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, -1e308])));
  const hi = sanitizeConfig(Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, 1e308])));
  const out: Record<string, [number, number]> = {};
  for (const k of Object.keys(DEFAULTS)) if (typeof (DEFAULTS as any)[k] === 'number') out[k] = [(lo as any)[k], (hi as any)[k]];
  // relockMs is raised to holdMs and lockoutMaxMs to lockoutBaseMs: the floor seen with all at minimum is the true floor.
  return out;
}

/** What must hold for any configuration the board could end up with. */
export function configProblems(c: any, limits = configLimits()): string[] {
  const out: string[] = [];
  const keys = Object.keys(c || {}).sort().join(','), want = Object.keys(DEFAULTS).sort().join(',');
  if (keys !== want) out.push('keys ' + keys);
  for (const k of Object.keys(DEFAULTS)) {
    const d = (DEFAULTS as any)[k], x = c ? c[k] : undefined;
    if (typeof x !== typeof d) { out.push(k + ' has type ' + typeof x); continue; }
    if (typeof d === 'number') {
      const [a, b] = limits[k];
      if (!Number.isInteger(x) || x < a || x > b) out.push(`${k}=${x} outside [${a}, ${b}]`);
    }
  }
  if (c && c.holdMs > HARD_MAX_HOLD_MS) out.push('holdMs above the hard maximum');
  if (c && c.driveMs > HARD_MAX_DRIVE_MS) out.push('driveMs above the hard maximum');
  if (c && c.relockMs < c.holdMs) out.push('relockMs < holdMs');
  return out;
}

async function fuzzSetConfig(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0x5c);
  const g = await radioRig(seed);
  const car = g.car;
  const v: string[] = [];
  const stats: Record<string, number> = { ok: 0, badInput: 0, other: 0, unlocks: 0, legit: 0, privileged: 0, faults: 0 };
  const limits = configLimits();
  for (let c = 0; c < cases; c++) {
    const text = randomConfigText(r).slice(0, 200);
    const args = r.chance(0.1) ? r.bytes(r.int(200)) : new Uint8Array(Buffer.from(text, 'latin1'));
    const rises = { relay: g.out.relayRises, drive: g.out.driveRises };
    let a;
    try { a = g.phone.run(OP.SET_CONFIG, args); } catch (e) { add(v, 'SET_CONFIG got no answer: ' + (e as Error).message); break; }
    stats.legit++;
    if (a.status === C.R_OK) stats.ok++; else if (a.status === C.R_BAD_INPUT) stats.badInput++; else stats.other++;
    if (a.type === 'response' && !a.authentic) add(v, 'SET_CONFIG answer not authentic');
    if (a.type !== 'response' && a.status !== C.R_LOCKED_OUT) add(v, `the owner's SET_CONFIG was refused: ${a.reason}`);
    if (a.status === C.R_LOCKED_OUT) stats.ownerLockedOut = (stats.ownerLockedOut || 0) + 1;
    const stored = loadConfig(flashOf(car.board), hostCrypto).config;
    for (const p of configProblems(stored, limits)) add(v, `stored config after ${JSON.stringify(text)}: ${p}`);
    if (c % 10 === 9) {
      // Whatever the settings say, an unlock holds the relay no longer than the hard limit.
      const u = g.phone.unlock();
      if (u.status === C.R_OK) stats.unlocks++;
      car.advance(RELAY_LIMIT_MS + 1000);
      // Reconnect as an app does after a long pause: a command on the stale nonce would count as a
      // failure towards lockout (see the set-config note in docs/PERFORMANCE.md).
      g.phone.connect();
    }
    checkCase(g, v, () => `set-config case ${c} ${JSON.stringify(text)}`, [OP.SET_CONFIG, OP.UNLOCK], rises, stats);
    if (v.length >= MAX_VIOLATIONS) break;
  }
  finalCheck(g, v, stats);
  return result('set-config', cases, seed, t0, v, stats);
}

// ---------------------------------------------------------------- sanitizeConfig

function randomValue(r: Rng, depth: number): unknown {
  const k = r.int(depth > 2 ? 9 : 12);
  switch (k) {
    case 0: return r.int(100000) - 50000;
    case 1: return r.pick([NaN, Infinity, -Infinity, -0, 1e308, -1e308, 0.4999, 2.5, Number.MAX_SAFE_INTEGER, 4294967296, Number.MIN_VALUE]);
    case 2: return r.float() * 1e7;
    case 3: return r.chance(0.5);
    case 4: return null;
    case 5: return undefined;
    case 6: return String(r.int(1000));
    case 7: return Buffer.from(r.bytes(r.int(8))).toString('latin1');
    case 8: return r.pick(['', 'true', '30000', '1e9']);
    case 9: return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: return randomObject(r, depth + 1);
  }
}

function randomObject(r: Rng, depth: number): Record<string, unknown> {
  const keys = Object.keys(DEFAULTS).concat(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x']);
  const o: Record<string, unknown> = {};
  for (let i = 0, n = r.int(8); i < n; i++) Object.defineProperty(o, r.pick(keys), { value: randomValue(r, depth), enumerable: true, configurable: true, writable: true });
  return o;
}

async function fuzzConfig(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0xcf);
  const v: string[] = [];
  const stats: Record<string, number> = { roundTrips: 0, json: 0 };
  const limits = configLimits();
  for (let c = 0; c < cases; c++) {
    let input: unknown = r.chance(0.7) ? randomObject(r, 0) : randomValue(r, 0);
    if (r.chance(0.3)) {
      // As it arrives over the air or from flash: through JSON text.
      try { input = JSON.parse(JSON.stringify(input) ?? 'null'); stats.json++; } catch { /* not representable */ }
    }
    let out: Config;
    try { out = sanitizeConfig(input); } catch (e) { add(v, 'sanitizeConfig threw ' + e + ' on ' + String(input)); continue; }
    for (const p of configProblems(out, limits)) add(v, `sanitizeConfig(${safeString(input)}): ${p}`);
    const again = sanitizeConfig(out);
    if (JSON.stringify(again) !== JSON.stringify(out)) add(v, 'not idempotent on ' + safeString(input));
    if (({} as any).holdMs !== undefined) add(v, 'Object.prototype polluted by ' + safeString(input));
    if (c % 20 === 0) {
      const flash = fakeFlash();
      const gen = saveConfig(flash, hostCrypto, undefined, out);
      const back = loadConfig(flash, hostCrypto);
      if (!gen || JSON.stringify(back.config) !== JSON.stringify(out)) add(v, 'config did not survive save/load: ' + JSON.stringify(out));
      stats.roundTrips++;
    }
    if (v.length >= MAX_VIOLATIONS) break;
  }
  return result('config', cases, seed, t0, v, stats);
}

function safeString(x: unknown): string {
  try { return JSON.stringify(x) ?? String(x); } catch { return String(x); }
}

// ---------------------------------------------------------------- pn532Parse (differential)

/** An independent reading of the PN532 user manual's normal information frame, PN532 to host. */
export function referenceParse(buf: Uint8Array, off: number, code: number): Uint8Array | undefined {
  if (off + 7 > buf.length) return undefined;
  if (buf[off] !== 0x00 || buf[off + 1] !== 0x00 || buf[off + 2] !== 0xff) return undefined;
  const len = buf[off + 3], lcs = buf[off + 4];
  if (((len + lcs) & 0xff) !== 0 || len < 2) return undefined;
  const end = off + 5 + len; // index of DCS
  if (end + 1 >= buf.length) return undefined; // the postamble must be inside the buffer
  let s = 0;
  for (let i = off + 5; i <= end; i++) s = (s + buf[i]) & 0xff;
  if (s !== 0 || buf[end + 1] !== 0x00) return undefined;
  if (buf[off + 5] !== 0xd5 || buf[off + 6] !== ((code + 1) & 0xff)) return undefined;
  return buf.slice(off + 7, end);
}

function validFrame(r: Rng, code: number): Uint8Array {
  const data = r.bytes(r.pick([0, 1, 2, 4, 16, r.int(60), r.int(250)]));
  const len = data.length + 2;
  const f = new Uint8Array(len + 7);
  f[2] = 0xff; f[3] = len & 255; f[4] = (256 - len) & 255; f[5] = 0xd5; f[6] = (code + 1) & 255;
  let s = 0xd5 + ((code + 1) & 255);
  data.forEach((b, i) => { f[7 + i] = b; s += b; });
  f[5 + len] = (256 - (s & 255)) & 255;
  return f;
}

async function fuzzPn532Parse(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0x532);
  const v: string[] = [];
  const stats: Record<string, number> = { accepted: 0, rejected: 0, checksum: 0 };
  for (let c = 0; c < cases; c++) {
    const code = r.pick([0x02, 0x14, 0x32, 0x4a, 0x40, 0x16, 0xff, r.int(256)]);
    const off = r.chance(0.8) ? 1 : r.int(4);
    let frame: Uint8Array;
    const k = r.int(10);
    if (k < 2) frame = r.bytes(r.int(70));
    else if (k < 4) frame = validFrame(r, code);
    else if (k < 5) { frame = validFrame(r, code); frame[3] = r.int(256); frame[4] = (256 - frame[3]) & 255; } // consistent LCS, wrong LEN
    else if (k < 6) frame = r.pick([new Uint8Array([0, 0, 0xff, 0, 0xff, 0]), new Uint8Array([0, 0, 0xff, 0xff, 0, 0]), new Uint8Array([0, 0, 0xff, 0xff, 0xff, 0, 5, 0xfb, 0xd5])]);
    else frame = mutate(r, validFrame(r, code), 300);
    const buf = new Uint8Array(off + frame.length + (r.chance(0.5) ? r.int(8) : 0));
    buf.set(r.bytes(off), 0);
    buf.set(frame, off);
    let got: Uint8Array | string;
    try { got = pn532Parse(buf, off, code); } catch (e) { add(v, 'pn532Parse threw ' + e + ' on ' + hex(buf)); continue; }
    const want = referenceParse(buf, off, code);
    if (typeof got === 'string') {
      stats.rejected++;
      if (got === 'bad-checksum') stats.checksum++;
      if (got !== 'protocol' && got !== 'bad-checksum') add(v, 'unknown reason ' + got);
      if (want) add(v, `pn532Parse rejected (${got}) a valid frame: off ${off} code ${code} ${hex(buf)}`);
    } else {
      stats.accepted++;
      if (!want || !sameBytes(got, want)) add(v, `pn532Parse accepted a frame the reference rejects or read other data: off ${off} code ${code} ${hex(buf)}`);
      if (got.byteOffset < buf.byteOffset || got.byteOffset + got.length > buf.byteOffset + buf.length) add(v, 'data outside the buffer');
    }
    if (v.length >= MAX_VIOLATIONS) break;
  }
  return result('pn532-parse', cases, seed, t0, v, stats);
}

// ---------------------------------------------------------------- DESFire with mutated answers

const SITE_KEY = new Uint8Array(Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex'));
const AID = new Uint8Array([0x31, 0x4b, 0x43]);
const SYS = new Uint8Array([0x63, 0x61, 0x72, 0x6b, 0x65, 0x79]);
const softAes: BlockCipher = { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock };

function cardFor(r: Rng, uid: Uint8Array, kind: 'genuine' | 'clone' | 'liar'): SimDesfireCard {
  const key = kind === 'genuine' ? diversifyAes128(hostCipher, SITE_KEY, uid, AID, SYS) : r.bytes(16);
  return new SimDesfireCard(uid, [{ aid: AID, keys: [key] }], { random: (n) => r.bytes(n), liar: kind === 'liar' });
}

/** Wraps a card: each answer may be mutated, dropped or delayed into an error; records whether any was. */
interface MutatingCard extends SimCard { changed: boolean; p: number; inner: SimCard }

function mutatingCard(r: Rng, inner: SimCard, p: number): MutatingCard {
  const m: MutatingCard = {
    inner, p, changed: false,
    get uid() { return m.inner.uid; }, get atqa() { return m.inner.atqa; }, get sak() { return m.inner.sak; }, get ats() { return m.inner.ats; },
    apdu(cmd) {
      const a = m.inner.apdu(cmd);
      if (!r.chance(m.p)) return a;
      const b = r.chance(0.1) ? undefined : mutate(r, a || new Uint8Array(0), 64);
      if (!sameBytes(a, b)) m.changed = true;
      return b;
    },
  } as MutatingCard;
  return m;
}

async function fuzzDesfire(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0xde5);
  const v: string[] = [];
  const stats: Record<string, number> = { ok: 0, refused: 0, genuineUnchanged: 0, throwsFromReader: 0 };
  for (let c = 0; c < cases; c++) {
    const uid = r.bytes(7); uid[0] = 0x04;
    const kind = r.pick(['genuine', 'genuine', 'clone', 'liar'] as const);
    const card = mutatingCard(r, cardFor(r, uid, kind), r.pick([0, 0.2, 0.5, 1]));
    const cfg: DesfireConfig = { siteKey: SITE_KEY, aid: AID, keyNo: 0, systemId: SYS, cipher: r.chance(0.5) ? softAes : hostCipher, random: { bytes: (n) => r.bytes(n) } };
    const throwAt = r.chance(0.05) ? 1 + r.int(3) : 0;
    let sent = 0;
    const calls: Array<[boolean, string, Uint8Array | undefined]> = [];
    const tx = (apdu: Uint8Array, cb: (resp: Uint8Array | undefined, err?: string) => void) => {
      if (++sent === throwAt) { stats.throwsFromReader++; card.changed = true; throw new Error('reader gone'); }
      const a = card.apdu(apdu);
      cb(a, a ? undefined : r.pick(['timeout', 'card-removed', 'protocol']));
    };
    try {
      authenticateDesfire(cfg, tx, uid, r.chance(0.95) ? 0x20 : r.int(256), (ok, reason, sk) => calls.push([ok, reason, sk]));
    } catch (e) {
      add(v, 'authenticateDesfire threw ' + e);
      continue;
    }
    const what = `case ${c}: ${kind} card, answers ${card.changed ? 'changed' : 'intact'}`;
    if (calls.length !== 1) { add(v, `callback called ${calls.length} times; ${what}`); continue; }
    const [ok, reason, sk] = calls[0];
    if (ok) stats.ok++; else stats.refused++;
    const genuineIntact = kind === 'genuine' && !card.changed;
    if (ok && !genuineIntact) add(v, 'authenticated: ' + what);
    if (ok && !sameBytes(sk, (card.inner as SimDesfireCard).sessionKey)) add(v, 'session keys differ: ' + what);
    if (genuineIntact && !ok && sent > 0) add(v, `a genuine card with intact answers was refused (${reason}): ${what}`);
    if (genuineIntact && ok) stats.genuineUnchanged++;
    if (v.length >= MAX_VIOLATIONS) break;
  }
  return result('desfire', cases, seed, t0, v, stats);
}

// ---------------------------------------------------------------- PN532 driver with mutated I2C reads

async function fuzzPn532Driver(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0xd21);
  const v: string[] = [];
  const stats: Record<string, number> = { mutatedReads: 0, nacks: 0, cardsSeen: 0, auths: 0, authOk: 0, readerFaults: 0, recoveredAfterMs: 0 };
  const t = fakeTimers();
  const sim = new SimPn532(t);
  let mutating = true;
  const bus: I2CBus = {
    writeTo: (a, d) => {
      if (mutating && r.chance(0.01)) { stats.nacks++; throw new Error('I2C NACK (fuzz)'); }
      sim.bus.writeTo(a, d);
    },
    readFrom: (a, n) => {
      if (mutating && r.chance(0.01)) { stats.nacks++; throw new Error('I2C NACK (fuzz)'); }
      const b = sim.bus.readFrom(a, n);
      if (!mutating || !r.chance(0.08)) return b;
      stats.mutatedReads++;
      if (n === 1) return new Uint8Array([r.int(256)]);
      const m = mutate(r, b, 80);
      return r.chance(0.8) ? Uint8Array.from({ length: n }, (_, i) => (i < m.length ? m[i] : 0)) : m;
    },
  };
  const reader = createPn532(bus, t, sim.resetPin, { pollMs: 200 });
  const uidG = new Uint8Array([0x04, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60]);
  const genuine = cardFor(r, uidG, 'genuine');
  const clone = cardFor(r, uidG, 'clone');
  const cfg: DesfireConfig = { siteKey: SITE_KEY, aid: AID, keyNo: 0, systemId: SYS, cipher: hostCipher, random: { bytes: (n) => r.bytes(n) } };
  let leaks = 0;
  t.every(7, () => { if (sim.fieldOn && reader.asleep) leaks++; });
  const okAt: number[] = [];
  pn532Start(reader, (uid, sak, info) => {
    stats.cardsSeen++;
    const inField = sim.card;
    authenticateDesfire(cfg, (apdu, cb) => pn532Transceive(reader, apdu, cb), uid, info.sak, (ok) => {
      stats.auths++;
      if (ok) {
        stats.authOk++;
        okAt.push(t.now());
        if (inField !== genuine || !sameBytes(uid, uidG)) add(v, `authenticated a card that is not the genuine one (uid ${hex(uid)}, ${inField === clone ? 'clone' : 'no card'} in the field)`);
      }
      pn532Release(reader);
    });
  }, (reason) => { if (reason === 'reader-fault') stats.readerFaults++; });
  const step = (ms: number) => {
    try { t.tick(ms); } catch (e) { add(v, 'an exception escaped the driver: ' + (e as Error).stack); }
  };
  for (let c = 0; c < cases; c++) {
    sim.card = r.pick([genuine, genuine, clone, undefined]);
    step(200 + r.int(1300));
    sim.card = undefined;
    step(100 + r.int(700));
    if (v.length >= MAX_VIOLATIONS) break;
  }
  // Faults stop: the reader must find and authenticate the genuine card again (after any back-off).
  mutating = false;
  step(1000);
  sim.card = genuine;
  const from = t.now(), before = okAt.length;
  while (okAt.length === before && t.now() - from < 130000) step(100);
  if (okAt.length === before) add(v, 'the reader did not recover: no authentication within 130 s of the faults stopping');
  else stats.recoveredAfterMs = okAt[before] - from;
  sim.card = undefined;
  step(1000);
  if (leaks) add(v, `the field was on while the driver slept (${leaks} samples)`);
  if (sim.fieldOn) add(v, 'the field is still on at the end with no card');
  return result('pn532-driver', cases, seed, t0, v, stats);
}

// ---------------------------------------------------------------- card answers through the car

async function fuzzCards(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0xca4d);
  const car = await createCar({ board: 'puckjs-nfc', demo: true, seed });
  const g: RadioRig = { car, phone: car.phone(car.keys.owner), out: watchOutputs(car), log: logMirror(car), resets: car.board.resets.length };
  const v: string[] = [];
  const stats: Record<string, number> = { taps: 0, intactGenuine: 0, unlocks: 0, privileged: 0, faults: 0, legit: 0 };
  const genuine = mutatingCard(r, car.cards['owner-card'], 0);
  const clone = mutatingCard(r, car.cards['cloned-card'], 0);
  for (let c = 0; c < cases; c++) {
    const card = r.chance(0.7) ? genuine : clone;
    card.p = r.pick([0, 0.3, 0.6, 1]);
    card.changed = false;
    const rises = { relay: g.out.relayRises, drive: g.out.driveRises };
    const exchanges = car.pn532!.exchanges;
    car.tap(card, 1500);
    stats.taps++;
    const intact = card === genuine && !card.changed && car.pn532!.exchanges > exchanges;
    if (intact) stats.intactGenuine++;
    if (g.out.relayRises > rises.relay) stats.unlocks++;
    // A tap is a credential only if the genuine card's answers reached the board intact.
    checkCase(g, v, () => `cards case ${c}: ${card === genuine ? 'genuine' : 'clone'} card, p=${card.p}, answers ${card.changed ? 'changed' : 'intact'}`,
      intact ? [OP.UNLOCK, OP.LOCK] : [], rises, stats);
    car.advance(2500);
    if (v.length >= MAX_VIOLATIONS) break;
  }
  // The reader still works: an intact genuine tap unlocks (lock first if a tap left it unlocked).
  genuine.p = 0;
  car.advance(20000);
  const before = g.out.relayRises;
  car.tap(genuine, 1500);
  if (g.out.relayRises === before) add(v, 'an intact genuine card tap did not unlock after the fuzz');
  car.advance(15000);
  finalCheck(g, v, stats);
  return result('cards', cases, seed, t0, v, stats);
}

// ---------------------------------------------------------------- driver

export async function runTarget(target: Target, cases: number, seed = 1): Promise<FuzzResult> {
  switch (target) {
    case 'frames': return fuzzRadio('frames', cases, seed);
    case 'commands': return fuzzRadio('commands', cases, seed);
    case 'set-config': return fuzzSetConfig(cases, seed);
    case 'config': return fuzzConfig(cases, seed);
    case 'pn532-parse': return fuzzPn532Parse(cases, seed);
    case 'pn532-driver': return fuzzPn532Driver(cases, seed);
    case 'desfire': return fuzzDesfire(cases, seed);
    case 'cards': return fuzzCards(cases, seed);
  }
}

const SPEC: Spec = {
  usage: 'npm run evidence:fuzz --',
  options: {
    cases: { type: 'string', arg: 'N', help: 'cases per target, 1 to 100000000 (default 10000)' },
    seed: { type: 'string', arg: 'N', help: 'random seed (default 1)' },
    targets: { type: 'string', arg: 'LIST', help: 'comma-separated, or all: ' + TARGETS.join(', ') + ' (default frames,commands)' },
  },
  notes: 'One JSON line at the end; exit 1 on any violation.',
};

async function main(argv: string[]): Promise<number> {
  const a = parse(argv, SPEC);
  if (a.help) { process.stdout.write(help(SPEC)); return 0; }
  const cases = int(str(a.values, 'cases'), '--cases', { min: 1, max: 100000000, def: 10000 });
  const seed = int(str(a.values, 'seed'), '--seed', { min: 0, max: 0xffffffff, def: 1 });
  const t = str(a.values, 'targets') || 'frames,commands';
  const targets = (t === 'all' ? TARGETS.slice() : t.split(',')) as Target[];
  for (const x of targets) if (!TARGETS.includes(x)) throw new UsageError('unknown target ' + x + '; known: ' + TARGETS.join(', '));
  const results: FuzzResult[] = [];
  for (const target of targets) {
    const res = await runTarget(target, cases, seed);
    results.push(res);
    const rate = Math.round(res.cases / (res.ms / 1000));
    console.log(`${target.padEnd(13)} ${String(res.cases).padStart(8)} cases  ${(res.ms / 1000).toFixed(1).padStart(7)} s  ${String(rate).padStart(7)} cases/s  ` +
      `${res.violations.length} violations  ${JSON.stringify(res.stats)}`);
    for (const x of res.violations) console.log('  VIOLATION ' + x);
  }
  const violations = results.reduce((n, x) => n + x.violations.length, 0);
  console.log(JSON.stringify({ fuzz: targets, casesPerTarget: cases, seed, violations,
    results: results.map((x) => ({ target: x.target, cases: x.cases, ms: x.ms, casesPerSecond: Math.round(x.cases / (x.ms / 1000)), violations: x.violations.length, stats: x.stats })) }));
  return violations ? 1 : 0;
}

if (require.main === module) runMain('fuzz', () => main(process.argv.slice(2)));
