/**
 * The Storage budget of a board: what its Storage holds after a compaction and what is left.
 * Used by tools/benchmarks/firmware.ts (npm run bench:firmware) and test/sim/capacity.test.ts.
 */
import type { BoardConfig } from '../../hal/boards/types';
import { usesKeyGenerations } from '../../hal/boards/index';
import { ENTRY_SIZE } from '../../firmware/auditlog';
import { DEFAULTS } from '../../firmware/config';
import { storageReserve } from '../../firmware/core';
import { GEN_HEADER } from '../../firmware/genfile';
import { fileCost } from '../../firmware/flashroom';
import { RECORD_SIZE, defaultKeySlots } from '../../firmware/keystore';
import { slotFileSize } from '../../firmware/slotfile';
import { SETUP_CODE_DIGITS, SITE_BYTES } from '../../firmware/site';

/** One committed generation of a file. */
const oneGen = (data: number) => fileCost(GEN_HEADER + data);

/**
 * The Storage layout after a compaction: the code, the key slot file, one generation of every
 * other file, the log, and the reserve the main loop keeps free so that no update ever has to
 * compact (firmware/flashroom.ts, core.ts storageReserve: a log segment, two small records). `left` is
 * the headroom above all that; below zero, an update can find too little room and is refused
 * (never compacted) until the main loop has compacted.
 */
export function storageBudget(board: BoardConfig, bundleBytes: number) {
  const code = fileCost(bundleBytes); // .bootcde
  // The key slot file as the firmware makes it (keystore.ts defaultKeySlots: capacity + a quarter).
  const genKeys = usesKeyGenerations(board);
  const keys = genKeys ? oneGen(board.keyCapacity * RECORD_SIZE) : fileCost(slotFileSize(RECORD_SIZE, defaultKeySlots(board.keyCapacity), KEY_MARKS));
  // The main ring (all segments but one) and the failure ring (two half segments): firmware/auditlog.ts.
  const log = Math.max(2, board.logSegments - 1) * fileCost(board.logPerSegment * ENTRY_SIZE) + 2 * fileCost((board.logPerSegment >> 1) * ENTRY_SIZE);
  const small = oneGen(SITE_BYTES + SETUP_CODE_DIGITS) + oneGen(JSON.stringify(DEFAULTS).length + 40) + oneGen(4); // site (with the setup code), config, clock
  const reserve = storageReserve({ ...board, genKeys });
  const left = board.storageBytes - code - keys - log - small - reserve;
  // How many more keys the rest would hold (each a slot and a quarter in the key file).
  return { storageBytes: board.storageBytes, code, keysAtCapacity: keys, keyCapacity: board.keyCapacity, log, logEntries: board.logSegments * board.logPerSegment,
    smallFiles: small, reserve, left, moreKeysThatWouldFit: Math.max(0, Math.floor((left * 4) / (5 * (RECORD_SIZE + 2 + KEY_MARKS)))) };
}

/**
 * The Storage layout that survives a power cut at any step of a compaction (design, shown on the
 * flash model by test/evidence/compaction-layout.test.ts; the firmware does not use it yet):
 * - permanent files first, in the order provisioning writes them, never erased: the site, the
 *   settings as a slot file (CONFIG_SLOT_BYTES records, CONFIG_SLOTS of them) and the key table as
 *   a slot file (firmware/slotfile.ts: 32-byte records + check, kill and KEY_MARKS mark bytes) sized to end
 *   exactly on a page boundary (`permanentPages`);
 * - the bundle, from that page boundary (so a firmware update that erases it, and everything
 *   after it, compacts nothing that lives: see the test), then a pad file to the next page
 *   boundary;
 * - then every file that is ever erased (log segments, clock generations) as a tile: header and
 *   data together exactly `tile` bytes, a divisor of the page, so that every page of that region
 *   starts with a header and no file there crosses a page. A compaction starts at the first page
 *   holding trash, which is in that region, so it never moves the files before it.
 * `keySlots`: slots in the key file (each key change uses one; a file whose slots are all used
 * needs a rebuild by the provisioning tool); `keysFileBytes` its data size. `short` > 0: the
 * layout does not fit: bytes the bundle would have to lose for the board's key capacity.
 */
export const CONFIG_SLOT_BYTES = 128;
export const CONFIG_SLOTS = 4;
/** One-shot marks per key slot (firmware/slotfile.ts slotMark): revoked, confirmed. */
export const KEY_MARKS = 2;
const KEY_SLOT = RECORD_SIZE + 2 + KEY_MARKS;
export function tiledLayout(board: BoardConfig, bundleBytes: number) {
  const page = 4096;
  const big = board.storageBytes > 1 << 20;
  const tile = big ? 2048 : 512;
  const tilePages = big ? 8 : 1;
  const tiles = (tilePages * page) / tile;
  // Two clock generations, two spare tiles (a clock save and a log rotation in one session), two failure-ring segments; the rest is the main ring.
  const mainTiles = tiles - 6;
  const perTile = Math.floor((tile - 32) / ENTRY_SIZE);
  const tiledStart = board.storageBytes - tilePages * page;
  const site = fileCost(GEN_HEADER + SITE_BYTES + SETUP_CODE_DIGITS);
  const config = fileCost(8 + CONFIG_SLOTS * (CONFIG_SLOT_BYTES + 2));
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
