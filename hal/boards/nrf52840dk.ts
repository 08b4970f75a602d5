/** nRF52840 DK: SHA256 and AES, far more flash and RAM than the nRF52832 boards. */
import type { BoardConfig } from './types';

export const board: BoardConfig = {
  id: 'nrf52840dk',
  name: 'nRF52840 DK',
  // LED1-3 are P0.13-P0.15 (active low on the DK; treated as plain outputs here), BTN1 P0.11.
  pins: { relay: 3, drive: 4, door: 28, button: 11, ledRed: 13, ledGreen: 14, ledBlue: 15, i2cSda: 26, i2cScl: 27, benchContact: 30, pn532Reset: 29 },
  relayActiveHigh: true,
  buttonActiveHigh: false,
  crypto: { sha256: true, aes: true },
  personaliseCards: true,
  nfc: true,
  storageBytes: 262144,
  keyCapacity: 1000,
  logSegments: 8,
  logPerSegment: 128,
  variables: 12500,
};
