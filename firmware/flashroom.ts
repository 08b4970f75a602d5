/**
 * Room in Storage, so that no update ever makes Espruino compact. Espruino's Storage compacts by
 * itself when a new file finds no room (src/jsflash.c _jsfCreateFile), and a compaction is not
 * power-cut safe: it erases a page while the live files on it sit only in a RAM buffer, and a cut
 * can lose them, or leave a chain of headers that the next boot answers by erasing the whole
 * Storage, code included (docs/ESPRUINO.md, "Flash"). So:
 * - a new file is written only where it fits in the free space after the last file (`fits`),
 *   which is where Espruino puts it without compacting; otherwise the update fails cleanly and
 *   the previous data stays current;
 * - the main loop (firmware/core.ts tick) compacts only when nothing is pending (relay off, no
 *   link, no enrolment window) and the free space has dropped below a reserve (core.ts
 *   storageReserve: in the tiled layout two tiles; in the older one a whole second key table, a
 *   log segment and a small record).
 * Espruino's file header is 32 bytes and data is 4-byte aligned.
 *
 * In the tiled layout (docs/ESPRUINO.md "Flash": permanent files, the bundle, a pad to a page
 * boundary, then tiles) every file made at run time is sized to whole tiles (`fileSize`), and the
 * pad is written at the first boot (`padToPage`), so every page after the pad starts with a header
 * and a compaction never moves the files before it.
 */
import type { FlashStorage } from './ports';
import { JOURNAL_FILE, JPAGE, jHeader } from './journal';

/** Flash a file of `size` bytes takes: header plus aligned data. */
export function fileCost(size: number): number {
  return 32 + ((size + 3) & ~3);
}

/** Data bytes a new file needing `n` takes: whole tiles (header included) when the storage is tiled, else `n`. */
export function fileSize(storage: FlashStorage, n: number): number {
  const t = (typeof __TILED__ === 'undefined' || __TILED__) && storage.tile;
  return t ? Math.ceil((n + 32) / t) * t - 32 : n;
}

/** The pad's name: from the end of the bundle to the next page boundary (tiled layout). */
export const PAD_FILE = 'ck.pad';

/**
 * The first boot of a tiled board (nothing of the log written yet): a pad file from the end of the
 * last file to the next page boundary, unless it ends on one already, the pad is there, or less
 * than a page would be left after it (then there is no room for a tile region). After it, files
 * are tiles.
 */
export function padToPage(storage: FlashStorage): void {
  const free = storage.free();
  let n = free % 4096;
  if (!storage.tile || !n || storage.read(PAD_FILE, 0, 1) || storage.list('ck.log.').length) return;
  if (n < 36) n += 4096;
  // Only with at least a page of tiles after it: else there is no tile region to pad for.
  if (free - n >= 4096) storage.write(PAD_FILE, '\0', 0, n - 32);
}

/** True when a new file of `size` bytes goes in without a compaction. */
export function fits(storage: FlashStorage, size: number): boolean {
  return storage.free() >= fileCost(fileSize(storage, size));
}

/**
 * The journal file (firmware/journal.ts) of `pages` pages, made where it belongs when it is not
 * there: after a pad that puts its 32-byte header at the end of a page, so that its payload is
 * whole pages. Provisioning makes it (sim/provision.ts, tools/host/relayout.ts); the firmware
 * makes it at its first boot only on a board that has neither a pad nor tiles yet (a board flashed
 * bundle first). Its first page's header is written with it. True when the journal is there.
 */
export function journalMake(storage: FlashStorage, pages: number): boolean {
  if (storage.read(JOURNAL_FILE, 0, 1) !== undefined) return true;
  let n = (storage.free() - 32) % JPAGE;
  if (n && n < 36) n += JPAGE;
  // A pad already there and not ending where the journal's header goes: a board in another layout.
  if (n && (storage.read(PAD_FILE, 0, 1) !== undefined || !storage.write(PAD_FILE, '\0', 0, n - 32))) return false;
  return storage.free() >= pages * JPAGE + 32 && storage.write(JOURNAL_FILE, jHeader(1), 0, pages * JPAGE);
}
