/**
 * I2CBus port on Espruino's hardware I2C (I2C1). Sets the bus up once and passes writeTo/readFrom
 * through. Espruino throws on a NACK; the port lets that throw (hal/pn532.ts catches it and treats
 * it as "not ready" or 'bus'). Must not: retry or decide.
 *
 * A transfer on nRF52 hardware I2C (nrf_drv_twi, blocking) has no timeout: with SCL held low (a
 * wedged reader, a short) it never returns and only the watchdog gets the board back. If that
 * happened at every boot the board would never run long enough to let anyone in. So the first
 * transfer of each boot (the reader's first command, after its reset pulse, with the watchdog
 * running) is covered by a marker, set before it and cleared at the second transfer: a boot that
 * finds it set knows the last one hung there and leaves the bus alone (every transfer throws; the
 * reader reports reader-fault, phone keys work), clearing it so that the next boot tries again.
 * A hang later in a boot costs one more watchdog reset at most; the next boot tries again.
 * The marker: two journal records a boot (firmware/journal.ts K_I2C), no Storage file made at run
 * time. Every board build is on the journal layout; the Storage file `ck.i2c` earlier firmware used
 * for it is dropped by the update move (tools/host/relayout.ts).
 */
import type { I2CBus, Ports } from '../../firmware/ports';
import { K_I2C, jAppend, jEach, jRec, jValid } from '../../firmware/journal';

/** 0 before the first transfer of this boot, 1 after it (marker set), 3 marker cleared, 2 bus left alone. */
let state = 0;
let ports: Ports;

function transfer(read: boolean, address: number, x: any): any {
  const j = ports.jr;
  if (state < 2 && j) {
    // The newest marker record, on any page (a boot after a hang writes little before this).
    let hung = 0;
    if (!state) jEach(j, (d, at) => { if (d.charCodeAt(at + 8) === K_I2C && jValid(d, at)) hung = d.charCodeAt(at + 9); });
    // Set before the first transfer, cleared at the second; after a boot that hung, cleared at once.
    jAppend(j, jRec(0, 0, K_I2C, state || hung ? 0 : 1, 0, 0));
    state = state ? 3 : hung ? 2 : 1;
  }
  if (state === 2) throw new Error('I2C hung');
  return read ? I2C1.readFrom(address, x) : I2C1.writeTo(address, x);
}

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
const bus: I2CBus = {
  writeTo: (address, data) => transfer(false, address, data),
  readFrom: (address, length) => transfer(true, address, length),
};

export function espruinoI2C(sda: number, scl: number, bitrate: number, p: Ports): I2CBus {
  ports = p;
  I2C1.setup({ sda: sda, scl: scl, bitrate: bitrate });
  return bus;
}
