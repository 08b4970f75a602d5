/**
 * The journal (docs/ESPRUINO.md "Flash"): the audit log, the saved clock and the settings as
 * 16-byte records on whole flash pages that Storage never moves and never compacts. The pages are
 * the payload of one Storage file (`ck.jrnl`) that provisioning makes once, right after the pad,
 * with its payload starting on a page boundary; the firmware never writes or erases that file
 * through Storage: it erases one payload page at a time and programs records into erased bytes
 * (firmware/ports.ts JournalFlash, require("Flash") on a board), reading every write back (a flash
 * operation the SoftDevice fails while a link is up reports success).
 *
 * Pages are used in turn, 0, 1, .., n-1, 0, ..: the active one takes records until full; then the
 * next one (the oldest) is erased, the live records that are not log entries (the newest clock
 * record, the newest settings group) are copied into it, and its header is written last: that
 * header is the commit. A power cut at any step leaves the old pages as they were (the active one
 * whole), so the only entries ever lost are the oldest, dropped by design when their page is
 * erased. A page without a valid header (a cut during a change) is never read, and is erased at
 * the next boot so that nothing but blank pages and committed pages remain.
 *
 * Page header (32 bytes): bytes 0-7 are an Espruino Storage header of an erased file spanning the
 * page (size 4064, name zeroed), so that the boot check, should it walk into the journal while a
 * firmware update has erased the journal's own header (tools/host/relayout.ts), steps over the
 * page instead of finding Storage corrupt; bytes 16-31 are a record: page sequence | 'CKJ1' | kind
 * K_PAGE. Record: a u32 | b u32 | kind u8 | x u8 | y u8 | check u8 | c u32 (big-endian). A record
 * torn by a cut fails its check and is skipped; a blank one (all 0xFF) ends the page.
 * Kinds: an audit entry (firmware/auditlog.ts; event code below 125, bit 7 the trusted-time flag),
 * K_CLK (b: saved seconds), K_CFG (one setting of a group: a group id, b value, x index, y the
 * group's count; a group counts only when all its records are there), K_I2C (the reader's hang marker).
 */
import type { JournalFlash } from './ports';
import { str32, u32, u8 } from './binstr';

export const JOURNAL_FILE = 'ck.jrnl';
export const JPAGE = 4096;
export const REC = 16;
/** Records a page holds: its first two slots are the header. */
export const SLOTS = JPAGE / REC;
export const K_PAGE = 127;
export const K_CLK = 126;
export const K_CFG = 125;
/**
 * The card reader's I2C hang marker (hal/espruino/i2c.ts; x: 1 set, 0 cleared). 255: every reader
 * takes a kind as `kind & 127`, so it reads this one as K_PAGE, never a log entry, clock or setting.
 */
export const K_I2C = 255;
const MAGIC = 0x434b4a31; // 'CKJ1'
/** Storage header of an erased file of 4064 bytes (size little-endian, first name bytes zero). */
const PH = '\xe0\x0f\0\0\0\0\0\0';
const BLANK = '\xff'.repeat(REC);

export interface Journal {
  f: JournalFlash;
  /** CRC-32 of a string (to check that an erased page is blank without a 4 KB string in RAM). */
  crc: (s: string) => number;
  /** Pages, the active one, its sequence number and its next free slot (SLOTS: full). */
  n: number;
  pg: number;
  ps: number;
  slot: number;
  /** Byte offset of the newest clock record (-1: none), of the newest whole settings group and its records. */
  cl: number;
  cg: number;
  cn: number;
}

/**
 * A check byte: 0x5a plus each of the `n` bytes at `at` times its position (1..n), mod 256, all
 * but the byte at `at + skip` (a record's own check byte, 11; -1: none). A journal record's check
 * and a slot file's (firmware/slotfile.ts slotCheck) are this one sum.
 */
export function checkSum(s: string, at: number, n: number, skip: number): number {
  let c = 0x5a;
  // charCodeAt inline, not u8(): a function call per byte is most of an append's time on the board.
  for (let i = 0; i < n; i++) if (i !== skip) c = (c + (s.charCodeAt(at + i) & 255) * (i + 1)) & 255;
  return c;
}

/** A whole record, not blank and not torn (`s` holds the 16 bytes at `at`: a page or a header read whole). */
export function jValid(s: string, at: number): boolean {
  return u32(s, at) !== 0xffffffff && u8(s, at + 11) === checkSum(s, at, REC, 11);
}

/** True when the 16 bytes at `at` were never written. */
export function jBlank(s: string, at: number): boolean {
  return s.substr(at, REC) === BLANK;
}

/** A record: a u32 | b u32 | k x y | check | c u32. */
export function jRec(a: number, b: number, k: number, x: number, y: number, c: number): string {
  const s = str32(a) + str32(b) + String.fromCharCode(k & 255, x & 255, y & 255, 0) + str32(c);
  return s.substr(0, 11) + String.fromCharCode(checkSum(s, 0, REC, 11)) + s.substr(12);
}

/** A page's 32-byte header with sequence number `seq`. */
export function jHeader(seq: number): string {
  return PH + '\0\0\0\0\0\0\0\0' + jRec(seq, MAGIC, K_PAGE, 0, 0, 0);
}

/** The sequence number of page `p`'s committed header, or 0 when it has none. */
export function pageSeq(f: JournalFlash, p: number): number {
  const h = f.read(p * JPAGE, 32);
  return h.substr(0, 8) === PH && jValid(h, 16) && u8(h, 24) === K_PAGE && u32(h, 20) === MAGIC ? u32(h, 16) : 0;
}

/** Writes `data` at `off` and reads it back: false when the flash does not hold it. */
function put(j: Journal, off: number, data: string): boolean {
  j.f.write(off, data);
  return j.f.read(off, data.length) === data;
}

/** CRC-32 of a blank page (4096 bytes of 0xFF). */
const BLANK_PAGE_CRC = 0xf154670a;

/** Erases page `p` and checks it is blank (an erase the SoftDevice failed reports success too). */
function wipe(j: Journal, p: number): boolean {
  j.f.erase(p * JPAGE);
  return (j.crc(j.f.read(p * JPAGE, JPAGE)) >>> 0) === BLANK_PAGE_CRC;
}

/**
 * Opens the journal: the page with the newest committed header is active; its records are scanned
 * for the first free slot, the newest clock record and the newest whole settings group. Pages
 * without a header that are not blank (a change cut short) are erased. A journal with no committed
 * page is started on page 0.
 */
export function jOpen(f: JournalFlash, crc: (s: string) => number): Journal {
  // An integer, not Math.floor's result: on Espruino that is a float, and so is every page address
  // computed from it ((pg + 1) % n); require("Flash").erasePage refuses a float ("Address should be
  // an integer", src/jswrap_flash.c), which the port swallows: the page change never erased a page.
  const n = (f.size / JPAGE) | 0;
  const j: Journal = { f, crc, n, pg: n - 1, ps: 0, slot: SLOTS, cl: -1, cg: -1, cn: 0 };
  let p, s;
  for (p = 0; p < n; p++) {
    s = pageSeq(f, p);
    if (s > j.ps) { j.ps = s; j.pg = p; }
    else if (!s && (crc(f.read(p * JPAGE, JPAGE)) >>> 0) !== BLANK_PAGE_CRC) f.erase(p * JPAGE);
  }
  if (!j.ps) {
    // Nothing committed: from the last page, page 0 becomes the first page (no copies to make).
    jTurn(j);
    return j;
  }
  const base = j.pg * JPAGE, d = f.read(base, JPAGE);
  let gid = -1, got = 0, at;
  for (j.slot = 2; j.slot < SLOTS && !jBlank(d, at = j.slot * REC); j.slot++) {
    // The kind first: the check (16 steps) only for the records looked for.
    s = u8(d, at + 8);
    if ((s !== K_CLK && s !== K_CFG) || !jValid(d, at)) continue;
    if (s === K_CLK) j.cl = base + at;
    else {
      if (u32(d, at) !== gid) { gid = u32(d, at); got = 0; p = base + at; }
      if (++got === u8(d, at + 10)) { j.cg = p!; j.cn = got; }
    }
  }
  return j;
}

/**
 * Moves to the next page: erases it, copies the newest clock record and settings group into it,
 * then writes its header (the commit). False, with nothing changed, when a step did not reach the
 * flash (the next attempt erases the page again).
 */
export function jTurn(j: Journal): boolean {
  const p = (j.pg + 1) % j.n, base = p * JPAGE;
  if (!wipe(j, p)) return false;
  // After the header's two slots: the clock record, then the settings group.
  let at = base + 2 * REC;
  if (j.cl >= 0) {
    if (!put(j, at, j.f.read(j.cl, REC))) return false;
    at += REC;
  }
  if (j.cg >= 0) {
    if (!put(j, at, j.f.read(j.cg, j.cn * REC))) return false;
    at += j.cn * REC;
  }
  if (!put(j, base, jHeader(j.ps + 1))) return false;
  j.pg = p;
  j.ps++;
  j.slot = (at - base) / REC;
  if (j.cl >= 0) j.cl = base + 2 * REC;
  if (j.cg >= 0) j.cg = at - j.cn * REC;
  return true;
}

/**
 * Appends records (`recs`: whole 16-byte records, at most a page's worth) to the active page,
 * moving to the next page first when they do not fit. Returns the byte offset of the first, or -1
 * when they did not reach the flash: a write that left its slots blank is tried there again, one
 * that left them torn is stepped over.
 */
export function jAppend(j: Journal, recs: string): number {
  const k = recs.length / REC;
  if (j.slot + k > SLOTS && !jTurn(j)) return -1;
  const at = j.pg * JPAGE + j.slot * REC;
  if (put(j, at, recs)) { j.slot += k; return at; }
  const got = j.f.read(at, recs.length);
  for (let i = 0; i < got.length; i += REC) if (!jBlank(got, i)) { j.slot += k; break; }
  return -1;
}

/** True when the newest record written is a clock record (the journal has been idle since). */
export function jIdle(j: Journal): boolean {
  return j.cl === j.pg * JPAGE + (j.slot - 1) * REC;
}

/**
 * Calls `visit(page, offset)` for every record written (valid or torn: the visitor checks what it
 * reads) of every committed page, oldest page first, in the order written, until it returns true.
 * `from` > 0: an older page is skipped when its last slot holds a log entry below it (entries are
 * appended in sequence order, so every entry on it is older): READ_LOG asking for the newest
 * entries of a full journal reads one page, not all of them (a page ending on a clock or settings
 * record, or on a blank slot, is read as before).
 */
export function jEach(j: Journal, visit: (d: string, at: number) => boolean | void, from?: number): void {
  // A flag, not `return` in the loop: minified, that ends the function in a bare `return`, which
  // Espruino cannot run (the dialect guard's rule return-at-end).
  let i, p, d, at, done = false;
  for (i = 1; i <= j.n && !done; i++) {
    p = (j.pg + i) % j.n;
    if (!pageSeq(j.f, p)) continue;
    // An older page whose last slot holds a log entry below `from`: every entry on it is older.
    if (from && i < j.n && (d = j.f.read(p * JPAGE + JPAGE - REC, REC), (u8(d, 8) & 127) < K_CFG && jValid(d, 0) && u32(d, 0) < from)) continue;
    d = j.f.read(p * JPAGE, JPAGE);
    for (at = 2 * REC; at < JPAGE && !done && !jBlank(d, at); at += REC) done = !!visit(d, at);
  }
}
