/**
 * The VM engine: boots a built bundle (dist/<board>/firmware.js) in a fresh Espruino-like VM
 * context, as Espruino boots .bootcde, over the simulated world (sim/world/world.ts: pins, I2C,
 * radio central, clock and host timers, watchdog, log). This file supplies only what is the VM's:
 * boot, executing board code (every entry passes `enter`), the flash (storage.ts), the board's
 * timers on the virtual clock and a power cut. Flash and the outside world survive reboots; the VM,
 * timers, outputs, watches, services and connections do not.
 * Not here: the Espruino API itself (globals.ts, nrf.ts), the flash model (storage.ts), the SimBoard
 * interface (sim/world/types.ts).
 */
import type { BoardConfig } from '../../hal/boards/types';
import * as clk from './clock';
import * as st from './storage';
import { createSandbox, formatUncaught, type Sandbox } from './vm-context';
import { installGlobals, pinLevel, type Heap, type Host, type Session, type Watch } from './globals';
import { nrfGlobal } from './nrf';
import { prng } from '../../tools/host/random';
import type { SimBoard } from '../world/types';
import { createWorld, simBoardOf } from '../world/world';

// The SimBoard interface, where its users have always imported it from.
export type { BoardListener, BoardMemory, LogLine, SimBoard } from '../world/types';
export { firmwareShare } from '../world/types';

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

/** Files a real board runs from Storage at boot, in order. */
export const BOOT_FILES = ['.boot0', '.boot1', '.boot2', '.boot3', '.bootcde'];

export function createSimBoard(opts: SimBoardOptions): SimBoard {
  const board = opts.board;
  const seed = opts.seed === undefined ? 1 : opts.seed;
  const callTimeoutMs = opts.callTimeoutMs || 0;
  const hw = prng(seed);
  const mathRand = prng(seed ^ 0x5eed);
  const world = createWorld(board, seed, () => boot('watchdog'));
  const { clock, pins, i2c, uncaught, nrf, wdt, note: sim, print } = world;
  const flash = opts.flash || st.createFlash(board.storageBytes);
  // The SoftDevice's flash faults follow the link (the failWhileConnected knob of the flash model).
  flash.linkUp = () => nrf.host.connected;
  let session: Session = { alive: false, handlers: {}, watches: [], i2cReady: false };
  let sandbox: Sandbox | undefined;

  let echo = true;
  /** RAM state: a reboot starts with an unfragmented heap. */
  const heap: Heap = { fragmented: false };
  let pendingBoot: 'reset' | 'load' | undefined;
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
    clk.rebootClock(clock);
    // The WDT keeps counting through a soft reset and reset()/load() (whoever reset the chip
    // stopped it before calling here). E.reboot resets the chip's RAM, and with it Espruino's
    // auto-kick flag; reset()/load() keep it (JSIS_SOFTINIT_MASK).
    if (reason === 'E.reboot') wdt.auto = false;
    world.beginBoot(reason);
    heap.fragmented = false;
    // A hardware boot (not reset()/load()) checks the Storage and erases it whole if it is corrupt.
    if (!bare && reason !== 'load()') st.checkAtBoot(flash, print);
    const s: Session = { alive: true, handlers: {}, watches: [], i2cReady: false };
    session = s;
    const sb = createSandbox({ nowMs: () => clk.getTime(clock) * 1000, random: () => mathRand() / 4294967296, callTimeoutMs, runTimeoutMs: 5000 });
    sandbox = sb;
    const host: Host = {
      board, clock, flash, pins, i2c, session: s, realm: sb.realm, print, hwRand: hw, call,
      powerCut: () => { cut(); return s.stopError!; },
      i2cHeld: () => world.sclLow,
      hang: (why) => {
        sim('board hung in ' + why + (wdt.enabled ? ': the watchdog will reset it' : ''));
        uncaught.push('hung: ' + why);
        stopSession(s, sb.realm.error('hung: ' + why));
        if (!wdt.enabled) { world.dead = true; sim('the board stays hung: no watchdog'); }
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
    world.booted(reason, bare ? 'reset' : 'code', hadCode);
    for (const fn of (s.handlers.init || []).slice()) call(fn, []);
  }

  function cut(): void {
    if (world.dead) return;
    world.dead = true;
    sim('power cut');
    wdt.stop();
    world.dropLink();
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

  const api = simBoardOf(world, {
    engine: 'vm',
    memory: () => undefined,
    close: () => { /* nothing outside this process to end */ },
    inputChanged(pin, level) {
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
    clock: {
      getTime: () => clk.getTime(clock),
      advance: (ms) => clk.advance(clock, ms),
      runUntilIdle: (maxMs) => clk.runUntilIdle(clock, maxMs),
      setTime: (seconds) => clk.setTime(clock, seconds),
      pendingBoardTimers: () => clock.timers.filter((t) => t.id !== 0).length,
    },
    storage: {
      flash,
      read: (name, offset, length) => st.read(flash, name, offset, length),
      bytes: (name) => { const f = st.find(flash, name); return f ? f.data.slice() : undefined; },
      write: (name, data, offset, size) => outside(() => st.write(flash, OUTSIDE, name, data, offset, size)),
      erase: (name) => st.erase(flash, name),
      list: () => st.list(flash),
      stats: () => st.stats(flash),
      compact: () => { outside(() => st.compact(flash, OUTSIDE)); },
      cutPowerAtWrite: (n, keep) => st.cutPowerAtWrite(flash, n, keep),
    },
    run: (code) => {
      const s = session, sb = sandbox;
      const v = enter(s, () => sb!.run(code, 'console'));
      if (pendingBoot) doPendingBoot();
      return v;
    },
    echo: () => echo,
    reset: () => { wdt.stop(); boot('reset'); },
    fragmentHeap: (how, spare = 0) => { heap.fragmented = how; heap.spare = spare; },
    powerCut: cut,
    powerOn: () => { wdt.stop(); boot('power on'); },
  });
  /** A write or compaction from outside the board (provisioning): a pending power cut waits for the board's own. */
  function outside<T>(f: () => T): T {
    const saved = flash.cut;
    flash.cut = undefined;
    try { return f(); } finally { flash.cut = saved; }
  }
  clock.run = (t) => { if (t.id === 0 || session.alive) t.fn(); };
  boot('power on');
  return api;
}

const OUTSIDE: st.FlashHooks = { error: (m) => new Error(m), powerCut: () => new Error('power cut') };
