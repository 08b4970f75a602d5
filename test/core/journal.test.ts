/**
 * firmware/journal.ts on the simulator's page-level flash model (sim/engine/storage.ts), through
 * the same port the board's require("Flash") gives (sim/provision.ts journalPort): a 40 KB
 * Storage with the journal's two payload pages at its end, as the journal layout puts them.
 * Power cuts at every flash step of appends and of page changes, keeping none, part or all of the
 * step (a partly erased page, a torn record): every committed record stays readable, the newest
 * clock and settings are the old or the new, and Espruino's boot check never erases Storage.
 */
import { strict as assert } from 'node:assert';
import * as st from '../../sim/engine/storage';
import { flashPort, journalPort } from '../../sim/provision';
import { journalMake } from '../../firmware/flashroom';
import { JOURNAL_FILE, JPAGE, K_CFG, K_CLK, REC, SLOTS, jAppend, jEach, jIdle, jOpen, jRec, jValid } from '../../firmware/journal';
import { u32, u8 } from '../../firmware/binstr';
import { hostCrypto } from '../../tools/host/crypto';

const crc = hostCrypto.crc32;
const hooks: st.FlashHooks = { error: (m) => new Error(m), powerCut: () => new Error('power cut') };

/** A 40 KB Storage: `used` bytes of files, then the pad and a journal of `pages` pages at the end. */
function board(pages = 2): st.Flash {
  const f = st.createFlash(40960);
  // A file ending 100 bytes before the journal's header: the pad takes those.
  st.write(f, hooks, 'ck.big', 'x', 0, 40960 - pages * JPAGE - 64 - 100);
  assert.ok(journalMake(flashPort(f), pages));
  const j = st.find(f, JOURNAL_FILE)!;
  assert.equal(j.addr % JPAGE, 0);
  assert.equal(j.addr + j.data.length, 40960);
  return f;
}

/** Every audit entry (kind below K_CFG) readable now, seq numbers in order. */
function entries(f: st.Flash): number[] {
  const j = jOpen(journalPort(f)!, crc);
  const out: number[] = [];
  jEach(j, (d, at) => { if (jValid(d, at) && u8(d, at + 8) < K_CFG) out.push(u32(d, at)); });
  return out;
}

/** The newest clock and settings: [clock seconds, settings group id] or -1. */
function live(f: st.Flash): [number, number] {
  const j = jOpen(journalPort(f)!, crc);
  const cl = j.cl < 0 ? -1 : u32(j.f.read(j.cl, REC), 4);
  const cg = j.cg < 0 ? -1 : u32(j.f.read(j.cg, REC), 0);
  return [cl, cg];
}

type Written = { committed: number[]; clock: number; cfg: number };

/**
 * Runs `steps` of writing (seq numbers from 1 up, a clock every 7th, a settings group of 3 every
 * 50th), recording in `w` as it goes what was reported written, so a power cut thrown midway leaves
 * `w` as it stood.
 */
function workload(f: st.Flash, upTo: number, w: Written = { committed: [], clock: -1, cfg: -1 }): Written {
  const j = jOpen(journalPort(f)!, crc);
  for (let seq = 1; seq <= upTo; seq++) {
    if (seq % 7 === 0) { const at = jAppend(j, jRec(0, 1700000000 + seq, K_CLK, 0, 0, 0)); if (at >= 0) { j.cl = at; w.clock = 1700000000 + seq; } }
    if (seq % 50 === 0) {
      const g = 9000 + seq;
      const at = jAppend(j, jRec(g, 1, K_CFG, 0, 3, 0) + jRec(g, 2, K_CFG, 1, 3, 0) + jRec(g, 3, K_CFG, 2, 3, 0));
      if (at >= 0) { j.cg = at; j.cn = 3; w.cfg = g; }
    }
    if (jAppend(j, jRec(seq, 0, 21, 0, 0, 0)) >= 0) w.committed.push(seq);
  }
  return w;
}

describe('journal: the log, clock and settings on pages Storage never moves (firmware/journal.ts)', () => {
  it('starts on page 0 and turns pages in order, keeping between one and two pages of entries', () => {
    const f = board();
    const w = workload(f, 700);
    assert.equal(w.committed.length, 700);
    const got = entries(f);
    // Two pages of 254 records, less the copies and the clock and settings records.
    assert.ok(got.length > 254 && got.length < 2 * 254, String(got.length));
    assert.deepEqual(got, w.committed.slice(w.committed.length - got.length));
    assert.deepEqual(live(f), [w.clock, w.cfg]);
    assert.ok(st.storageValid(f));
  });

  it('an idle journal: the newest record is a clock record', () => {
    const f = board();
    const j = jOpen(journalPort(f)!, crc);
    jAppend(j, jRec(1, 0, 21, 0, 0, 0));
    assert.equal(jIdle(j), false);
    j.cl = jAppend(j, jRec(0, 1700000000, K_CLK, 0, 0, 0));
    assert.equal(jIdle(j), true);
  });

  it('a write or erase that silently fails (a link up) is read back: nothing is counted as written', () => {
    const f = board();
    const j = jOpen(journalPort(f)!, crc);
    f.failWhileConnected = true;
    f.linkUp = () => true;
    assert.equal(jAppend(j, jRec(1, 0, 21, 0, 0, 0)), -1);
    f.linkUp = () => false;
    assert.ok(jAppend(j, jRec(1, 0, 21, 0, 0, 0)) >= 0);
    // Fill the page, then fail the page change while "linked": the active page stays.
    for (let s = 2; j.slot < SLOTS; s++) jAppend(j, jRec(s, 0, 21, 0, 0, 0));
    const before = entries(f);
    f.linkUp = () => true;
    assert.equal(jAppend(j, jRec(999, 0, 21, 0, 0, 0)), -1);
    assert.deepEqual(entries(f), before);
    f.linkUp = () => false;
    assert.ok(jAppend(j, jRec(999, 0, 21, 0, 0, 0)) >= 0);
    assert.deepEqual(entries(f), [...before, 999]);
  });

  for (const pages of [2, 3]) {
    it(`${pages} pages: a power cut at every flash step of 600 appends, keeping none, half or all of it`, function () {
      this.timeout(120000);
      // The reference run: how many flash steps the workload takes.
      const ref = board(pages);
      const w0 = ref.writes;
      workload(ref, 600);
      const steps = ref.writes - w0;
      let cuts = 0, torn = 0;
      for (let n = 1; n <= steps; n++) {
        for (const keep of [0, 0.5, 1]) {
          const f = board(pages);
          // Entries committed before the cut (reported written): every one must survive, unless
          // dropped by design with its page (older than the oldest page kept).
          const w: Written = { committed: [], clock: -1, cfg: -1 };
          st.cutPowerAtWrite(f, n, keep);
          try {
            workload(f, 600, w);
            assert.fail('no cut at step ' + n);
          } catch (e) {
            if (!/power cut/.test(String(e))) throw e;
          }
          const { committed, clock, cfg } = w;
          cuts++;
          assert.ok(st.storageValid(f), `step ${n} keep ${keep}: the boot check would erase Storage`);
          const got = entries(f);
          // Old or new: the entry being written when the cut fell may be there or not.
          const newest = committed.length ? committed[committed.length - 1] : 0;
          const extra = got.filter((s) => s > newest);
          assert.ok(extra.length <= 1, `step ${n} keep ${keep}: entries never reported written: ${extra}`);
          const kept = got.filter((s) => s <= newest);
          assert.deepEqual(kept, committed.slice(committed.length - kept.length), `step ${n} keep ${keep}: a committed entry lost or out of order`);
          // At least the pages not being erased: 254 slots each less the copies (4), at 1.21 records an entry.
          assert.ok(kept.length >= Math.min(committed.length, Math.floor(250 / 1.21) * (pages - 1)), `step ${n} keep ${keep}: only ${kept.length} of ${committed.length} kept`);
          const [cl, cg] = live(f);
          assert.ok(cl === clock || cl === clock + 7 || (clock < 0 && cl === 1700000007), `step ${n} keep ${keep}: clock ${cl}, was ${clock}`);
          assert.ok(cg === cfg || cg === cfg + 50 || (cfg < 0 && cg === 9050) || (cfg < 0 && cg === -1), `step ${n} keep ${keep}: settings ${cg}, was ${cfg}`);
          if (got.length !== kept.length) torn++;
          // And the journal goes on after the cut: the next append is readable.
          const j2 = jOpen(journalPort(f)!, crc);
          assert.ok(jAppend(j2, jRec(5000, 0, 21, 0, 0, 0)) >= 0);
          assert.deepEqual(entries(f).slice(-1), [5000]);
        }
      }
      assert.ok(cuts > 3 * 600);
      void torn;
    });
  }
});
