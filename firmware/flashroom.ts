/**
 * Room in Storage, so that no update ever makes Espruino compact. Espruino's Storage compacts by
 * itself when a new file finds no room (src/jsflash.c _jsfCreateFile), and a compaction is not
 * power-cut safe: it erases a page while the live files on it sit only in a RAM buffer, and a cut
 * can lose them, or leave a chain of headers that the next boot answers by erasing the whole
 * Storage, code included (docs/ESPRUINO.md, "Flash"). So:
 * - a new file is written only where it fits in the free space after the last file (`fits`),
 *   which is where Espruino puts it without compacting; otherwise the update fails cleanly and
 *   the previous data stays current;
 * - the main loop (firmware/core.ts tick) compacts only when nothing is pending (locked, relay
 *   off, no link) and the free space has dropped below a reserve (core.ts storageReserve: room
 *   for the largest update, a whole key table, plus a log segment and a small record).
 * Espruino's file header is 32 bytes and data is 4-byte aligned.
 */
import type { FlashStorage } from './ports';

/** Flash a file of `size` bytes takes: header plus aligned data. */
export function fileCost(size: number): number {
  return 32 + ((size + 3) & ~3);
}

/** True when a new file of `size` bytes goes in without a compaction. */
export function fits(storage: FlashStorage, size: number): boolean {
  return storage.free() >= fileCost(size);
}
