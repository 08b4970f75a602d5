/**
 * The journal layout of tools/host/layout.ts `tiledLayout`, on the page-level flash model
 * (sim/engine/storage.ts, which follows src/jsflash.c), for every board: the site, the key table as
 * a slot file (firmware/slotfile.ts), the bundle, a pad up to the journal's header, the journal
 * (log, clock, settings: firmware/journal.ts), then on the XIAO BLE the tiles protocol v2 makes.
 * puckjs-nfc: its bundle within the room the layout leaves it.
 * Full: every key slot used, the journal past a page; trash in the tiles. The 40 KB boards hold no
 * trash and never compact. On the XIAO BLE a power cut at every step of the compaction of its tiles
 * (every page erase and page write), keeping none, half or all of it, then a boot:
 * - Espruino's boot check finds the Storage valid (never the erase-everything path);
 * - the site, the key table, the bundle, the pad and the journal are byte for byte what they
 *   were, at the same addresses (the compaction starts after them and never touches them);
 * - each tile reads back whole, or as a prefix of itself with the rest erased (its copy was being
 *   written), or not at all (its page was erased and not yet rewritten): never foreign bytes.
 * A firmware update by the tool's own procedure (tools/host/relayout.ts), cut at every flash step:
 * the site, keys and journal stay, and running it again finishes it.
 * test/evidence/journal-cuts.test.ts cuts the journal's own steps through the firmware itself.
 */
import { nfcJournalFit } from '../../tools/benchmarks/storage-budget-nfc';
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { boardById } from '../../hal/boards/index';
import * as st from '../../sim/engine/storage';
import { ModelCut, modelHooks as hooks, modelPort } from '../support/model-port';
import { slotData, slotOpen } from '../../firmware/slotfile';
import { KEY_MARKS } from '../../tools/benchmarks/storage-budget';
import { relayout, type Saved } from '../../tools/host/relayout';
import { LAYOUT_FIXED as PERMANENT, bundleOf, layoutBoard as build } from '../support/layout-board';
import { modelLayoutTarget } from '../support/model-layout';

/**
 * A firmware update by the tool's own procedure (tools/host/relayout.ts, the one `npm run flash`
 * and the browser flasher run over the console), here over the flash model: it reads the log and
 * clock tiles, erases the pages from the last one down to the bundle's first with
 * require('Flash').erasePage, last page first (so at every moment the header chain ends on erased
 * bytes or runs through whole files: Storage.compact would erase them first page first, and a cut
 * between two of those erases leaves an erased page before the middle of the old bundle, which the
 * boot check answers by erasing everything), then writes the new bundle, the pad and the tiles.
 * `saved`: what an earlier, cut run read (a re-run finishes the job with it). Returns what it saved.
 */
async function update(f: st.Flash, board: string, newBundle: string, saved?: Saved): Promise<Saved> {
  let kept: Saved | undefined = saved;
  await relayout(modelLayoutTarget(f), { board: boardById(board)!, mode: 'update', bundle: newBundle, saved, onSaved: (s) => { kept = s; } });
  return kept!;
}

describe('evidence: the tiled layout survives a power cut at every step of a compaction, on every board', function () {
  this.timeout(600000);
  before(function () {
    if (!fs.existsSync(path.join(__dirname, '..', '..', 'dist', 'puckjs', 'firmware.js'))) this.skip();
  });

  it('puckjs-nfc: on the journal layout, its bundle within the page-aligned room the layout leaves it (measured, docs/ESPRUINO.md "Flash")', async () => {
    // Written when it moved (2026-12-05): before, its journal build was 4 100 B over and it kept the older layout.
    const cfg = boardById('puckjs-nfc')!;
    assert.equal(cfg.tile, 512, 'on the journal layout');
    assert.deepEqual([cfg.logSegments, cfg.logPerSegment], [2, 254], 'two journal pages');
    const r = await nfcJournalFit();
    assert.equal(r.shippedBytes, bundleOf('puckjs-nfc').length, 'the shipped build is what npm run build made');
    assert.equal(r.alignedBytes, 28572, 'a 40 KB board: the key file ends page 0, the bundle ends by page 7, the journal is pages 8 and 9 (no tile page)');
    assert.ok(r.spare >= 0, `the bundle fits (${-r.spare} B over)`);
    console.log(`      puckjs-nfc: ${r.shippedBytes} B, ${r.spare} B to spare of the ${r.alignedBytes} B the journal layout leaves a bundle`);
  });

  for (const board of ['puckjs', 'mdbt42q', 'xiaoble', 'puckjs-nfc']) {
    it(`${board}: no wipe; site, keys, bundle, journal unmoved and intact; tiles whole, a prefix, or hidden`, function () {
      const ref = build(board);
      const { plan } = ref;
      if (!plan.tilePages) {
        // Nothing made at run time, no trash: there is nothing to compact.
        assert.equal(st.stats(ref.f).trashBytes, 0);
        assert.equal(st.compact(ref.f, hooks), false);
        return;
      }
      const before = new Map<string, { addr: number; data: string }>();
      for (const n of st.list(ref.f)) before.set(n, { addr: st.find(ref.f, n)!.addr, data: st.read(ref.f, n)! });
      const w0 = ref.f.writes;
      assert.ok(st.compact(ref.f, hooks));
      const steps = ref.f.writes - w0;
      assert.equal(st.stats(ref.f).trashBytes, 0);
      for (const n of PERMANENT) assert.equal(st.find(ref.f, n)!.addr, before.get(n)!.addr, n + ' not moved');
      let worstHidden = 0, worstPartial = 0, worstEntries = 0, hiddenCuts = 0;
      for (let n = 1; n <= steps; n++) {
        for (const keep of [0, 0.5, 1]) {
          const where = `${board}: cut at compaction step ${n}/${steps} keeping ${keep * 100}%`;
          const f = st.createFlash(ref.cfg.storageBytes);
          f.mem.set(ref.mem);
          st.cutPowerAtWrite(f, n, keep);
          assert.throws(() => st.compact(f, hooks), ModelCut, where);
          assert.equal(st.checkAtBoot(f, () => undefined), false, where + ': Storage valid at boot');
          for (const name of PERMANENT) {
            const file = st.find(f, name);
            assert.ok(file, where + ': ' + name);
            assert.equal(file!.addr, before.get(name)!.addr, where + ': ' + name + ' unmoved');
            assert.ok(st.read(f, name) === before.get(name)!.data, where + ': ' + name + ' intact');
          }
          const keys = slotOpen(modelPort(f), 'ck.keys', 32, plan.keySlots, 4, 0, KEY_MARKS)!;
          assert.equal(slotData(keys), before.get('ck.keys')!.data, where + ': the key table opens unchanged');
          let hidden = 0, partial = 0, entries = 0;
          for (const [name, was] of before) {
            if (PERMANENT.includes(name)) continue;
            const got = st.read(f, name);
            if (got === undefined) { hidden++; entries += was.data.length; continue; }
            if (got === was.data) continue;
            let k = 0;
            while (k < got.length && got.charCodeAt(k) === was.data.charCodeAt(k)) k++;
            assert.ok(/^\xff*$/.test(got.slice(k)), `${where}: ${name} is a prefix of itself, the rest erased`);
            partial++;
            entries += was.data.length - k;
          }
          if (hidden) hiddenCuts++;
          worstHidden = Math.max(worstHidden, hidden); worstPartial = Math.max(worstPartial, partial); worstEntries = Math.max(worstEntries, entries);
          // The tiles that exist still start on tile boundaries: the layout holds for the next compaction.
          for (const file of st.files(f)) if (file.addr >= plan.tiledStart) assert.equal((file.addr - 32) % plan.tile, 0, where + ': ' + file.name + ' on a tile');
        }
      }
      const tiles = before.size - PERMANENT.length;
      console.log(`      ${board}: ${steps} steps x 3 cuts, no wipe, permanent files intact; worst: ${worstHidden} of ${tiles} tiles hidden (in ${hiddenCuts} cuts), ${worstPartial} cut short, ${worstEntries} bytes of them lost`);
      // What a cut can lose is in the tiled region only, and at most all of it.
      assert.ok(worstHidden <= tiles);
    });

    it(`${board}: a firmware update by the tool, cut at every flash step: the site, keys and journal stay; the tool redoes it`, async () => {
      const ref = build(board);
      const { plan } = ref;
      const keep = new Map(PERMANENT.slice(0, 2).map((n) => [n, { addr: st.find(ref.f, n)!.addr, data: st.read(ref.f, n)! }] as [string, { addr: number; data: string }]));
      const tilesBefore = new Map(st.list(ref.f).filter((n) => !PERMANENT.includes(n)).map((n) => [n, st.read(ref.f, n)!] as [string, string]));
      // A new bundle as long as the page-aligned room allows (a release may grow).
      const room = plan.padEnd - plan.permanentPages * plan.page - 36 - 32;
      const journal = st.read(ref.f, 'ck.jrnl');
      const newBundle = ref.bundle.replace(/^/, '/*v2*/').slice(0, room);
      const w0 = ref.f.writes;
      const saved = await update(ref.f, board, newBundle);
      const steps = ref.f.writes - w0;
      assert.equal(st.read(ref.f, '.bootcde'), newBundle);
      assert.deepEqual(saved.files.map((x) => x.name), [...tilesBefore.keys()]);
      for (const [n, d] of tilesBefore) assert.equal(st.read(ref.f, n), d, n + ' written back');
      assert.equal(st.stats(ref.f).trashCount, 0, 'the update leaves no trash');
      for (let n = 1; n <= steps; n++) {
        for (const k of [0, 0.5, 1]) {
          const where = `${board}: update cut at step ${n}/${steps} keeping ${k * 100}%`;
          const f = st.createFlash(ref.cfg.storageBytes);
          f.mem.set(ref.mem);
          st.cutPowerAtWrite(f, n, k);
          let got: Saved | undefined;
          await assert.rejects(relayout(modelLayoutTarget(f), { board: ref.cfg, mode: 'update', bundle: newBundle, onSaved: (x) => { got = x; } }), ModelCut, where);
          assert.equal(st.checkAtBoot(f, () => undefined), false, where + ': Storage valid at boot');
          for (const [name, was] of keep) {
            assert.equal(st.find(f, name)!.addr, was.addr, where + ': ' + name + ' unmoved');
            assert.ok(st.read(f, name) === was.data, where + ': ' + name + ' intact');
          }
          // The journal's pages are never erased by an update.
          assert.equal(st.latin1(f.mem.subarray(plan.journalStart, plan.journalStart + plan.journalPages * plan.page)), journal, where + ': the journal\'s pages untouched');
          // The tool kept what it read (the CLI in a file): it runs the update again and all is as planned.
          await update(f, board, newBundle, got);
          assert.equal(st.read(f, 'ck.jrnl'), journal, where + ': the journal as it was');
          assert.equal(st.find(f, 'ck.jrnl')!.addr, plan.journalStart, where + ': the journal where it was');
          assert.equal(st.checkAtBoot(f, () => undefined), false, where + ': valid after the retry');
          assert.equal(st.read(f, '.bootcde'), newBundle, where + ': the new bundle');
          for (const [nm, d] of tilesBefore) assert.equal(st.read(f, nm), d, where + ': ' + nm);
          for (const file of st.files(f)) if (file.addr >= plan.tiledStart) assert.equal((file.addr - 32) % plan.tile, 0, where + ': ' + file.name + ' on a tile');
        }
      }
      console.log(`      ${board}: update in ${steps} flash steps x 3 cuts: site and keys intact every time`);
      // The same erase done the Storage way (erase the files, Storage.compact: pages erased first
      // page first) leaves a Storage the boot check erases whole at some cuts.
      const viaCompact = (f: st.Flash) => {
        for (const n of st.list(f)) if (!PERMANENT.slice(0, 2).includes(n)) st.erase(f, n);
        st.compact(f, hooks);
      };
      let wiped = 0;
      for (let n = 1; ; n++) {
        const f = st.createFlash(ref.cfg.storageBytes);
        f.mem.set(ref.mem);
        st.cutPowerAtWrite(f, n, 1);
        try { viaCompact(f); break; } catch (e) { if (!(e instanceof ModelCut)) throw e; }
        if (st.checkAtBoot(f, () => undefined)) wiped++;
      }
      assert.ok(wiped > 0, 'Storage.compact first page first: some cut wipes');
    });
  }
});
