/**
 * READ_LOG's read in the journal (firmware/auditlog.ts logReadJ over firmware/journal.ts jEach with
 * `from`): an older page whose last slot holds a log entry below `from` is skipped without reading
 * it. For every `from` on journals of 2 and 8 pages that have wrapped, with clock records, settings
 * groups, trusted and failure entries interleaved, and a page ending on a clock record: the entries
 * returned are exactly the first 8 at or above `from` that a plain scan of every page gives; and
 * asking for the newest 8 reads one page whole, not all of them.
 */
import { strict as assert } from 'node:assert';
import { JPAGE, K_CLK, SLOTS, jAppend, jOpen, jRec } from '../../firmware/journal';
import { type LogEntry, logOpenJ, logReadJ } from '../../firmware/auditlog';
import { configRecords, sanitizeConfig } from '../../firmware/config';
import { hostCrypto } from '../../tools/host/crypto';
import type { JournalFlash } from '../../firmware/ports';

/** A journal of `pages` pages in memory, counting whole-page reads. */
function memJournal(pages: number) {
  const mem = new Uint8Array(pages * JPAGE).fill(255);
  const reads = { pages: 0 };
  const port: JournalFlash = {
    size: mem.length,
    read: (o, l) => { if (l === JPAGE) reads.pages++; let s = ''; for (let i = o; i < o + l; i++) s += String.fromCharCode(mem[i]); return s; },
    write: (o, d) => { for (let i = 0; i < d.length; i++) mem[o + i] &= d.charCodeAt(i); },
    erase: (o) => { mem.fill(255, o, o + JPAGE); },
  };
  return { port, reads };
}

describe('journal: READ_LOG from a sequence number skips older pages, and returns the same entries', () => {
  for (const pages of [2, 8]) {
    it(`${pages} pages, wrapped, every from`, () => {
      const { port, reads } = memJournal(pages);
      const j = jOpen(port, hostCrypto.crc32);
      let seq = 0;
      const n = pages * SLOTS + 100;
      for (let k = 0; k < n; k++) {
        if (k % 37 === 0) jAppend(j, jRec(0, 1800000000 + k, K_CLK, 0, 0, 0));
        if (k % 211 === 0) jAppend(j, configRecords(sanitizeConfig({ holdMs: 3000 + k }), k + 1));
        // A page ending on a clock record: the one before the page change.
        if (j.slot === SLOTS - 1 && j.ps === 2) jAppend(j, jRec(0, 1800000000 + k, K_CLK, 0, 0, 0));
        seq++;
        assert.ok(jAppend(j, jRec(seq, 1000 + seq, (k % 3 ? 21 : 20) | (k % 2 ? 128 : 0), k & 3, 0, seq)) >= 0);
      }
      const log = logOpenJ(undefined as never, j);
      // The plain scan: every page, from 0.
      const all: LogEntry[] = [];
      logReadJ(log, 0, 1e6, (e) => all.push(e));
      assert.ok(all.length > (pages - 1) * (SLOTS - 20), 'a full journal: ' + all.length);
      const first = all[0].seq;
      for (let from = 1; from <= seq + 1; from++) {
        const got: LogEntry[] = [];
        logReadJ(log, from, 8, (e) => got.push(e));
        assert.deepEqual(got, all.filter((e) => e.seq >= from).slice(0, 8), `from ${from} (oldest kept ${first})`);
      }
      reads.pages = 0;
      const got: number[] = [];
      logReadJ(log, seq - 7, 8, (e) => got.push(e.seq));
      assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7].map((k) => seq - 7 + k));
      assert.ok(reads.pages <= 2, `the newest 8 read ${reads.pages} whole pages of ${pages}`);
    });
  }
});
