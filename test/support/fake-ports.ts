/**
 * Ports for unit tests of firmware/ modules: virtual time and a flash with Espruino's Storage
 * semantics and power cuts at the N-th write (both the host layer's: tools/host/timer-queue.ts,
 * tools/host/flash.ts), recorded outputs, scripted inputs, seeded randomness.
 * The whole-system tests use the simulator instead, which runs the built bundle.
 */
import type { Clock, Crypto, Input, Output, Ports, Random, Timers, Watchdog } from '../../firmware/ports';
import { hostCrypto, hostCryptoWithAes } from '../../tools/host/crypto';
import { rng } from '../../tools/host/random';
import { timerQueue } from '../../tools/host/timer-queue';
import { type MemoryFlash, PowerCut, memoryFlash } from '../../tools/host/flash';

export { PowerCut };

export interface FakeTime {
  readonly now: number;
  timers: Timers;
  clock: Clock;
  advance(ms: number): void;
  pending(): number;
}

/** The host layer's virtual-timer queue (tools/host/timer-queue.ts) seen as the firmware's clock and timers. */
export function fakeTime(): FakeTime {
  const q = timerQueue();
  return {
    get now() { return q.now(); },
    clock: { uptimeMs: () => q.now() },
    timers: { after: q.after, every: q.every, cancel: q.cancel },
    advance: (ms) => q.tick(ms),
    pending: () => q.pending(),
  };
}

/** The host layer's in-memory flash (tools/host/flash.ts), under the names the tests use. */
export type FakeFlash = MemoryFlash;
export const fakeFlash = (capacity?: number): FakeFlash => memoryFlash(capacity);

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
  const watchers: Array<() => void> = [];
  const i: ScriptedInput = {
    level: initial,
    read: () => i.level,
    watch: (fn) => { watchers.push(fn); },
    change(level) { i.level = level; watchers.forEach((w) => w()); },
  };
  return i;
}

/** The Random port over the host's one seeded generator (tools/host/random.ts): the same bytes for a seed. */
export function seededRandom(seed = 1): Random {
  const r = rng(seed);
  return { bytes: (n) => r.bytes(n) };
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
