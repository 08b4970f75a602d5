/**
 * The compaction-safe Storage layout (docs/ESPRUINO.md "Flash"): where each file of a board goes,
 * and the names the firmware, the simulator's provisioning and the tools agree on. Used by the
 * firmware-update and install tools (tools/host/relayout.ts), the evidence tests and the Storage
 * budget bench (tools/benchmarks/storage-budget.ts re-exports it).
 *
 * In flash order:
 * - permanent files, never erased by the firmware: the site (`ck.site.a`, a generation file), the
 *   settings as a slot file (`ck.cfg`: CONFIG_SLOTS records of CONFIG_SLOT_BYTES) and the key table
 *   as a slot file (`ck.keys`, firmware/keyslots.ts: 32-byte records + check, kill and KEY_MARKS
 *   mark bytes) sized to end exactly on a page boundary (`permanentPages`);
 * - the bundle (`.bootcde`) from that page boundary, then a pad file (`ck.pad`) to the next page
 *   boundary (`tiledStart`);
 * - every file that is ever erased (log segments, clock generations) as a tile: header and data
 *   together exactly `tile` bytes, so every page there starts with a header and no file crosses a page.
 * `keySlots`: slots in the key file (each key change uses one; a full file needs a rebuild by the
 * tool); `keysFileBytes` its data size. `short` > 0: the layout does not fit: bytes the bundle
 * would have to lose for the board's key capacity.
 * Not here: moving a board's Storage into or within the layout (relayout.ts).
 */
import type { BoardConfig } from '../../hal/boards/types';
import { ENTRY_SIZE } from '../../firmware/auditlog';
import { GEN_HEADER } from '../../firmware/genfile';
import { fileCost } from '../../firmware/flashroom';
import { KEY_SLOTS_FILE } from '../../firmware/keyslots';
import { RECORD_SIZE } from '../../firmware/keystore';
import { SETUP_CODE_DIGITS, SITE_BYTES } from '../../firmware/site';
import { slotFileSize } from '../../firmware/slotfile';

export const PAGE = 4096;
export const HEADER = 32;
export const CONFIG_SLOT_BYTES = 128;
export const CONFIG_SLOTS = 4;
/** One-shot marks per key slot (firmware/slotfile.ts slotMark): revoked, confirmed. */
export const KEY_MARKS = 2;
const KEY_SLOT = RECORD_SIZE + 2 + KEY_MARKS;

/** The layout's file names, in flash order. Tiles (log, clock) are every other file after the pad. */
export const SITE_FILE = 'ck.site.a';
export const CONFIG_FILE = 'ck.cfg';
export const KEYS_FILE = KEY_SLOTS_FILE;
export const BUNDLE_FILE = '.bootcde';
export const PAD_FILE = 'ck.pad';
/** Files before the bundle: never erased except by a rebuild of the key file. */
export const PERMANENT = [SITE_FILE, CONFIG_FILE, KEYS_FILE];

export type Layout = ReturnType<typeof tiledLayout>;

export function tiledLayout(board: BoardConfig, bundleBytes: number) {
  const page = PAGE;
  const big = board.storageBytes > 1 << 20;
  const tile = big ? 2048 : 512;
  const tilePages = big ? 8 : 1;
  const tiles = (tilePages * page) / tile;
  // Two clock generations, two spare tiles (a clock save and a log rotation in one session), two failure-ring segments; the rest is the main ring.
  const mainTiles = tiles - 6;
  const perTile = Math.floor((tile - 32) / ENTRY_SIZE);
  const tiledStart = board.storageBytes - tilePages * page;
  const site = fileCost(GEN_HEADER + SITE_BYTES + SETUP_CODE_DIGITS);
  const config = fileCost(configFileBytes());
  const bundle = fileCost(bundleBytes);
  // The bundle and its pad (at least a header and 4 bytes) take whole pages before the tiles.
  let permanentPages = Math.floor((tiledStart - bundle - 36) / page);
  const keysStart = site + config;
  let keysFileBytes = permanentPages * page - keysStart - 32;
  let slots = Math.floor((keysFileBytes - 8) / KEY_SLOT);
  if (big && slots > board.keyCapacity * 2) {
    // Twice the board's keys are plenty; the key file still ends on a page boundary.
    slots = board.keyCapacity * 2;
    permanentPages = Math.ceil((keysStart + 32 + 8 + slots * KEY_SLOT) / page);
    keysFileBytes = permanentPages * page - keysStart - 32;
  }
  const keySlots = Math.max(0, slots);
  // Bytes the bundle would have to lose for the board's key capacity to fit (0: it fits).
  const neededPages = Math.ceil((keysStart + 32 + 8 + board.keyCapacity * KEY_SLOT) / page);
  const short = slots >= board.keyCapacity ? 0 : bundle + 36 - (tiledStart - neededPages * page);
  return { page, tile, tilePages, tiles, tiledStart, mainTiles, perTile, logEntries: (mainTiles + 2) * perTile, site, config, bundle,
    permanentPages, keysFileBytes, keySlots, short };
}

/** Data bytes of the settings slot file. */
export function configFileBytes(): number {
  return slotFileSize(CONFIG_SLOT_BYTES, CONFIG_SLOTS, 0);
}

/**
 * The largest bundle that fits a board whose key file ends at `bundleStart` (the pad needs a
 * header and 4 bytes before `tiledStart`).
 */
export function bundleRoom(layout: Pick<Layout, 'tiledStart'>, bundleStart: number): number {
  return layout.tiledStart - bundleStart - HEADER - 36;
}

/** The pad's data size after a bundle of `bundleBytes` starting (header) at `bundleStart`. */
export function padBytes(layout: Pick<Layout, 'tiledStart'>, bundleStart: number, bundleBytes: number): number {
  return layout.tiledStart - bundleStart - fileCost(bundleBytes) - HEADER;
}
