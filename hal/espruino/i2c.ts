/**
 * I2CBus port on Espruino's hardware I2C (I2C1). Sets the bus up once and passes writeTo/readFrom
 * through. Espruino throws on a NACK; the port lets that throw (hal/pn532.ts catches it and treats
 * it as "not ready" or 'bus'). Must not: retry or decide.
 *
 * A transfer on nRF52 hardware I2C (nrf_drv_twi, blocking) has no timeout: with SCL held low (a
 * wedged reader, a short) it never returns and only the watchdog gets the board back. If that
 * happened at every boot the board would never run long enough to let anyone in. So the first
 * transfer of each boot (the reader's first command, after its reset pulse, with the watchdog
 * running) is covered by a marker file, cleared at the second transfer: a boot that finds it knows the last one hung there and
 * leaves the bus alone (every transfer throws; the reader reports reader-fault, phone keys work).
 * A hang later in a boot costs one more watchdog reset at most; the next boot tries again.
 */
import type { FlashStorage, I2CBus } from '../../firmware/ports';
import { fileSize } from '../../firmware/flashroom';

const MARK = 'ck.i2c';
/** 0 before the first transfer of this boot, 1 after it (marker on flash), 3 marker gone, 2 bus left alone. */
let state = 0;
let store: FlashStorage;

function transfer(read: boolean, address: number, x: any): any {
  if (state === 2) throw new Error('I2C hung');
  // The marker covers the first transfer; the second one, which comes only if the first returned, clears it.
  // A whole tile in the tiled layout (docs/ESPRUINO.md "Flash"), so the files after it stay on tiles.
  if (state === 0) { if (__TILED__) store.write(MARK, '1', 0, fileSize(store, 1)); else store.write(MARK, '1'); state = 1; } else if (state === 1) { store.erase(MARK); state = 3; }
  return read ? I2C1.readFrom(address, x) : I2C1.writeTo(address, x);
}

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
const bus: I2CBus = {
  writeTo: (address, data) => transfer(false, address, data),
  readFrom: (address, length) => transfer(true, address, length),
};

export function espruinoI2C(sda: number, scl: number, bitrate: number, storage: FlashStorage): I2CBus {
  store = storage;
  // The reader then reports reader-fault (console and audit log) on its own.
  if (storage.read(MARK) !== undefined) { storage.erase(MARK); state = 2; }
  I2C1.setup({ sda: sda, scl: scl, bitrate: bitrate });
  return bus;
}
