/**
 * The part of the Espruino API this project uses, declared by hand from the interpreter's
 * behaviour (../shared/espruino-dialect.md). Only hal/ code is checked against it; firmware/
 * never sees these names. Add a declaration here only after checking the real interpreter has it.
 */

type Pin = number;

interface EspruinoE {
  hwRand(): number;
  enableWatchdog(seconds: number, isAuto: boolean): void;
  kickWatchdog(): void;
  getSizeOf(value: any, depth?: number): number;
  toUint8Array(data: string | ArrayBuffer | Uint8Array | number[]): Uint8Array;
  toString(data: Uint8Array | ArrayBuffer | number[]): string;
  CRC32(data: string | Uint8Array): number;
  /** Sum of the elements (native; not on SAVE_ON_FLASH builds: hal/espruino-api.json). */
  sum(data: string | Uint8Array | number[]): number;
  /** Garbage-collects, then moves variables so free memory is contiguous (slow). Not on SAVE_ON_FLASH builds. */
  defrag(): void;
  on(event: 'init' | 'kill', fn: () => void): void;
  on(event: 'errorFlag', fn: (flags: string[]) => void): void;
  reboot(): void;
}
declare const E: EspruinoE;

interface StorageModule {
  read(name: string, offset?: number, length?: number): string | undefined;
  write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean;
  erase(name: string): void;
  list(pattern?: RegExp | string, filter?: { sf?: boolean }): string[];
  /** No argument: 2v19 takes none (checkInternalFlash came later; hal/espruino-api.json). */
  getFree(): number;
  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; trashBytes: number; fileCount: number; trashCount: number };
  compact(): void;
}

/** The flash itself, under Storage's feet (jswrap_flash.c): the journal's pages (hal/espruino/journal.ts). */
interface FlashModule {
  read(length: number, addr: number): Uint8Array;
  /** Programs bytes (only clears bits); any alignment (jshFlashWriteAligned). */
  write(data: string | Uint8Array, addr: number): void;
  erasePage(addr: number): void;
  getPage(addr: number): { addr: number; length: number } | undefined;
  getFree(): Array<{ addr: number; length: number }>;
}

interface CryptoAesOptions { iv?: Uint8Array; mode?: 'CBC' | 'CFB' | 'CTR' | 'OFB' | 'ECB' }
interface CryptoModule {
  /** undefined (after printing an error) when no contiguous block is free for the result. */
  SHA256(data: string | Uint8Array): ArrayBuffer | undefined;
  AES?: {
    encrypt(data: Uint8Array, key: Uint8Array, options?: CryptoAesOptions): ArrayBuffer | undefined;
    decrypt(data: Uint8Array, key: Uint8Array, options?: CryptoAesOptions): ArrayBuffer | undefined;
  };
}

declare function require(name: 'Storage'): StorageModule;
declare function require(name: 'crypto'): CryptoModule;
declare function require(name: 'Flash'): FlashModule;

/** Hardware I2C (jswrap_spi_i2c.c): writeTo/readFrom throw on NACK or bus timeout. */
interface EspruinoI2C {
  setup(options: { sda: Pin; scl: Pin; bitrate?: number }): void;
  writeTo(address: number, data: Uint8Array | number[] | number | string): void;
  readFrom(address: number, quantity: number): Uint8Array;
}
declare const I2C1: EspruinoI2C;

declare function digitalWrite(pin: Pin, value: number | boolean): void;
declare function digitalRead(pin: Pin): number;
declare function pinMode(pin: Pin, mode: 'input' | 'input_pullup' | 'input_pulldown' | 'output' | 'opendrain'): void;
declare function setWatch(fn: (e: { state: boolean; time: number; lastTime: number }) => void, pin: Pin,
  options: { repeat?: boolean; edge?: 'rising' | 'falling' | 'both'; debounce?: number }): number;
declare function clearWatch(id: number): void;

declare function setTimeout(fn: () => void, ms: number): number;
declare function setInterval(fn: () => void, ms: number): number;
/** Espruino: clearTimeout(undefined) throws and clearTimeout() cancels every timer. Use hal/espruino/timers.ts. */
declare function clearTimeout(id: number): void;
declare function clearInterval(id: number): void;

/** Seconds since boot, or since 1970 once setTime was called. */
declare function getTime(): number;
declare function setTime(seconds: number): void;

declare function print(...text: any[]): void;
declare const console: { log(...text: any[]): void };

interface EspruinoProcess {
  /** flash_code_start: where Storage starts (ARM builds only, jswrap_process.c). */
  memory(gc?: boolean): { free: number; usage: number; total: number; history: number; flash_code_start?: number };
  env: { VERSION: string; BOARD: string };
}
declare const process: EspruinoProcess;

interface NrfCharacteristic {
  value?: Uint8Array | number[] | string;
  maxLen?: number;
  readable?: boolean;
  writable?: boolean;
  notify?: boolean;
  description?: string;
  security?: { read?: { encrypted?: boolean; mitm?: boolean; lesc?: boolean }; write?: { encrypted?: boolean; mitm?: boolean; lesc?: boolean } };
  onWrite?: (evt: { data: ArrayBuffer }) => void;
}
interface EspruinoNRF {
  setServices(services: { [service: string]: { [characteristic: string]: NrfCharacteristic } },
    options: { uart?: boolean; advertise?: string[] }): void;
  updateServices(services: { [service: string]: { [characteristic: string]: { value: Uint8Array; notify?: boolean } } }): void;
  /** passkey: a static 6-digit passkey (targets/nrf5x/bluetooth.c jsble_update_security). */
  setSecurity(options: { display?: boolean; keyboard?: boolean; bond?: boolean; mitm?: boolean; lesc?: boolean; pair?: boolean; passkey?: string }): void;
  getSecurityStatus(): { connected: boolean; encrypted?: boolean; mitm_protected?: boolean; bonded?: boolean };
  disconnect(): void;
  on(event: 'connect', fn: (address: string) => void): void;
  on(event: 'disconnect', fn: (reason: number) => void): void;
}
declare const NRF: EspruinoNRF;

/** Espruino's global object (dev-build bench hooks only). */
declare const global: any;
