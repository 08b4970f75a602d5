/**
 * The Espruino API the bundle sees (hal/espruino.d.ts declares what the board code uses): E, require
 * ('Storage', 'Flash', 'crypto'), pins and watches, timers with Espruino's quirks, getTime/setTime, print,
 * console, process, I2C1, D0..D47, LED1..3/BTN from the board file. NRF comes from nrf.ts.
 * Every function is gated: once the boot is stopped (power cut, reboot) a call does nothing and throws.
 * Here: the board-side surface. Not here: the host's view (board.ts) or the flash model (storage.ts).
 */
import type { BoardConfig } from '../../hal/boards/types';
import * as clk from './clock';
import * as st from './storage';
import { crc32 } from '../../tools/host/bytes';
import { cryptoModule } from './crypto';
import type { Realm } from './realm';
import { BUTTON_WATCH_DEBOUNCE_MS, espruinoBoard, SIM_ESPRUINO_VERSION } from '../../hal/boards/espruino';

export interface I2CDevice {
  write(bytes: Uint8Array): void;
  read(n: number): ArrayLike<number>;
}

export interface Watch {
  id: number;
  pin: number;
  fn: unknown;
  repeat: boolean;
  edge: 'rising' | 'falling' | 'both';
  debounce: number;
  state: boolean;
  lastTime?: number;
  pending?: clk.Timer;
}

export interface PinState {
  out: Record<number, number>;
  mode: Record<number, string>;
  /** Levels the outside world drives (host-set); they survive reboots. */
  input: Record<number, number>;
  /** Called when the board drives an output to a new level (wires to simulated devices). */
  onOutput?: (pin: number, level: number) => void;
}

/** One boot of the board: what dies with it. */
export interface Session {
  alive: boolean;
  stopError?: Error;
  handlers: Record<string, unknown[]>;
  watches: Watch[];
  i2cReady: boolean;
}

/** What the board surface needs from the simulated board. */
export interface Host {
  board: BoardConfig;
  clock: clk.Clock;
  flash: st.Flash;
  pins: PinState;
  i2c: Record<number, I2CDevice>;
  session: Session;
  realm: Realm;
  print(text: string): void;
  hwRand(): number;
  /** Runs a board callback; an error is reported as uncaught and the board keeps running. */
  call(fn: unknown, args: unknown[]): void;
  /** Marks the board dead (power gone) and returns the error to throw at the caller. */
  powerCut(): Error;
  /** True while the outside world holds the I2C bus's SCL low (SimBoard.i2c.holdSclLow). */
  i2cHeld(): boolean;
  /**
   * The board's code stops inside a driver call that never returns (only the watchdog, if it runs,
   * resets the board): returns the error to throw at the caller; everything is gated from here on.
   */
  hang(why: string): Error;
  /** Stops this boot and asks for a reboot once the current call returns (E.reboot). */
  reboot(): Error;
  enableWatchdog(seconds: number, auto: boolean): void;
  kickWatchdog(): void;
  /** reset() (a bare VM) or load() (boot from flash), done once the running code returns. */
  requestBoot(kind: 'reset' | 'load'): void;
  /** echo(0/1): whether the console echoes input and prints results. */
  setEcho(on: boolean): void;
  /** A fragmented heap (SimBoard.fragmentHeap): native crypto results find no room until E.defrag(), or never with 'always'. */
  heap: Heap;
}

export interface Heap {
  fragmented: false | 'until-defrag' | 'always';
  /** Native results that still find room before the fragmentation bites (memory running out partway through a task). */
  spare?: number;
}

export function pinLevel(pins: PinState, pin: number): number {
  if (pins.input[pin] !== undefined) return pins.input[pin];
  if (pins.mode[pin] === 'output' || pins.mode[pin] === 'opendrain' || pins.mode[pin] === undefined && pins.out[pin] !== undefined) return pins.out[pin] || 0;
  return pins.mode[pin] === 'input_pullup' ? 1 : 0;
}

export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'function () { ... }';
  if (ArrayBuffer.isView(v)) return 'new ' + v.constructor.name + '([' + Array.prototype.join.call(v, ', ') + '])';
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

/** Espruino's flattening for E.toUint8Array / E.toString: strings, numbers, arrays, typed arrays, {data,count}. */
export function flatten(args: unknown[], out: number[] = []): number[] {
  for (const a of args) {
    if (typeof a === 'number') out.push(a & 255);
    else if (typeof a === 'string') for (let i = 0; i < a.length; i++) out.push(a.charCodeAt(i) & 255);
    else if (ArrayBuffer.isView(a) || Object.prototype.toString.call(a) === '[object ArrayBuffer]') st.toBytes(a).forEach((b) => out.push(b));
    else if (Array.isArray(a)) flatten(a, out);
    else if (a && typeof a === 'object' && 'data' in a) {
      const o = a as { data: unknown; count?: number };
      for (let i = 0; i < (o.count === undefined ? 1 : o.count); i++) flatten([o.data], out);
    }
  }
  return out;
}

/** A rough E.getSizeOf in 13-byte variables (not the interpreter's count; see shared/espruino-dialect.md). */
export function roughSize(v: unknown, seen: unknown[] = []): number {
  if (v === null || typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'string') return 1;
  if (typeof v === 'string') return 1 + Math.ceil(Math.max(0, v.length - 4) / 12);
  if (seen.indexOf(v) >= 0) return 0;
  seen.push(v);
  if (ArrayBuffer.isView(v)) return 2 + Math.ceil(v.byteLength / 12);
  if (typeof v === 'function') return 10;
  let n = 2;
  for (const k of Object.keys(v)) n += (k.length <= 4 ? 2 : 3) + roughSize((v as Record<string, unknown>)[k], seen);
  return n;
}

function storageModule(h: Host, gate: <F extends (...a: any[]) => any>(f: F) => F) {
  const hooks: st.FlashHooks = { error: (m) => h.realm.error(m), powerCut: () => h.powerCut() };
  const f = h.flash;
  return h.realm.plain({
    read: gate((name: string, offset?: number, length?: number) => st.read(f, name, offset, length)),
    readJSON: gate((name: string, noExceptions?: boolean) => {
      const s = st.read(f, name);
      if (s === undefined) return undefined;
      try { return h.realm.global.JSON.parse(s); } catch (e) { if (noExceptions) return undefined; throw e; }
    }),
    readArrayBuffer: gate((name: string) => { const s = st.read(f, name); return s === undefined ? undefined : h.realm.arrayBuffer(st.toBytes(s)); }),
    write: gate((name: string, data: unknown, offset?: number, size?: number) => st.write(f, hooks, name, data, offset, size)),
    writeJSON: gate((name: string, data: unknown) => st.write(f, hooks, name, h.realm.global.JSON.stringify(data))),
    erase: gate((name: string) => st.erase(f, name)),
    list: gate((pattern?: unknown, filter?: { sf?: boolean }) => h.realm.array(st.list(f, pattern, filter))),
    getFree: gate(() => st.stats(f).freeBytes),
    getStats: gate(() => h.realm.plain(st.stats(f))),
    compact: gate(() => { st.compact(f, hooks); }),
    open: gate((name: string, mode: string) => {
      const sf = st.openFile(f, hooks, name, mode);
      return h.realm.plain({
        write: gate((d: unknown) => sf.write(d)), read: gate((n: number) => sf.read(n)), readLine: gate(() => sf.readLine()),
        getLength: gate(() => sf.getLength()), erase: gate(() => sf.erase()),
      });
    }),
  });
}

/**
 * Where Storage starts in each board's address space (boards/<BOARD>.py saved_code.address:
 * internal flash on the nRF52832 boards, the external SPI flash mapped at 0x60000000 on the XIAO
 * BLE); checked against hal/boards/espruino-facts.json by test/sim/flash-module.test.ts.
 */
export const STORAGE_ADDRESS: Record<string, number> = { PUCKJS: 0x6c000, MDBT42Q: 0x6c000, XIAOBLE: 0x60000000 };

/**
 * require("Flash") (src/jswrap_flash.c) over the Storage area only, as the tools use it over the
 * console: read(length, addr), getPage(addr), erasePage(addr) and write(data, addr) (counted flash
 * steps of the model, where a power cut can fall; a write only clears bits, as flash does). Addresses outside Storage are not modelled and refused, so a tool
 * that would erase Espruino itself fails here instead.
 */
function flashModule(h: Host, gate: <F extends (...a: any[]) => any>(f: F) => F) {
  const hooks: st.FlashHooks = { error: (m) => h.realm.error(m), powerCut: () => h.powerCut() };
  const start = STORAGE_ADDRESS[espruinoBoard(h.board.id).board] || 0;
  const inStorage = (addr: unknown) => {
    if (typeof addr !== 'number' || Math.floor(addr) !== addr) throw h.realm.error('Address should be an integer, got ' + typeof addr);
    if (addr < start || addr >= start + h.flash.capacity) throw h.realm.error('Flash address 0x' + addr.toString(16) + ' is outside Storage: not simulated');
    return addr - start;
  };
  return h.realm.plain({
    read: gate((length: number, addr: number) => {
      const at = inStorage(addr);
      const out = new Array(Math.max(0, length | 0)).fill(255);
      for (let i = 0; i < out.length && at + i < h.flash.capacity; i++) out[i] = h.flash.mem[at + i];
      return h.realm.uint8(out);
    }),
    getPage: gate((addr: number) => {
      const at = inStorage(addr);
      return h.realm.plain({ addr: start + at - (at % st.PAGE_BYTES), length: st.PAGE_BYTES });
    }),
    erasePage: gate((addr: unknown) => { st.erasePageAt(h.flash, hooks, inStorage(addr)); }),
    write: gate((data: unknown, addr: number) => {
      const at = inStorage(addr);
      if (data === undefined) throw h.realm.error('Data is not defined');
      st.programAt(h.flash, hooks, at, st.toBytes(data));
    }),
  });
}

/** Puts the Espruino surface on the sandbox's global object. */
export function installGlobals(h: Host, nrf: object): void {
  const g = h.realm.global;
  const s = h.session;
  const gate = <F extends (...a: any[]) => any>(fn: F): F => ((...a: any[]) => {
    if (!s.alive) throw s.stopError || h.realm.error('board stopped');
    return fn(...a);
  }) as F;
  const clock = h.clock;
  const bytesOf = (args: unknown[]) => flatten(args);

  g.E = h.realm.plain({
    hwRand: gate(() => h.hwRand() | 0),
    getSizeOf: gate((v: unknown) => roughSize(v)),
    toUint8Array: gate((...a: unknown[]) => h.realm.uint8(bytesOf(a))),
    toString: gate((...a: unknown[]) => st.latin1(Uint8Array.from(bytesOf(a)))),
    CRC32: gate((d: unknown) => crc32(bytesOf([d]))),
    // jswrap_espruino_sum: the elements of a String (char codes), Array or ArrayBuffer (typed arrays included), else an error.
    sum: gate((d: unknown) => {
      const raw = Object.prototype.toString.call(d) === '[object ArrayBuffer]';
      if (typeof d !== 'string' && !Array.isArray(d) && !ArrayBuffer.isView(d) && !raw) throw h.realm.error('First argument must be Array');
      const items: ArrayLike<unknown> = raw ? new Uint8Array(d as ArrayBuffer) : d as ArrayLike<unknown>;
      let n = 0;
      for (let i = 0; i < items.length; i++) n += typeof d === 'string' ? d.charCodeAt(i) : Number(items[i]);
      return n;
    }),
    defrag: gate(() => { if (h.heap.fragmented === 'until-defrag') h.heap.fragmented = false; }),
    enableWatchdog: gate((sec: number, auto?: unknown) => h.enableWatchdog(!(sec >= 0) ? 1 : Number(sec), auto === undefined || !!auto)),
    kickWatchdog: gate(() => h.kickWatchdog()),
    on: gate((ev: string, fn: unknown) => { (s.handlers[ev] = s.handlers[ev] || []).push(fn); }),
    reboot: gate(() => { throw h.reboot(); }),
  });

  const storage = storageModule(h, gate);
  let crypto: object | undefined, flashMod: object | undefined;
  g.require = gate((name: string) => {
    if (name === 'Storage') return storage;
    if (name === 'Flash') return flashMod || (flashMod = flashModule(h, gate));
    if (name === 'crypto') return crypto || (crypto = cryptoModule(h.realm, h.board.crypto.aes, (l) => h.print(l), h.heap));
    throw h.realm.error('Module ' + name + ' not found');
  });

  g.digitalWrite = gate((pin: number, v: unknown) => {
    if (h.pins.mode[pin] !== 'opendrain') h.pins.mode[pin] = 'output';
    const level = v ? 1 : 0;
    const changed = h.pins.out[pin] !== level;
    h.pins.out[pin] = level;
    if (changed && h.pins.onOutput) h.pins.onOutput(pin, level);
  });
  g.digitalRead = gate((pin: number) => pinLevel(h.pins, pin));
  g.pinMode = gate((pin: number, mode: string) => { h.pins.mode[pin] = mode; });
  g.setWatch = gate((fn: unknown, pin: number, opts?: { repeat?: boolean; edge?: string; debounce?: number } | boolean) => {
    const o = typeof opts === 'object' && opts ? opts : { repeat: !!opts };
    let id = 0;
    for (const w of s.watches) if (w.id > id) id = w.id;
    const d = watchDefaults(h.board, pin);
    const edge = o.edge === 'rising' || o.edge === 'falling' || o.edge === 'both' ? o.edge : d.edge;
    const debounce = o.debounce === undefined ? d.debounce : Number(o.debounce) > 0 ? Number(o.debounce) : 0;
    s.watches.push({ id: id + 1, pin, fn, repeat: !!o.repeat, edge, debounce, state: pinLevel(h.pins, pin) === 1 });
    return id + 1;
  });
  g.clearWatch = gate((id?: number) => {
    const drop = (w: Watch) => { if (w.pending) clk.removeTimer(clock, w.pending); };
    if (id === undefined) { s.watches.forEach(drop); s.watches = []; return; }
    const w = s.watches.find((x) => x.id === id);
    if (!w) throw h.realm.error('Unknown Watch ' + id);
    drop(w);
    s.watches.splice(s.watches.indexOf(w), 1);
  });

  const timer = (repeat: boolean) => gate((fn: unknown, ms?: number, ...args: unknown[]) => {
    if (typeof fn !== 'function' && typeof fn !== 'string') throw h.realm.error('Function or String not supplied!');
    const run = typeof fn === 'string' ? () => h.call(g.eval, [fn]) : () => h.call(fn, args);
    return clk.addBoardTimer(clock, Number(ms), run, repeat).id;
  });
  g.setTimeout = timer(false);
  g.setInterval = timer(true);
  const clear = (name: string) => gate(function (this: unknown, ...a: unknown[]) {
    if (a.length === 0) { clk.clearBoardTimers(clock, true); return; }
    if (a[0] === undefined) throw h.realm.error(name + '(undefined) not allowed. Use ' + name + '() instead');
    const t = clk.findBoardTimer(clock, Number(a[0]));
    if (t) clk.removeTimer(clock, t);
  });
  g.clearTimeout = clear('clearTimeout');
  g.clearInterval = clear('clearInterval');
  g.changeInterval = gate((id: number, ms: number) => {
    const t = clk.findBoardTimer(clock, id);
    if (!t) throw h.realm.error('Unknown Interval');
    const d = Math.max(clk.TIMER_MIN_MS, Number(ms) || 0);
    t.due = clock.now + d;
    if (t.interval !== undefined) t.interval = d;
  });

  g.getTime = gate(() => clk.getTime(clock));
  g.setTime = gate((sec: number) => clk.setTime(clock, sec));
  const print = gate((...a: unknown[]) => h.print(a.map(formatValue).join(' ')));
  g.print = print;
  g.console = h.realm.plain({ log: print });
  const eb = espruinoBoard(h.board.id);
  g.process = h.realm.plain({
    // Not a measurement: the sim cannot count Espruino variables. total is the board's budget.
    // flash_code_start: where Storage starts (jswrap_process.c, FLASH_SAVED_CODE_START).
    memory: gate(() => h.realm.plain({ free: h.board.variables, usage: 0, total: h.board.variables, history: 0, flash_code_start: STORAGE_ADDRESS[eb.board] || 0 })),
    // What the espruino CLI asks on connect. CONSOLE 'Serial1': the sim's TCP console acts as a board on a
    // serial adapter (the CLI 0.1.67 never finishes short -e commands on 'USB'/'Bluetooth'/'Telnet' consoles).
    env: h.realm.plain({
      VERSION: SIM_ESPRUINO_VERSION, GIT_COMMIT: 'simulator', BOARD: eb.board, RAM: eb.ram, FLASH: eb.flash,
      STORAGE: h.board.storageBytes, SERIAL: 'sim-' + h.board.id, CONSOLE: 'Serial1', MODULES: 'Storage,Flash,crypto', EXPTR: 0,
    }),
    version: SIM_ESPRUINO_VERSION,
  });
  // The console's own functions. reset(true) also removes the saved code, as jsfRemoveCodeFromFlash.
  g.reset = gate((clearFlash?: unknown) => {
    if (clearFlash) for (const n of ['.boot0', '.boot1', '.boot2', '.boot3', '.bootcde']) st.erase(h.flash, n);
    h.requestBoot('reset');
  });
  g.load = gate((file?: unknown) => {
    if (file !== undefined) throw h.realm.error('load(file) is not simulated; use load()');
    h.requestBoot('load');
  });
  g.echo = gate((on?: unknown) => h.setEcho(!!on));
  // As jswrap_btoa: any iterable in Espruino's sense (string, ArrayBuffer, typed array, array, or
  // object and function, whose values it takes), each element as an integer & 255; else an error.
  g.btoa = gate((t: unknown) => {
    let bytes: Uint8Array;
    const int = (v: unknown) => { const n = Math.trunc(Number(v)); return n === n ? n & 255 : 0; };
    if (typeof t === 'string' || Object.prototype.toString.call(t) === '[object ArrayBuffer]') bytes = st.toBytes(t);
    else if (ArrayBuffer.isView(t) || Array.isArray(t)) bytes = Uint8Array.from(t as ArrayLike<number>, int);
    else if (t !== null && (typeof t === 'object' || typeof t === 'function')) bytes = Uint8Array.from(Object.keys(t).map((k) => (t as Record<string, unknown>)[k]), int);
    else throw h.realm.error('Expecting String or Array, got ' + (t === null || t === undefined ? String(t) : 'Number'));
    return Buffer.from(bytes).toString('base64');
  });
  g.atob = gate((t: string) => Buffer.from(String(t), 'base64').toString('latin1'));
  g.global = g;

  g.I2C1 = h.realm.plain({
    setup: gate(() => { s.i2cReady = true; }),
    writeTo: gate((addr: unknown, ...data: unknown[]) => {
      const dev = i2cDevice(h, addr);
      dev.write(Uint8Array.from(flatten(data)));
    }),
    readFrom: gate((addr: unknown, n: number) => {
      const dev = i2cDevice(h, addr);
      const got = Array.from(dev.read(n));
      const out = new Array(n).fill(0);
      for (let i = 0; i < n && i < got.length; i++) out[i] = got[i] & 255;
      return h.realm.uint8(out);
    }),
  });

  for (let i = 0; i < 48; i++) g['D' + i] = i;
  const p = h.board.pins;
  if (p.ledRed !== undefined) g.LED1 = p.ledRed;
  if (p.ledGreen !== undefined) g.LED2 = p.ledGreen;
  if (p.ledBlue !== undefined) g.LED3 = p.ledBlue;
  if (p.button !== undefined) { g.BTN = p.button; g.BTN1 = p.button; }
  g.NRF = nrf;
  // Nothing of the host stays on the board's global: functions wrapped, objects the context's own.
  for (const k of Object.keys(g)) g[k] = h.realm.adopt(g[k]);
}

/**
 * What setWatch does when its options leave edge or debounce out: on the board's button (Espruino's
 * BTN1, which hal/boards/*.ts pins.button is: test/tools/board-facts.test.ts) 'rising' and 25 ms,
 * elsewhere 'both' and none (src/jswrap_io.c, IS_PIN_A_BUTTON). Both engines.
 */
export function watchDefaults(board: BoardConfig, pin: number): { edge: 'rising' | 'both'; debounce: number } {
  return pin === board.pins.button ? { edge: 'rising', debounce: BUTTON_WATCH_DEBOUNCE_MS } : { edge: 'both', debounce: 0 };
}

function i2cDevice(h: Host, addr: unknown): I2CDevice {
  // nRF5x hardware I2C (nrf_drv_twi, blocking, no timeout) waits forever for a clock held low.
  if (h.session.i2cReady && h.i2cHeld()) throw h.hang('I2C1 transfer with SCL held low');
  return findI2CDevice(h.session.i2cReady, h.i2c, addr, h.realm.error);
}

/** The device an I2C1.writeTo/readFrom reaches, or Espruino's error (both engines). */
export function findI2CDevice(ready: boolean, devices: Record<number, I2CDevice>, addr: unknown, error: (m: string) => Error): I2CDevice {
  if (!ready) throw error('I2C device not set up');
  const a = typeof addr === 'object' && addr ? Number((addr as { address: number }).address) : Number(addr);
  const dev = devices[a];
  if (!dev) throw error('I2C Error: Address NACK');
  return dev;
}

/** The host's read side of the board's pins (both engines): what it drives, in which mode, what it reads. */
export function pinsView(pins: PinState) {
  return {
    output: (pin: number) => pins.out[pin] || 0,
    mode: (pin: number) => pins.mode[pin],
    read: (pin: number) => pinLevel(pins, pin),
    /** Wires a simulated device to the board's outputs: called on every level change (listeners add up). */
    onOutput: (cb: (pin: number, level: number) => void) => {
      const prev = pins.onOutput;
      pins.onOutput = prev ? (pin, level) => { prev(pin, level); cb(pin, level); } : cb;
    },
  };
}
