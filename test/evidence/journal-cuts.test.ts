/**
 * A power cut at every flash step of the journal (firmware/journal.ts, docs/ESPRUINO.md "Flash")
 * on a full board, THROUGH the firmware bundle on the VM engine: the simulated car (sim/car.ts
 * createCar) is provisioned in the journal layout, every key of the board's capacity is used, the
 * owner has set the time and the settings, and the log has gone past a page. Then, from a moment
 * where the next few commands turn the journal's page, the owner unlocks and locks, changes a
 * setting and sets the time again; every flash step of that (each log append, the page erase, the
 * copies of the clock and settings, the page header) is a cut point, keeping none, half or all of
 * it (the model leaves a cut erase partly erased). After each cut the board is powered on again and:
 * - Espruino's boot check never finds Storage corrupt (it would erase all of it, code included);
 * - the site and the key file are byte for byte what they were, where they were;
 * - every log entry committed before the cut is still there, in order (READ_LOG over the radio
 *   gives the newest ones; all are read from the flash by the firmware's own reader), except the
 *   ones the page change drops by design (the oldest page, which the run without a cut drops too);
 * - the settings and the saved clock are the old or the new value (the new one once its command
 *   had answered);
 * - the relay is off, no new secrets are made, and the owner unlocks at once.
 */
import { strict as assert } from 'node:assert';
import { boardById } from '../../hal/boards/index';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import * as st from '../../sim/engine/storage';
import { createCar, firmwareFor } from '../../sim/car';
import { journalOf } from '../../sim/provision';
import { logOpenJ, logReadJ } from '../../firmware/auditlog';
import { configOfJournal } from '../../firmware/config';
import { JPAGE, REC, SLOTS } from '../../firmware/journal';
import { u32 as u32Of } from '../../firmware/binstr';
import { tiledLayout } from '../../tools/host/layout';
import * as C from '../../firmware/codes';
import { OP, type PhoneKeyFile } from '../../tools/host/protocol';
import { decodeLogAnswer } from '../../tools/host/logdecode';
import { be32, ownerCommand } from '../support/owner-command';
import type { BoardConfig } from '../../hal/boards/types';

const text = (s: string) => new TextEncoder().encode(s);

/** The log, settings and saved clock as the flash holds them, read without changing a byte. */
function journalState(board: SimBoard) {
  const j = journalOf(board)!;
  const seqs: number[] = [];
  logReadJ(logOpenJ(undefined as never, j), 0, 1e6, (e) => seqs.push(e.seq));
  return { seqs, holdMs: configOfJournal(j).holdMs, clock: j.cl < 0 ? 0 : u32Of(j.f.read(j.cl, REC), 4), page: j.ps, slot: j.slot };
}

/** The run under test: what the owner does after `mem`. Each command returns true once answered R_OK. */
const RUN: Array<[string, number, Uint8Array | undefined]> = [
  ['unlock', OP.UNLOCK, undefined], ['lock', OP.LOCK, undefined],
  ['settings', OP.SET_CONFIG, text('{"holdMs":5000}')],
  ['unlock', OP.UNLOCK, undefined], ['lock', OP.LOCK, undefined],
  ['time', OP.SET_TIME, be32(1900000000)],
  ['unlock', OP.UNLOCK, undefined], ['lock', OP.LOCK, undefined],
  ['unlock', OP.UNLOCK, undefined], ['lock', OP.LOCK, undefined],
];

for (const id of ['xiaoble', 'puckjs', 'mdbt42q', 'puckjs-nfc']) {
  describe(`evidence: a power cut at every flash step of the journal on a full ${id}, through the firmware`, function () {
    this.timeout(900000);
    const cfg: BoardConfig = boardById(id)!;
    let bundle = '';
    let owner: PhoneKeyFile;
    let mem: Uint8Array;
    let fits = true;

    before(async function () {
      bundle = await firmwareFor(cfg);
      if (tiledLayout(cfg, bundle.length).short) { fits = false; return; }
      const car = await createCar({ board: id, seed: 3 });
      owner = car.provisionKey('owner', C.ROLE_OWNER);
      for (let i = 1; i < cfg.keyCapacity; i++) car.provisionKey('k' + i, C.ROLE_GUEST);
      car.reset();
      const b = car.board;
      assert.equal(ownerCommand(b, owner, OP.SET_TIME, be32(1800000000)).status, C.R_OK);
      assert.equal(ownerCommand(b, owner, OP.SET_CONFIG, text('{"holdMs":4000}')).status, C.R_OK);
      // Unlocks and locks until the log has gone past a page, and on until the run below turns the
      // page again (each command writes a few records; the run's ten write about 30).
      for (let i = 0; ; i++) {
        const s = journalState(b);
        if (s.page >= 2 && s.slot >= SLOTS - 12) break;
        assert.equal(ownerCommand(b, owner, i % 2 ? OP.LOCK : OP.UNLOCK).status, C.R_OK);
      }
      assert.equal(b.storage.flash.resets || 0, 0);
      assert.equal(b.storage.flash.compactions, 0, 'the journal layout never compacts');
      mem = b.storage.flash.mem.slice();
    });

    /** A board started from `m` (a power-on). */
    const boardFrom = (m: Uint8Array): SimBoard => {
      const f = st.createFlash(cfg.storageBytes);
      f.mem.set(m);
      return createSimBoard({ board: cfg, bundle, flash: f, seed: 3 });
    };

    it('every committed entry, the site, the keys, the clock and the settings survive; the owner unlocks at once', function () {
      if (!fits) this.skip(); // the bundle is too big for the journal layout of this board (tools/host/layout.ts short)
      // The run without a cut: its flash steps, and after each command the newest entry and what was answered.
      const ref = boardFrom(mem);
      const before = journalState(ref);
      const site = ref.storage.read('ck.site.a'), keys = ref.storage.read('ck.keys');
      const at = (b: SimBoard, n: string) => st.find(b.storage.flash, n)!.addr;
      const w0 = ref.storage.flash.writes;
      const afterCmd: Array<{ writes: number; last: number }> = [];
      for (const [, op, args] of RUN) {
        assert.equal(ownerCommand(ref, owner, op, args).status, C.R_OK);
        afterCmd.push({ writes: ref.storage.flash.writes - w0, last: journalState(ref).seqs.slice(-1)[0] });
      }
      const final = journalState(ref);
      assert.ok(final.page > before.page, 'the run turns the journal\'s page');
      assert.equal(final.holdMs, 5000);
      const steps = ref.storage.flash.writes - w0;
      // Entries the run without a cut keeps: those older are dropped by design with their page.
      const keepFrom = final.seqs[0];

      let runs = 0, lostCommitted = 0;
      for (let n = 1; n <= steps; n++) {
        for (const keep of [0, 0.5, 1]) {
          const where = `${id}: cut at step ${n}/${steps} keeping ${keep * 100}%`;
          const b = boardFrom(mem);
          b.storage.cutPowerAtWrite(n, keep);
          let done = 0;
          try {
            for (const [, op, args] of RUN) { ownerCommand(b, owner, op, args); if (b.dead) break; done++; }
          } catch (e) {
            if (!b.dead) throw e;
          }
          assert.ok(b.dead, where + ': the cut fell');
          b.powerOn();
          assert.equal(b.storage.flash.resets || 0, 0, where + ': Storage valid at boot (never erased whole)');
          b.clock.advance(3000);
          assert.deepEqual(b.uncaught, [], where);
          assert.equal(b.storage.read('ck.site.a'), site, where + ': the site');
          assert.equal(b.storage.read('ck.keys'), keys, where + ': the key file, byte for byte');
          assert.equal(at(b, 'ck.site.a'), at(ref, 'ck.site.a'), where + ': the site unmoved');
          assert.equal(at(b, 'ck.keys'), at(ref, 'ck.keys'), where + ': the key file unmoved');
          assert.ok(!b.pins.output(cfg.pins.relay), where + ': relay off');
          assert.ok(!b.consoleText().includes('NO SITE'), where + ': the site was read, never made again');
          // Commands answered before the cut: their entries are committed.
          const committed = done ? afterCmd[done - 1].last : before.seqs[before.seqs.length - 1];
          const got = journalState(b);
          const has = new Set(got.seqs);
          const want = [...before.seqs, ...final.seqs].filter((s, i, a) => a.indexOf(s) === i && s >= keepFrom && s <= committed);
          const missing = want.filter((s) => !has.has(s));
          lostCommitted += missing.length;
          assert.deepEqual(missing, [], where + ': committed entries lost');
          assert.deepEqual(got.seqs, [...got.seqs].sort((x, y) => x - y), where + ': entries in order');
          // Settings and clock: old or new; the new once its command answered.
          const setDone = done > 2, timeDone = done > 5;
          assert.ok(got.holdMs === 5000 || (!setDone && got.holdMs === 4000), where + ': settings ' + got.holdMs);
          assert.ok(got.clock >= 1900000000 || (!timeDone && got.clock >= 1800000000), where + ': clock ' + got.clock);
          // The owner gets in at once after the power returns; READ_LOG gives the newest entries.
          assert.equal(ownerCommand(b, owner, OP.UNLOCK).status, C.R_OK, where + ': the owner unlocks');
          const from = Math.max(keepFrom, committed - 7);
          const answer = ownerCommand(b, owner, OP.READ_LOG, be32(from));
          const read = decodeLogAnswer(answer.data!).map((e) => e.seq);
          for (let s = from; s <= committed; s++) assert.ok(read.includes(s), `${where}: READ_LOG from ${from} lacks ${s}: ${read}`);
          runs++;
        }
      }
      console.log(`      ${id}: ${steps} flash steps (${RUN.length} commands, a page change), cut at each x 3: ${runs} power-ons, none wiped; `
        + `site and keys intact every time; committed entries lost: ${lostCommitted}; journal page ${JPAGE} B`);
      assert.ok(runs >= steps * 3);
    });
  });
}
