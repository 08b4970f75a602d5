/**
 * A simulated board's flash as the firmware's FlashStorage port, written from outside (before it
 * boots or between steps): how the simulator provisions a board with tools/host/provision/site.ts,
 * and how tests read the files the board wrote. `provisionLayout` writes a board's Storage in the
 * order of the tiled layout (docs/ESPRUINO.md "Flash") before its first boot.
 */
import type { FlashStorage, JournalFlash } from '../firmware/ports';
import type { SimBoard } from './engine/board';
import type { BoardConfig } from '../hal/boards/types';
import * as st from './engine/storage';
import { kslOpen } from '../firmware/keyslots';
import { PAD_FILE, journalMake } from '../firmware/flashroom';
import { JOURNAL_FILE, type Journal, jOpen } from '../firmware/journal';
import { CRC_ONLY } from '../tools/host/journal-image';
import { type Config, configOfJournal, loadConfig } from '../firmware/config';
import { tiledLayout } from '../tools/host/layout';
import { type SiteSecrets, writeSite } from '../tools/host/provision/site';

const OUTSIDE = { error: (m: string) => new Error(m), powerCut: () => new Error('power cut while provisioning') };

/** The page-level flash model as the firmware's FlashStorage port, for writing it before a board boots. */
export function flashPort(f: st.Flash): FlashStorage {
  return {
    read: (n, o, l) => st.read(f, n, o, l),
    write: (n, d, o, size) => { try { return st.write(f, OUTSIDE, n, d, o, size); } catch (e) { return false; } },
    erase: (n) => st.erase(f, n),
    list: (p) => st.list(f).filter((n) => n.startsWith(p)),
    free: () => st.stats(f).freeBytes,
    compact: () => st.compact(f, OUTSIDE),
  };
}

/**
 * A fresh board's Storage as the USB tools leave it, in layout order: the site, the key file (a
 * slot file sized by tools/host/layout.ts tiledLayout, or the two-generation table on boards
 * without the layout), and on boards in the journal layout the bundle as .bootcde, the pad and
 * the journal (its first page started; settings left to their defaults).
 */
export function provisionLayout(f: st.Flash, board: BoardConfig, bundle: string, site: SiteSecrets): FlashStorage {
  const port = flashPort(f);
  writeSite(port, site);
  if (board.tile) {
    const plan = tiledLayout(board, bundle.length);
    if (plan.short) throw new Error(`no room for the journal layout of ${board.id}: the bundle is ${plan.short} bytes too big for ${board.keyCapacity} keys`);
    if (!kslOpen(port, Math.max(plan.keySlots, 1), plan.keysFileBytes)) throw new Error('no room for the key file of ' + board.id);
  }
  // The bundle in Storage, as on a board, where the layout depends on it. (A board without `tile`,
  // none since puckjs-nfc moved onto the journal layout, runs its bundle from outside Storage.)
  if (!board.tile) return port;
  if (!port.write('.bootcde', bundle)) throw new Error('no room for the bundle of ' + board.id);
  const plan = tiledLayout(board, bundle.length);
  const end = board.storageBytes - st.stats(f).freeBytes;
  if (!port.write(PAD_FILE, '\0', 0, plan.padEnd - end - 32) || !journalMake(port, plan.journalPages)) throw new Error('no room for the pad and the journal of ' + board.id);
  return port;
}

/**
 * The journal's payload on the model (firmware/journal.ts), as the board's require("Flash") port
 * reaches it: reads through Storage, writes and page erases as counted flash steps where a power
 * cut can fall. Undefined when there is no journal file or its payload is not on page boundaries.
 */
export function journalPort(f: st.Flash, hooks = OUTSIDE, readOnly = false): JournalFlash | undefined {
  const file = st.find(f, JOURNAL_FILE);
  if (!file || file.addr % st.PAGE_BYTES || file.data.length % st.PAGE_BYTES) return undefined;
  const base = file.addr;
  return {
    size: file.data.length,
    read: (o, l) => st.latin1(f.mem.subarray(base + o, base + o + l)),
    write: (o, d) => { if (!readOnly) st.programAt(f, hooks, base + o, st.toBytes(d)); },
    erase: (o) => { if (!readOnly) st.erasePageAt(f, hooks, base + o); },
  };
}

/**
 * A board's journal read from outside without changing a byte (firmware/journal.ts jOpen over a
 * read-only port), for tests and tools: its log (auditlog.ts logOpenJ), clock and settings.
 * Undefined when the flash holds no journal.
 */
export function journalOf(board: SimBoard): Journal | undefined {
  // Read once (the real interpreter's flash is a file reached over its console), served from the copy.
  const all = board.storage.read(JOURNAL_FILE);
  if (!all || all.length % st.PAGE_BYTES) return undefined;
  const port: JournalFlash = { size: all.length, read: (o, l) => all.substr(o, l), write: () => undefined, erase: () => undefined };
  return jOpen(port, CRC_ONLY.crc32);
}

/** The settings a board has stored: its journal's settings group (the journal layout), else its generation file's (firmware/config.ts loadConfig). */
export function storedConfig(board: SimBoard): Config {
  const j = journalOf(board);
  return j && j.cg >= 0 ? configOfJournal(j) : loadConfig(flashOf(board), CRC_ONLY).config;
}

/** The simulated board's flash as the firmware's FlashStorage port, written from outside. */
export function flashOf(board: SimBoard): FlashStorage {
  return {
    read: (name, offset, length) => board.storage.read(name, offset, length),
    write: (name, data, offset, size) => { try { return board.storage.write(name, data, offset, size); } catch (e) { return false; } },
    erase: (name) => board.storage.erase(name),
    list: (prefix) => board.storage.list().filter((n) => n.startsWith(prefix)),
    free: () => board.storage.stats().freeBytes,
    compact: () => { const before = board.storage.stats().freeBytes; board.storage.compact(); return board.storage.stats().freeBytes > before; },
  };
}
