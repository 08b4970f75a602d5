/**
 * Puck.js with a PN532 keycard reader. The card code leaves less of the 40 KB Storage for keys:
 * 60 instead of 200 (docs/PERFORMANCE.md has the measured budget).
 */
import type { BoardConfig } from './types';
import { board as puckjs } from './puckjs';

export const board: BoardConfig = {
  id: 'puckjs-nfc',
  name: 'Puck.js + PN532',
  pins: puckjs.pins,
  relayActiveHigh: puckjs.relayActiveHigh,
  buttonActiveHigh: puckjs.buttonActiveHigh,
  crypto: puckjs.crypto,
  nfc: true,
  storageBytes: puckjs.storageBytes,
  variables: puckjs.variables,
  keyCapacity: 60,
  logSegments: 3,
  logPerSegment: 32,
};
