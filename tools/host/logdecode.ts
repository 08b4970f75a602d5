/**
 * The board's audit log read on the host, in two forms: the raw journal (`ck.jrnl`, the journal
 * layout) or the raw segments of both rings (`ck.log.N` the main ring, `ck.log.fN` the failure
 * ring: puckjs-nfc) as the bench page and tools print them over the console (READ_LOG_LINE,
 * base64), read back by the firmware's own reader (firmware/auditlog.ts logOpen
 * and logRead over those bytes: the same torn-entry and blank-slot rules as the board); and a READ
 * LOG answer off the air (docs/PROTOCOL.md op 7: the same 16-byte entries with 0 for the check
 * byte). Entries newest first for the dump; a burst of failures (LOG_FAILURES) also gets its count
 * and span. Runs in browsers and Node; no DOM.
 * Not here: talking to the board (sim/web/relay-bench-session.ts, tools/phonekey), words (names.ts).
 */
import { type LogEntry, ENTRY_SIZE, logOpen, logOpenJ, logRead, logReadJ } from '../../firmware/auditlog';
import { jOpen } from '../../firmware/journal';
import { crc32 } from './bytes';
import type { Crypto, FlashStorage } from '../../firmware/ports';
import { LOG_FAILURES } from '../../firmware/codes';

/** An entry as decoded here: a burst of failures also has its count and span (seconds, first to last). */
export type DecodedEntry = LogEntry & { count?: number; span?: number };

/** The console line that prints every log segment as `name:base64` separated by spaces. */
export const READ_LOG_LINE = "var S=require('Storage');print(S.list(/^ck\\.(log\\.|jrnl)/).map(function(n){return n+':'+btoa(S.read(n))}).join(' '))";

const u8 = (b: Uint8Array, at: number) => b[at];
const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);

/** A burst of failures carries count u16 | span u16 in place of the key id. */
function withBurst(e: LogEntry): DecodedEntry {
  return e.event === LOG_FAILURES ? { ...e, count: e.keyId >>> 16, span: e.keyId & 0xffff } : e;
}

/** Entries of a READ LOG answer (docs/PROTOCOL.md op 7): the same 16 bytes, with 0 for the check byte. */
export function decodeLogAnswer(data: Uint8Array): DecodedEntry[] {
  const out: DecodedEntry[] = [];
  for (let at = 0; at + ENTRY_SIZE <= data.length; at += ENTRY_SIZE) {
    const ev = u8(data, at + 8);
    out.push(withBurst({ seq: u32(data, at), time: u32(data, at + 4), trusted: (ev & 128) !== 0, event: ev & 127, result: u8(data, at + 9), reason: u8(data, at + 10), keyId: u32(data, at + 12) }));
  }
  return out;
}

/** The log's files (name -> bytes, latin1) as a read-only FlashStorage for the firmware's reader. */
function readOnlyFlash(files: Record<string, string>): FlashStorage {
  return {
    read: (name, offset = 0, length) => (name in files ? files[name].substr(offset, length === undefined ? undefined : length) : undefined),
    write: () => false,
    erase: () => undefined,
    list: (prefix) => Object.keys(files).filter((n) => n.indexOf(prefix) === 0),
    free: () => 0,
    compact: () => false,
  };
}

/** logOpen does not use its crypto port; reading never hashes. */
const NO_CRYPTO: Crypto = {
  sha256: () => { throw new Error('the log reader needs no SHA-256'); },
  crc32: () => { throw new Error('the log reader needs no CRC'); },
};

/**
 * Entries of the log's segment files, newest first, read by the firmware's own reader. The ring
 * sizes come from the files: as many main segments as the highest `ck.log.N` says (one that was
 * never created reads as empty), entries per segment from a segment's pre-sized length.
 */
export function readLogFiles(files: Record<string, string>): DecodedEntry[] {
  let mainSegs = 0, per = 0, failPer = 0;
  for (const name of Object.keys(files)) {
    const m = /^ck\.log\.(f?)(\d+)$/.exec(name);
    if (!m) continue;
    const entries = Math.floor(files[name].length / ENTRY_SIZE);
    if (m[1]) failPer = Math.max(failPer, entries);
    else { mainSegs = Math.max(mainSegs, Number(m[2]) + 1); per = Math.max(per, entries); }
  }
  if (!per) per = failPer * 2;
  if (!per) return [];
  // logOpen gives the main ring all segments but one (at least 2) and the failure ring two halves,
  // or two whole segments in the tiled layout (firmware/auditlog.ts).
  const log = logOpen(readOnlyFlash(files), NO_CRYPTO, Math.max(mainSegs, 2) + 1, per, failPer === per);
  const out: DecodedEntry[] = [];
  logRead(log, 0, Infinity, (e) => out.push(withBurst(e)));
  return out.reverse();
}

/** Entries of a journal's payload (firmware/journal.ts, the journal layout), newest first, read by the firmware's own reader without writing. */
export function readJournal(payload: string): DecodedEntry[] {
  const port = { size: payload.length, read: (o: number, l: number) => payload.substr(o, l), write: () => undefined, erase: () => undefined };
  const out: DecodedEntry[] = [];
  logReadJ(logOpenJ(readOnlyFlash({}), jOpen(port, crc32)), 0, Infinity, (e) => out.push(withBurst(e)));
  return out.reverse();
}

/** What READ_LOG_LINE printed, as entries newest first: the journal's (journal layout) or the log segments'. */
export function decodeLogDump(printed: string): DecodedEntry[] {
  const files: Record<string, string> = {};
  for (const part of printed.trim().split(/\s+/)) {
    const i = part.indexOf(':');
    if (i < 0 || !/^ck\.(log\.f?\d+|jrnl)$/.test(part.slice(0, i))) continue;
    files[part.slice(0, i)] = atob(part.slice(i + 1));
  }
  return files['ck.jrnl'] !== undefined ? readJournal(files['ck.jrnl']) : readLogFiles(files);
}
