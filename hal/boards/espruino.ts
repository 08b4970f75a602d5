/**
 * Board identity as Espruino knows it: our board ids' Espruino board names (process.env.BOARD, and
 * the name of its board JSON file in tools/boards/, which the `espruino` CLI reads instead of
 * downloading it: tools/flash.ts points its BOARD_JSON_URL there), with the figures a real board
 * reports in process.env. Host-only (never bundled: the board files beside this one are), no Node
 * imports: the simulator, the build and the tools read it.
 * Not here: pins or firmware settings (the board files). Checked against
 * hal/boards/espruino-facts.json by test/tools/board-facts.test.ts.
 */
export interface EspruinoBoardInfo {
  /** process.env.BOARD, and tools/boards/<BOARD>.json. */
  board: string;
  ram: number;
  flash: number;
  /** The largest ATT MTU its SoftDevice is set up for (boards/<BOARD>.py; a central gets no more). */
  maxMtu: number;
  /**
   * The name a bare Espruino of this board advertises, before its address: boards/<BOARD>.py
   * BLUETOOTH_NAME_PREFIX (libs/bluetooth/bluetooth_utils.c; "Espruino" where a board sets none).
   */
  bleName: string;
}

const BY_ID: Record<string, EspruinoBoardInfo> = {
  puckjs: { board: 'PUCKJS', ram: 65536, flash: 524288, maxMtu: 53, bleName: 'Puck.js' },
  'puckjs-nfc': { board: 'PUCKJS', ram: 65536, flash: 524288, maxMtu: 53, bleName: 'Puck.js' },
  mdbt42q: { board: 'MDBT42Q', ram: 65536, flash: 524288, maxMtu: 53, bleName: 'MDBT42Q' },
  xiaoble: { board: 'XIAOBLE', ram: 262144, flash: 1048576, maxMtu: 131, bleName: 'XIAOBLE' },
};

/** The name an Espruino board without BLUETOOTH_NAME_PREFIX advertises (libs/bluetooth/bluetooth_utils.c). */
export const DEFAULT_BLE_NAME = 'Espruino';

/**
 * Espruino boards whose facts are kept though we build for none of them, to show why not (the
 * nRF52840 DK's build has no `crypto` and 40 KB of Storage): in hal/boards/espruino-facts.json,
 * with no tools/boards/<BOARD>.json for the CLI.
 */
export const REFERENCE_ONLY_BOARDS = ['NRF52840DK'];

/** Espruino's board for one of our board ids; an unknown id maps to its upper-case self. */
export function espruinoBoard(id: string): EspruinoBoardInfo {
  return BY_ID[id] || { board: id.toUpperCase().replace(/[^A-Z0-9]/g, ''), ram: 65536, flash: 524288, maxMtu: 23, bleName: DEFAULT_BLE_NAME };
}

function unique(list: string[]): string[] {
  return list.filter((x, i) => list.indexOf(x) === i);
}

/** The Espruino boards our builds run on, once each, in our boards' order. */
export function espruinoBoardNames(): string[] {
  return unique(Object.keys(BY_ID).map((id) => BY_ID[id].board));
}

/** The names a bare Espruino of one of our boards advertises, and Espruino's default: for a Bluetooth picker. */
export function espruinoBleNames(): string[] {
  return unique(Object.keys(BY_ID).map((id) => BY_ID[id].bleName).concat([DEFAULT_BLE_NAME]));
}

/**
 * setWatch on a board's built-in button (IS_PIN_A_BUTTON: its BTN<n> pins) without a `debounce`
 * option debounces by this much, and without an `edge` option watches 'rising' (src/jswrap_io.c;
 * hal/boards/espruino-facts.json buttonWatch, checked by test/tools/board-facts.test.ts).
 */
export const BUTTON_WATCH_DEBOUNCE_MS = 25;

/** The Espruino firmware version the simulator claims to be (the interpreter the project targets). */
export const SIM_ESPRUINO_VERSION = '2v29';
