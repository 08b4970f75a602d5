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
}

const BY_ID: Record<string, EspruinoBoardInfo> = {
  puckjs: { board: 'PUCKJS', ram: 65536, flash: 524288, maxMtu: 53 },
  'puckjs-nfc': { board: 'PUCKJS', ram: 65536, flash: 524288, maxMtu: 53 },
  mdbt42q: { board: 'MDBT42Q', ram: 65536, flash: 524288, maxMtu: 53 },
  xiaoble: { board: 'XIAOBLE', ram: 262144, flash: 1048576, maxMtu: 131 },
};

/** Espruino's board for one of our board ids; an unknown id maps to its upper-case self. */
export function espruinoBoard(id: string): EspruinoBoardInfo {
  return BY_ID[id] || { board: id.toUpperCase().replace(/[^A-Z0-9]/g, ''), ram: 65536, flash: 524288, maxMtu: 23 };
}

/**
 * setWatch on a board's built-in button (IS_PIN_A_BUTTON: its BTN<n> pins) without a `debounce`
 * option debounces by this much, and without an `edge` option watches 'rising' (src/jswrap_io.c;
 * hal/boards/espruino-facts.json buttonWatch, checked by test/tools/board-facts.test.ts).
 */
export const BUTTON_WATCH_DEBOUNCE_MS = 25;

/** The Espruino firmware version the simulator claims to be (the interpreter the project targets). */
export const SIM_ESPRUINO_VERSION = '2v29';
