/**
 * Ports: the only way code in firmware/ reaches hardware, time or randomness.
 *
 * Each port is a small interface of plain functions. On a board they are implemented by the
 * drivers in hal/espruino/; in the simulator by sim/. Nothing in this file may touch an
 * Espruino global or a Node API: it is types only, and firmware/ is type-checked with it alone.
 */

import type { Journal } from './journal';

/** One-shot and repeating timers. Ids are small integers and are reused by Espruino. */
export interface Timers {
  after(ms: number, fn: () => void): number;
  every(ms: number, fn: () => void): number;
  /** Cancels a timer. Must ignore 0/undefined: Espruino's clearTimeout(undefined) throws. */
  cancel(id: number | undefined): void;
}

/** Time as the board knows it: only time since boot. Real time is firmware/trusted-clock.ts's job. */
export interface Clock {
  /** Milliseconds since boot, never going backwards. */
  uptimeMs(): number;
}

/** Hardware randomness (E.hwRand on the board). Never Math.random. */
export interface Random {
  bytes(n: number): Uint8Array;
}

/** The crypto a board's Espruino build offers. */
export interface Crypto {
  sha256(data: Uint8Array): Uint8Array;
  /** CRC-32 (IEEE) of a string of bytes, e.g. a flash-backed string from FlashStorage.read. Integrity, not security. */
  crc32(data: string): number;
  /**
   * AES-128-CBC over whole 16-byte blocks, `iv` absent = zero (one block: ECB); absent on boards
   * whose firmware has no AES (MDBT42Q).
   */
  aesEncryptBlock?: (key: Uint8Array, data: Uint8Array, iv?: Uint8Array) => Uint8Array;
  aesDecryptBlock?: (key: Uint8Array, data: Uint8Array, iv?: Uint8Array) => Uint8Array;
}

/**
 * Flash storage with Espruino's semantics: names up to 28 characters; `read` returns a string
 * backed by flash (no RAM copy); writing a whole file again erases the old copy first;
 * `write` with a size pre-sizes a file that later writes at an offset fill in.
 */
export interface FlashStorage {
  /** The file, or `length` bytes of it from `offset`, as a flash-backed string; undefined if absent. */
  read(name: string, offset?: number, length?: number): string | undefined;
  /** Returns false when the write did not happen (full flash, bad offset). Never throws. */
  write(name: string, data: string, offset?: number, size?: number): boolean;
  erase(name: string): void;
  list(prefix: string): string[];
  /** Bytes free for new data after the last file: a new file this size or smaller goes in without a compaction. */
  free(): number;
  /**
   * Compacts Storage now (Espruino's Storage.compact). Not power-cut safe on Espruino: only from
   * the main loop when nothing is pending (firmware/flashroom.ts). True if free space grew.
   */
  compact(): boolean;
  /**
   * Set by the core on a board in the tiled layout (docs/ESPRUINO.md "Flash"): every file the
   * firmware makes at run time takes a whole number of these bytes, header included
   * (firmware/flashroom.ts fileSize), so no file after the pad crosses a page. 0 or absent: any size.
   */
  tile?: number;
}

/**
 * The journal's payload (firmware/journal.ts, docs/ESPRUINO.md "Flash"): whole flash pages that
 * Storage never moves, erased and programmed directly (require("Flash") on a board). Offsets are
 * bytes from the payload's start, which is on a page boundary.
 */
export interface JournalFlash {
  /** Payload bytes: a whole number of 4096-byte pages. */
  size: number;
  /** Bytes as a string (flash-backed on a board). */
  read(offset: number, length: number): string;
  /** Programs bytes (flash only clears bits). May fail without a word: read back. */
  write(offset: number, data: string): void;
  /** Erases the 4096-byte page starting at `offset`. May fail without a word. */
  erase(offset: number): void;
}

/** A digital output: relay, drive-enable, LED. */
export interface Output {
  set(on: boolean): void;
}

/**
 * A digital input: door sensor, button. Debouncing is the firmware's job (firmware/inputs.ts):
 * `watch` calls `onEdge` on every edge (with whatever arguments the platform passes, which the
 * firmware ignores) and the firmware reads the settled level with `read`. On Espruino, `onEdge`
 * is handed to setWatch itself: no closure per input in between.
 */
export interface Input {
  read(): boolean;
  watch(onEdge: () => void): void;
}

/** A hardware watchdog. Once started it cannot be stopped; only a healthy main loop kicks it. */
export interface Watchdog {
  start(seconds: number): void;
  kick(): void;
}

/** Where human-readable diagnostics go (USB console on the board, the terminal in the sim). */
export interface Console {
  log(message: string): void;
}

/** Everything the firmware gets at boot. Optional ports are absent on boards without them. */
export interface Ports {
  timers: Timers;
  clock: Clock;
  random: Random;
  crypto: Crypto;
  storage: FlashStorage;
  /** Opens the journal's payload (firmware/journal.ts); undefined when Storage holds no journal file. Boards in the journal layout only. */
  journal?: () => JournalFlash | undefined;
  /** Keycard builds: the journal once the core has opened it, for the card reader's I2C hang marker (hal/espruino/i2c.ts). */
  jr?: Journal;
  relay: Output;
  drive?: Output;
  leds: { red?: Output; green?: Output; blue?: Output };
  door?: Input;
  button?: Input;
  watchdog: Watchdog;
  console: Console;
  radio?: Radio;
  reader?: CardReader;
}

/** An I2C bus (the PN532 card reader hangs on one). Espruino's I2C.writeTo / readFrom. */
export interface I2CBus {
  writeTo(address: number, data: Uint8Array): void;
  readFrom(address: number, length: number): Uint8Array;
}

/**
 * The phone-key radio: one GATT service with a write characteristic (phone -> board) and a
 * notify characteristic (board -> phone). Packets are at most payloadSize() bytes.
 */
export interface Radio {
  /** onConnect gets the central's address as Espruino's NRF.on('connect', addr) gives it. */
  start(onConnect: (addr: string) => void, onDisconnect: () => void, onPacket: (packet: Uint8Array) => void): void;
  send(packet: Uint8Array): void;
  /** Bytes per packet: 20 by default, more once the phone negotiated a larger MTU. */
  payloadSize(): number;
  /** True when the link is encrypted with MITM protection (paired with the setup code); required to hand out a new key's secret. */
  linkProtected(): boolean;
  /** Pairing for enrolment: passkey entry with `passkey` (the board setup code, '' when none) and MITM protection required. */
  protect(passkey: string): void;
  disconnect(): void;
}

/** A contactless card reader (a PN532 on the board): reports cards and carries APDUs to the one in the field. */
export interface CardReader {
  start(onCard: (uid: Uint8Array, sak: number) => void, onError: (reason: string) => void): void;
  transceive(apdu: Uint8Array, cb: (resp: Uint8Array | undefined, err?: string) => void): void;
  /** Done with the card in the field: field off until the next poll. */
  release(): void;
}
