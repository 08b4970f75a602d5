/**
 * Puck.js with a PN532 keycard reader, on the journal layout like the other 40 KB boards
 * (docs/ESPRUINO.md "Flash"): the site and the key slot file in page 0, the bundle up to the
 * journal's header (page-aligned: at most 28 572 B, tools/benchmarks/storage-budget-nfc.ts), the
 * journal on pages 8 and 9; the reader's I2C hang marker is journal records (hal/espruino/i2c.ts),
 * so no tile page and no Storage file made at run time. A board in the older layout (the
 * two-generation key table, the log's rings, generation files) is moved by `npm run flash -- --update`
 * (tools/host/relayout.ts moveOlder).
 */
import type { BoardConfig } from './types';
import { board as puckjs } from './puckjs';

export const board: BoardConfig = {
  id: 'puckjs-nfc',
  name: 'Puck.js + PN532',
  // The reader takes D28/D29 (I2C) and D30 (reset): no bench contact input on this build.
  pins: { relay: 1, drive: 2, door: 31, button: 0, ledRed: 5, ledGreen: 4, ledBlue: 3, i2cSda: 28, i2cScl: 29, pn532Reset: 30 },
  relayActiveHigh: puckjs.relayActiveHigh,
  buttonActiveHigh: puckjs.buttonActiveHigh,
  crypto: puckjs.crypto,
  personaliseCards: false,
  // Protocol v2 (6.9 KB of code) does not fit beside the card code: v1 only (docs/KEYS-THAT-TRAVEL.md section 10).
  travel: false,
  nfc: true,
  storageBytes: puckjs.storageBytes,
  variables: puckjs.variables,
  // Kept at what the older layout held (its two-generation table was rewritten whole at every
  // change). The journal layout's key file in page 0 has 109 slots, as on `puckjs` (87 keys there).
  keyCapacity: 20,
  // The journal (docs/ESPRUINO.md "Flash"): 2 pages of 254 records (log entries, clock, settings, the I2C hang marker).
  logSegments: 2,
  logPerSegment: 254,
  tile: 512,
};
