/**
 * What a board file describes: pins, which crypto the board's Espruino build has, and how much
 * Storage it offers. Board files (hal/boards/*.ts) are the only place a pin number appears.
 */
export interface BoardConfig {
  /** Short name used for dist/<id>/ and on the command line. */
  id: string;
  name: string;
  /** Pin numbers (nRF52 GPIO numbers, as Espruino's D<n>). */
  pins: {
    relay: number;
    /** Optional second output that enables starting the vehicle. */
    drive?: number;
    door?: number;
    button?: number;
    ledRed?: number;
    ledGreen?: number;
    ledBlue?: number;
    i2cSda: number;
    i2cScl: number;
    pn532Reset?: number;
    /** Dev bench only: an input wired back to the relay's contact (npm run relay-bench). */
    benchContact?: number;
  };
  /** Level that energises the relay (most relay modules are active-high, some active-low). */
  relayActiveHigh: boolean;
  /** Level the button reads when pressed. */
  buttonActiveHigh: boolean;
  crypto: { sha256: boolean; aes: boolean };
  /**
   * Keycards (PN532 + DESFire) in this build. The card code costs about 9 KB of a 40 KB Storage on
   * nRF52832 boards, which then hold fewer keys: see docs/PERFORMANCE.md.
   */
  nfc: boolean;
  /**
   * Protocol v2 in this build (docs/KEYS-THAT-TRAVEL.md: board id, tickets, revocation lists, the
   * time lower bound): about 6 KB of code, so off where Storage cannot hold it beside the keys;
   * such a board answers every HELLO with a v1 CHALLENGE (docs/PERFORMANCE.md).
   */
  travel: boolean;
  /** With keycards: can personalise a blank DESFire card at enrolment (about 5 KB more code). */
  personaliseCards: boolean;
  /** Bytes of Storage (flash file system) on the board. */
  storageBytes: number;
  /** JavaScript variables the board's Espruino build has. */
  variables: number;
  /**
   * Keys the store holds, and the audit log's size (segments x entries of 16 bytes): what fits
   * beside the code. With `tile` (the journal layout) the segments are the journal's pages
   * (firmware/journal.ts) and `logPerSegment` its 254 records a page (log entries, clock, settings).
   */
  keyCapacity: number;
  logSegments: number;
  logPerSegment: number;
  /**
   * The journal layout (docs/ESPRUINO.md "Flash", tools/host/layout.ts): the bytes of a tile, the
   * unit of the files made at run time after the journal (protocol v2's files).
   * Absent: the older layout (puckjs-nfc, whose bundle leaves no room): log segments and
   * generation files in Storage.
   */
  tile?: number;
}
