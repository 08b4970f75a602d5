/**
 * I2CBus port on Espruino's hardware I2C (I2C1). Thin: sets the bus up once and passes
 * writeTo/readFrom through. Espruino throws on a NACK or bus timeout; the port lets that throw
 * (hal/pn532.ts catches it and treats it as "not ready" or 'bus'). Must not: retry or decide.
 */
import type { I2CBus } from '../ports';

export function espruinoI2C(sda: number, scl: number, bitrate: number): I2CBus {
  const i2c = I2C1;
  i2c.setup({ sda: sda, scl: scl, bitrate: bitrate });
  return {
    writeTo: (address, data) => i2c.writeTo(address, data),
    readFrom: (address, length) => i2c.readFrom(address, length),
  };
}
