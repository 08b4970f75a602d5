/**
 * Writing a board's Storage into the compaction-safe layout (tools/host/layout.ts,
 * docs/ESPRUINO.md "Flash") without ever going through Storage.compact: the one procedure behind a
 * firmware update, a fresh install and a key-file rebuild, in `npm run flash` and the browser
 * flasher. It plans flash steps (pure, `planRelayout`) and hands them to a transport that executes
 * them on a board (`LayoutTarget`: the console, tools/host/console-layout.ts; the flash model in tests).
 *
 * - update: read the tiles (log segments, clock generations), erase the pages from the last one
 *   down to the bundle's first with require("Flash").erasePage, last page first (so the header
 *   chain ends on erased bytes or runs through whole files at every moment: a cut never leaves a
 *   Storage the boot check erases), then write the new bundle, the pad and the saved tiles. The
 *   site and key files are never touched (where the key file ends inside the bundle's first page,
 *   its bytes there are kept and programmed back raw after the erase).
 * - rebuild: the same from page 0, with the site as it was and a fresh key file
 *   holding the live keys (their marks folded into the records): for a key file whose slots are all
 *   used. What is read first is handed to `onSaved` before anything is erased: the caller keeps it
 *   (the CLI in a file) so that a re-run after a cut writes it back.
 * - install: erase every page, last first, and write site, key file, bundle and pad (settings are
 *   tiles the firmware writes).
 * - the move from the older layout (an update or rebuild of a board whose Storage holds a site and
 *   the two-generation key table `ck.keys.a|b` of earlier puckjs-nfc firmware, with its log rings
 *   and clock and settings generation files anywhere in Storage): read and kept first like a
 *   rebuild, then every page erased, last first, and the site (its newest generation), a fresh key
 *   slot file holding the table's records, the bundle, the pad and a journal made from the log,
 *   clock and settings written from page 0.
 * A re-run after a cut at any step finishes the job: `saved` (what the first run read) is merged
 * with what the board still holds.
 * Browser-safe: nothing here imports Node.
 */
import type { BoardConfig } from '../../hal/boards/types';
import { fileCost } from '../../firmware/flashroom';
import { RECORD_SIZE, kslGet, kslNext, kslOpen } from '../../firmware/keyslots';
import { genData, genLoad } from '../../firmware/genfile';
import { slotAppend, slotRecord, slotShape } from '../../firmware/slotfile';
import { CliError } from './cli-error';
import { crc32 } from './bytes';
import { memoryFlash } from './flash';
import { BUNDLE_FILE, HEADER, JOURNAL_FILE, KEYS_FILE, PAD_FILE, PAGE, PERMANENT, SITE_FILE, type Layout, padBytes, tiledLayout } from './layout';
import { CRC_ONLY, OLD_TILE, journalFromTiles, journalHeader } from './journal-image';

/** A refusal or a failure of a relayout: one line; exit code 2 when nothing was touched. */
export class RelayoutError extends CliError {}

/** One file in a board's Storage chain: header offset from Storage's start, data size, '' when erased (trash). */
export interface ChainFile { at: number; size: number; name: string }

/** What a board's Storage holds, as its header chain. */
export interface BoardStorage { total: number; chain: ChainFile[] }

/** A whole file to write; `data` is all of it, 0xFF where bytes are left unwritten (blank slots). */
export interface FileData { name: string; data: string }

/**
 * erase: a page (offset from Storage's start); write: a whole file through Storage; program: raw
 * bytes back at an offset with require("Flash").write (the key file's last bytes that share the
 * bundle's first page, when the key file does not end on a page boundary).
 */
export type Step = { op: 'erase'; page: number } | { op: 'write'; file: FileData } | { op: 'program'; at: number; data: string };

/** The saved name of the raw bytes between the bundle's first page boundary and the bundle (see Step). */
export const RAW = '@raw';

/** A board's Storage as a transport reaches it. */
export interface LayoutTarget {
  /** The header chain. */
  storage(): Promise<BoardStorage>;
  /** A file's bytes (length as the chain says). */
  read(name: string, length: number): Promise<string>;
  /** A file's CRC32 (E.CRC32) and length as the board reads it, or undefined when absent. */
  crc(name: string): Promise<{ crc: number; length: number } | undefined>;
  /** Raw bytes of Storage from offset `at` (require("Flash").read). */
  readRaw(at: number, length: number): Promise<string>;
  /** Executes the steps in order; each write is verified (read back) before the next step. */
  run(steps: Step[], progress?: (done: number, total: number) => void): Promise<void>;
}

export type Mode = 'update' | 'rebuild' | 'install';

/** What a run read before erasing anything: what a re-run needs if this one is cut. */
export interface Saved { board: string; mode: Mode; files: FileData[] }

export interface RelayoutJob {
  board: BoardConfig;
  mode: Mode;
  /** The new bundle. */
  bundle: string;
  /** install: the site and key files to write (layout-image.ts installFiles). */
  install?: FileData[];
  /** What an interrupted run of the same job saved. */
  saved?: Saved;
  /** Called with what was read, before the first erase; a throw stops the run with nothing erased. */
  onSaved?: (s: Saved) => void | Promise<void>;
  log?: (line: string) => void;
  progress?: (done: number, total: number) => void;
}

export interface RelayoutReport {
  mode: Mode;
  pagesErased: number;
  filesWritten: number;
  bytesWritten: number;
  /** Tiles (log, clock) written back. */
  tiles: string[];
  keySlots: number;
  keysKept?: number;
}

/** A journal page's first 8 bytes (firmware/journal.ts): an erased file's Storage header spanning the page. */
const PAGE_HEAD = '\xe0\x0f\0\0\0\0\0\0';

const live = (s: BoardStorage) => s.chain.filter((f) => f.name !== '');
const end = (f: ChainFile) => f.at + fileCost(f.size);

/**
 * Where the bundle starts (where the key file ends: a page boundary when the layout is aligned)
 * if the board's Storage is in the layout, else a sentence saying why not. After a cut update the
 * bundle and tiles may be missing or cut short; the site and keys must be there, first, in order.
 */
export function layoutCheck(board: BoardConfig, s: BoardStorage): { bundleStart: number } | { problem: string } {
  if (s.total !== board.storageBytes) return { problem: `its Storage is ${s.total} bytes, ${board.id} has ${board.storageBytes}` };
  const c = s.chain;
  for (let i = 0; i < PERMANENT.length; i++) {
    if (!c[i] || c[i].name !== PERMANENT[i]) {
      return { problem: `it does not hold the layout's ${PERMANENT.join(', ')} first (found ${c.slice(0, 4).map((f) => f.name || '(erased)').join(', ') || 'nothing'})` };
    }
  }
  const keysEnd = end(c[PERMANENT.length - 1]);
  const after = c.slice(PERMANENT.length);
  if (after.length && after[0].at !== keysEnd) return { problem: 'something lies between the key file and the bundle' };
  if (after.length && after[0].name !== BUNDLE_FILE && after[0].name !== '') {
    // A cut update may have erased the bundle's pages and left tiles; anything else is foreign.
    if (after[0].at < tiledStartOf(board, s)) return { problem: `${after[0].name} lies where the bundle goes` };
  }
  return { bundleStart: keysEnd };
}

/** Where the bundle's room ends: the journal's header (files from there on are the journal and tiles). */
function tiledStartOf(board: BoardConfig, s: BoardStorage): number {
  return tiledLayout(board, 0).padEnd + (s.total - board.storageBytes);
}

/** The live files after the bundle, the pad and the journal: the tiles to carry over, in chain order. */
export function tilesOf(s: BoardStorage, bundleStart: number): ChainFile[] {
  return live(s).filter((f) => f.at >= bundleStart && f.name !== BUNDLE_FILE && f.name !== PAD_FILE && f.name !== JOURNAL_FILE);
}

/**
 * What becomes of the journal (firmware/journal.ts): `image` set, it is written whole as a new file
 * after the pad (its pages erased first: an install, a rebuild, a board moved from the earlier tiled
 * layout); else its payload pages are never erased and its Storage header is programmed back at the
 * end of the pad, where it was, after the bundle and the pad are written. `junk`: payload pages to
 * erase first, whose start is neither blank nor a page header (a page change cut short), so that
 * Espruino's boot check, walking into the journal while its header is erased, never meets them.
 */
export interface JournalPlan { image?: string; junk?: number[] }

/**
 * Per name, what to write back: the board's copy, unless the saved copy (an earlier run's) is
 * there and the board's is missing or cut short (the saved bytes with an erased tail); permanent
 * files always from `saved` when it has them (a cut rebuild may have erased part of them).
 */
export function mergeSaved(fromBoard: FileData[], saved: FileData[] | undefined): FileData[] {
  if (!saved) return fromBoard;
  const out: FileData[] = [];
  const board = new Map(fromBoard.map((f) => [f.name, f.data] as [string, string]));
  for (const f of saved) {
    const b = board.get(f.name);
    out.push(b === undefined || PERMANENT.indexOf(f.name) >= 0 || f.name === RAW || cutShort(b, f.data) ? f : { name: f.name, data: b });
    board.delete(f.name);
  }
  for (const f of fromBoard) if (board.has(f.name)) out.push(f);
  return out;
}

/** The same file, or its copy cut short by an interrupted run. */
const sameOrCut = (got: string, want: string) => got === want || cutShort(got, want);

/** True when `got` is `want` with an erased (0xFF) tail: a copy whose write was cut. */
export function cutShort(got: string, want: string): boolean {
  if (got.length !== want.length || got === want) return false;
  let k = 0;
  while (k < got.length && got.charCodeAt(k) === want.charCodeAt(k)) k++;
  return /^\xff*$/.test(got.slice(k));
}

/**
 * The pages to erase, last first, down to `floor` (a page boundary): from the last page holding
 * any byte of a file in the chain (trash included; Storage keeps what follows its last file
 * erased), or of the region to be written up to `upTo`, whichever ends later (a page an earlier
 * run's cut left partly erased holds old bytes that no chain shows), skipping pages wholly inside a
 * `blank` range [from, to) known to be erased already (a pad's unwritten data) or kept (the
 * journal's pages). Skipping a blank page leaves every intermediate state as erasing it would.
 */
export function pagesToErase(s: BoardStorage, floor: number, blank: [number, number][] = [], upTo = 0): number[] {
  let last = upTo;
  for (const f of s.chain) last = Math.max(last, end(f));
  const out: number[] = [];
  for (let a = Math.ceil(last / PAGE) * PAGE - PAGE; a >= floor; a -= PAGE) {
    if (!blank.some(([from, to]) => a >= from && a + PAGE <= to)) out.push(a);
  }
  return out;
}

/** The pad's data: one written byte, the rest left erased (so it costs one write and stays blank). */
export function padData(bytes: number): string {
  return '\0' + '\xff'.repeat(bytes - 1);
}

/** Where the board's pad is known blank: its data after the first byte, if its CRC says so. */
async function padBlank(target: LayoutTarget, s: BoardStorage, crc32: (d: string) => number): Promise<[number, number][]> {
  const pad = live(s).find((f) => f.name === PAD_FILE);
  if (!pad || pad.size < 2) return [];
  const got = await target.crc(PAD_FILE);
  return got && got.length === pad.size && got.crc === crc32(padData(pad.size)) ? [[pad.at + HEADER + 1, pad.at + HEADER + pad.size]] : [];
}

/**
 * The steps that put the layout on a board: erase pages last first down to `floor` (the page the
 * bundle starts in for an update, 0 for a rebuild or install), program `raw` back (update: the
 * key file's bytes in the bundle's first page when it does not start on a boundary), then write
 * `permanent` (rebuild, install), the bundle, the pad and the tiles. Refuses (nothing touched)
 * when the bundle does not fit.
 */
export function planRelayout(board: BoardConfig, s: BoardStorage, floor: number, blank: [number, number][], bundle: string, permanent: FileData[], tiles: FileData[], raw?: string, journal: JournalPlan = {}): Step[] {
  const total = s.total;
  const lay = tiledLayout(board, bundle.length);
  let at = floor + (raw ? raw.length : 0);
  for (const f of permanent) at += fileCost(f.data.length);
  // The bundle never starts in the site's page: every later update erases from the bundle's first
  // page, and a cut there would leave the board without its secrets until a re-run.
  if (at < PAGE) throw new RelayoutError(`refused: the bundle (${bundle.length} bytes) would start in the site's page (at ${at}); a smaller key file (--rebuild-keys) or bundle makes room`, 2);
  const pad = padBytes(lay, at, bundle.length);
  if (pad < 4) {
    throw new RelayoutError(`refused: the bundle (${bundle.length} bytes) does not fit between the key file (ending at ${at}) and the journal (its header at ${lay.padEnd}): `
      + `${4 - pad} bytes too many; the journal's pages are never erased by an update; a rebuild with a smaller key file (--rebuild-keys) makes room`, 2);
  }
  let tileBytes = 0;
  for (const t of tiles) tileBytes += fileCost(t.data.length);
  if (lay.tiledStart + tileBytes > total) throw new RelayoutError(`the tiles read from the board (${tileBytes} bytes) do not fit after ${lay.tiledStart}`, 2);
  const jBytes = lay.journalPages * PAGE;
  // Kept: its payload pages are skipped (never erased), like pages known blank.
  const skip: [number, number][] = journal.image === undefined ? blank.concat([[lay.journalStart, lay.journalStart + jBytes]]) : blank;
  const steps: Step[] = (journal.image === undefined ? journal.junk || [] : []).map((page) => ({ op: 'erase', page }) as Step);
  for (const page of pagesToErase(s, floor, skip, journal.image === undefined ? lay.padEnd + HEADER : lay.journalStart + jBytes)) steps.push({ op: 'erase', page });
  if (raw && raw.replace(/\xff+$/, '')) steps.push({ op: 'program', at: floor, data: raw });
  for (const f of permanent) steps.push({ op: 'write', file: f });
  steps.push({ op: 'write', file: { name: BUNDLE_FILE, data: bundle } });
  steps.push({ op: 'write', file: { name: PAD_FILE, data: padData(pad) } });
  if (journal.image === undefined) steps.push({ op: 'program', at: lay.padEnd, data: journalHeader(jBytes) });
  else steps.push({ op: 'write', file: { name: JOURNAL_FILE, data: journal.image } });
  for (const t of tiles) steps.push({ op: 'write', file: t });
  return steps;
}

/** The live records of a key slot file's bytes, in slot order: each record's bytes as they are, its flags byte (5: firmware/keystore.ts) as the marks make it. */
export function liveRecords(keys: string): string[] {
  const shape = slotShape(keys);
  if (!shape) throw new RelayoutError(`${KEYS_FILE} is not a key slot file`, 2);
  const src = memoryFlash(keys.length + 4096);
  src.write(KEYS_FILE, keys, 0, keys.length);
  const from = kslOpen(src, shape.cap);
  if (!from) throw new RelayoutError(`${KEYS_FILE} has another shape than a key slot file`, 2);
  const out: string[] = [];
  for (let i = kslNext(from, 0); i >= 0; i = kslNext(from, i + 1)) {
    const rec = slotRecord(from, i);
    out.push(rec.substr(0, 5) + String.fromCharCode(kslGet(from, i).flags & 255) + rec.substr(6));
  }
  return out;
}

/** A key slot file of the layout's size for `bundleBytes` (ending on the page the bundle starts), holding `records` in order. */
export function freshKeyFile(board: BoardConfig, bundleBytes: number, records: string[]): { data: string; slots: number } {
  const lay = tiledLayout(board, bundleBytes);
  if (records.length > lay.keySlots) throw new RelayoutError(`${records.length} keys do not fit a fresh key file of ${lay.keySlots} slots`, 2);
  const dst = memoryFlash(lay.keysFileBytes + 4096);
  const to = kslOpen(dst, lay.keySlots, lay.keysFileBytes);
  if (!to) throw new RelayoutError('could not build the key file', 2);
  for (const r of records) if (slotAppend(to, r) < 0) throw new RelayoutError('could not build the key file', 2);
  return { data: dst.read(KEYS_FILE)!, slots: lay.keySlots };
}

/** A fresh key file of the layout's size for `bundleBytes`, holding the live keys of `old` (a key slot file's bytes), marks folded in. */
export function rebuildKeyFile(board: BoardConfig, old: string, bundleBytes: number): { data: string; kept: number; slots: number } {
  const records = liveRecords(old);
  return { ...freshKeyFile(board, bundleBytes, records), kept: records.length };
}

/** The key file's slots: capacity and used (a full file needs a rebuild). */
export function keySlotsUsed(keys: string): { cap: number; used: number } | undefined {
  const shape = slotShape(keys);
  if (!shape) return undefined;
  const src = memoryFlash(keys.length + 4096);
  src.write(KEYS_FILE, keys, 0, keys.length);
  const sf = kslOpen(src, shape.cap);
  return sf ? { cap: sf.cap, used: sf.used } : undefined;
}

/** The older layout's files the move reads: the site's and the key table's generations, the log rings, the clock and settings generations. */
const OLDER = /^ck\.(site|keys)\.[ab]$/;
const KEY_TABLE = /^ck\.keys\.[ab]$/;

/**
 * The board's Storage is in the older layout (earlier puckjs-nfc firmware): a two-generation key
 * table and no key slot file or journal. A board whose firmware has the journal layout (`tile`)
 * moves out of it (relayout's header).
 */
export function olderLayout(s: BoardStorage): boolean {
  const names = live(s).map((f) => f.name);
  return names.some((n) => KEY_TABLE.test(n)) && names.indexOf(KEYS_FILE) < 0 && names.indexOf(JOURNAL_FILE) < 0;
}

/** The newest intact generation of `base` among `files`: its whole file (header included) and its data; undefined when none is intact. */
function newestGeneration(files: FileData[], base: string): { file: string; data: string } | undefined {
  const src = memoryFlash(1 << 20);
  for (const f of files) if (f.name.indexOf(base) === 0) src.write(f.name, f.data, 0, f.data.length);
  const gen = genLoad(src, CRC_ONLY, base);
  return gen && { file: src.read(gen.name)!, data: genData(src, gen) };
}

/** The records of a two-generation key table (`ck.keys.a|b`, earlier puckjs-nfc firmware) among `files`, in table order; undefined when no generation is intact. */
export function keyTableRecords(files: FileData[]): string[] | undefined {
  const t = newestGeneration(files, 'ck.keys.');
  if (!t) return undefined;
  const out: string[] = [];
  for (let at = 0; at + RECORD_SIZE <= t.data.length; at += RECORD_SIZE) out.push(t.data.substr(at, RECORD_SIZE));
  return out;
}

/**
 * The move from the older layout (the header): the site's and key table's generations as first read
 * (kept: a cut may erase them from the board, and the earlier firmware, booting in between, never
 * changes them), the log, clock and settings files as the board holds them now merged with the kept
 * ones (that firmware may have logged since), then the layout written from page 0.
 */
async function moveOlder(target: LayoutTarget, job: RelayoutJob, s: BoardStorage): Promise<RelayoutReport> {
  const { board, mode } = job;
  const log = job.log || (() => undefined);
  const saved = job.saved ? job.saved.files : [];
  const fromBoard = await readAll(target, live(s).filter((f) => OLDER.test(f.name) || OLD_TILE.test(f.name)));
  const permanent = (saved.some((f) => OLDER.test(f.name)) ? saved : fromBoard).filter((f) => OLDER.test(f.name));
  const tiles = mergeSaved(fromBoard.filter((f) => OLD_TILE.test(f.name)), saved.filter((f) => OLD_TILE.test(f.name)));
  const site = newestGeneration(permanent, 'ck.site.');
  const records = keyTableRecords(permanent);
  if (!site) throw new RelayoutError('refused: the board holds no intact site file (ck.site.a|b); nothing was changed', 2);
  if (!records) throw new RelayoutError('refused: the board\'s key table (ck.keys.a|b) is not intact; nothing was changed', 2);
  const keys = freshKeyFile(board, job.bundle.length, records);
  const lay = tiledLayout(board, job.bundle.length);
  const rings = tiles.filter((t) => /^ck\.log\.\d+$/.test(t.name)).map((t) => +t.name.slice(7));
  const per = Math.max(1, ...tiles.filter((t) => /^ck\.log\./.test(t.name)).map((t) => t.data.length / 16));
  const journal = journalFromTiles(tiles, lay.journalPages, Math.max(2, ...rings) + 2, per, saved.filter((t) => OLD_TILE.test(t.name)));
  const permanentOut = [{ name: SITE_FILE, data: site.file }, { name: KEYS_FILE, data: keys.data }];
  // The plan first: a refusal (the bundle does not fit) comes before anything is kept or erased.
  const steps = planRelayout(board, s, 0, [], job.bundle, permanentOut, [], undefined, { image: journal });
  if (job.onSaved) await job.onSaved({ board: board.id, mode, files: permanent.concat(tiles) });
  const erases = steps.filter((x) => x.op === 'erase').length;
  log(`moving the older layout into the journal layout (${records.length} keys from ${permanent.filter((f) => KEY_TABLE.test(f.name)).map((f) => f.name).join(' ')}; `
    + `${tiles.map((t) => t.name).join(' ') || 'no log'} into the journal): erasing ${erases} pages from the last down to 0, then writing ${steps.length - erases} files`);
  await target.run(steps, job.progress);
  const ok = layoutCheck(board, await target.storage());
  if ('problem' in ok) throw new RelayoutError('after writing, the board is not in the layout: ' + ok.problem);
  let bytes = 0;
  for (const x of steps) if (x.op === 'write') bytes += x.file.name === PAD_FILE ? 1 : x.file.data.length;
  return { mode, pagesErased: erases, filesWritten: steps.length - erases, bytesWritten: bytes, tiles: [], keySlots: keys.slots, keysKept: records.length };
}

async function readAll(target: LayoutTarget, files: ChainFile[]): Promise<FileData[]> {
  const out: FileData[] = [];
  for (const f of files) out.push({ name: f.name, data: await target.read(f.name, f.size) });
  return out;
}

/** Runs a relayout job on a board; see the header. */
export async function relayout(target: LayoutTarget, job: RelayoutJob): Promise<RelayoutReport> {
  const log = job.log || (() => undefined);
  const { board, mode } = job;
  if (job.saved && (job.saved.board !== board.id || job.saved.mode !== mode)) {
    throw new RelayoutError(`the saved state is from a ${job.saved.mode} of ${job.saved.board}, not a ${mode} of ${board.id}`, 2);
  }
  const s = await target.storage();
  if (mode !== 'install' && board.tile && (olderLayout(s) || (!!job.saved && job.saved.files.some((f) => KEY_TABLE.test(f.name))))) return moveOlder(target, job, s);
  const check = layoutCheck(board, s);
  const savedHas = (n: string) => !!job.saved && job.saved.files.some((f) => f.name === n);
  let floor: number, permanent: FileData[] = [], tiles: FileData[] = [], keysKept: number | undefined, raw: string | undefined;
  if (mode === 'install') {
    const site = live(s).find((f) => f.name === SITE_FILE);
    const mine = (job.install || []).find((f) => f.name === SITE_FILE);
    if (!job.install || !mine) throw new RelayoutError('an install needs the site and key files', 2);
    if (site && !sameOrCut(await target.read(SITE_FILE, site.size), mine.data)) {
      throw new RelayoutError('refused: the board already holds another site; an install would erase its keys (update it, or factory-reset it first)', 2);
    }
    floor = 0;
    permanent = job.install;
  } else if ('problem' in check) {
    // A rebuild cut after page 0 was erased: the board lost its permanent files, the saved state has them.
    if (mode !== 'rebuild' || !PERMANENT.every(savedHas)) throw new RelayoutError(`refused: the board's Storage is not in the layout: ${check.problem}`, 2);
    const site = live(s).find((f) => f.name === SITE_FILE);
    const mine = job.saved!.files.find((f) => f.name === SITE_FILE)!;
    if (site && !sameOrCut(await target.read(SITE_FILE, site.size), mine.data)) throw new RelayoutError('refused: the board holds another site than the saved rebuild', 2);
    floor = 0;
    permanent = job.saved!.files.filter((f) => PERMANENT.indexOf(f.name) >= 0);
    tiles = job.saved!.files.filter((f) => PERMANENT.indexOf(f.name) < 0 && f.name !== JOURNAL_FILE);
  } else {
    floor = mode === 'update' ? check.bundleStart - (check.bundleStart % PAGE) : 0;
    const fromBoard = await readAll(target, tilesOf(s, check.bundleStart));
    if (mode === 'rebuild') fromBoard.unshift(...(await readAll(target, s.chain.slice(0, PERMANENT.length))));
    // The key file's last bytes share the bundle's first page (a layout that is not aligned): kept raw, programmed back.
    if (mode === 'update' && floor < check.bundleStart) fromBoard.unshift({ name: RAW, data: await target.readRaw(floor, check.bundleStart - floor) });
    const merged = mergeSaved(fromBoard, job.saved && job.saved.files);
    const rawFile = merged.find((f) => f.name === RAW);
    raw = rawFile && rawFile.data;
    permanent = merged.filter((f) => PERMANENT.indexOf(f.name) >= 0);
    tiles = merged.filter((f) => PERMANENT.indexOf(f.name) < 0 && f.name !== RAW && f.name !== JOURNAL_FILE);
  }
  let writePermanent = permanent;
  if (mode === 'rebuild') {
    const keys = permanent.find((f) => f.name === KEYS_FILE)!;
    const fresh = rebuildKeyFile(board, keys.data, job.bundle.length);
    keysKept = fresh.kept;
    writePermanent = permanent.map((f) => (f.name === KEYS_FILE ? { name: KEYS_FILE, data: fresh.data } : f));
  }
  // The journal: kept in place by an update of a board that has it; written whole otherwise (an
  // install: a fresh one; a rebuild, which erases page 0 and so every page after it, else the boot
  // check would find a blank first page before written ones: what it read; a board in the earlier
  // tiled layout: made from its log, clock and settings tiles).
  const lay0 = tiledLayout(board, job.bundle.length);
  const jBytes = lay0.journalPages * PAGE;
  const onBoard = live(s).find((f) => f.name === JOURNAL_FILE);
  const savedJournal = job.saved && job.saved.files.find((f) => f.name === JOURNAL_FILE);
  const journal: JournalPlan = {};
  let keptJournal: FileData | undefined;
  if (mode === 'install') journal.image = journalFromTiles([], lay0.journalPages, 3, 30);
  else if (tiles.some((t) => OLD_TILE.test(t.name))) {
    const old = tiles.filter((t) => /^ck\.log\.\d+$/.test(t.name)).map((t) => +t.name.slice(7));
    journal.image = journalFromTiles(tiles, lay0.journalPages, Math.max(2, ...old) + 2, (board.tile! - 32) / 16, job.saved ? job.saved.files.filter((t) => OLD_TILE.test(t.name)) : []);
    log(`moving the log, clock and settings tiles of the earlier layout into the journal (${tiles.filter((t) => OLD_TILE.test(t.name)).map((t) => t.name).join(' ')})`);
  } else if (mode === 'rebuild') {
    keptJournal = savedJournal || (onBoard && onBoard.size === jBytes ? { name: JOURNAL_FILE, data: await target.read(JOURNAL_FILE, jBytes) } : undefined);
    journal.image = keptJournal ? keptJournal.data : journalFromTiles([], lay0.journalPages, 3, 30);
  } else {
    // An update: the journal stays where it is, its header in the chain or not (an update cut after
    // erasing the header's page leaves the pages as they were). Each page starts blank or with a
    // page header; anything else is a page change cut short, erased first (never read anyway).
    const heads: string[] = [];
    for (let p = 0; p < lay0.journalPages; p++) heads.push(await target.readRaw(lay0.journalStart + p * PAGE, 32));
    const inPlace = (onBoard && onBoard.at === lay0.padEnd && onBoard.size === jBytes) || heads.some((h) => h.slice(0, 8) === PAGE_HEAD);
    if (!inPlace) journal.image = journalFromTiles([], lay0.journalPages, 3, 30);
    else journal.junk = heads.map((h, p) => (h !== '\xff'.repeat(32) && h.slice(0, 8) !== PAGE_HEAD ? lay0.journalStart + p * PAGE : -1)).filter((a) => a >= 0);
  }
  // Earlier firmware's I2C hang marker file (left by a boot that hung): journal records now (hal/espruino/i2c.ts).
  const writeTiles = tiles.filter((t) => !OLD_TILE.test(t.name) && t.name !== 'ck.i2c');
  // The plan first: a refusal (the bundle does not fit) comes before anything is kept or erased.
  const blank = await padBlank(target, s, crc32);
  const steps = planRelayout(board, s, floor, blank, job.bundle, writePermanent, writeTiles, raw, journal);
  if (mode !== 'install') {
    const save: Saved = { board: board.id, mode, files: (raw === undefined ? [] : [{ name: RAW, data: raw }]).concat(mode === 'rebuild' ? permanent : [], tiles, keptJournal ? [keptJournal] : []) };
    if (job.onSaved) await job.onSaved(save);
  }
  const erases = steps.filter((x) => x.op === 'erase').length;
  const programs = steps.filter((x) => x.op === 'program').length;
  log(`erasing ${erases} pages from the last down to ${floor}, ${programs ? 'programming back the key file\'s bytes in the bundle\'s first page, ' : ''}then writing ${steps.length - erases - programs} files`);
  await target.run(steps, job.progress);
  const after = await target.storage();
  const ok = layoutCheck(board, after);
  if ('problem' in ok) throw new RelayoutError('after writing, the board is not in the layout: ' + ok.problem);
  const lay: Layout = tiledLayout(board, job.bundle.length);
  for (const f of live(after)) {
    if (f.at >= lay.tiledStart && (f.at % lay.tile !== 0)) log(`warning: ${f.name} is not on a tile boundary`);
  }
  let bytes = 0;
  for (const x of steps) if (x.op === 'write') bytes += x.file.name === PAD_FILE ? 1 : x.file.data.length;
  const keys = writePermanent.find((f) => f.name === KEYS_FILE);
  return {
    mode, pagesErased: erases, filesWritten: steps.length - erases - programs, bytesWritten: bytes, tiles: writeTiles.map((t) => t.name),
    keySlots: keys ? slotShape(keys.data)!.cap : lay.keySlots, keysKept,
  };
}
