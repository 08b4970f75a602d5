/**
 * Puck.js with a PN532 keycard reader. The card code leaves less of the 40 KB Storage for keys: 20
 * instead of 87. It keeps the older Storage layout (no `tile`: the two-generation key table, the
 * log's rings, generation files for clock and settings): its journal build is 32 672 B, 4 100 B over
 * the 28 572 B the journal layout leaves a bundle on a 40 KB board with the key file ending on a page
 * boundary (docs/ESPRUINO.md "Flash", the `puckjs-nfc` paragraph; tools/benchmarks/storage-budget-nfc.ts).
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
  // What fits beside the card code, the log and the reserve that keeps every update from compacting
  // Storage (firmware/flashroom.ts), with about 100 bytes to spare: tools/benchmarks/storage-budget.ts,
  // docs/PERFORMANCE.md. 2026-12-04's work (the reserve, the log's two rings, the I2C bus guard, a
  // lost site refused) took it from 48 to 21 and halved the log (3 x 16 entries); 60 before the
  // memory work of 2026-12-01.
  keyCapacity: 20, // 21 until 2026-12-04: the policy module and the faster phone path cost 24 bytes more than the slack
  logSegments: 3,
  logPerSegment: 16,
};
