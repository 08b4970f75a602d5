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
  // The tiled layout (tools/host/layout.ts) gives the site and the key slot file one whole page
  // before the bundle: 109 slots. 87 keys is that less a quarter for changes (keystore.ts
  // defaultKeySlots), and keeps the key file ending on a page boundary with ~2.9 KB left for the
  // bundle to grow, so a firmware update never erases a page holding keys (docs/ESPRUINO.md
  // "Flash"). It was 163 in the older layout, where the key file ran into the bundle's page.
  keyCapacity: 87,
  logSegments: 2,
  // The journal (docs/ESPRUINO.md "Flash"): 2 pages of 254 records (log entries, clock, settings).
  logPerSegment: 254,
  tile: 512,
  variables: 2630,
};
