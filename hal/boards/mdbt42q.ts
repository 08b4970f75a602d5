/** MDBT42Q breakout (nRF52832): SHA256 but no AES in its Espruino build, 40 KB Storage, 2950 variables. */
import type { BoardConfig } from './types';

export const board: BoardConfig = {
  id: 'mdbt42q',
  name: 'MDBT42Q breakout',
  // Breakout board: LED1 D17, BTN1 D0. Relay and reader on the free pads D25-D31.
  pins: { relay: 25, drive: 26, door: 27, button: 0, ledRed: 17, i2cSda: 28, i2cScl: 29, benchContact: 31, pn532Reset: 30 },
  relayActiveHigh: true,
  buttonActiveHigh: true,
  crypto: { sha256: true, aes: false },
  personaliseCards: false,
  // As the Puck.js: protocol v2 does not fit its 40 KB Storage beside the keys (docs/KEYS-THAT-TRAVEL.md section 10).
  travel: false,
  nfc: false,
  storageBytes: 40960,
  // As the Puck.js (hal/boards/puckjs.ts): one page of key slots before the bundle (was 163).
  keyCapacity: 87,
  logSegments: 2,
  // The journal (docs/ESPRUINO.md "Flash"): 2 pages of 254 records (log entries, clock, settings).
  logPerSegment: 254,
  tile: 512,
  variables: 2950,
};
