/**
 * I2CBus port on Espruino's hardware I2C (I2C1). Sets the bus up once and passes writeTo/readFrom
 * through. Espruino throws on a NACK; the port lets that throw (hal/pn532.ts catches it and treats
 * it as "not ready" or 'bus'). Must not: retry or decide.
 *
 * A transfer on nRF52 hardware I2C (nrf_drv_twi, blocking) has no timeout: with SCL held low (a
 * wedged reader, a short) it never returns and only the watchdog gets the board back. If that
 * happened at every boot the board would never run long enough to let anyone in. So the first
 * transfer of each boot is bracketed by a marker file: a boot that finds it knows the last one hung
 * there and leaves the bus alone (every transfer throws; the reader reports reader-fault, phone keys
 * work). A hang later in a boot costs one more watchdog reset at most. The next boot tries again.
 */
import type { FlashStorage, I2CBus } from '../ports';

const MARK = 'ck.i2c';
/** 0 before the first transfer of this boot, 1 after it, 2 the bus is left alone this boot. */
let state = 0;
let store: FlashStorage;

function before(): void {
  if (state === 2) throw new Error('I2C bus hung at the last boot');
  if (state === 0) store.write(MARK, '1');
}

function after(): void {
  if (state === 0) { state = 1; store.erase(MARK); }
}

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
const bus: I2CBus = {
  writeTo: (address, data) => { before(); try { I2C1.writeTo(address, data); } finally { after(); } },
  readFrom: (address, length) => {
    before();
    let r: Uint8Array;
    try { r = I2C1.readFrom(address, length); } finally { after(); }
    return r;
  },
};

export function espruinoI2C(sda: number, scl: number, bitrate: number, storage: FlashStorage): I2CBus {
  store = storage;
  if (storage.read(MARK) !== undefined) {
    storage.erase(MARK);
    state = 2;
    console.log('I2C hung at the last boot: no card reader');
  }
  I2C1.setup({ sda: sda, scl: scl, bitrate: bitrate });
  return bus;
}
