/**
 * The second engine: a SimBoard (sim/engine/board.ts) whose bundle runs inside a real Espruino
 * interpreter built for Linux (ESPRUINO_BIN), while the world around it — pins, radio central,
 * I2C devices (the PN532 and its cards), watchdog, host timers and the virtual clock — stays on
 * the Node side, exactly as with the VM engine. So sim/car.ts, the scenarios and the tests drive
 * either engine with the same calls.
 *
 * How: the bundle is stored as .bootcde and prelude.js as .boot0 in the interpreter's flash file;
 * the interpreter boots from there as a board does. The prelude reports what the firmware does to
 * its peripherals as lines and asks Node when it needs an answer (link.ts carries both, in lock
 * step, synchronously). Time is virtual: the board runs its timers only when Node advances it.
 * A reset or power cut kills the process; power on starts it again over the same flash file, so
 * a cut in the middle of a write leaves what the real Storage code left.
 *
 * What differs from a board (docs/ESPRUINO.md): the Linux build's Storage is 256 KB with its own
 * page size, not the board's; its crypto has AES whatever the board file says; Date.now() is the
 * host's clock (the firmware uses getTime()); setWatch has no debounce.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BoardConfig } from '../../hal/boards/types';
import * as clk from '../engine/clock';
import { type BoardListener, type LogLine, type SimBoard, hostTimers, radioAddress, simWatchdog } from '../engine/board';
import { type I2CDevice, type PinState, findI2CDevice, pinLevel, pinsView, watchDefaults } from '../engine/globals';
import { NO_ROOM } from '../engine/crypto';
import { applyServices, applyUpdates, boardDisconnect, createNrf, nrfReset, securityStatus } from '../engine/nrf';
import { radioModelFor } from '../engine/radio-model';
import type { Realm } from '../engine/realm';
import { byteLiteral } from '../../tools/host/console-upload';
import { crc32 } from '../../tools/host/bytes';
import { type Link, InterpreterStuck, InterpreterTimeout, makeBoardDir, runOnce, startLink } from './link';

export interface EspruinoBoardOptions {
  board: BoardConfig;
  /** The bundle (dist/<board>/firmware.js), stored as .bootcde. */
  bundle: string;
  /** The interpreter: ESPRUINO_BIN. */
  bin: string;
  /** Seeds E.hwRand (per boot) and the radio address. Default 1. */
  seed?: number;
  /** Real-time bound on one exchange with the interpreter; past it the board counts as hung. Default 20 s. */
  timeoutMs?: number;
  /** Variables the firmware gets; default the board's. Fewer shows how much margin a story leaves. */
  variables?: number;
  /**
   * Appends the memory probe's output to this file (tools/benchmarks/memory.ts reads it): live usage
   * after GC at every Storage write and host question, and a variable dump at each new highest.
   */
  memoryProbe?: string;
}

export const PRELUDE_FILE = path.join(__dirname, 'prelude.js');

/** A Realm for values handed to the board: plain host values, turned into source when sent. */
const hostRealm: Realm = {
  global: {},
  uint8: (b) => Uint8Array.from(b),
  arrayBuffer: (b) => Uint8Array.from(b).buffer,
  error: (m) => new Error(m),
  array: (items) => items.slice(),
  plain: (o) => o,
  // Nothing is handed over as a live value: everything crosses the pipe as source text.
  fn: (f) => f,
  adopt: (v) => v,
};

/** JavaScript source for a host value, as Espruino reads it (strings as byte literals). */
export function toSource(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return byteLiteral(v);
  // Bytes travel as base64: an array literal would cost the board a variable per byte while it is read.
  if (v instanceof ArrayBuffer) return bytesSource(new Uint8Array(v)) + '.buffer';
  if (ArrayBuffer.isView(v)) return bytesSource(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  if (Array.isArray(v)) return '[' + v.map(toSource).join(',') + ']';
  return '{' + Object.keys(v as object).map((k) => JSON.stringify(k) + ':' + toSource((v as Record<string, unknown>)[k])).join(',') + '}';
}

function bytesSource(b: Uint8Array): string {
  return 'E.toUint8Array(atob(' + JSON.stringify(Buffer.from(b).toString('base64')) + '))';
}

/** What the interpreter prints by itself that means the board is in trouble. */
const TROUBLE = /Uncaught|ERROR|MEMORY|ASSERT|Interrupted|FIFO_FULL/;

/**
 * Writes the prelude and the bundle into a fresh flash file through the interpreter's own
 * Storage (read from files in the directory, so nothing goes through its console input).
 */
export function installFlash(bin: string, dir: string, files: Record<string, string>): void {
  const calls: string[] = [];
  for (const name of Object.keys(files)) {
    const file = 'in-' + calls.length;
    fs.writeFileSync(path.join(dir, file), files[name], 'latin1');
    calls.push(`put(${JSON.stringify(name)},${JSON.stringify(file)},${files[name].length})`);
  }
  const code = 'var S=require("Storage");function put(n,p,z){var f=E.openFile(p,"r"),o=0,d;S.erase(n);' +
    'while((d=f.read(256))!==undefined){S.write(n,d,o,z);o+=d.length;}f.close();' +
    'print("installed "+n+" "+o+" "+E.CRC32(S.read(n)));}' + calls.join(';');
  const out = runOnce(bin, dir, code, 60000);
  const lines = out.replace(/\r/g, '').split('\n');
  for (const name of Object.keys(files)) {
    const ok = lines.some((l) => {
      const m = /^installed (\S+) (\d+) (-?\d+)$/.exec(l);
      return !!m && m[1] === name && Number(m[2]) === files[name].length && Number(m[3]) >>> 0 === crc32(files[name]);
    });
    if (!ok) throw new Error(`installing ${name} into the interpreter's flash failed; it printed:\n${out}`);
  }
}

export interface InterpreterBudget {
  /** Variables the interpreter has. */
  total: number;
  /** Variables it uses with nothing loaded. */
  bare: number;
  /** Variables the prelude adds (its functions, closures and state), measured on a board that holds nothing else. */
  prelude: number;
}

const budgets: Record<string, InterpreterBudget> = {};

/** Measures the interpreter once per process: its size, its bare usage and the prelude's share. */
export function interpreterBudget(bin: string, timeoutMs = 20000): InterpreterBudget {
  if (budgets[bin]) return budgets[bin];
  const d = makeBoardDir();
  try {
    const bare = /usage (\d+) (\d+)/.exec(runOnce(bin, d, 'var m=process.memory();print("usage "+m.usage+" "+m.total)', timeoutMs));
    if (!bare) throw new Error('the interpreter did not report its memory');
    installFlash(bin, d, { '.boot0': fs.readFileSync(PRELUDE_FILE, 'latin1') });
    const l = startLink(bin, d);
    try {
      const said: string[] = [];
      const next = (): string => { const x = l.line(timeoutMs); said.push(x); return x[0] === 'p' ? next() : x; };
      if (next() !== 'H' || next() !== '?') throw new Error('the prelude did not say hello: ' + said.join(' | '));
      l.send('({n:0,s:1,i:{},b:0})', timeoutMs);
      if (next() !== '?') throw new Error('the prelude did not reach its serve loop: ' + said.join(' | '));
      l.send('process.memory().usage', timeoutMs);
      let x = next();
      while (x[0] !== '=') x = next();
      const withPrelude = Number(x.slice(1).split(' ')[1]);
      budgets[bin] = { total: Number(bare[2]), bare: Number(bare[1]), prelude: withPrelude - Number(bare[1]) };
      return budgets[bin];
    } finally { l.kill(); }
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
}

export function createEspruinoBoard(opts: EspruinoBoardOptions): SimBoard {
  const board = opts.board;
  const seed = opts.seed === undefined ? 1 : opts.seed;
  const timeoutMs = opts.timeoutMs || 20000;
  const dir = makeBoardDir();
  installFlash(opts.bin, dir, { '.boot0': fs.readFileSync(PRELUDE_FILE, 'latin1'), '.bootcde': opts.bundle });

  const clock = clk.createClock();
  let bootAt = 0, offset = 0;
  const pins: PinState = { out: {}, mode: {}, input: {} };
  const i2c: Record<number, I2CDevice> = {};
  let i2cReady = false;
  let sclLow = false;
  const log: LogLine[] = [];
  const uncaught: string[] = [];
  const resets: { at: number; reason: string }[] = [];
  const listeners: BoardListener[] = [];
  const nrf = createNrf(radioAddress(seed), () => clock.now, { model: radioModelFor(board), schedule: (ms, fn) => { clk.addHostTimer(clock, ms, fn); } });
  let link: Link | undefined;
  /** The board is waiting for a message from us (it said "?" and we have not written since). */
  let waiting = false;
  let dead = true;
  let boots = 0;
  let syncs = 0;
  let peak = 0;
  let noRoom = 0;
  const budget = interpreterBudget(opts.bin, timeoutMs);
  // The firmware gets the board's variables, no more: a ballast takes what the interpreter has beyond
  // the board's budget and the prelude's own share.
  const variables = opts.variables || board.variables;
  const ballast = Math.max(0, budget.total - budget.prelude - variables);
  const short = variables - (budget.total - budget.prelude);
  if (opts.memoryProbe) fs.appendFileSync(opts.memoryProbe, `@@PROBE board=${board.id} prelude=${budget.prelude} ballast=${ballast} variables=${variables}\n`);
  /** Calls into the board asked for while it was busy (from inside a line's handler): run after. */
  const deferred: Array<() => void> = [];

  const sim = (text: string) => { log.push({ at: clock.now, from: 'sim', text }); };
  const print = (text: string) => {
    for (const line of text.split('\n')) log.push({ at: clock.now, from: 'board', text: line });
    for (const l of listeners.slice()) if (l.print) l.print(text);
  };

  const wdt = simWatchdog(clock, (ms) => { sim('watchdog reset (not kicked for ' + ms / 1000 + ' s)'); boot('watchdog'); });

  /** Reads what the interpreter printed by itself; trouble goes to the log and to `uncaught`. */
  let outputTail = '';
  const readOutput = () => {
    if (!link) return;
    const text = link.takeOutput().replace(/\r|\x1b\[J/g, '');
    if (!text) return;
    if (opts.memoryProbe) fs.appendFileSync(opts.memoryProbe, text);
    outputTail = (outputTail + text).slice(-4096);
    for (const line of text.split('\n')) {
      // Not uncaught: the native call returned undefined and the firmware copes (counted in memory()).
      if (line.trim() === NO_ROOM) { noRoom++; print(line.trim()); continue; }
      if (!TROUBLE.test(line)) continue;
      uncaught.push(line.trim());
      print(line.trim());
    }
  };

  const stopProcess = () => {
    if (link) { readOutput(); link.kill(); }
    link = undefined;
    waiting = false;
    wdt.stop();
    const had = nrf.state.peer;
    nrf.state.peer = undefined;
    nrf.state.boot = undefined;
    if (had && nrf.state.linkEnded) nrf.state.linkEnded(); // the central hears its link end
  };
  const cut = () => {
    if (dead) return;
    dead = true;
    sim('power cut');
    stopProcess();
  };

  const i2cDevice = (addr: number): I2CDevice => findI2CDevice(i2cReady, i2c, addr, (m) => new Error(m));
  /** Runs a host-side answer; an error becomes an Error the board throws. */
  const answer = (f: () => unknown): string => {
    try { return '(' + toSource(f()) + ')'; } catch (e) { return 'new Error(' + toSource(String((e as Error).message || e)) + ')'; }
  };

  /**
   * Reads lines until the board waits again, answering its questions on the way. With
   * `expectResult`, the exchange ends at the "?" after its "=" line (the board's event loop ran
   * in between). Returns the result; undefined if the board died or hung meanwhile.
   */
  const pump = (expectResult: boolean): unknown => {
    let result: unknown, got = false, reply: string | undefined;
    for (;;) {
      let l: string;
      try { l = link!.line(timeoutMs); } catch (e) {
        if (!(e instanceof InterpreterTimeout || e instanceof InterpreterStuck)) throw e;
        hung(e.message);
        return undefined;
      }
      const kind = l[0], rest = l.slice(1);
      const sp = rest.indexOf(' ');
      const a = sp < 0 ? rest : rest.slice(0, sp), b = sp < 0 ? '' : rest.slice(sp + 1);
      switch (kind) {
        case '?':
          if (reply !== undefined) { link!.send(reply, timeoutMs); reply = undefined; break; }
          if (expectResult && !got) throw new Error('the board asked for a message before it answered the last one');
          waiting = true;
          readOutput();
          if (wdt.auto) wdt.kick();
          return result;
        case '=': {
          got = true;
          const usage = Number(a);
          if (usage > peak) peak = usage;
          result = b === 'undefined' || b === '' ? undefined : JSON.parse(b);
          break;
        }
        case 'H': reply = answer(() => ({ n: clock.now, s: (Math.imul(seed, 0x9e3779b1) ^ boots) >>> 0 || 1, i: pins.input, b: ballast, m: opts.memoryProbe ? 1 : 0, k: board.pins.button === undefined ? -1 : board.pins.button, q: watchDefaults(board, board.pins.button === undefined ? -1 : board.pins.button).debounce })); break;
        case 'g': reply = answer(() => securityStatus(nrf.state)); break;
        case 'u': reply = answer(() => { applyUpdates(nrf.state, JSON.parse(rest), (m) => new Error(m)); return 0; }); break;
        case 'i': case 'r':
          if (i2cReady && sclLow) { hangInDriver('I2C1 transfer with SCL held low'); return undefined; }
          if (kind === 'r') { reply = answer(() => {
            const n = Number(b), got2 = i2cDevice(Number(a)).read(n);
            const out = new Uint8Array(n);
            for (let k = 0; k < n && k < got2.length; k++) out[k] = got2[k] & 255;
            return out;
          }); break; }
          reply = answer(() => { i2cDevice(Number(a)).write(new Uint8Array(Buffer.from(b, 'base64'))); return 0; }); break;
        case 'o': {
          const pin = Number(a), level = Number(b);
          if (pins.mode[pin] !== 'opendrain') pins.mode[pin] = 'output';
          pins.out[pin] = level;
          if (pins.onOutput) pins.onOutput(pin, level);
          break;
        }
        case 'm': pins.mode[Number(a)] = b; break;
        case 't': clock.now = Number(rest); break;
        case 'T': offset = Number(rest); break;
        case 'p': print(String(JSON.parse(rest))); break;
        case '!': uncaught.push(rest); print(rest); break;
        case 's': { const j = JSON.parse(rest); applyServices(nrf.state, j.s, j.o); break; }
        case 'y': nrf.state.security = JSON.parse(rest); break;
        case 'h': (nrf.state.handlers[a] = nrf.state.handlers[a] || []).push(Number(b)); break;
        case 'x': boardDisconnect(nrf.state); break;
        case 'I': i2cReady = true; break;
        case 'w': wdt.enable(Number(a), b === '1'); break;
        case 'k': wdt.kick(); break;
        case 'c': cut(); return undefined;
        default: throw new Error('unknown line from the board: ' + JSON.stringify(l.slice(0, 80)));
      }
    }
  };

  /**
   * The board stops inside a driver call that never returns (nRF5x hardware I2C has no timeout):
   * the interpreter is gone, outputs stay as they were, and the watchdog keeps counting from its
   * last kick; when it fires the board boots again, and without it the board stays hung.
   */
  const hangInDriver = (why: string) => {
    sim('board hung in ' + why + (wdt.enabled ? ': the watchdog will reset it' : ''));
    uncaught.push('hung: ' + why);
    if (link) { readOutput(); link.kill(); }
    link = undefined;
    waiting = false;
    nrf.state.boot = undefined;
    if (!wdt.enabled) { dead = true; sim('the board stays hung: no watchdog'); }
  };

  const hung = (why: string) => {
    sim('board code ran too long (hung): ' + why);
    uncaught.push('hung: ' + why);
    const watchdog = wdt.enabled;
    stopProcess();
    if (watchdog) { sim('watchdog reset (hung)'); clk.addHostTimer(clock, 0, () => boot('watchdog')); }
    else { dead = true; sim('the board stays hung: no watchdog'); }
  };

  /** One message and its answer; undefined when the board is not running. */
  const exchange = (message: string): unknown => {
    if (dead || !link) return undefined;
    if (!waiting) throw new Error('the board is busy: ' + message.slice(0, 60));
    waiting = false;
    link.send(message, timeoutMs);
    const r = pump(true);
    while (waiting && deferred.length) deferred.shift()!();
    return r;
  };
  /** A call into the board that may come from inside a line's handler: deferred until it waits. */
  const whenWaiting = (f: () => void) => {
    if (dead || !link) return;
    if (waiting) f(); else deferred.push(f);
  };
  const callBoard = (fn: unknown, args: unknown[]) => whenWaiting(() => { exchange(`__sim.c(${Number(fn)},${toSource(args)})`); });

  function boot(reason: string): void {
    stopProcess();
    deferred.length = 0;
    nrfReset(nrf.state);
    pins.out = {};
    pins.mode = {};
    i2cReady = false;
    bootAt = clock.now;
    offset = 0;
    boots++;
    resets.push({ at: clock.now, reason });
    dead = false;
    link = startLink(opts.bin, dir);
    nrf.state.boot = {
      realm: hostRealm,
      call: callBoard,
      later: (fn, args) => { clk.addHostTimer(clock, 0, () => callBoard(fn, args)); },
      alive: () => !dead && !!link,
    };
    pump(false);
    for (const l of listeners.slice()) if (l.boot) l.boot(reason, 'code', true);
  }

  const S = 'require("Storage")';
  const CHUNK = 192;

  const api: SimBoard = {
    board,
    engine: 'espruino',
    memory: () => {
      const m = exchange('process.memory()') as { usage: number; free: number; total: number } | undefined;
      return m ? { usage: m.usage, free: m.free, total: m.total, peak, prelude: budget.prelude, ballast, bare: budget.bare, noRoom } : undefined;
    },
    close: () => { stopProcess(); dead = true; fs.rmSync(dir, { recursive: true, force: true }); },
    pins: {
      ...pinsView(pins),
      setInput(pin, levelIn) {
        const level = levelIn ? 1 : 0;
        const before = pinLevel(pins, pin);
        pins.input[pin] = level;
        if (before === level) return;
        whenWaiting(() => { exchange(`__sim.i(${pin},${level})`); });
      },
    },
    clock: {
      now: () => clock.now,
      getTime: () => (clock.now - bootAt) / 1000 + offset,
      advance: (ms) => advance(ms),
      runUntilIdle: (maxMs) => {
        const start = clock.now, end = start + Math.max(0, maxMs);
        for (;;) {
          const n = exchange('__sim.n()') as [number, number] | undefined;
          if (!n || !n[0] || n[1] > end) break;
          advance(Math.max(0, n[1] - clock.now));
        }
        const n = exchange('__sim.n()') as [number, number] | undefined;
        if (n && n[0]) advance(end - clock.now);
        return clock.now - start;
      },
      setTime: (seconds) => { exchange(`setTime(${Number(seconds)})`); },
      hostTimers: hostTimers(clock),
      pendingBoardTimers: () => { const n = exchange('__sim.n()') as [number, number] | undefined; return n ? n[0] : 0; },
    },
    storage: {
      get flash(): never { throw new Error('the real interpreter keeps its flash in a file: use read/write/list'); },
      read: (name, offset0, length) => {
        const total = exchange(`(function(s){return s===undefined?-1:s.length})(${S}.read(${toSource(name)}))`) as number | undefined;
        if (total === undefined || total < 0) return undefined;
        const from = Math.max(0, Math.min(total, offset0 === undefined ? 0 : Number(offset0) || 0));
        const len = length === undefined ? total - from : Math.max(0, Math.min(Number(length) || 0, total - from));
        let out = '';
        for (let at = from; at < from + len; at += CHUNK) {
          const n = Math.min(CHUNK, from + len - at);
          out += Buffer.from(String(exchange(`btoa(${S}.read(${toSource(name)},${at},${n}))`)), 'base64').toString('latin1');
        }
        return out;
      },
      bytes: (name) => { const s = api.storage.read(name); return s === undefined ? undefined : new Uint8Array(Buffer.from(s, 'latin1')); },
      write: (name, data, offset0, size) => {
        const s = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
        const at = offset0 === undefined ? 0 : offset0;
        const total = size !== undefined ? size : at === 0 ? s.length : undefined;
        for (let k = 0; k < s.length || k === 0; k += CHUNK) {
          const part = s.slice(k, k + CHUNK);
          const args = k === 0 && at === 0 ? `0,${total}` : `${at + k}`;
          const r = exchange(`(function(){try{return __sim.W.call(${S},${toSource(name)},atob(${JSON.stringify(Buffer.from(part, 'latin1').toString('base64'))}),${args})}catch(e){return ""+e}})()`);
          if (typeof r === 'string') throw new Error(r);
          if (r !== true) return false;
          if (!s.length) break;
        }
        return true;
      },
      erase: (name) => { exchange(`${S}.erase(${toSource(name)})`); },
      list: () => (exchange(`${S}.list()`) as string[] | undefined) || [],
      stats: () => exchange(`${S}.getStats()`) as ReturnType<SimBoard['storage']['stats']>,
      compact: () => { exchange(`${S}.compact()`); },
      cutPowerAtWrite: (n, keep) => { exchange(`__sim.x(${Math.max(1, Math.floor(n))},${Number(keep)})`); },
    },
    nrf: nrf.host,
    i2c: {
      attach: (address, device) => { i2c[address] = device; },
      detach: (address) => { delete i2c[address]; },
      holdSclLow: (low) => { sclLow = low; },
    },
    log,
    consoleText: () => log.filter((l) => l.from === 'board').map((l) => l.text).join('\n'),
    get uncaught() { syncOutput(); return uncaught; },
    get watchdog() { return { enabled: wdt.enabled, timeoutMs: wdt.timeoutMs, auto: wdt.auto }; },
    resets,
    get dead() { return dead; },
    run: (code) => exchange(code),
    listen: (l) => { listeners.push(l); return () => { const i = listeners.indexOf(l); if (i >= 0) listeners.splice(i, 1); }; },
    echo: true,
    reset: () => boot('reset'),
    fragmentHeap: () => { throw new Error('fragmentHeap: in the real interpreter its own allocator decides; use the VM engine'); },
    powerCut: cut,
    powerOn: () => boot('power on'),
  };

  /** The interpreter's own output arrives late (its output thread polls): wait for a marker. */
  function syncOutput(): void {
    if (dead || !link || !waiting) return;
    const mark = '@@sync' + (++syncs) + '@@';
    exchange(`__sim.P(${JSON.stringify(mark)})`);
    const deadline = Date.now() + 2000;
    for (;;) {
      readOutput();
      if (outputTail.indexOf(mark) >= 0 || !link || Date.now() > deadline) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }

  /** Host timers and board timers in one time order (board first when due together, as the VM engine). */
  function advance(ms: number): void {
    const target = clock.now + Math.max(0, ms);
    for (;;) {
      let next: clk.Timer | undefined;
      for (const t of clock.timers) if (t.due <= target && (!next || t.due < next.due)) next = t;
      const limit = next ? Math.max(next.due, clock.now) : target;
      if (!dead && link) {
        // [time reached, 1 when no board timer is left due by the limit]
        const r = exchange(`__sim.a(${limit})`) as [number, number] | undefined;
        if (r) {
          clock.now = r[0];
          if (!r[1]) continue;
        }
      }
      clock.now = limit;
      clk.advance(clock, 0);
      if (!next) break;
    }
    clock.now = target;
  }

  if (short > 0) sim(`this interpreter has ${budget.total} variables: ${short} fewer than the ${variables} asked for plus the prelude's ${budget.prelude}, so memory runs out sooner than on the board`);
  boot('power on');
  return api;
}

/** Variables an interpreter needs so that a board's firmware gets the board's whole budget. */
export function variablesNeeded(bin: string, board: BoardConfig): number {
  return board.variables + interpreterBudget(bin).prelude;
}
