/**
 * A board's journal (firmware/journal.ts) made on the host: the bytes of its Storage header, which a
 * firmware update programs back where it was (tools/host/relayout.ts), and a whole journal built
 * from what a board in the earlier tiled layout kept in tiles (its log segments, clock and settings
 * generations), which the update writes in their place: the migration into the journal layout.
 * Browser-safe.
 */
import { type LogEntry, logOpen, logRead } from '../../firmware/auditlog';
import { configRecords, loadConfig } from '../../firmware/config';
import { genData, genLoad } from '../../firmware/genfile';
import { JOURNAL_FILE, JPAGE, K_CLK, REC, SLOTS, jHeader, jRec } from '../../firmware/journal';
import { u32 } from '../../firmware/binstr';
import type { Crypto } from '../../firmware/ports';
import { crc32 } from './bytes';
import { memoryFlash } from './flash';

/** What reading generation files and journals needs of a Crypto port: a CRC (browser-safe, no SHA-256). */
export const CRC_ONLY: Crypto = { crc32, sha256: () => { throw new Error('reading a journal or a generation file needs no SHA-256'); } };

/** The journal's 32-byte Storage header for `bytes` of payload: size (little-endian, flags 0), then its name. */
export function journalHeader(bytes: number): string {
  return String.fromCharCode(bytes & 255, (bytes >> 8) & 255, (bytes >> 16) & 255, 0) + (JOURNAL_FILE + '\0'.repeat(28)).slice(0, 28);
}

/** Names of the earlier layout's tiles that the journal replaces. */
export const OLD_TILE = /^ck\.(log|clk|cfg)\./;

/** What the earlier layout's tiles `files` hold: log entries in sequence order, the saved clock, the settings group. */
function fromTiles(files: { name: string; data: string }[], segs: number, per: number) {
  const src = memoryFlash(1 << 21);
  for (const f of files) if (OLD_TILE.test(f.name)) src.write(f.name, f.data, 0, f.data.length);
  const entries: LogEntry[] = [];
  logRead(logOpen(src, CRC_ONLY, segs, per, true), 0, 1e6, (e: LogEntry) => { entries.push(e); });
  entries.sort((a, b) => a.seq - b.seq);
  const gen = genLoad(src, CRC_ONLY, 'ck.clk.');
  const clock = gen ? genData(src, gen) : '';
  return { entries, clock: clock.length >= 4 ? u32(clock, 0) : -1, settings: genLoad(src, CRC_ONLY, 'ck.cfg.') ? configRecords(loadConfig(src, CRC_ONLY).config, 1) : '' };
}

const same = (a: LogEntry, b: LogEntry) => a.seq === b.seq && a.time === b.time && a.event === b.event && !!a.trusted === !!b.trusted && a.result === b.result && a.reason === b.reason && a.keyId === b.keyId;

/**
 * The payload of a journal of `pages` pages holding what the tiles `files` (name -> bytes) held: every
 * log entry in sequence order, then the saved clock and the settings (on the newest page, where the
 * firmware looks for them). Pages from 0, 0xFF where nothing is written. Entries that do not fit are
 * the oldest, left out. `kept`: the same tiles as an earlier, interrupted run read them (the tool's
 * state file). The earlier firmware may have run since (a power-on between the cut and the re-run):
 * rotated its ring and dropped its oldest segment, or, its tiles erased by the cut update, started
 * a log of its own from sequence number 1. So the journal gets every kept entry, then every entry
 * of `files` that is not one of them, in its order, numbered on from the kept ones (all were
 * written after the kept copy was read); the later clock; the settings of `files` when it has them.
 */
export function journalFromTiles(files: { name: string; data: string }[], pages: number, segs: number, per: number, kept: { name: string; data: string }[] = []): string {
  const now = fromTiles(files, segs, per), old = fromTiles(kept, segs, per);
  let next = old.entries.length ? old.entries[old.entries.length - 1].seq + 1 : 0;
  const log = old.entries.concat(now.entries.filter((e) => !old.entries.some((o) => same(o, e))).map((e) => (next ? { ...e, seq: next++ } : e)));
  const entries = log.map((e) => jRec(e.seq, e.time, (e.event & 127) | (e.trusted ? 128 : 0), e.result, e.reason, e.keyId));
  const clock = Math.max(now.clock, old.clock);
  let tail = clock >= 0 ? jRec(0, clock, K_CLK, 0, 0, 0) : '';
  tail += now.settings || old.settings;
  // The newest page ends with the clock and settings (where the firmware looks for them); entries
  // before them on it, the older ones on full pages before it.
  const perPage = SLOTS - 2, t = tail.length / REC;
  let rest = entries.slice(Math.max(0, entries.length - ((pages - 1) * perPage + perPage - t)));
  const last = rest.slice(Math.max(0, rest.length - (perPage - t)));
  rest = rest.slice(0, rest.length - last.length);
  const bodies: string[] = [last.join('') + tail];
  while (rest.length) { bodies.unshift(rest.slice(-perPage).join('')); rest = rest.slice(0, -perPage); }
  let out = '';
  for (let p = 0; p < pages; p++) {
    const body = p < bodies.length ? jHeader(p + 1) + bodies[p] : '';
    out += body + '\xff'.repeat(JPAGE - body.length);
  }
  return out;
}
