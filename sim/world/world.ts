/**
 * The simulated world around a board, written once for both engines: the virtual clock and the
 * host timers of the devices outside the board, the pins' outside side, the I2C bus and its
 * devices, the radio central, the watchdog, the log and the console's listeners — and the SimBoard
 * object built over them. An engine (sim/engine/board.ts runs the bundle in a Node VM,
 * sim/espruino/board.ts in a real interpreter) supplies only what differs: boot, executing board
 * code, the flash, the board's own timers and a power cut (`EngineParts`).
 * What survives a reboot lives here; what dies with one lives in the engine.
 */
import type { BoardConfig } from '../../hal/boards/types';
import type { Timers } from '../../firmware/ports';
import * as clk from '../engine/clock';
import { type I2CDevice, type PinState, pinLevel, pinsView } from '../engine/globals';
import { createNrf, nrfReset, type NrfHost, type NrfState } from '../engine/nrf';
import { radioModelFor } from '../engine/radio-model';
import type { BoardListener, LogLine, SimBoard } from './types';
import { simWatchdog, type SimWatchdog } from './watchdog';
import { prng } from '../../tools/host/random';

/** A board's random static radio address, from the seed. */
export function radioAddress(seed: number): string {
  const addr = prng(seed ^ 0xad);
  const mac = [addr() & 255, addr() & 255, addr() & 255, addr() & 255, addr() & 255, addr() & 255 | 0xc0];
  return mac.reverse().map((b) => (b < 16 ? '0' : '') + b.toString(16)).join(':') + ' random';
}

/** Timers for simulated devices outside the board: they survive the board's reboots. */
export function hostTimers(clock: clk.Clock): Timers {
  const live: Record<number, clk.Timer> = {};
  let seq = 0;
  const add = (ms: number, fn: () => void, every: boolean): number => {
    const id = ++seq;
    const arm = () => { live[id] = clk.addHostTimer(clock, ms, () => { delete live[id]; if (every) arm(); fn(); }); };
    arm();
    return id;
  };
  return {
    after: (ms, fn) => add(ms, fn, false),
    every: (ms, fn) => add(ms, fn, true),
    cancel: (id) => { if (id !== undefined && live[id]) { clk.removeTimer(clock, live[id]); delete live[id]; } },
  };
}

export interface World {
  readonly board: BoardConfig;
  readonly clock: clk.Clock;
  readonly pins: PinState;
  /** Devices on the I2C bus, by address. */
  readonly i2c: Record<number, I2CDevice>;
  /** SCL held low (a wedged device): a transfer started meanwhile never returns. */
  sclLow: boolean;
  /** No power, or hung with no watchdog to bring it back. */
  dead: boolean;
  readonly log: LogLine[];
  readonly uncaught: string[];
  readonly resets: { at: number; reason: string }[];
  readonly listeners: BoardListener[];
  readonly nrf: { state: NrfState; host: NrfHost };
  readonly wdt: SimWatchdog;
  readonly hostTimers: Timers;
  /** A note of the simulator's own (a reset, a hang) in the log. */
  note(text: string): void;
  /** What the board printed: to the log, line by line, and to every listener. */
  print(text: string): void;
  /** Starts a boot: recorded, outputs low, the radio as after a reset, alive again. */
  beginBoot(reason: string): void;
  /** Tells the console's listeners a boot is done. */
  booted(reason: string, kind: 'reset' | 'code', hadCode: boolean): void;
  /** The link is gone with the board (power cut, process gone): the central hears it end. */
  dropLink(): void;
}

/**
 * `watchdogReset` is the engine's boot after the watchdog fired (the world has noted it in the
 * log and stopped the watchdog, as the chip's reset does).
 */
export function createWorld(board: BoardConfig, seed: number, watchdogReset: () => void): World {
  const clock = clk.createClock();
  const log: LogLine[] = [];
  const listeners: BoardListener[] = [];
  const note = (text: string) => { log.push({ at: clock.now, from: 'sim', text }); };
  const nrf = createNrf(radioAddress(seed), () => clock.now, { model: radioModelFor(board), schedule: (ms, fn) => { clk.addHostTimer(clock, ms, fn); } });
  const wdt = simWatchdog(clock, (ms) => { note('watchdog reset (not kicked for ' + ms / 1000 + ' s)'); wdt.stop(); watchdogReset(); });
  const w: World = {
    board, clock, nrf, wdt, log, listeners, note,
    pins: { out: {}, mode: {}, input: {} },
    i2c: {},
    sclLow: false,
    dead: false,
    uncaught: [],
    resets: [],
    hostTimers: hostTimers(clock),
    print: (text) => {
      for (const line of String(text).split('\n')) log.push({ at: clock.now, from: 'board', text: line });
      for (const l of listeners.slice()) if (l.print) l.print(String(text));
    },
    beginBoot: (reason) => {
      w.resets.push({ at: clock.now, reason });
      nrfReset(nrf.state);
      w.pins.out = {};
      w.pins.mode = {};
      w.dead = false;
    },
    booted: (reason, kind, hadCode) => { for (const l of listeners.slice()) if (l.boot) l.boot(reason, kind, hadCode); },
    dropLink: () => {
      const had = nrf.state.peer;
      nrf.state.peer = undefined;
      if (had && nrf.state.linkEnded) nrf.state.linkEnded();
    },
  };
  return w;
}

/** What an engine adds to the world to make a SimBoard. */
export interface EngineParts {
  engine: SimBoard['engine'];
  memory: SimBoard['memory'];
  close: SimBoard['close'];
  /** The outside world changed an input's level (already recorded; only called on a real edge of a live board). */
  inputChanged(pin: number, level: number): void;
  clock: Pick<SimBoard['clock'], 'getTime' | 'advance' | 'runUntilIdle' | 'setTime' | 'pendingBoardTimers'>;
  storage: SimBoard['storage'];
  run: SimBoard['run'];
  echo(): boolean;
  /** Brings what the board printed by itself up to date before `uncaught` is read. */
  syncOutput?(): void;
  fragmentHeap: SimBoard['fragmentHeap'];
  reset: SimBoard['reset'];
  powerCut: SimBoard['powerCut'];
  powerOn: SimBoard['powerOn'];
}

/** The SimBoard both engines return: the world's parts and the engine's. */
export function simBoardOf(w: World, e: EngineParts): SimBoard {
  const { pins, clock, wdt, log, listeners } = w;
  return {
    board: w.board,
    engine: e.engine,
    memory: e.memory,
    close: e.close,
    pins: {
      ...pinsView(pins),
      setInput(pin, levelIn) {
        const level = levelIn ? 1 : 0;
        const before = pinLevel(pins, pin);
        pins.input[pin] = level;
        if (before === level || w.dead) return;
        e.inputChanged(pin, level);
      },
    },
    clock: { now: () => clock.now, hostTimers: w.hostTimers, ...e.clock },
    storage: e.storage,
    nrf: w.nrf.host,
    i2c: {
      attach: (address, device) => { w.i2c[address] = device; },
      detach: (address) => { delete w.i2c[address]; },
      holdSclLow: (low) => { w.sclLow = low; },
    },
    log,
    consoleText: () => log.filter((l) => l.from === 'board').map((l) => l.text).join('\n'),
    get uncaught() { if (e.syncOutput) e.syncOutput(); return w.uncaught; },
    get watchdog() { return { enabled: wdt.enabled, timeoutMs: wdt.timeoutMs, auto: wdt.auto }; },
    resets: w.resets,
    get dead() { return w.dead; },
    run: e.run,
    listen: (l) => { listeners.push(l); return () => { const i = listeners.indexOf(l); if (i >= 0) listeners.splice(i, 1); }; },
    get echo() { return e.echo(); },
    fragmentHeap: e.fragmentHeap,
    reset: e.reset,
    powerCut: e.powerCut,
    powerOn: e.powerOn,
  };
}
