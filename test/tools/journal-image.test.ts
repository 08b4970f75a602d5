/**
 * The move from the earlier tiled layout into the journal (tools/host/journal-image.ts
 * journalFromTiles, used by tools/host/relayout.ts on such a board): the log segments, clock and
 * settings generations the earlier firmware wrote (firmware/auditlog.ts and genfile.ts, their
 * segment and generation paths) become a journal that the firmware's own journal reader reads back
 * with every entry in order, the clock and the settings; and the journal's Storage header bytes.
 */
import { strict as assert } from 'node:assert';
import { memoryFlash } from '../../tools/host/flash';
import { hostCrypto } from '../../tools/host/crypto';
import { type LogEntry, logAppend, logOpen, logOpenJ, logReadJ } from '../../firmware/auditlog';
import { configOfJournal, saveConfig, sanitizeConfig } from '../../firmware/config';
import { genWriteSmall } from '../../firmware/genfile';
import { str32, u32 } from '../../firmware/binstr';
import { JPAGE, REC, jOpen } from '../../firmware/journal';
import { journalFromTiles, journalHeader } from '../../tools/host/journal-image';

/** The earlier firmware's tiles: `n` log entries in segments of 30, a clock and settings generation. */
function oldTiles(n: number) {
  const f = memoryFlash(1 << 20);
  const log = logOpen(f, hostCrypto, 3, 30, true);
  for (let i = 0; i < n; i++) assert.ok(logAppend(log, 1000 + i, i % 2 === 0, i % 3 ? 21 : 20, 1, 0, i));
  genWriteSmall(f, hostCrypto, 'ck.clk.', undefined, str32(1800000123));
  saveConfig(f, hostCrypto, undefined, sanitizeConfig({ holdMs: 4500, tzOffsetMin: -300, buttonEnrol: true }));
  return { files: f.list('ck.').map((name) => ({ name, data: f.read(name)! })), f, log };
}

function readJournal(payload: string) {
  const j = jOpen({ size: payload.length, read: (o, l) => payload.substr(o, l), write: () => undefined, erase: () => undefined }, hostCrypto.crc32);
  const entries: LogEntry[] = [];
  logReadJ(logOpenJ(undefined as never, j), 0, 1e6, (e) => entries.push(e));
  return { j, entries };
}

describe('tools: the earlier tiled layout\'s log, clock and settings moved into a journal', () => {
  it('every entry the earlier reader reads, in order, and the clock and settings, on the newest page', () => {
    for (const pages of [2, 8]) {
      const { files } = oldTiles(50);
      const payload = journalFromTiles(files, pages, 3, 30);
      assert.equal(payload.length, pages * JPAGE);
      const { j, entries } = readJournal(payload);
      // The earlier main ring keeps its newest two segments (30 to 60 entries): exactly those come over.
      const seqs = entries.map((e) => e.seq);
      assert.ok(seqs.length >= 30 && seqs.length <= 60, String(seqs.length));
      assert.deepEqual(seqs, seqs.slice().sort((a, b) => a - b));
      assert.equal(seqs[seqs.length - 1], 50);
      const last = entries[entries.length - 1];
      assert.deepEqual([last.time, last.trusted, last.event, last.keyId], [1049, false, 21, 49]);
      assert.equal(u32(j.f.read(j.cl, REC), 4), 1800000123, 'the clock');
      const cfg = configOfJournal(j);
      assert.deepEqual([cfg.holdMs, cfg.tzOffsetMin, cfg.buttonEnrol], [4500, -300, true], 'the settings');
      assert.ok(j.cl >= j.pg * JPAGE && j.cg >= j.pg * JPAGE, 'on the newest page');
    }
  });

  it('a re-run after a cut: the kept tiles and the board\'s merged; entries the earlier firmware wrote since come after, numbered on', () => {
    const { files: kept, f, log } = oldTiles(50);
    // Since the kept copy: the ring rotated (its oldest segment dropped) and 20 more entries.
    for (let i = 50; i < 70; i++) assert.ok(logAppend(log, 1000 + i, true, 21, 1, 0, i));
    const rotated = f.list('ck.').map((name) => ({ name, data: f.read(name)! }));
    let seqs = readJournal(journalFromTiles(rotated, 2, 3, 30, kept)).entries.map((e) => e.seq);
    assert.ok(seqs[0] <= 21 && seqs[seqs.length - 1] === 70, 'the kept entries the ring dropped are back: ' + seqs[0]);
    assert.deepEqual(seqs, seqs.slice().sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);
    // Its tiles erased by the cut update, the earlier firmware started a log of its own from 1.
    const fresh = memoryFlash(1 << 20);
    const own = logOpen(fresh, hostCrypto, 3, 30, true);
    for (let i = 0; i < 3; i++) assert.ok(logAppend(own, 5, false, 1, 0, 0, 0));
    const { entries } = readJournal(journalFromTiles(fresh.list('ck.').map((name) => ({ name, data: fresh.read(name)! })), 2, 3, 30, kept));
    seqs = entries.map((e) => e.seq);
    assert.deepEqual(seqs.slice(-4), [50, 51, 52, 53], 'after the kept 50, numbered on');
    assert.deepEqual(entries.slice(-3).map((e) => [e.time, e.event]), [[5, 1], [5, 1], [5, 1]]);
  });

  it('a board with no tiles gets a fresh journal; the header bytes are the size and the name', () => {
    const { j, entries } = readJournal(journalFromTiles([], 2, 3, 30));
    assert.equal(entries.length, 0);
    assert.equal(j.ps, 1);
    assert.equal(j.cl, -1);
    assert.equal(j.cg, -1);
    const h = journalHeader(8192);
    assert.equal(h.length, 32);
    assert.deepEqual([...h.slice(0, 4)].map((c) => c.charCodeAt(0)), [0, 32, 0, 0]);
    assert.equal(h.slice(4, 12), 'ck.jrnl\0');
  });
});
