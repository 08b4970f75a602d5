/**
 * The layout procedure of `npm run flash` and the browser flasher (tools/host/relayout.ts) through
 * its console transport (tools/host/console-layout.ts) on a simulated board (the VM engine's flash
 * model, require("Flash") over Storage), the same lines a real board gets:
 * - an update keeps the site, settings and key files byte for byte where they were, writes the new
 *   bundle, the pad and the tiles (trash dropped), and a power cut at any flash step leaves the
 *   permanent files intact and a Storage the boot check keeps; running it again with what the first
 *   run saved finishes it;
 * - a rebuild of a full key file keeps every live key (marks folded in), gives a fresh file with
 *   every slot free, and a cut at any step, even after page 0 was erased, is finished by a re-run
 *   from what it saved;
 * - an install writes site, settings, keys, bundle and pad in order onto an empty board, and
 *   refuses a board that holds another site; an update refuses a board not in the layout, writing nothing.
 */
import { strict as assert } from 'node:assert';
import { boardById } from '../../hal/boards/index';
import * as st from '../../sim/engine/storage';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import { simConsoleLink } from '../../sim/console-line';
import { consoleLayoutTarget, keySlotsOnBoard, stopFirmware } from '../../tools/host/console-layout';
import { type RelayoutJob, type Saved, cutShort, keySlotsUsed, liveRecords, layoutCheck, mergeSaved, pagesToErase, relayout } from '../../tools/host/relayout';
import { KEYS_FILE, PAGE, SITE_FILE, tiledLayout } from '../../tools/host/layout';
import { installFiles } from '../../tools/host/layout-image';
import { kslGet, kslNext, kslOpen } from '../../firmware/keyslots';
import { LAYOUT_FIXED, bundleOf, layoutBoard } from '../support/layout-board';
import { modelPort } from '../support/model-port';
import { modelLayoutTarget } from '../support/model-layout';
import { boardImage } from '../../tools/provision/image';
import { issueKey } from '../../tools/host/provision/keys';
import { newSiteData } from '../../tools/host/provision/sitefile';

const puck = boardById('puckjs')!;

/** A powered board over `f` that runs nothing of its own (the tool stops the firmware anyway). */
function boardOver(f: st.Flash): SimBoard {
  return createSimBoard({ board: boardById(f.capacity > 1 << 20 ? 'xiaoble' : 'puckjs')!, flash: f, bundle: '' });
}

async function run(f: st.Flash, job: Omit<RelayoutJob, 'board'> & { board?: RelayoutJob['board'] }) {
  const link = simConsoleLink(boardOver(f));
  await stopFirmware(link);
  return relayout(consoleLayoutTarget(link), { board: puck, ...job });
}

const snapshot = (f: st.Flash, names: string[]) => new Map(names.map((n) => [n, { addr: st.find(f, n)?.addr, data: st.read(f, n) }]));
const tilesOf = (f: st.Flash) => new Map(st.list(f).filter((n) => !LAYOUT_FIXED.includes(n)).map((n) => [n, st.read(f, n)!] as [string, string]));

function liveKeys(f: st.Flash): string[] {
  const sf = kslOpen(modelPort(f), keySlotsUsed(st.read(f, KEYS_FILE)!)!.cap)!;
  const out: string[] = [];
  for (let i = kslNext(sf, 0); i >= 0; i = kslNext(sf, i + 1)) out.push(JSON.stringify(kslGet(sf, i)));
  return out.sort();
}

/** Flash steps of a run, the cut points tried: every erase, and the first, second and last write of every file (a cut inside a chunk run is the same state as its neighbours'). */
function cutPoints(steps: number, every: number): number[] {
  const out: number[] = [];
  for (let n = 1; n <= steps; n++) if (n <= 12 || n % every === 0 || n > steps - 12) out.push(n);
  return out;
}

describe('tools: the layout procedure over the console (update, rebuild, install)', function () {
  this.timeout(300000);
  const bundle = bundleOf('puckjs');
  const v2 = '/*v2*/' + bundle;

  it('pure parts: the layout check, the pages erased (last first, blank pad skipped), merging a saved run', () => {
    const ref = layoutBoard('puckjs');
    const chain = st.files(ref.f).map((x) => ({ at: x.addr - 32, size: x.data.length, name: x.erased ? '' : x.name }));
    const ok = layoutCheck(puck, { total: puck.storageBytes, chain });
    assert.deepEqual(ok, { bundleStart: ref.plan.permanentPages * PAGE });
    assert.match((layoutCheck(puck, { total: puck.storageBytes, chain: [] }) as { problem: string }).problem, /does not hold the layout's ck\.site\.a, ck\.keys first \(found nothing\)/);
    assert.match((layoutCheck(puck, { total: 2 * puck.storageBytes, chain }) as { problem: string }).problem, /Storage is 81920 bytes/);
    const pages = pagesToErase({ total: puck.storageBytes, chain }, 8192);
    assert.deepEqual(pages, [36864, 32768, 28672, 24576, 20480, 16384, 12288, 8192], 'last page first, down to the bundle');
    assert.deepEqual(pagesToErase({ total: puck.storageBytes, chain }, 8192, [[12288, 32768]]), [36864, 32768, 8192], 'known blank pages skipped');
    assert.equal(cutShort('ab\xff\xff', 'abcd'), true);
    assert.equal(cutShort('abxd', 'abcd'), false);
    const merged = mergeSaved([{ name: 'ck.log.0', data: 'ne\xff\xff' }, { name: 'ck.log.1', data: 'NEW!' }, { name: 'ck.log.2', data: 'only' }],
      [{ name: 'ck.log.0', data: 'new!' }, { name: 'ck.log.1', data: 'old!' }, { name: 'ck.log.3', data: 'gone' }]);
    assert.deepEqual(merged, [{ name: 'ck.log.0', data: 'new!' }, { name: 'ck.log.1', data: 'NEW!' }, { name: 'ck.log.3', data: 'gone' }, { name: 'ck.log.2', data: 'only' }]);
  });

  it('an update keeps the permanent files where they are, writes bundle, pad and tiles; measured', async () => {
    for (const id of ['puckjs', 'xiaoble']) {
      const ref = layoutBoard(id);
      const cfg = ref.cfg;
      const before = snapshot(ref.f, LAYOUT_FIXED.slice(0, 2));
      const journal = snapshot(ref.f, ['ck.jrnl']);
      const tiles = tilesOf(ref.f);
      const lines: string[] = [];
      const sim = boardOver(ref.f);
      const link = { run: (c: string) => { lines.push(c); return simConsoleLink(sim).run(c); } };
      const w0 = ref.f.writes, t0 = Date.now();
      await stopFirmware(link);
      const rep = await relayout(consoleLayoutTarget(link), { board: cfg, mode: 'update', bundle: '/*v2*/' + ref.bundle });
      assert.deepEqual(snapshot(ref.f, LAYOUT_FIXED.slice(0, 2)), before);
      assert.deepEqual(snapshot(ref.f, ['ck.jrnl']), journal, 'the journal where it was, byte for byte');
      assert.equal(st.read(ref.f, '.bootcde'), '/*v2*/' + ref.bundle);
      assert.deepEqual(tilesOf(ref.f), tiles);
      assert.equal(st.stats(ref.f).trashCount, 0);
      assert.equal(st.find(ref.f, 'ck.pad')!.addr + st.find(ref.f, 'ck.pad')!.data.length, ref.plan.padEnd);
      assert.equal(st.storageValid(ref.f), true);
      assert.ok(lines.every((l) => /\.write\(/.test(l) || !/compact|eraseAll/.test(l)), 'never Storage.compact');
      assert.ok(lines.some((l) => /require\("Flash"\)\.erasePage/.test(l)));
      console.log(`      ${id}: update: ${rep.pagesErased} page erases, ${rep.filesWritten} files (${rep.bytesWritten} bytes), ${ref.f.writes - w0} flash operations, ${lines.length} console lines, ${Date.now() - t0} ms in the simulator`);
    }
  });

  it('an update cut at flash steps (every erase, the edges of every write): permanent files intact, no wipe; the re-run finishes it', async () => {
    const ref = layoutBoard('puckjs');
    const keep = snapshot(ref.f, LAYOUT_FIXED.slice(0, 2));
    const tiles = tilesOf(ref.f);
    const journal = snapshot(ref.f, ['ck.jrnl']);
    const jBytes = ref.plan.journalPages * PAGE;
    const payload = st.latin1(ref.f.mem.subarray(ref.plan.journalStart, ref.plan.journalStart + jBytes));
    const probe = st.createFlash(puck.storageBytes);
    probe.mem.set(ref.mem);
    const w0 = probe.writes;
    await run(probe, { mode: 'update', bundle: v2 });
    const steps = probe.writes - w0;
    let tried = 0;
    for (const n of cutPoints(steps, 9)) {
      for (const k of [0, 0.5, 1]) {
        const where = `update cut at flash step ${n}/${steps} keeping ${k * 100}%`;
        const f = st.createFlash(puck.storageBytes);
        f.mem.set(ref.mem);
        let saved: Saved | undefined;
        const sim = boardOver(f);
        const link = simConsoleLink(sim);
        await stopFirmware(link);
        st.cutPowerAtWrite(f, n, k);
        await assert.rejects(relayout(consoleLayoutTarget(link), { board: puck, mode: 'update', bundle: v2, onSaved: (s) => { saved = s; } }), where);
        assert.ok(saved, where + ': saved before the first erase');
        assert.equal(st.checkAtBoot(f, () => undefined), false, where + ': Storage valid at boot');
        assert.deepEqual(snapshot(f, LAYOUT_FIXED.slice(0, 2)), keep, where + ': site and keys');
        assert.equal(st.latin1(f.mem.subarray(ref.plan.journalStart, ref.plan.journalStart + jBytes)), payload, where + ': the journal\'s pages untouched');
        await run(f, { mode: 'update', bundle: v2, saved });
        assert.equal(st.read(f, '.bootcde'), v2, where + ': the new bundle');
        assert.deepEqual(tilesOf(f), tiles, where + ': the tiles');
        assert.deepEqual(snapshot(f, ['ck.jrnl']), journal, where + ': the journal where it was, byte for byte');
        tried++;
      }
    }
    console.log(`      puckjs: update cut at ${tried} of ${steps * 3} (step, fraction) points: permanent files intact every time, the re-run finished every time`);
  });

  it('a key file that does not end on a page boundary (a bundle too big for it): its bytes in the bundle\'s first page are programmed back; cut at every flash step, nothing of it is lost and the re-run finishes', async () => {
    // A board whose key capacity (163, the older puckjs figure) leaves the bundle no page-aligned
    // room: the key file runs into the bundle's first page (page 1, not the site's page 0).
    const board = { ...puck, keyCapacity: 163 };
    let len = bundle.length + 8;
    while (tiledLayout(board, len).aligned) len += 64;
    const big = bundle + '/*' + 'x'.repeat(len + 40 - bundle.length - 4) + '*/';
    const lay = tiledLayout(board, big.length);
    assert.equal(lay.aligned, false);
    const ref = layoutBoard('puckjs', { bundle: big, keysUsed: lay.keySlots - 3, cfg: board });
    const keysAt = st.find(ref.f, KEYS_FILE)!;
    assert.ok((keysAt.addr + keysAt.data.length) % PAGE !== 0, 'the key file ends inside a page');
    const keep = snapshot(ref.f, LAYOUT_FIXED.slice(0, 2));
    const keysBefore = liveKeys(ref.f);
    const tiles = tilesOf(ref.f);
    const next = '/*v2*/' + big.slice(0, big.length - 6);
    const probe = st.createFlash(puck.storageBytes);
    probe.mem.set(ref.mem);
    const w0 = probe.writes;
    await relayout(modelLayoutTarget(probe), { board, mode: 'update', bundle: next });
    const steps = probe.writes - w0;
    assert.deepEqual(snapshot(probe, LAYOUT_FIXED.slice(0, 2)), keep);
    assert.equal(st.read(probe, '.bootcde'), next);
    for (let n = 1; n <= steps; n++) {
      for (const k of [0, 0.5, 1]) {
        const where = `unaligned update cut at flash step ${n}/${steps} keeping ${k * 100}%`;
        const f = st.createFlash(puck.storageBytes);
        f.mem.set(ref.mem);
        st.cutPowerAtWrite(f, n, k);
        let saved: Saved | undefined;
        await assert.rejects(relayout(modelLayoutTarget(f), { board, mode: 'update', bundle: next, onSaved: (x) => { saved = x; } }), where);
        assert.equal(st.checkAtBoot(f, () => undefined), false, where + ': Storage valid at boot');
        assert.equal(st.read(f, SITE_FILE), keep.get(SITE_FILE)!.data, where + ': site');
        await relayout(modelLayoutTarget(f), { board, mode: 'update', bundle: next, saved });
        assert.deepEqual(snapshot(f, LAYOUT_FIXED.slice(0, 2)), keep, where + ': site and keys after the re-run');
        assert.deepEqual(liveKeys(f), keysBefore, where + ': keys');
        assert.equal(st.read(f, '.bootcde'), next, where);
        assert.deepEqual(tilesOf(f), tiles, where + ': tiles');
      }
    }
    console.log(`      puckjs, key file ending inside a page: update in ${steps} flash steps x 3 cuts, keys and site whole after every re-run`);
    // The same through the console (require("Flash").write in chunks), cut while programming the key file's bytes back.
    const erases = pagesToErase({ total: puck.storageBytes, chain: st.files(ref.f).map((x) => ({ at: x.addr - 32, size: x.data.length, name: x.erased ? '' : x.name })) }, 4096).length;
    let lost = 0;
    for (const cutAt of [0, erases - 1, erases, erases + 1, erases + 2]) {
      const f = st.createFlash(puck.storageBytes);
      f.mem.set(ref.mem);
      const link = simConsoleLink(boardOver(f));
      await stopFirmware(link);
      let saved: Saved | undefined;
      if (cutAt) {
        st.cutPowerAtWrite(f, cutAt, 0.5);
        await assert.rejects(relayout(consoleLayoutTarget(link), { board, mode: 'update', bundle: next, onSaved: (x) => { saved = x; } }));
        if (liveKeys(f).length < keysBefore.length) lost++;
      }
      await run(f, { board, mode: 'update', bundle: next, saved });
      assert.deepEqual(snapshot(f, LAYOUT_FIXED.slice(0, 2)), keep, 'through the console, cut at ' + cutAt);
      assert.deepEqual(liveKeys(f), keysBefore);
      assert.equal(st.read(f, '.bootcde'), next);
    }
    assert.ok(lost > 0, 'some cut left the board with keys missing from the key file\'s last page: only the re-run brought them back');
  });

  it('stopping the firmware hands its watchdog to Espruino\'s auto-kick: an update slower than the watchdog is not cut by it', async () => {
    const sim = createSimBoard({ board: puck, bundle });
    const wd = sim.watchdog;
    assert.equal(wd.enabled && !wd.auto, true, 'the firmware runs its watchdog and kicks it itself');
    const link = simConsoleLink(sim);
    const slowLines = async () => {
      // A console line every 5 s for a minute, as a slow serial or Bluetooth console carries an update.
      for (let i = 0; i < 12; i++) { sim.clock.advance(5000); assert.equal((await link.run('print("ok")')).trim(), 'ok', 'line ' + i); }
    };
    await stopFirmware(link);
    assert.equal(sim.watchdog.auto, true);
    await slowLines();
    assert.doesNotMatch(sim.log.map((l) => l.text).join('\n'), /watchdog reset/);
    assert.deepEqual(sim.resets.filter((r) => /watchdog/.test(r.reason)), []);
    // Without the hand-over (reset() alone), the same minute ends in a watchdog reset.
    const bare = createSimBoard({ board: puck, bundle });
    await simConsoleLink(bare).run('reset()');
    for (let i = 0; i < 12; i++) { bare.clock.advance(5000); await simConsoleLink(bare).run('print("ok")'); }
    assert.match(bare.log.map((l) => l.text).join('\n'), /watchdog reset/);
  });

  it('a rebuild of a full key file keeps the live keys, frees every slot; cut anywhere (page 0 too), the re-run from what it saved restores it', async () => {
    const ref = layoutBoard('puckjs');
    const keysBefore = liveKeys(ref.f);
    const site = st.read(ref.f, SITE_FILE);
    assert.deepEqual(keySlotsUsed(st.read(ref.f, KEYS_FILE)!), { cap: ref.plan.keySlots, used: ref.plan.keySlots }, 'every slot used');
    assert.deepEqual(await keySlotsOnBoard(simConsoleLink(boardOver(ref.f))), { cap: ref.plan.keySlots, used: ref.plan.keySlots }, 'counted on the board too');
    const tiles = tilesOf(ref.f);
    const journal = st.read(ref.f, 'ck.jrnl');
    const probe = st.createFlash(puck.storageBytes);
    probe.mem.set(ref.mem);
    const w0 = probe.writes;
    const rep = await run(probe, { mode: 'rebuild', bundle: v2 });
    assert.equal(st.read(probe, 'ck.jrnl'), journal, 'the journal written back as it was');
    const steps = probe.writes - w0;
    assert.deepEqual(liveKeys(probe), keysBefore, 'the same live keys, flags as before');
    assert.equal(rep.keysKept, keysBefore.length);
    const used = keySlotsUsed(st.read(probe, KEYS_FILE)!)!;
    assert.equal(used.used, keysBefore.length, 'only the live keys take slots');
    assert.deepEqual(await keySlotsOnBoard(simConsoleLink(boardOver(probe))), used, 'counted on the board too');
    assert.equal(st.read(probe, SITE_FILE), site);
    assert.deepEqual(tilesOf(probe), tiles);
    assert.ok(!('problem' in layoutCheck(puck, await consoleLayoutTarget(simConsoleLink(boardOver(probe))).storage())));
    let lostSite = 0;
    for (const n of cutPoints(steps, 11)) {
      const where = `rebuild cut at flash step ${n}/${steps}`;
      const f = st.createFlash(puck.storageBytes);
      f.mem.set(ref.mem);
      let saved: Saved | undefined;
      const link = simConsoleLink(boardOver(f));
      await stopFirmware(link);
      st.cutPowerAtWrite(f, n, 0.5);
      await assert.rejects(relayout(consoleLayoutTarget(link), { board: puck, mode: 'rebuild', bundle: v2, onSaved: (s) => { saved = s; } }), where);
      // Page 0 left partly erased after every other page was: the boot check erases it all (nothing
      // else was left there), and the re-run restores everything from what it saved.
      const onlyPage0 = f.mem.subarray(PAGE).every((b) => b === 255);
      assert.equal(st.checkAtBoot(f, () => undefined) && !onlyPage0, false, where + ': Storage valid at boot');
      if (st.read(f, SITE_FILE) !== site) lostSite++;
      await run(f, { mode: 'rebuild', bundle: v2, saved });
      assert.equal(st.read(f, SITE_FILE), site, where + ': site restored');
      assert.deepEqual(liveKeys(f), keysBefore, where + ': keys restored');
      assert.deepEqual(tilesOf(f), tiles, where + ': tiles');
      assert.equal(st.read(f, 'ck.jrnl'), journal, where + ': the journal as it was');
    }
    assert.ok(lostSite > 0, 'some cuts leave the board without its site: only the saved state restores it');
    console.log(`      puckjs: rebuild (${keysBefore.length} live keys of ${ref.plan.keySlots} slots) in ${steps} flash steps; ${lostSite} of the cuts tried left no site on the board; the re-run restored all`);
  });

  it('an update never erases the site\'s page: a board whose bundle starts there is refused, nothing written', async () => {
    // puckjs's own key capacity with a bundle too big for a page-aligned key file: the bundle would start in page 0.
    let len = bundle.length + 8;
    while (tiledLayout(puck, len).aligned) len += 64;
    const big = bundle + '/*' + 'x'.repeat(len + 40 - bundle.length - 4) + '*/';
    const ref = layoutBoard('puckjs', { bundle: big, keysUsed: 10 });
    assert.ok(st.find(ref.f, '.bootcde')!.addr < PAGE, 'the bundle starts in the site\'s page');
    const mem = ref.f.mem.slice();
    await assert.rejects(relayout(modelLayoutTarget(ref.f), { board: puck, mode: 'update', bundle: big }), /site's page/);
    assert.deepEqual(ref.f.mem, mem, 'nothing written');
  });

  it('why an update may not erase the site\'s page: a cut while page 0 is erased or being programmed back makes Espruino\'s boot check erase all of Storage, the journal included', () => {
    // The steps an update would take if the bundle started in page 0 (the non-aligned layout that a
    // bundle too long for a page-aligned key file needs, e.g. puckjs-nfc's on the journal, docs/ESPRUINO.md
    // "Flash"): every page from the journal's header down to page 1 erased (the journal's pages kept), then
    // page 0 erased and its site and key-file bytes programmed back. Espruino's boot check
    // (src/jsflash.c jsfIsBankStorageValid) finds no header at offset 0 and then wants all of Storage
    // blank: the journal's pages are not, so it erases everything (jsfResetStorage).
    let len = bundle.length + 8;
    while (tiledLayout(puck, len).aligned) len += 64;
    const big = bundle + '/*' + 'x'.repeat(len + 40 - bundle.length - 4) + '*/';
    const ref = layoutBoard('puckjs', { bundle: big, keysUsed: 10 });
    const lay = ref.plan;
    const bundleAt = st.find(ref.f, '.bootcde')!.addr - 32;
    assert.ok(bundleAt < PAGE, 'the bundle starts in the site\'s page');
    const raw = st.latin1(ref.f.mem.slice(0, bundleAt));
    const hooks = { error: (m: string) => new Error(m), powerCut: () => new Error('cut') };
    const wiped: string[] = [];
    for (const at of ['erase', 'program']) {
      for (const k of [0, 0.5, 1]) {
        const f = st.createFlash(puck.storageBytes);
        f.mem.set(ref.mem);
        for (let a = lay.journalStart - PAGE; a >= PAGE; a -= PAGE) st.erasePageAt(f, hooks, a);
        if (at === 'program') st.erasePageAt(f, hooks, 0);
        st.cutPowerAtWrite(f, 1, k);
        assert.throws(() => (at === 'erase' ? st.erasePageAt(f, hooks, 0) : st.programAt(f, hooks, 0, st.toBytes(raw))), /cut/);
        const journalBefore = st.latin1(f.mem.slice(lay.journalStart, lay.journalStart + 2 * PAGE));
        const where = `${at} of page 0 keeping ${k * 100}%`;
        if (st.checkAtBoot(f, () => undefined)) {
          wiped.push(where);
          assert.ok(journalBefore !== '\xff'.repeat(2 * PAGE) && f.mem.every((b) => b === 255), where + ': everything erased, the journal too');
        }
      }
    }
    // Storage is kept only while page 0 starts with the site's header: before its erase began, or once
    // the program-back has written that header (the chain then ends on blank bytes after the key file).
    assert.deepEqual(wiped, ['erase of page 0 keeping 50%', 'erase of page 0 keeping 100%', 'program of page 0 keeping 0%']);
    console.log(`      a bundle in page 0: ${wiped.length} of 6 cuts around page 0's erase and program-back make the boot check erase Storage (${wiped.join('; ')})`);
  });

  it('an install writes the layout in order onto an empty board; refuses one with another site; an update refuses a board not in the layout', async () => {
    const siteData = newSiteData();
    issueKey(siteData, { role: 'owner', label: 'Me' });
    issueKey(siteData, { role: 'driver', label: 'Kid' });
    const img = boardImage(siteData, puck);
    const file = (n: string) => img.files.find((x) => x.name === n)!.data;
    // The image's keys: a key slot file (boards on the slot store) or a generation file.
    const files = installFiles(puck, bundle.length, file('ck.site.a'), (img.files.find((x) => x.name === 'ck.keys') || img.files.find((x) => x.name === 'ck.keys.a'))!.data);
    const f = st.createFlash(puck.storageBytes);
    st.write(f, { error: (m) => new Error(m), powerCut: () => new Error('cut') }, '.bootcde', 'print("stock")');
    const rep = await run(f, { mode: 'install', bundle, install: files });
    assert.equal(rep.mode, 'install');
    assert.deepEqual(st.list(f), [SITE_FILE, KEYS_FILE, '.bootcde', 'ck.pad', 'ck.jrnl']);
    const lay = tiledLayout(puck, bundle.length);
    assert.equal(st.find(f, 'ck.jrnl')!.addr, lay.journalStart, 'the journal\'s payload on its page boundary');
    assert.equal(st.find(f, '.bootcde')!.addr - 32, lay.permanentPages * PAGE, 'the key file ends on the page the bundle starts');
    assert.equal(liveKeys(f).length, 2);
    // An image whose keys come as a key slot file (what provisioning writes with the slot store): the live records, in order.
    const slotKeys = st.read(layoutBoard('puckjs').f, KEYS_FILE)!;
    const fromSlots = installFiles(puck, bundle.length, file('ck.site.a'), slotKeys).find((x) => x.name === KEYS_FILE)!.data;
    assert.deepEqual(liveRecords(fromSlots), liveRecords(slotKeys));
    assert.equal(fromSlots.length, lay.keysFileBytes);
    // Again with another site: refused, nothing written.
    const other = newSiteData();
    const otherFiles = installFiles(puck, bundle.length, boardImage(other, puck).files.find((x) => x.name === 'ck.site.a')!.data);
    const mem = f.mem.slice();
    await assert.rejects(run(f, { mode: 'install', bundle, install: otherFiles }), /already holds another site/);
    assert.deepEqual(f.mem, mem, 'nothing written');
    // The same install again (a re-run after a cut) is allowed.
    await run(f, { mode: 'install', bundle, install: files });
    assert.equal(liveKeys(f).length, 2);
    // An update of a board whose files are not in layout order (an image written file by file): refused, nothing written.
    const old = st.createFlash(puck.storageBytes);
    for (const x of img.files) st.write(old, { error: (m) => new Error(m), powerCut: () => new Error('cut') }, x.name, x.data);
    const oldMem = old.mem.slice();
    await assert.rejects(run(old, { mode: 'update', bundle }), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /not in the layout: it does not hold the layout's ck\.site\.a, ck\.keys first \(found ck\.cfg\.a, ck\.keys(\.a)?, ck\.site\.a\)/.test(e.message));
    assert.deepEqual(old.mem, oldMem, 'nothing written');
    // A bundle too big for the room before the tiles: refused before anything is erased.
    const big = layoutBoard('puckjs');
    const bigMem = big.f.mem.slice();
    let kept = false;
    await assert.rejects(run(big.f, { mode: 'update', bundle: bundle + ' '.repeat(8192), onSaved: () => { kept = true; } }), /does not fit between the key file .* and the journal .*\(--rebuild-keys\) makes room/);
    assert.equal(kept, false, 'refused before anything is kept');
    assert.deepEqual(big.f.mem, bigMem);
  });
});
