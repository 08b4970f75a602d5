/**
 * Ports for unit tests of firmware/ modules: virtual time, a flash with Espruino's Storage
 * semantics (whole-file rewrite erases first, pre-size + offset fill, no rewriting written bytes,
 * capacity) and power cuts at the N-th write, recorded outputs, scripted inputs, seeded randomness.
 * The whole-system tests use the simulator instead, which runs the built bundle.
 */
import type { Clock, Crypto, FlashStorage, Input, Output, Ports, Random, Timers, Watchdog } from '../../firmware/ports';
import { hostCrypto, hostCryptoWithAes } from '../../tools/host/crypto';

export class PowerCut extends Error {}

export interface FakeTime {
  now: number;
  timers: Timers;
  clock: Clock;
  advance(ms: number): void;
  pending(): number;
}

export function fakeTime(): FakeTime {
  let seq = 0;
  const queue: Array<{ id: number; at: number; every: number; fn: () => void }> = [];
  const t: FakeTime = {
    now: 0,
    clock: { uptimeMs: () => t.now },
    timers: {
      after: (ms, fn) => { const id = ++seq; queue.push({ id, at: t.now + Math.max(0, ms), every: 0, fn }); return id; },
      every: (ms, fn) => { const id = ++seq; queue.push({ id, at: t.now + ms, every: ms, fn }); return id; },
      cancel: (id) => { const i = queue.findIndex((q) => q.id === id); if (i >= 0) queue.splice(i, 1); },
    },
    advance(ms: number) {
      const end = t.now + ms;
      for (;;) {
        queue.sort((a, b) => a.at - b.at || a.id - b.id);
        const next = queue[0];
        if (!next || next.at > end) break;
        t.now = next.at;
        if (next.every) next.at += next.every; else queue.shift();
        next.fn();
      }
      t.now = end;
    },
    pending: () => queue.length,
  };
  return t;
}

interface FlashFile { data: Buffer; written: boolean[] }

export interface FakeFlash extends FlashStorage {
  files: Map<string, FlashFile>;
  writes: number;
  /** The n-th write from now (1 = the next) writes only `keep` of its bytes, then power is cut. */
  cutAtWrite(n: number, keep?: number): void;
  dead: boolean;
  capacity: number;
}

const HEADER = 32;

export function fakeFlash(capacity = 40960): FakeFlash {
  let cutIn = 0, keepFrac = 0.5;
  const used = () => { let n = 0; for (const f of flash.files.values()) n += HEADER + ((f.data.length + 3) & ~3); return n; };
  const flash: FakeFlash = {
    files: new Map(), writes: 0, dead: false, capacity,
    cutAtWrite(n, keep = 0.5) { cutIn = n; keepFrac = keep; },
    read(name, offset, length) {
      const f = flash.files.get(name.slice(0, 28));
      if (!f) return undefined;
      const start = offset || 0;
      const end = length === undefined ? f.data.length : Math.min(f.data.length, start + length);
      return f.data.subarray(start, end).toString('latin1');
    },
    write(name, data, offset, size) {
      if (flash.dead) throw new PowerCut('power is off');
      name = name.slice(0, 28);
      const bytes = Buffer.from(data, 'latin1');
      offset = offset || 0;
      flash.writes++;
      let keep = bytes.length;
      const cut = cutIn > 0 && --cutIn === 0;
      if (cut) keep = Math.floor(bytes.length * keepFrac);
      let f = flash.files.get(name);
      if (offset === 0) {
        if (size === undefined && bytes.length === 0) throw new Error("Can't create zero length file");
        const total = size === undefined ? bytes.length : size;
        if (bytes.length > total) return false;
        flash.files.delete(name); // the old copy is erased before the new one is written
        if (used() + HEADER + total > capacity) { if (cut) { flash.dead = true; throw new PowerCut('cut'); } return false; }
        f = { data: Buffer.alloc(total, 0xff), written: new Array(total).fill(false) };
        flash.files.set(name, f);
      } else if (!f || offset + bytes.length > f.data.length) {
        if (cut) { flash.dead = true; throw new PowerCut('cut'); }
        return false;
      }
      for (let i = 0; i < keep; i++) {
        const at = offset + i;
        if (f.written[at] && f.data[at] !== bytes[i]) throw new Error('File already written with different data');
        f.data[at] = bytes[i];
        f.written[at] = true;
      }
      if (cut) { flash.dead = true; throw new PowerCut('power cut during write ' + flash.writes); }
      return true;
    },
    erase(name) {
      if (flash.dead) throw new PowerCut('power is off');
      flash.files.delete(name.slice(0, 28));
    },
    list(prefix) { return [...flash.files.keys()].filter((k) => k.startsWith(prefix)); },
    free() { return capacity - used(); },
    compact() { return false; },
  };
  return flash;
}

export function nodeCrypto(withAes = true): Crypto {
  return withAes ? hostCryptoWithAes() : { ...hostCrypto };
}

export interface RecordedOutput extends Output { on: boolean; history: Array<[number, boolean]> }

export function recordedOutput(time: FakeTime): RecordedOutput {
  const o: RecordedOutput = { on: false, history: [], set(v) { o.on = v; o.history.push([time.now, v]); } };
  return o;
}

export interface ScriptedInput extends Input { level: boolean; change(level: boolean): void }

export function scriptedInput(initial = false): ScriptedInput {
  const watchers: Array<(s: boolean) => void> = [];
  const i: ScriptedInput = {
    level: initial,
    read: () => i.level,
    watch: (fn) => { watchers.push(fn); },
    change(level) { i.level = level; watchers.forEach((w) => w(level)); },
  };
  return i;
}

export function seededRandom(seed = 1): Random {
  let s = seed >>> 0 || 1;
  return {
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out[i] = s & 255; }
      return out;
    },
  };
}

export interface FakeBoard {
  time: FakeTime;
  flash: FakeFlash;
  ports: Ports;
  relay: RecordedOutput;
  drive: RecordedOutput;
  door: ScriptedInput;
  button: ScriptedInput;
  watchdog: Watchdog & { started: number; kicks: number };
  log: string[];
}

/** A whole fake board; pass an existing flash to model a reboot that keeps its contents. */
export function fakeBoard(flash: FakeFlash = fakeFlash()): FakeBoard {
  const time = fakeTime();
  const log: string[] = [];
  const relay = recordedOutput(time), drive = recordedOutput(time);
  const door = scriptedInput(false), button = scriptedInput(false);
  const watchdog = { started: 0, kicks: 0, start(s: number) { watchdog.started = s; }, kick() { watchdog.kicks++; } };
  const ports: Ports = {
    timers: time.timers, clock: time.clock, random: seededRandom(7), crypto: nodeCrypto(), storage: flash,
    relay, drive, leds: { red: recordedOutput(time), green: recordedOutput(time), blue: recordedOutput(time) },
    door, button, watchdog, console: { log: (m) => log.push(m) },
  };
  return { time, flash, ports, relay, drive, door, button, watchdog, log };
}
