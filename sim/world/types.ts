/**
 * What a test, a scenario or the car sees of a simulated board, whichever engine runs its bundle:
 * the SimBoard interface (pins, clock, storage, radio central, I2C, log, watchdog, power) and the
 * shapes it hands out. Both engines return exactly this (sim/world/world.ts assembles it).
 * Not here: how a bundle is executed (sim/engine/board.ts, sim/espruino/board.ts).
 */
import type { BoardConfig } from '../../hal/boards/types';
import type { Timers } from '../../firmware/ports';
import type * as st from '../engine/storage';
import type { I2CDevice } from '../engine/globals';
import type { NrfHost } from '../engine/nrf';

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

