/**
 * Seeed XIAO BLE (nRF52840), Espruino's XIAOBLE build: CRYPTO and SHA256 but no AES (only AES_CCM,
 * which does not give crypto.AES), so keycards use firmware/aes.ts; 14000 variables; Storage is
 * the 2 MB external SPI flash (512 pages of 4 KB). Facts: hal/boards/espruino-facts.json.
 * It replaces the nRF52840 DK, whose Espruino build has no CRYPTO and 40 KB of Storage.
 */
import type { BoardConfig } from './types';

export const board: BoardConfig = {
  id: 'xiaoble',
  name: 'Seeed XIAO BLE (nRF52840)',
  // Pin numbers are Espruino's D<n> on this board (not nRF GPIO numbers: D4 is P0.04, D11 is P0.26).
  // D0-D10 are the header pads; D4/D5 are the board's SDA/SCL. The board has no user button:
  // Espruino's BTN1 is D1 (IN_PULLDOWN), so wire a button from D1 to 3V3 (held at power-up it skips
  // the saved code, as on a Puck.js). LEDs D11/D13/D12 are inverted by Espruino: 1 lights them.
  pins: { relay: 0, drive: 2, door: 3, button: 1, ledRed: 11, ledGreen: 13, ledBlue: 12, i2cSda: 4, i2cScl: 5, pn532Reset: 6, benchContact: 7 },
  relayActiveHigh: true,
  buttonActiveHigh: true,
  crypto: { sha256: true, aes: false },
  personaliseCards: true,
  travel: true,
  nfc: true,
  storageBytes: 2097152,
  // 2 MB holds far more; 1000 is what test/sim/capacity.test.ts fills and checks.
  keyCapacity: 1000,
  logSegments: 8,
  // The journal (docs/ESPRUINO.md "Flash"): 8 pages of 254 records (log entries, clock, settings);
  // tiles of 2048 bytes after it for protocol v2's files (the reader's I2C marker is journal records).
  logPerSegment: 254,
  tile: 2048,
  variables: 14000,
};
