/**
 * I2CBus port on Espruino's hardware I2C (I2C1). Thin: sets the bus up once and passes
 * writeTo/readFrom through. Espruino throws on a NACK or bus timeout; the port lets that throw
 * (hal/pn532.ts catches it and treats it as "not ready" or 'bus'). Must not: retry or decide.
 */
import type { I2CBus } from '../ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
const bus: I2CBus = {
  writeTo: (address, data) => I2C1.writeTo(address, data),
  readFrom: (address, length) => I2C1.readFrom(address, length),
};

export function espruinoI2C(sda: number, scl: number, bitrate: number): I2CBus {
  I2C1.setup({ sda: sda, scl: scl, bitrate: bitrate });
  return bus;
}
