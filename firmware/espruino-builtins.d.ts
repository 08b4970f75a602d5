/**
 * Built-ins that behave differently on Espruino, declared so that board-side code gets a type
 * error instead of a surprise on the board. Checked by tsconfig.board.json and
 * tsconfig.firmware.json only (host code runs on Node, where these behave as usual).
 */
interface Uint8Array {
  /** On Espruino `Uint8Array.prototype.slice` returns a plain Array (measured on 2v29): use subarray, or copy with set(). */
  slice(start?: number, end?: number): number[];
}

interface String {
  /** ES2015, there on every board's build (src/jswrap_string.c, not SAVE_ON_FLASH; measured on 2v29 for Linux). */
  repeat(count: number): string;
}
