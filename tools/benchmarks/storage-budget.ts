/**
 * The Storage budget of a board: what its Storage holds after a compaction and what is left.
 * Used by tools/benchmarks/firmware.ts (npm run bench:firmware) and test/sim/capacity.test.ts.
 */
import type { BoardConfig } from '../../hal/boards/types';
import { ENTRY_SIZE } from '../../firmware/auditlog';
import { DEFAULTS } from '../../firmware/config';
import { storageReserve } from '../../firmware/core';
import { GEN_HEADER } from '../../firmware/genfile';
import { fileCost } from '../../firmware/flashroom';
import { RECORD_SIZE, defaultKeySlots } from '../../firmware/keystore';
import { slotFileSize } from '../../firmware/slotfile';
import { SETUP_CODE_DIGITS, SITE_BYTES, SITE_V2_BYTES } from '../../firmware/site';
import { MAX_TICKETS, TICKET_RECORD } from '../../firmware/ticketbook';
import { LIST_MAX_BYTES } from '../../firmware/revlist';

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
  const keys = fileCost(slotFileSize(RECORD_SIZE, defaultKeySlots(board.keyCapacity), KEY_MARKS));
  // The main ring (all segments but one) and the failure ring (two half segments): firmware/auditlog.ts.
  // In the journal layout (board.tile) the log, clock and settings are the journal's pages (firmware/journal.ts).
  const journal = !!board.tile;
  const log = journal ? fileCost(board.logSegments * 4096)
    : Math.max(2, board.logSegments - 1) * fileCost(board.logPerSegment * ENTRY_SIZE) + 2 * fileCost((board.logPerSegment >> 1) * ENTRY_SIZE);
  const small = oneGen(SITE_BYTES + SETUP_CODE_DIGITS) + (journal ? 0 : oneGen(JSON.stringify(DEFAULTS).length + 40) + oneGen(4)); // site (with the setup code), config, clock
  // Protocol v2 (hal/boards `travel`): the site's board id, a full ticket book and a full revocation list (docs/KEYS-THAT-TRAVEL.md section 10).
  const travel = board.travel ? oneGen(SITE_V2_BYTES) - oneGen(SITE_BYTES + SETUP_CODE_DIGITS) + oneGen(MAX_TICKETS * TICKET_RECORD) + oneGen(LIST_MAX_BYTES) : 0;
  // The journal layout's reserve (firmware/core.ts coreStart): tiles for protocol v2's files only.
  const reserve = journal ? (board.travel ? 2 * board.tile! - 64 : 0) : storageReserve(board);
  const left = board.storageBytes - code - keys - log - small - travel - reserve;
  // How many more keys the rest would hold (each a slot and a quarter in the key file).
  return { storageBytes: board.storageBytes, code, keysAtCapacity: keys, keyCapacity: board.keyCapacity, log, logEntries: board.logSegments * board.logPerSegment,
    smallFiles: small, travelFiles: travel, reserve, left, moreKeysThatWouldFit: Math.max(0, Math.floor((left * 4) / (5 * (RECORD_SIZE + 2 + KEY_MARKS)))) };
}

// The tiled layout lives in tools/host/layout.ts (the simulator's provisioning uses it too).
import { KEY_MARKS } from '../host/layout';
export { CONFIG_SLOTS, CONFIG_SLOT_BYTES, KEY_MARKS, tiledLayout } from '../host/layout';
