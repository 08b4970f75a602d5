/**
 * The board's audit log as the bench page reads it over the console: the raw segments of both
 * rings from Storage (base64: `ck.log.N` the main ring, `ck.log.fN` the failure ring), decoded
 * here into entries, newest first. The entry layout is the one firmware/auditlog.ts writes (16
 * bytes, big-endian): seq u32 | time u32 | event u8 (bit 7: trusted time) | result u8 | reason u8 |
 * check u8 | key id u32; a burst of failures (event 33) carries count u16 | span u16 in place of
 * the key id (`count` and `span` below). Blank (0xFF) slots end a segment; entries whose check
 * byte is wrong (torn by a power cut) are skipped, as the firmware does.
 * Runs in browsers and Node; no DOM. Not here: talking to the board (bench-session.ts).
 */
import type { LogEntry } from '../../firmware/auditlog';
import { LOG_FAILURES } from '../../firmware/codes';

/** An entry as decoded here: a burst of failures also has its count and span (seconds, first to last). */
export type DecodedEntry = LogEntry & { count?: number; span?: number };

const SIZE = 16;

/** The console line that prints every log segment as `name:base64` separated by spaces. */
export const READ_LOG_LINE = "var S=require('Storage');print(S.list(/^ck\\.log\\./).map(function(n){return n+':'+btoa(S.read(n))}).join(' '))";

const u8 = (s: string, at: number) => s.charCodeAt(at) & 255;
const u32 = (s: string, at: number) => ((u8(s, at) << 24) >>> 0) + ((u8(s, at + 1) << 16) | (u8(s, at + 2) << 8) | u8(s, at + 3));

function check(s: string, at: number): number {
  let c = 0x5a;
  for (let i = 0; i < SIZE; i++) if (i !== 11) c = (c + u8(s, at + i) * (i + 1)) & 255;
  return c;
}

/** The entry at `at`; a burst of failures also gets its count and span. */
function entryAt(s: string, at: number): DecodedEntry {
  const ev = u8(s, at + 8);
  const e: DecodedEntry = { seq: u32(s, at), time: u32(s, at + 4), trusted: (ev & 128) !== 0, event: ev & 127, result: u8(s, at + 9), reason: u8(s, at + 10), keyId: u32(s, at + 12) };
  if (e.event === LOG_FAILURES) { e.count = e.keyId >>> 16; e.span = e.keyId & 0xffff; }
  return e;
}

/** Entries of one segment's bytes (a latin1 string), in slot order. */
function decodeSegment(s: string): DecodedEntry[] {
  const out: DecodedEntry[] = [];
  for (let at = 0; at + SIZE <= s.length; at += SIZE) {
    let blank = true;
    for (let i = 0; i < SIZE && blank; i++) blank = u8(s, at + i) === 255;
    if (blank) break;
    if (u32(s, at) === 0xffffffff || u8(s, at + 11) !== check(s, at)) continue;
    out.push(entryAt(s, at));
  }
  return out;
}

/** Entries of a READ LOG answer (docs/PROTOCOL.md op 7): the same 16 bytes, with 0 for the check byte. */
export function decodeLogAnswer(data: Uint8Array): DecodedEntry[] {
  let s = '';
  for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i]);
  const out: DecodedEntry[] = [];
  for (let at = 0; at + SIZE <= s.length; at += SIZE) out.push(entryAt(s, at));
  return out;
}

/** What READ_LOG_LINE printed, as entries newest first. */
export function decodeLogDump(printed: string): DecodedEntry[] {
  const out: DecodedEntry[] = [];
  for (const part of printed.trim().split(/\s+/)) {
    const i = part.indexOf(':');
    if (i < 0 || !/^ck\.log\.f?\d+$/.test(part.slice(0, i))) continue;
    out.push(...decodeSegment(atob(part.slice(i + 1))));
  }
  return out.sort((a, b) => b.seq - a.seq);
}
