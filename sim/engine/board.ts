/**
 * A simulated board: boots a built bundle (dist/<board>/firmware.js) in a fresh Espruino-like VM
 * context, as Espruino boots .bootcde, and gives tests the other side of every pin, the flash, the
 * radio, the I2C bus, the clock and the watchdog. Flash and the outside world (input levels, attached
 * I2C devices) survive reboots; the VM, timers, outputs, watches, services and connections do not.
 * Not here: the Espruino API itself (globals.ts, nrf.ts), the flash model (storage.ts).
 */
import type { BoardConfig } from '../../hal/boards/types';
import type { Timers } from '../../firmware/ports';
import * as clk from './clock';
import * as st from './storage';
import { createSandbox, formatUncaught, type Sandbox } from './vm-context';
import { installGlobals, pinLevel, pinsView, type Heap, type Host, type I2CDevice, type PinState, type Session, type Watch } from './globals';
import { createNrf, nrfGlobal, nrfReset, type NrfHost } from './nrf';
import { radioModelFor } from './radio-model';
import { prng } from '../../tools/host/random';

export interface SimBoardOptions {
  board: BoardConfig;
  /**
   * The bundle's code (dist/<board>/firmware.js), or any board code to boot. Without it the board
   * boots what its flash holds, as a real one: .boot0-.boot3 then .bootcde; an empty flash boots
   * to a bare console (see sim/console-server.ts).
   */
  bundle?: string;
  /** Seeds E.hwRand, Math.random and the radio address. Default 1. */
  seed?: number;
  /**
   * Real-time bound on one callback into the board, to catch a hung loop (reported, and a watchdog
   * reset if the watchdog is on). 0 = none, the default: a bound costs ~0.1 ms of real time per call.
   * Boot and run() are always bounded (5 s).
   */
  callTimeoutMs?: number;
  /** Start over an existing flash (e.g. one provisioned by an earlier board). */
  flash?: st.Flash;
}

export interface LogLine {
  /** Virtual ms since the simulation started. */
  at: number;
  /** 'board' for what the firmware printed, 'sim' for the simulator's own notes (resets, hangs). */
  from: 'board' | 'sim';
  text: string;
}

export interface SimBoard {
  readonly board: BoardConfig;
  /** What runs the bundle: 'vm' (a Node VM with Espruino's surface) or 'espruino' (the real interpreter, sim/espruino/). */
  readonly engine: 'vm' | 'espruino';
  /**
   * process.memory() after a garbage collection, with the highest usage seen so far (garbage
   * included) as `peak`: a measurement only on the real interpreter; undefined on the VM engine.
   */
  memory(): BoardMemory | undefined;
  /** Ends the simulation of this board (the real interpreter's process and files). */
  close(): void;
  pins: {
    /** Level the board drives on a pin (0 when never driven). */
    output(pin: number): number;
    mode(pin: number): string | undefined;
    /** What digitalRead would return now. */
    read(pin: number): number;
    /** The outside world drives an input; an edge fires the board's setWatch callbacks. */
    setInput(pin: number, level: number | boolean): void;
    /** Wires a simulated device to the board's outputs: called on every level change (listeners add up). */
    onOutput(cb: (pin: number, level: number) => void): void;
  };
  clock: {
    now(): number;
    getTime(): number;
    advance(ms: number): void;
    runUntilIdle(maxMs: number): number;
    setTime(seconds: number): void;
    /** Timers of the outside world (a simulated PN532, a phone) on the same virtual clock. */
    hostTimers: Timers;
    /** Read-only: board timers (setTimeout/setInterval/setWatch debounce) pending now. */
    pendingBoardTimers(): number;
  };
  storage: {
    readonly flash: st.Flash;
    read(name: string, offset?: number, length?: number): string | undefined;
    bytes(name: string): Uint8Array | undefined;
    /** A write from outside the board (provisioning): not counted by cutPowerAtWrite. */
    write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean;
    erase(name: string): void;
    list(): string[];
    stats(): ReturnType<typeof st.stats>;
    compact(): void;
    /** The n-th board flash write from now keeps keepFraction of its bytes, then the power is cut. */
    cutPowerAtWrite(n: number, keepFraction: number): void;
  };
  nrf: NrfHost;
  i2c: {
    attach(address: number, device: I2CDevice): void;
    detach(address: number): void;
    /**
     * Holds SCL low (a wedged device, a short) or lets it go: a transfer started meanwhile never
     * returns, as nRF5x hardware I2C has no timeout; the watchdog, if it runs, resets the board.
     */
    holdSclLow(low: boolean): void;
  };
  readonly log: LogLine[];
  /** The lines the firmware printed, joined with newlines. */
  consoleText(): string;
  readonly uncaught: string[];
  readonly watchdog: { enabled: boolean; timeoutMs: number; auto: boolean };
  readonly resets: { at: number; reason: string }[];
  readonly dead: boolean;
  /**
   * Runs board code in the current boot (a console line); uncaught errors are reported, not thrown.
   * A reset() or load() the code asked for happens before this returns, as on the board.
   */
  run(code: string): unknown;
  /** What the console hears: every print (text without its newline) and every boot. Returns an unsubscribe. */
  listen(l: BoardListener): () => void;
  /** The console's echo(0/1) state: false after echo(0) until echo(1) or a reboot. */
  readonly echo: boolean;
  /**
   * A fragmented heap: every native crypto result (SHA-256, AES) finds no contiguous free block,
   * prints "ERROR: Not enough memory for result" and returns undefined, as the real interpreter
   * does near the top of its memory, until the firmware calls E.defrag() ('until-defrag') or until
   * the next boot ('always'). With `spare`, that many native results still find room first
   * (memory running out partway through, e.g. after a card's id but before its AES).
   * VM engine only: in the real interpreter its allocator decides.
   */
  fragmentHeap(how: false | 'until-defrag' | 'always', spare?: number): void;
  /** Reset button: a fresh VM over the same flash; all outputs low. */
  reset(): void;
  /** Pulls the power now. */
  powerCut(): void;
  /** Power back: boots like reset(). */
  powerOn(): void;
}

/** The real interpreter's process.memory(), and how much of it is the simulator's rather than the firmware's. */
export interface BoardMemory {
  usage: number;
  free: number;
  total: number;
  /** Highest usage seen after any exchange with the board, garbage included. */
  peak: number;
  /** Variables the simulator's board-side stand-ins (sim/espruino/prelude.js) hold. */
  prelude: number;
  /** Variables held back so the firmware has the board's budget, not the interpreter's. */
  ballast: number;
  /** Variables the interpreter uses with nothing loaded (a board has its own such share). */
  bare: number;
  /**
   * How often a native result (SHA-256, AES) found no contiguous free block and the interpreter
   * printed "ERROR: Not enough memory for result" (the firmware retries after E.defrag()).
   */
  noRoom: number;
}

/** The firmware's part of a measurement (with the interpreter's bare share, as a board's figure has its own). */
export function firmwareShare(m: BoardMemory): { usage: number; peak: number } {
  return { usage: m.usage - m.prelude - m.ballast, peak: m.peak - m.prelude - m.ballast };
}

export interface BoardListener {
  print?(text: string): void;
  /** kind 'reset' = reset(): a bare VM; 'code' = booted from the bundle or flash (hadCode: any boot file ran). */
  boot?(reason: string, kind: 'reset' | 'code', hadCode: boolean): void;
}

/** A board's random static radio address, from the seed. */
export function radioAddress(seed: number): string {
  const addr = prng(seed ^ 0xad);
  const mac = [addr() & 255, addr() & 255, addr() & 255, addr() & 255, addr() & 255, addr() & 255 | 0xc0];
  return mac.reverse().map((b) => (b < 16 ? '0' : '') + b.toString(16)).join(':') + ' random';
}

/**
 * The nRF52 watchdog on the virtual clock: once enabled, a reset unless kicked within its timeout.
 * As the chip's WDT (targets/nrf5x/jshardware.c jshEnableWatchDog): once running, its timeout
 * (CRV) is locked, so enabling it again changes only Espruino's auto-kick flag and reloads
 * nothing; only a power-on, a pin reset (the reset button) or its own reset stops it. A soft reset
 * (E.reboot) and reset()/load() leave it counting.
 */
export interface SimWatchdog {
  enabled: boolean;
  timeoutMs: number;
  auto: boolean;
  enable(seconds: number, auto: boolean): void;
  kick(): void;
  /** Power-on, pin reset or watchdog reset: the chip's WDT stops (the code starts it again if it does). */
  stop(): void;
}

export function simWatchdog(clock: clk.Clock, expired: (timeoutMs: number) => void): SimWatchdog {
  let timer: clk.Timer | undefined;
  const w: SimWatchdog = {
    enabled: false, timeoutMs: 0, auto: false,
    enable: (seconds, auto) => {
      w.auto = auto;
      if (w.enabled) return; // running: CRV is write-protected and TASKS_START reloads nothing
      w.enabled = true; w.timeoutMs = seconds * 1000; w.kick();
    },
    kick: () => {
      if (!w.enabled) return;
      if (timer) clk.removeTimer(clock, timer);
      timer = clk.addHostTimer(clock, w.timeoutMs, () => { timer = undefined; expired(w.timeoutMs); });
    },
    stop: () => {
      if (timer) clk.removeTimer(clock, timer);
      timer = undefined;
      w.enabled = false;
    },
  };
  return w;
}

/** Files a real board runs from Storage at boot, in order. */
export const BOOT_FILES = ['.boot0', '.boot1', '.boot2', '.boot3', '.bootcde'];

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

export function createSimBoard(opts: SimBoardOptions): SimBoard {
  const board = opts.board;
  const seed = opts.seed === undefined ? 1 : opts.seed;
  const callTimeoutMs = opts.callTimeoutMs || 0;
  const hw = prng(seed);
  const mathRand = prng(seed ^ 0x5eed);
  const clock = clk.createClock();
  const flash = opts.flash || st.createFlash(board.storageBytes);
  const pins: PinState = { out: {}, mode: {}, input: {} };
  const i2c: Record<number, I2CDevice> = {};
  const log: LogLine[] = [];
  const uncaught: string[] = [];
  const resets: { at: number; reason: string }[] = [];
  const nrf = createNrf(radioAddress(seed), () => clock.now, { model: radioModelFor(board), schedule: (ms, fn) => { clk.addHostTimer(clock, ms, fn); } });
  // The SoftDevice's flash faults follow the link (the failWhileConnected knob of the flash model).
  flash.linkUp = () => nrf.host.connected;
  let dead = false;
  let sclLow = false;
  let session: Session = { alive: false, handlers: {}, watches: [], i2cReady: false };
  let sandbox: Sandbox | undefined;

  const sim = (text: string) => { log.push({ at: clock.now, from: 'sim', text }); };
  const listeners: BoardListener[] = [];
  let echo = true;
  /** RAM state: a reboot starts with an unfragmented heap. */
  const heap: Heap = { fragmented: false };
  let pendingBoot: 'reset' | 'load' | undefined;
  const print = (text: string) => {
    for (const line of String(text).split('\n')) log.push({ at: clock.now, from: 'board', text: line });
    for (const l of listeners.slice()) if (l.print) l.print(String(text));
  };

  const wdt = simWatchdog(clock, (ms) => { sim('watchdog reset (not kicked for ' + ms / 1000 + ' s)'); wdt.stop(); boot('watchdog'); });

  const report = (e: unknown) => {
    if (e && (e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      sim('board code ran too long (hung)');
      uncaught.push('hung');
      if (wdt.enabled) { sim('watchdog reset (hung)'); wdt.stop(); later(() => boot('watchdog')); }
      return;
    }
    const line = formatUncaught(e);
    uncaught.push(line);
    print(line);
  };
  const later = (fn: () => void) => { clk.addHostTimer(clock, 0, fn); };

  /** Runs board code; the one place every entry into the VM passes. */
  const enter = (s: Session, f: () => unknown): unknown => {
    if (!s.alive || !sandbox) return undefined;
    try {
      return f();
    } catch (e) {
      if (e !== s.stopError) report(e);
      return undefined;
    } finally {
      if (s.alive && wdt.auto) wdt.kick();
    }
  };
  const call = (fn: unknown, args: unknown[]) => {
    const s = session, sb = sandbox;
    enter(s, () => sb!.invoke(fn, args));
  };

  const stopSession = (s: Session, err: Error) => {
    s.alive = false;
    s.stopError = err;
    for (const w of s.watches) if (w.pending) clk.removeTimer(clock, w.pending);
    clk.clearBoardTimers(clock, false);
  };

  /** Runs a reset() or load() asked for by board code, once that code has returned. */
  const doPendingBoot = () => {
    const p = pendingBoot;
    pendingBoot = undefined;
    if (p === 'reset') boot('reset()', true);
    else if (p === 'load') boot('load()');
  };

  function boot(reason: string, bare?: boolean): void {
    if (session.alive) stopSession(session, sandbox ? sandbox.realm.error('reset') : new Error('reset'));
    pendingBoot = undefined;
    echo = true;
    resets.push({ at: clock.now, reason });
    clk.rebootClock(clock);
    // The WDT keeps counting through a soft reset and reset()/load() (whoever reset the chip
    // stopped it before calling here). E.reboot resets the chip's RAM, and with it Espruino's
    // auto-kick flag; reset()/load() keep it (JSIS_SOFTINIT_MASK).
    if (reason === 'E.reboot') wdt.auto = false;
    nrfReset(nrf.state);
    pins.out = {};
    pins.mode = {};
    heap.fragmented = false;
    dead = false;
    // A hardware boot (not reset()/load()) checks the Storage and erases it whole if it is corrupt.
    if (!bare && reason !== 'load()') st.checkAtBoot(flash, print);
    const s: Session = { alive: true, handlers: {}, watches: [], i2cReady: false };
    session = s;
    const sb = createSandbox({ nowMs: () => clk.getTime(clock) * 1000, random: () => mathRand() / 4294967296, callTimeoutMs, runTimeoutMs: 5000 });
    sandbox = sb;
    const host: Host = {
      board, clock, flash, pins, i2c, session: s, realm: sb.realm, print, hwRand: hw, call,
      powerCut: () => { cut(); return s.stopError!; },
      i2cHeld: () => sclLow,
      hang: (why) => {
        sim('board hung in ' + why + (wdt.enabled ? ': the watchdog will reset it' : ''));
        uncaught.push('hung: ' + why);
        stopSession(s, sb.realm.error('hung: ' + why));
        if (!wdt.enabled) { dead = true; sim('the board stays hung: no watchdog'); }
        return s.stopError!;
      },
      reboot: () => {
        for (const fn of (s.handlers.kill || []).slice()) call(fn, []);
        stopSession(s, sb.realm.error('E.reboot()'));
        later(() => boot('E.reboot'));
        return s.stopError!;
      },
      enableWatchdog: (sec, auto) => wdt.enable(sec, auto),
      kickWatchdog: () => wdt.kick(),
      requestBoot: (kind) => { if (!pendingBoot || kind === 'reset') pendingBoot = kind; later(doPendingBoot); },
      setEcho: (on) => { echo = on; },
      heap,
    };
    const gate = <F extends (...a: any[]) => any>(fn: F): F => ((...a: any[]) => {
      if (!s.alive) throw s.stopError || sb.realm.error('board stopped');
      return fn(...a);
    }) as F;
    nrf.state.boot = { realm: sb.realm, call, later: (fn, args) => later(() => call(fn, args)), alive: () => s.alive };
    installGlobals(host, nrfGlobal(nrf.state, sb.realm, gate));
    let hadCode = false;
    if (bare) { /* reset(): RAM cleared, nothing loaded */ }
    else if (opts.bundle !== undefined) { hadCode = true; enter(s, () => sb.run(opts.bundle!, 'firmware.js')); }
    else {
      for (const name of BOOT_FILES) {
        const code = st.read(flash, name);
        if (code === undefined || !s.alive) continue;
        hadCode = true;
        enter(s, () => sb.run(code, name));
      }
    }
    for (const l of listeners.slice()) if (l.boot) l.boot(reason, bare ? 'reset' : 'code', hadCode);
    for (const fn of (s.handlers.init || []).slice()) call(fn, []);
  }

  function cut(): void {
    if (dead) return;
    dead = true;
    sim('power cut');
    wdt.stop();
    const had = nrf.state.peer;
    nrf.state.peer = undefined;
    if (had && nrf.state.linkEnded) nrf.state.linkEnded(); // the central hears its link end
    stopSession(session, sandbox ? sandbox.realm.error('power cut') : new Error('power cut'));
  }

  const fireWatch = (w: Watch, state: boolean, time: number) => {
    const s = session;
    w.state = state;
    const fires = w.edge === 'both' || (w.edge === 'rising') === state;
    const lastTime = w.lastTime;
    w.lastTime = time;
    if (!fires || !sandbox) return;
    if (!w.repeat) s.watches.splice(s.watches.indexOf(w), 1);
    call(w.fn, [sandbox.realm.plain({ state, time, lastTime, pin: w.pin })]);
  };

  const api: SimBoard = {
    board,
    engine: 'vm',
    memory: () => undefined,
    close: () => { /* nothing outside this process to end */ },
    pins: {
      ...pinsView(pins),
      setInput(pin, levelIn) {
        const level = levelIn ? 1 : 0;
        const before = pinLevel(pins, pin);
        pins.input[pin] = level;
        if (before === level || dead) return;
        const time = clk.getTime(clock);
        for (const w of session.watches.slice()) {
          if (w.pin !== pin) continue;
          if (w.debounce <= 0) { fireWatch(w, level === 1, time); continue; }
          if (w.pending) clk.removeTimer(clock, w.pending);
          w.pending = clk.addBoardTimer(clock, w.debounce, () => {
            w.pending = undefined;
            const now = pinLevel(pins, pin) === 1;
            if (now !== w.state && session.watches.indexOf(w) >= 0) fireWatch(w, now, time);
          }, false, true);
        }
      },
    },
    clock: {
      now: () => clock.now,
      getTime: () => clk.getTime(clock),
      advance: (ms) => clk.advance(clock, ms),
      runUntilIdle: (maxMs) => clk.runUntilIdle(clock, maxMs),
      setTime: (seconds) => clk.setTime(clock, seconds),
      hostTimers: hostTimers(clock),
      pendingBoardTimers: () => clock.timers.filter((t) => t.id !== 0).length,
    },
    storage: {
      flash,
      read: (name, offset, length) => st.read(flash, name, offset, length),
      bytes: (name) => { const f = st.find(flash, name); return f ? f.data.slice() : undefined; },
      write: (name, data, offset, size) => {
        const saved = flash.cut;
        flash.cut = undefined;
        try {
          return st.write(flash, { error: (m) => new Error(m), powerCut: () => new Error('power cut') }, name, data, offset, size);
        } finally {
          flash.cut = saved;
        }
      },
      erase: (name) => st.erase(flash, name),
      list: () => st.list(flash),
      stats: () => st.stats(flash),
      compact: () => { const saved = flash.cut; flash.cut = undefined; try { st.compact(flash, { error: (m) => new Error(m), powerCut: () => new Error('power cut') }); } finally { flash.cut = saved; } },
      cutPowerAtWrite: (n, keep) => st.cutPowerAtWrite(flash, n, keep),
    },
    nrf: nrf.host,
    i2c: {
      attach: (address, device) => { i2c[address] = device; },
      detach: (address) => { delete i2c[address]; },
      holdSclLow: (low) => { sclLow = low; },
    },
    log,
    consoleText: () => log.filter((l) => l.from === 'board').map((l) => l.text).join('\n'),
    uncaught,
    get watchdog() { return { enabled: wdt.enabled, timeoutMs: wdt.timeoutMs, auto: wdt.auto }; },
    resets,
    get dead() { return dead; },
    run: (code) => {
      const s = session, sb = sandbox;
      const v = enter(s, () => sb!.run(code, 'console'));
      if (pendingBoot) doPendingBoot();
      return v;
    },
    listen: (l) => { listeners.push(l); return () => { const i = listeners.indexOf(l); if (i >= 0) listeners.splice(i, 1); }; },
    get echo() { return echo; },
    reset: () => { wdt.stop(); boot('reset'); },
    fragmentHeap: (how, spare = 0) => { heap.fragmented = how; heap.spare = spare; },
    powerCut: cut,
    powerOn: () => { wdt.stop(); boot('power on'); },
  };
  clock.run = (t) => { if (t.id === 0 || session.alive) t.fn(); };
  boot('power on');
  return api;
}
