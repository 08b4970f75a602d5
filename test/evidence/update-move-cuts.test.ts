/**
 * A power cut at every flash step of moving a board from the earlier tiled layout into the journal
 * (`npm run flash -- --update`, tools/host/relayout.ts; docs/ESPRUINO.md "A firmware update"),
 * through the tool's own transport (the console, tools/host/console-layout.ts) on a simulated
 * board, then a power-on and the update run again as a user would (with what the first run kept).
 *
 * The boards (test/fixtures/earlier-tiled/*.json, made by make.ts there) are what the earlier
 * firmware itself left in its simulator: every key of the board's capacity, the owner's time and
 * settings, a refused stranger, and the log's ring rotated and full again; their `.bootcde` is the
 * earlier firmware, which is what boots at a power-on until the update has replaced it.
 * At every cut, keeping none, half or all of the step (a cut page erase leaves the page partly
 * erased), and at the power-on after it:
 * - Espruino's boot check never finds Storage corrupt (it would erase all of it);
 * - the site and the key file are byte for byte what they were, where they were;
 * - the relay is off, the site is never made again.
 * After the re-run, and the new firmware's boot:
 * - the new bundle is there, and every entry the earlier firmware's own reader read (the fixture)
 *   is in the journal with the same fields, in order; the settings and the saved clock kept;
 * - the owner unlocks at once, and that entry's sequence number follows the old ones.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { boardById } from '../../hal/boards/index';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import * as st from '../../sim/engine/storage';
import { simConsoleLink } from '../../sim/console-line';
import { consoleLayoutTarget, stopFirmware } from '../../tools/host/console-layout';
import { type Mode, type Saved, cutShort, liveRecords, relayout } from '../../tools/host/relayout';
import type { LogEntry } from '../../firmware/auditlog';
import type { PhoneKeyFile } from '../../tools/host/protocol';
import { assertMovedJournal } from '../support/moved-journal';
import { bundleOf } from '../support/layout-board';
import type { BoardConfig } from '../../hal/boards/types';

interface Fixture {
  board: string;
  files: string[];
  owner: { keyId: number; secret: string };
  log: LogEntry[];
  settings: { holdMs: number; tzOffsetMin: number };
  clock: number;
  flash: string;
}

function fixture(id: string): Fixture {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'earlier-tiled', id + '.json'), 'utf8')) as Fixture;
}




/** The update as `npm run flash -- --update` runs it over the console: the firmware stopped, then the layout procedure; what it kept before erasing goes to `keep`. */
async function update(cfg: BoardConfig, mode: Mode, b: SimBoard, bundle: string, saved: Saved | undefined, keep: (s: Saved) => void, progress?: () => void) {
  const link = simConsoleLink(b);
  await stopFirmware(link);
  return relayout(consoleLayoutTarget(link), { board: cfg, mode, bundle, saved, onSaved: keep, progress });
}

/**
 * The cut points: every flash step (EVERY_STEP=1), or every erase and raw program, the first two
 * and last two chunks of every file written and every `every`-th chunk between (a cut inside a
 * file's run of chunks leaves the same state as its neighbours': the file cut short there), at
 * most `most` of those, evenly spread (CUT_POINTS=N sets it).
 */
function cutPoints(ends: number[], every: number, most = 1e9): number[] {
  if (process.env.EVERY_STEP) return [...Array(ends[ends.length - 1]).keys()].map((i) => i + 1);
  const out = new Set<number>();
  let from = 0;
  for (const to of ends) {
    for (let n = from + 1; n <= to; n++) if (n <= from + 2 || n > to - 2 || (n - from) % every === 0) out.add(n);
    from = to;
  }
  const all = [...out].sort((a, b) => a - b);
  // At most `most` of them, evenly spread, the first and last kept (the XIAO BLE's move has ~940 steps at ~2 s a cut).
  if (all.length <= most) return all;
  return all.filter((_, i) => i === all.length - 1 || Math.floor((i * most) / all.length) !== Math.floor(((i - 1) * most) / all.length));
}

for (const id of ['puckjs', 'xiaoble', 'mdbt42q']) {
  describe(`evidence: a power cut at every flash step of moving a full ${id} from the earlier tiled layout into the journal, over the console`, function () {
    this.timeout(1800000);
    const cfg = boardById(id)!;
    const fx = fixture(id);
    const mem = new Uint8Array(gunzipSync(Buffer.from(fx.flash, 'base64')));
    const owner: PhoneKeyFile = { keyId: fx.owner.keyId, secret: new Uint8Array(Buffer.from(fx.owner.secret, 'hex')) };
    const bundle = bundleOf(id);
    const at = (f: st.Flash, n: string) => { const x = st.find(f, n); return x ? x.addr : -1; };
    function flashOf(m: Uint8Array): st.Flash {
      const f = st.createFlash(cfg.storageBytes);
      f.mem.set(m);
      return f;
    }
    const site = st.read(flashOf(mem), 'ck.site.a')!, keys = st.read(flashOf(mem), 'ck.keys')!;
    const siteAt = at(flashOf(mem), 'ck.site.a'), keysAt = at(flashOf(mem), 'ck.keys');
    const liveKeys = liveRecords(keys);
    /** 'update', or 'rebuild' where the update is refused (the first test shows the refusal). */
    let mode: Mode = 'update';
    before(async () => {
      try { await update(cfg, 'update', powerOn(flashOf(mem)), bundle, undefined, () => undefined); } catch { mode = 'rebuild'; }
    });

    /** A power-on: the board boots what its flash holds (.bootcde: the earlier firmware, the new one, or what a cut left). */
    const powerOn = (f: st.Flash) => createSimBoard({ board: cfg, flash: f, seed: 3 });

    /**
     * What must hold at any moment. An update: the site and the key file unmoved, byte for byte. A
     * rebuild (it writes a fresh key file from page 0): the site as it was and the same live keys,
     * or, from its erase of the bundle's first page to its write of the bundle, no code (nothing
     * runs, nothing can make a site), the site there, gone or cut short, and the state the tool
     * kept holding site and keys. Always: the relay off, no new site.
     */
    function intact(b: SimBoard, where: string, saved?: Saved) {
      const f = b.storage.flash;
      assert.ok(!b.pins.output(cfg.pins.relay), where + ': relay off');
      assert.ok(!b.consoleText().includes('NO SITE'), where + ': the site was read, never made again');
      if (mode === 'rebuild' && st.read(f, '.bootcde') === undefined) {
        // Between the rebuild's erase of the bundle's first page and its write of the bundle: no code
        // runs; the site is there, or gone or cut short by the erase of page 0, and the kept state has it.
        const got = st.read(f, 'ck.site.a');
        assert.ok(got === undefined || got === site || cutShort(got, site), where + ': the site, or none');
        assert.ok(saved && saved.files.some((x) => x.name === 'ck.site.a' && x.data === site), where + ': the kept state holds the site');
        assert.deepEqual(liveRecords(saved!.files.find((x) => x.name === 'ck.keys')!.data), liveKeys, where + ': the kept state holds the keys');
        return;
      }
      assert.equal(f.resets || 0, 0, where + ': Storage valid at boot (never erased whole)');
      assert.equal(st.read(f, 'ck.site.a'), site, where + ': the site');
      assert.equal(at(f, 'ck.site.a'), siteAt, where + ': the site unmoved');
      if (mode === 'update') {
        assert.equal(st.read(f, 'ck.keys'), keys, where + ': the key file, byte for byte');
        assert.equal(at(f, 'ck.keys'), keysAt, where + ': the key file unmoved');
      } else {
        const k = st.read(f, 'ck.keys');
        assert.ok(k, where + ': the key file');
        assert.deepEqual(liveRecords(k), liveKeys, where + ': the same live keys');
      }
    }

    /** After the update finished: the new firmware boots from the flash; everything the earlier log held, the settings, the clock; the owner gets in. */
    function finished(f: st.Flash, where: string) {
      assert.equal(st.read(f, '.bootcde'), bundle, where + ': the new bundle');
      assert.ok(st.read(f, 'ck.jrnl'), where + ': the journal');
      const wiped = f.resets || 0;
      const b = powerOn(f);
      b.clock.advance(3000);
      assert.deepEqual(b.uncaught, [], where + ': the new firmware boots');
      assert.equal(f.resets || 0, wiped, where + ': Storage valid at boot');
      f.resets = 0;
      intact(b, where);
      assert.deepEqual(liveRecords(st.read(f, 'ck.keys')!), liveKeys, where + ': the live keys');
      assertMovedJournal(b, fx, owner, where);
    }

    it('the earlier board runs the earlier firmware; the move without a cut keeps every entry, the settings, the clock (an update, or the rebuild its refusal names)', async () => {
      const b = powerOn(flashOf(mem));
      b.clock.advance(3000);
      intact(b, id + ' before');
      assert.ok(fx.files.some((n) => /^ck\.log\./.test(n)) && !fx.files.includes('ck.jrnl'), 'the earlier tiled layout');
      const before = b.storage.flash.mem.slice();
      try {
        await update(cfg, 'update', b, bundle, undefined, () => undefined);
        assert.equal(mode, 'update');
      } catch (e) {
        assert.equal(mode, 'rebuild', (e as Error).message);
        // The earlier layout's key file may end a page later than the journal layout's: then the new
        // bundle does not fit before the journal's pages, the update refuses, nothing written, and
        // says what to run instead.
        assert.match((e as Error).message, /^refused: the bundle \(\d+ bytes\) does not fit between the key file .*\(--rebuild-keys\) makes room$/);
        assert.equal((e as { exitCode?: number }).exitCode, 2);
        assert.deepEqual(b.storage.flash.mem, before, 'nothing written');
        console.log(`      ${id}: --update refused (${(e as Error).message.replace(/;.*/, '')}); --rebuild-keys moves it`);
        await update(cfg, 'rebuild', b, bundle, undefined, () => undefined);
      }
      finished(b.storage.flash, id + ' without a cut');
    });

    it('cut at flash steps keeping none, half or all of it: nothing wiped, site and keys intact, the re-run moves every entry, the settings and the clock', async () => {
      // The flash steps of the move, counted on a run without a cut from the same power-on.
      const probe = powerOn(flashOf(mem));
      probe.clock.advance(3000);
      const w0 = probe.storage.flash.writes;
      const ends: number[] = [];
      await update(cfg, mode, probe, bundle, undefined, () => undefined, () => { ends.push(probe.storage.flash.writes - w0); });
      const steps = probe.storage.flash.writes - w0;
      const points = cutPoints(ends, 16, Number(process.env.CUT_POINTS) || (cfg.storageBytes > 1 << 20 ? 12 : 60));
      let runs = 0, oldRan = 0, newRan = 0, noneRan = 0, wiped = 0, noSite = 0;
      const t0 = Date.now();
      for (const n of points) {
        for (const keep of [0, 0.5, 1]) {
          const where = `${id} (${mode}): cut at flash step ${n}/${steps} keeping ${keep * 100}%`;
          const b = powerOn(flashOf(mem));
          b.clock.advance(3000);
          let saved: Saved | undefined;
          b.storage.cutPowerAtWrite(n, keep);
          await assert.rejects(update(cfg, mode, b, bundle, undefined, (s) => { saved = s; }), where);
          assert.ok(b.dead, where + ': the cut fell');
          assert.ok(saved, where + ': kept before the first erase');
          // Power on: whatever .bootcde the cut left boots (the earlier firmware, the new one, or a cut-short one that cannot run).
          // A rebuild's erase of page 0 cut short after every other page was erased leaves only part
          // of the old page 0, which the boot check erases: nothing else is left to lose then.
          const onlyPage0 = b.storage.flash.mem.subarray(4096).every((x) => x === 255);
          b.powerOn();
          b.clock.advance(3000);
          if (b.storage.flash.resets) {
            assert.ok(mode === 'rebuild' && onlyPage0, where + ': Storage wiped at boot');
            wiped++;
          }
          if (st.read(b.storage.flash, 'ck.site.a') === undefined) noSite++;
          intact(b, where + ', power on', saved);
          const code = st.read(b.storage.flash, '.bootcde');
          if (code === bundle) newRan++; else if (code && !b.uncaught.length) oldRan++; else noneRan++;
          // The user runs it again; the state file holds what the first run kept.
          await update(cfg, mode, b, bundle, saved, () => undefined);
          finished(b.storage.flash, where + ', after the re-run');
          runs++;
        }
      }
      console.log(`      ${id} (${mode}): ${steps} flash steps, cut at ${points.length} of them x 3 = ${runs} (at power-on the earlier firmware ran ${oldRan} times, the new one ${newRan}, none ${noneRan}); `
        + `Storage wiped ${wiped} (with nothing left in it), no site on the board ${noSite} (kept by the tool); after every re-run all ${fx.log.length} earlier entries, the settings and the clock in the journal, the owner unlocks (${Math.round((Date.now() - t0) / 1000)} s)`);
      assert.equal(runs, points.length * 3);
    });
  });
}
