/**
 * Slot files (firmware/slotfile.ts) on the page-level flash model (sim/engine/storage.ts, which
 * follows src/jsflash.c): records added, replaced and removed in place without ever making trash,
 * lookups only at slot boundaries, and a power cut at every flash write of every operation,
 * keeping none, half or all of the write: the reopened file holds the records as they were just
 * before or just after the interrupted operation, never anything else, and Storage stays valid.
 */
import { strict as assert } from 'node:assert';
import * as st from '../../sim/engine/storage';
import { ModelCut, modelHooks, modelPort } from '../support/model-port';
import { type SlotFile, slotAppend, slotData, slotFind, slotKill, slotLive, slotMark, slotMarked, slotNext, slotOpen, slotRecord, slotReplace, slotShape } from '../../firmware/slotfile';

const Cut = ModelCut;
const hooks = modelHooks;

const REC = 12;
const rec = (id: number, v: number) => String.fromCharCode(0, 0, id >> 8, id & 255) + String.fromCharCode(v & 255).repeat(REC - 4);
const key = (id: number) => rec(id, 0).substr(0, 4);

/** The live records as id=value+marks, sorted. */
function contents(sf: SlotFile): string {
  const out: string[] = [];
  const s = slotData(sf);
  for (let i = slotNext(sf, 0); i >= 0; i = slotNext(sf, i + 1)) {
    const r = slotRecord(sf, i);
    let m = '';
    for (let k = 0; k < sf.marks; k++) if (slotMarked(sf, s, i, k)) m += 'm' + k;
    out.push(((r.charCodeAt(2) << 8) | r.charCodeAt(3)) + '=' + r.charCodeAt(4) + m);
  }
  return out.sort().join(',');
}

type Op = ['add', number, number] | ['set', number, number] | ['del', number] | ['mark', number, number];
function apply(sf: SlotFile, op: Op): void {
  if (op[0] === 'add') assert.ok(slotAppend(sf, rec(op[1], op[2])) >= 0);
  else if (op[0] === 'set') assert.ok(slotReplace(sf, slotFind(sf, key(op[1])), rec(op[1], op[2])) >= 0);
  else if (op[0] === 'mark') assert.ok(slotMark(sf, slotFind(sf, key(op[1])), op[2]));
  else assert.ok(slotKill(sf, slotFind(sf, key(op[1]))));
}

const OPS: Op[] = [['add', 1, 10], ['add', 2, 20], ['mark', 2, 1], ['add', 3, 30], ['set', 2, 21], ['del', 1], ['set', 3, 31], ['add', 4, 40],
  ['mark', 4, 0], ['set', 4, 41], ['del', 4], ['set', 2, 22], ['mark', 3, 0], ['mark', 3, 1]];

function fresh(): { f: st.Flash; sf: SlotFile } {
  const f = st.createFlash(40960);
  st.write(f, hooks, 'before', 'b'.repeat(100));
  const sf = slotOpen(modelPort(f), 'slots', REC, 16, 4, 0, 2)!;
  st.write(f, hooks, 'after', 'a'.repeat(100));
  return { f, sf };
}

describe('slot files: records changed in place, no trash (firmware/slotfile.ts)', () => {
  it('adds, replaces and removes without erasing a file: Storage never holds trash', () => {
    const { f, sf } = fresh();
    for (const op of OPS) { apply(sf, op); assert.equal(st.stats(f).trashBytes, 0, op.join(' ')); }
    assert.equal(contents(sf), '2=22,3=31m0m1');
    assert.equal(sf.live, 2);
    assert.deepEqual(slotShape(slotData(sf)), { rec: REC, cap: 16, marks: 2 });
    const again = slotOpen(modelPort(f), 'slots', REC, 16, 4, 0, 2)!;
    assert.equal(contents(again), '2=22,3=31m0m1');
    assert.equal(again.used, sf.used);
    assert.equal(again.live, 2);
    assert.equal(st.read(f, 'after'), 'a'.repeat(100), 'files after it untouched');
  });

  it('finds a record only at a slot boundary: the same bytes inside another record do not match', () => {
    const { sf } = fresh();
    // Record 7's value bytes spell record 0x0707's key at offsets 4.. of its slot.
    slotAppend(sf, String.fromCharCode(0, 0, 0, 7) + String.fromCharCode(0, 0, 7, 7).repeat(2));
    assert.equal(slotFind(sf, String.fromCharCode(0, 0, 7, 7)), -1);
    assert.equal(slotFind(sf, key(7)), 0);
    slotAppend(sf, rec(0x0707, 1));
    assert.equal(slotFind(sf, String.fromCharCode(0, 0, 7, 7)), 1);
  });

  it('a lookup recomputes check bytes only while a torn slot exists: one torn at open or by an append is never found', () => {
    const { f, sf } = fresh();
    slotAppend(sf, rec(1, 10));
    slotAppend(sf, rec(2, 20));
    assert.equal(sf.torn, 0, 'nothing torn: lookups trust the kill byte of a slot verified whole');
    // A write that leaves a wrong check byte (as a cut in its last word can): the append fails, the slot is torn.
    const port = modelPort(f);
    const tearing = { ...port, write: (n: string, d: string, o?: number, z?: number) => port.write(n, d.substr(0, d.length - 1) + '\x01', o, z) };
    const torn = { ...sf, storage: tearing };
    assert.equal(slotAppend(torn, rec(3, 30)), -1);
    assert.equal(torn.torn, 1);
    assert.equal(torn.used, 3, 'the torn slot stays used, never reused');
    assert.equal(slotFind(torn, key(3)), -1, 'its record is not found');
    assert.equal(slotFind(torn, key(2)), 1);
    // Reopened: the torn slot is counted at open, and still never found.
    const again = slotOpen(modelPort(f), 'slots', REC, 16, 4, 0, 2)!;
    assert.equal(again.torn, 1);
    assert.equal(again.live, 2);
    assert.equal(slotFind(again, key(3)), -1);
    assert.equal(slotFind(again, key(1)), 0);
    const clean = fresh();
    slotAppend(clean.sf, rec(1, 10));
    assert.equal(slotOpen(modelPort(clean.f), 'slots', REC, 16, 4, 0, 2)!.torn, 0, 'a file with no torn slot opens with none');
  });

  it('is full when every slot was used, dead or not: then nothing is written', () => {
    const f = st.createFlash(40960);
    const sf = slotOpen(modelPort(f), 'slots', REC, 3, 4)!;
    assert.ok(slotAppend(sf, rec(1, 1)) >= 0);
    assert.ok(slotReplace(sf, 0, rec(1, 2)) >= 0);
    assert.ok(slotReplace(sf, 1, rec(1, 3)) >= 0);
    const w = f.writes;
    assert.equal(slotAppend(sf, rec(2, 1)), -1);
    assert.equal(slotReplace(sf, 2, rec(1, 4)), -1);
    assert.equal(f.writes, w);
    assert.equal(contents(sf), '1=3');
  });

  it('refuses a file of another shape, and a record of the wrong size', () => {
    const f = st.createFlash(40960);
    const sf = slotOpen(modelPort(f), 'slots', REC, 3, 4)!;
    assert.equal(slotAppend(sf, 'short'), -1);
    assert.equal(slotOpen(modelPort(f), 'slots', REC + 4, 3, 4), undefined);
  });

  it('a creation cut short (the header blank or in part) is made again; an existing file keeps its own slot count', () => {
    for (const keep of [0, 0.5]) {
      const f = st.createFlash(40960);
      st.cutPowerAtWrite(f, 1, keep);
      assert.throws(() => slotOpen(modelPort(f), 'slots', REC, 3, 4), Cut);
      assert.ok(st.find(f, 'slots'), 'the torn file is there');
      const sf = slotOpen(modelPort(f), 'slots', REC, 3, 4)!;
      assert.ok(sf, 'opened: made again (keep ' + keep + ')');
      assert.ok(slotAppend(sf, rec(1, 1)) >= 0);
      assert.equal(slotOpen(modelPort(f), 'slots', REC, 9, 4)!.cap, 3, 'the slots it was made with');
    }
  });

  it('a kill the flash drops (link up): the replace is reported failed, the session keeps the old record, a reboot settles on the later one as after a cut', () => {
    const { f, sf } = fresh();
    apply(sf, ['add', 1, 10]);
    let linkUp = false;
    f.failWhileConnected = true; f.linkUp = () => linkUp;
    // The append lands, then the link comes up and both kills are dropped.
    const port = sf.storage;
    sf.storage = { ...port, write: (n, d, o, s) => { const ok = port.write(n, d, o, s); linkUp = true; return ok; } };
    assert.equal(slotReplace(sf, 0, rec(1, 11)), -1);
    assert.equal(slotRecord(sf, slotFind(sf, key(1))), rec(1, 10), 'this session still finds the old record');
    linkUp = false;
    sf.storage = port;
    // Both slots are still live in flash: the next open keeps the later one, as a cut between the two would.
    assert.equal(contents(slotOpen(modelPort(f), 'slots', REC, 16, 4, 0, 2)!), '1=11');
  });

  it('a power cut at every flash write of every operation (keeping 0, half, all): the records as before or after it', () => {
    // States after each prefix of OPS, and the writes each op takes.
    const states: string[] = [];
    const writes: number[] = [];
    { const { f, sf } = fresh(); states.push(contents(sf)); for (const op of OPS) { const w = f.writes; apply(sf, op); writes.push(f.writes - w); states.push(contents(sf)); } }
    const total = writes.reduce((a, b) => a + b, 0);
    assert.equal(total, OPS.length + OPS.filter((o) => o[0] === 'set').length, 'adds, marks and removes take one write, replaces two');
    let cuts = 0;
    for (let n = 1; n <= total; n++) {
      for (const keep of [0, 0.5, 1]) {
        const { f, sf } = fresh();
        st.cutPowerAtWrite(f, n, keep);
        let done = 0;
        try { for (const op of OPS) { apply(sf, op); done++; } assert.fail('no cut at write ' + n); } catch (e) { if (!(e instanceof Cut)) throw e; }
        cuts++;
        const where = `cut at write ${n}/${total} keeping ${keep * 100}% during ${OPS[done].join(' ')}`;
        assert.equal(st.checkAtBoot(f, () => undefined), false, where + ': Storage valid');
        const back = slotOpen(modelPort(f), 'slots', REC, 16, 4, 0, 2)!;
        const got = contents(back);
        assert.ok(got === states[done] || got === states[done + 1], `${where}: ${got} is neither ${states[done]} nor ${states[done + 1]}`);
        assert.equal(st.stats(f).trashBytes, 0, where + ': no trash');
        // Exactly one live version per id, and it is the one the lookup finds.
        const s = slotData(back);
        for (let i = 0; i < back.used; i++) if (slotLive(back, s, i)) assert.equal(slotFind(back, slotRecord(back, i).substr(0, 4)), i, where);
        // And it carries on: the rest of the script from the state it found.
        const cont = got === states[done] ? OPS.slice(done) : OPS.slice(done + 1);
        for (const op of cont) apply(back, op);
        assert.equal(contents(back), states[OPS.length], where + ': carries on');
      }
    }
    assert.equal(cuts, total * 3);
  });
});

describe('slot file made over old bytes (a compaction cut short leaves them after the last file)', () => {
  it('a file just made that does not read blank is erased and made again after itself: no slot counts as used', () => {
    const f = st.createFlash(16384);
    const port = modelPort(f);
    st.write(f, hooks, 'ck.site.a', 'S'.repeat(60));
    const end = 16384 - st.stats(f).freeBytes;
    // What Espruino's _jsfCreateFile never checks: old bytes (a stale file header and data) after the last file.
    f.mem.set(Array.from('\x20\x00\x00\x00ck.log.1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0garbage-garbage-garbage', (c) => c.charCodeAt(0)), end + 100);
    const sf = slotOpen(port, 'ck.keys', REC, 20, 4)!;
    assert.ok(sf, 'opened');
    assert.equal(sf.used, 0, 'no slot used');
    assert.equal(sf.live, 0);
    assert.ok(slotAppend(sf, rec(1, 1)) >= 0, 'the first add finds a blank slot');
    assert.equal(contents(slotOpen(port, 'ck.keys', REC, 20, 4)!), '1=1');
    assert.ok(st.stats(f).trashCount >= 1, 'the file made over old bytes is trash now');
  });
});
