/**
 * The tiled Storage layout of a board (docs/ESPRUINO.md "Flash"): where provisioning puts the
 * permanent files, the bundle, the pad and the tiles, and what that leaves for keys and the log.
 * Used by the simulator's provisioning (sim/provision.ts provisionLayout), the USB tools, the
 * budget (tools/benchmarks/storage-budget.ts re-exports it) and the evidence tests.
 * The tools' file names and the pad's size: at the end (tools/host/relayout.ts uses them).
 */
import type { BoardConfig } from '../../hal/boards/types';
import { SLOTS as JOURNAL_SLOTS } from '../../firmware/journal';
import { GEN_HEADER } from '../../firmware/genfile';
import { fileCost } from '../../firmware/flashroom';
import { RECORD_SIZE } from '../../firmware/keystore';
import { SETUP_CODE_DIGITS, SITE_BYTES, SITE_V2_BYTES } from '../../firmware/site';

/**
 * The Storage layout that survives a power cut at any step (docs/ESPRUINO.md "Flash";
 * test/evidence/journal-cuts.test.ts through the firmware, test/core/journal.test.ts on the model):
 * - permanent files first, in the order provisioning writes them, never erased by the firmware:
 *   the site (two-generation file, one generation) and the key table as a slot file
 *   (firmware/keyslots.ts: 32-byte records + check, kill and KEY_MARKS mark bytes), sized so that
 *   it ends exactly on a page boundary when the bundle leaves a whole page for it (`aligned`),
 *   else up to the bundle (then a firmware update has to rewrite the key file's last page too);
 * - the bundle, then a pad up to the journal's 32-byte Storage header, which ends the bundle's
 *   last page (`padEnd`);
 * - the journal (firmware/journal.ts, `ck.jrnl`): the board's `logSegments` whole pages from
 *   `journalStart`, never moved, never compacted, never written through Storage: the log, the
 *   clock and the settings, 254 records a page;
 * - then, on boards that make files at run time (protocol v2's ticket book and revocation list),
 *   tile pages from `tiledStart`: every such file one tile (board.tile bytes, header included;
 *   firmware/flashroom.ts fileSize), two generations of each v2 file and one tile for the next
 *   write (at least 32 pages on a 2 MB Storage). A compaction there never moves the
 *   journal or anything before it. The 40 KB boards have none: they make no file at run time and
 *   never compact.
 * `keySlots`: slots in the key file (each key change but a revoke or a first use takes one; a file
 * whose slots are all used is rebuilt by the USB tool); `keysFileBytes` its data size. `short` > 0:
 * the board's key capacity does not fit: the bytes the bundle would have to lose.
 */
export const CONFIG_SLOT_BYTES = 128;
export const CONFIG_SLOTS = 4;
/** One-shot marks per key slot (firmware/slotfile.ts slotMark): revoked, confirmed. */
export const KEY_MARKS = 2;
const KEY_SLOT = RECORD_SIZE + 2 + KEY_MARKS;
export function tiledLayout(board: BoardConfig, bundleBytes: number) {
  const page = 4096;
  const big = board.storageBytes > 1 << 20;
  const tile = board.tile || (big ? 2048 : 512);
  const journalPages = Math.max(2, board.logSegments);
  // The card reader's I2C hang marker is journal records (hal/espruino/i2c.ts): no tile.
  const tileFiles = board.travel ? 4 : 0;
  // On a 2 MB Storage a large tile region (32 pages, 64 tiles) so that its compactions are rare.
  const tilePages = tileFiles ? Math.max(Math.ceil(((tileFiles + 1) * tile) / page), big ? 32 : 0) : 0;
  const tiles = (tilePages * page) / tile;
  const tiledStart = board.storageBytes - tilePages * page;
  const journalStart = tiledStart - journalPages * page;
  const padEnd = journalStart - HEADER;
  const perPage = JOURNAL_SLOTS - 2;
  const site = fileCost(GEN_HEADER + (board.travel ? SITE_V2_BYTES : SITE_BYTES + SETUP_CODE_DIGITS));
  const config = 0;
  const bundle = fileCost(bundleBytes);
  const keysStart = site + config;
  // Page-aligned: the bundle and its pad (at least a header and 4 bytes) take whole pages before the journal's header.
  let permanentPages = Math.floor((padEnd - bundle - 36) / page);
  let keysFileBytes = permanentPages * page - keysStart - 32;
  let slots = Math.floor((keysFileBytes - 8) / KEY_SLOT);
  let aligned = true;
  if (big && slots > board.keyCapacity * 2) {
    // Twice the board's keys are plenty; the key file still ends on a page boundary.
    slots = board.keyCapacity * 2;
    permanentPages = Math.ceil((keysStart + 32 + 8 + slots * KEY_SLOT) / page);
    keysFileBytes = permanentPages * page - keysStart - 32;
  }
  if (slots < board.keyCapacity) {
    // Not aligned: the key file takes what the bundle and a minimal pad leave.
    aligned = false;
    keysFileBytes = (padEnd - 36 - bundle - keysStart - 32) & ~3;
    slots = Math.floor((keysFileBytes - 8) / KEY_SLOT);
    permanentPages = 0;
  }
  const keySlots = Math.max(0, slots);
  // Bytes the bundle would have to lose for the board's key capacity to fit at all (0: it fits).
  const short = slots >= board.keyCapacity ? 0 : board.keyCapacity * KEY_SLOT - (keysFileBytes - 8);
  // Bytes the bundle would have to lose for the key file to end on a page boundary (0: it does).
  const neededPages = Math.ceil((keysStart + 32 + 8 + board.keyCapacity * KEY_SLOT) / page);
  const shortOfAligned = aligned ? 0 : bundle + 36 - (padEnd - neededPages * page);
  return { page, tile, tilePages, tiles, tiledStart, journalPages, journalStart, padEnd, perPage, logEntries: journalPages * perPage, site, config, bundle,
    permanentPages, aligned, keysFileBytes, keySlots, short, shortOfAligned };
}

// ---- the tools' names (tools/host/relayout.ts, layout-image.ts, the browser flasher) ----------------

import { KEY_SLOTS_FILE } from '../../firmware/keyslots';

export const PAGE = 4096;
export const HEADER = 32;

/**
 * The layout's file names, in flash order: the site (a generation file, one generation), the key
 * slot file, the bundle, the pad to the page boundary; every other file after the pad is a tile
 * (log segments, clock and settings generations: the firmware makes them at run time).
 */
export const SITE_FILE = 'ck.site.a';
export const KEYS_FILE = KEY_SLOTS_FILE;
export const BUNDLE_FILE = '.bootcde';
export { PAD_FILE } from '../../firmware/flashroom';
export { JOURNAL_FILE } from '../../firmware/journal';
/** Files before the bundle: never erased except by a rebuild of the key file. */
export const PERMANENT = [SITE_FILE, KEYS_FILE];

export type Layout = ReturnType<typeof tiledLayout>;

/** The pad's data size after a bundle of `bundleBytes` starting (header) at `bundleStart`: up to the journal's header. */
export function padBytes(layout: Pick<Layout, 'padEnd'>, bundleStart: number, bundleBytes: number): number {
  return layout.padEnd - bundleStart - fileCost(bundleBytes) - HEADER;
}
