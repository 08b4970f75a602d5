/** Puck.js (nRF52832): SHA256 and AES in its Espruino build, 40 KB Storage, 2630 variables. */
import type { BoardConfig } from './types';

export const board: BoardConfig = {
  id: 'puckjs',
  name: 'Puck.js',
  // Puck.js v2: LED1 red D5, LED2 green D4, LED3 blue D3, BTN D0. Free pads: D1 D2 D28-D31.
  pins: { relay: 1, drive: 2, door: 31, button: 0, ledRed: 5, ledGreen: 4, ledBlue: 3, i2cSda: 28, i2cScl: 29, pn532Reset: 30, benchContact: 28 },
  relayActiveHigh: true,
  buttonActiveHigh: true,
  crypto: { sha256: true, aes: true },
  personaliseCards: false,
  // Protocol v2 adds 6.9 KB of code (34 192 B): 48 keys in today's budget, and no room at all in the
  // page-aligned layout of docs/ESPRUINO.md "Flash" (1 492 B short): v1 only (docs/KEYS-THAT-TRAVEL.md section 10).
  travel: false,
  nfc: false,
  storageBytes: 40960,
  // With the code, the log and the reserve that keeps updates from compacting, about 100 bytes to
  // spare: tools/benchmarks/storage-budget.ts, docs/PERFORMANCE.md (200 before 2026-12-04).
  keyCapacity: 163,
  logSegments: 3,
  // Tiles of 512 bytes (docs/ESPRUINO.md "Flash"): 30 entries a segment, the failure ring's too.
  logPerSegment: 30,
  tile: 512,
  variables: 2630,
};
