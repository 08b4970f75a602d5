/**
 * A power cut at every flash step of moving a `puckjs-nfc` from its older layout (the two-generation
 * key table `ck.keys.a|b`, the log rings, the clock and settings generation files, wherever Storage
 * put them) into the journal layout (`npm run flash -- --update`, tools/host/relayout.ts moveOlder;
 * docs/ESPRUINO.md "Flash"), through the tool's own transport (the console,
 * tools/host/console-layout.ts) on a simulated board, then a power-on and the update run again as a
 * user would (with what the first run kept).
 *
 * The board (test/fixtures/older-layout/puckjs-nfc.json, made by make.ts there) is what the earlier
 * firmware itself left in its simulator: its bundle in Storage, every key of the board's capacity,
 * the owner's time and settings, a refused stranger, a compaction, the log's ring rotated and full;
 * its `.bootcde` is the earlier firmware, which boots at a power-on until the move has erased it.
 * At every cut, keeping none, half or all of the step (a cut page erase leaves the page partly
 * erased), and at the power-on after it:
 * - Espruino's boot check never finds Storage corrupt (it would erase all of it), except where the
 *   cut leaves nothing but part of page 0, whose files the tool keeps;
 * - the relay is off; the site on the board is the site, cut short or gone, never another one;
 * - what the tool kept holds the site and every key.
 * After the re-run and the new firmware's boot:
 * - the new bundle, the site, the same keys (the table's records in a key slot file), every entry
 *   the earlier firmware's own reader read (the fixture) in the journal with the same fields, in
 *   order; the settings and the saved clock kept;
 * - the owner unlocks at once, and that entry's sequence number follows the old ones.
 *
 * The board: `puckjs-nfc` itself once it is on the journal layout and its bundle fits; until then
 * (its journal build is larger than the 40 KB layout leaves a bundle) the same board with that
 * layout on a Storage two pages larger, the fixture's 40 KB at its start.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import * as st from '../../sim/engine/storage';
import { simConsoleLink } from '../../sim/console-line';
import { flashOf } from '../../sim/provision';
import { consoleLayoutTarget, stopFirmware } from '../../tools/host/console-layout';
import { type Saved, cutShort, keyTableRecords, relayout } from '../../tools/host/relayout';
import { tiledLayout } from '../../tools/host/layout';
import { bundleFirmware } from '../../tools/host/build/bundle';
import { keyTableOf } from '../../tools/host/provision/keystores';
import type { LogEntry } from '../../firmware/auditlog';
import type { PhoneKeyFile } from '../../tools/host/protocol';
import { assertMovedJournal } from '../support/moved-journal';
import { bundleOf } from '../support/layout-board';

interface Fixture {
  board: string;
  files: string[];
  owner: { keyId: number; secret: string };
  log: LogEntry[];
  keys: string;
  site: string;
  settings: { holdMs: number; tzOffsetMin: number };
  clock: number;
  flash: string;
}

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'older-layout', 'puckjs-nfc.json'), 'utf8')) as Fixture;



/** The cut points: every flash step (EVERY_STEP=1), else every erase and the first two and last two chunks of every file written, and every `every`-th between, at most `most` evenly spread. */
function cutPoints(ends: number[], every: number, most: number): number[] {
  if (process.env.EVERY_STEP) return [...Array(ends[ends.length - 1]).keys()].map((i) => i + 1);
  const out = new Set<number>();
  let from = 0;
  for (const to of ends) {
    for (let n = from + 1; n <= to; n++) if (n <= from + 2 || n > to - 2 || (n - from) % every === 0) out.add(n);
    from = to;
  }
  const all = [...out].sort((a, b) => a - b);
  if (all.length <= most) return all;
  return all.filter((_, i) => i === all.length - 1 || Math.floor((i * most) / all.length) !== Math.floor(((i - 1) * most) / all.length));
}

describe('evidence: a power cut at every flash step of moving a full puckjs-nfc from its older layout into the journal, over the console', function () {
  this.timeout(1800000);
  const shipped = boardById('puckjs-nfc')!;
  let cfg: BoardConfig;
  let bundle = '';
  const owner: PhoneKeyFile = { keyId: fx.owner.keyId, secret: new Uint8Array(Buffer.from(fx.owner.secret, 'hex')) };
  const old = new Uint8Array(gunzipSync(Buffer.from(fx.flash, 'base64')));
  const site = Buffer.from(fx.site, 'hex').toString('latin1');

  before(async function () {
    if (!fs.existsSync(path.join(__dirname, '..', '..', 'dist', 'puckjs-nfc', 'firmware.js'))) this.skip();
    // The board itself once its journal build fits; until then the same layout two pages larger.
    const journal: BoardConfig = { ...shipped, tile: 512, logSegments: 2, logPerSegment: 254 };
    const built = shipped.tile ? bundleOf('puckjs-nfc') : (await bundleFirmware(journal)).code;
    cfg = shipped.tile && !tiledLayout(shipped, built.length).short ? shipped : { ...journal, storageBytes: shipped.storageBytes + 2 * 4096 };
    for (let extra = 0; !tiledLayout(cfg, built.length).aligned; extra += 4096) cfg = { ...cfg, storageBytes: cfg.storageBytes + 4096 };
    bundle = built;
    if (cfg !== shipped) console.log(`      (puckjs-nfc's journal build, ${bundle.length} B, on a ${cfg.storageBytes / 1024} KB Storage: it does not fit the 40 KB one yet)`);
  });

  /** A power-on from `m`: the board boots what its flash holds. */
  const flashFrom = (m: Uint8Array): st.Flash => { const f = st.createFlash(cfg.storageBytes); f.mem.set(m); return f; };
  const powerOn = (f: st.Flash) => createSimBoard({ board: cfg, flash: f, seed: 3 });

  async function update(b: SimBoard, saved: Saved | undefined, keep: (s: Saved) => void, progress?: () => void) {
    const link = simConsoleLink(b);
    await stopFirmware(link);
    return relayout(consoleLayoutTarget(link), { board: cfg, mode: 'update', bundle, saved, onSaved: keep, progress });
  }

  /** At any moment: relay off, the site or none (never another), the kept state holds site and keys. */
  function intact(b: SimBoard, where: string, saved?: Saved) {
    assert.ok(!b.pins.output(cfg.pins.relay), where + ': relay off');
    const got = st.read(b.storage.flash, 'ck.site.a');
    assert.ok(got === undefined || got === site || cutShort(got, site), where + ': the site, cut short, or none; never another');
    assert.equal(st.read(b.storage.flash, 'ck.site.b'), undefined, where + ': no second site');
    if (saved) {
      assert.ok(saved.files.some((x) => x.name === 'ck.site.a' && x.data === site), where + ': the kept state holds the site');
      const recs = keyTableRecords(saved.files)!.map((r) => Buffer.from(r, 'latin1').toString('hex')).sort().join('');
      assert.equal(recs, fx.keys, where + ': the kept state holds every key');
    }
  }

  /** After the move: the new firmware boots from the flash; the keys, every earlier log entry, the settings, the clock; the owner gets in. */
  function finished(f: st.Flash, where: string) {
    assert.equal(st.read(f, '.bootcde'), bundle, where + ': the new bundle');
    assert.ok(st.read(f, 'ck.jrnl'), where + ': the journal');
    assert.deepEqual(st.list(f).filter((n) => /^ck\.(keys\.|log\.|clk\.|cfg\.|i2c)/.test(n)), [], where + ': no file of the older layout left');
    const wiped = f.resets || 0;
    const b = powerOn(f);
    b.clock.advance(3000);
    assert.deepEqual(b.uncaught, [], where + ': the new firmware boots');
    assert.equal(f.resets || 0, wiped, where + ': Storage valid at boot');
    f.resets = 0;
    intact(b, where);
    assert.equal(st.read(f, 'ck.site.a'), site, where + ': the site');
    assert.equal(keyTableOf(flashOf(b)), fx.keys, where + ': every key, as the table held it');
    assertMovedJournal(b, fx, owner, where);
  }

  it('the older board runs the earlier firmware; the move without a cut keeps every key and entry, the site, the settings, the clock', async () => {
    const b = powerOn(flashFrom(old));
    b.clock.advance(3000);
    assert.deepEqual(b.uncaught, []);
    assert.match(b.consoleText(), /carkey \S+ on puckjs-nfc: locked/, 'the earlier firmware boots from the flash');
    assert.ok(fx.files.includes('ck.keys.a') && !fx.files.includes('ck.keys') && !fx.files.includes('ck.jrnl'), 'the older layout');
    intact(b, 'before');
    let saved: Saved | undefined;
    const report = await update(b, undefined, (s) => { saved = s; });
    assert.equal(report.keysKept, fx.keys.length / 64);
    intact(b, 'kept', saved);
    finished(b.storage.flash, 'without a cut');
  });

  it('refuses a board without an intact site, changing nothing', async () => {
    const f = flashFrom(old);
    const b = powerOn(f);
    b.clock.advance(3000);
    st.erase(f, 'ck.site.a');
    const before = f.mem.slice();
    await assert.rejects(update(b, undefined, () => undefined), /^Error: refused: the board holds no intact site file/);
    assert.deepEqual(f.mem, before, 'nothing written');
  });

  it('cut at flash steps keeping none, half or all of it: nothing wiped, the site never another, the re-run moves every key and entry, the settings and the clock', async () => {
    const probe = powerOn(flashFrom(old));
    probe.clock.advance(3000);
    const w0 = probe.storage.flash.writes;
    const ends: number[] = [];
    await update(probe, undefined, () => undefined, () => { ends.push(probe.storage.flash.writes - w0); });
    const steps = probe.storage.flash.writes - w0;
    const points = cutPoints(ends, 16, Number(process.env.CUT_POINTS) || 40);
    let runs = 0, oldRan = 0, newRan = 0, noneRan = 0, wiped = 0, noSite = 0;
    for (const n of points) {
      for (const keep of [0, 0.5, 1]) {
        const where = `cut at flash step ${n}/${steps} keeping ${keep * 100}%`;
        const b = powerOn(flashFrom(old));
        b.clock.advance(3000);
        let saved: Saved | undefined;
        b.storage.cutPowerAtWrite(n, keep);
        await assert.rejects(update(b, undefined, (s) => { saved = s; }), where);
        assert.ok(b.dead, where + ': the cut fell');
        assert.ok(saved, where + ': kept before the first erase');
        // Page 0's erase cut short after every other page was erased leaves only part of it, which
        // the boot check erases: nothing else is left to lose then, and the tool kept its files.
        const onlyPage0 = b.storage.flash.mem.subarray(4096).every((x) => x === 255);
        b.powerOn();
        b.clock.advance(3000);
        if (b.storage.flash.resets) {
          assert.ok(onlyPage0, where + ': Storage wiped at boot');
          wiped++;
        }
        if (st.read(b.storage.flash, 'ck.site.a') === undefined) noSite++;
        intact(b, where + ', power on', saved);
        const code = st.read(b.storage.flash, '.bootcde');
        if (code === bundle) newRan++; else if (code && !b.uncaught.length) oldRan++; else noneRan++;
        await update(b, saved, () => undefined);
        finished(b.storage.flash, where + ', after the re-run');
        runs++;
      }
    }
    console.log(`      puckjs-nfc: ${steps} flash steps, cut at ${points.length} of them x 3 = ${runs} (at power-on the earlier firmware ran ${oldRan} times, the new one ${newRan}, none ${noneRan}); `
      + `Storage wiped ${wiped} (with nothing left in it), no site on the board ${noSite} (kept by the tool); after every re-run all ${fx.keys.length / 64} keys, all ${fx.log.length} earlier entries, the settings and the clock in place, the owner unlocks`);
    assert.equal(runs, points.length * 3);
  });
});
