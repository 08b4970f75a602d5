/**
 * A power cut at every step of a Storage compaction on a full Puck.js (the code in flash, a full
 * key table, the log), through the simulated car on sim/engine's page-level flash model. The
 * compaction is the firmware's own, from its main loop once nothing is pending (firmware/
 * flashroom.ts); every page erase and page write of it is a cut point.
 *
 * What Espruino's compaction does under a cut (src/jsflash.c, sim/engine/storage.ts): the live
 * data of a page it has erased sits only in RAM until it is written back, and a file it has
 * rewritten only in part can leave a header chain that the next boot's check answers by erasing
 * the whole Storage, the firmware's own code included (jsfResetStorage). No firmware survives the
 * second; the test counts those cuts and reports them. For every other cut: the site, the key
 * table (old or new) and every committed log entry survive, and the board never makes new secrets.
 */
import { strict as assert } from 'node:assert';
import { boardById } from '../../hal/boards/index';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import * as st from '../../sim/engine/storage';
import { firmwareFor } from '../../sim/car';
import { addKey, keyRecord, writeSite } from '../../tools/host/provision/site';
import { hostCrypto } from '../../tools/host/crypto';
import { flashOf } from '../../sim/provision';
import { keyTableOf } from '../../tools/host/provision/keystores';
import { genData, genLoad } from '../../firmware/genfile';
import { type LogEntry, logOpen, logRead } from '../../firmware/auditlog';
import * as C from '../../firmware/codes';
import { storageReserve } from '../../firmware/core';
import { M, OP, command, nodeMac, parseAnswer, type PhoneKeyFile } from '../../tools/host/protocol';
import { ask } from '../../sim/central';

const cfg = boardById('puckjs')!;
const SITE = { secret: new Uint8Array(32).fill(0x5a), cardMaster: new Uint8Array(16).fill(0xa5), setupCode: '123456' };

const owners = new WeakMap<SimBoard, PhoneKeyFile>();

/** SET_TIME from the board's owner phone, over the simulated radio, as a phone asks (HELLO, then the command). */
function setTime(board: SimBoard, seconds: number): void {
  const owner = owners.get(board)!;
  const nonce = parseAnswer(nodeMac, owner, ask(board, new Uint8Array([M.HELLO]))!).nonce!;
  const args = new Uint8Array([seconds >>> 24, (seconds >>> 16) & 255, (seconds >>> 8) & 255, seconds & 255]);
  const a = parseAnswer(nodeMac, owner, ask(board, command(nodeMac, owner, nonce, OP.SET_TIME, args))!, nonce);
  board.nrf.disconnect();
  assert.equal(a.status, C.R_OK);
}

/**
 * A full Puck.js in the layout tools wrote before the tiled one: code first, then the site, a
 * file since erased (trash, as a settings or clock generation leaves) and a full key table.
 * (A key change itself makes no trash now: the key table is a slot file, firmware/keystore.ts.)
 */
function fullBoard(bundle: string): SimBoard {
  const flash = st.createFlash(cfg.storageBytes);
  const hooks = { error: (m: string) => new Error(m), powerCut: () => new Error('power cut') };
  st.write(flash, hooks, '.bootcde', bundle);
  const board = createSimBoard({ board: cfg, bundle, flash });
  const fs = flashOf(board);
  writeSite(fs, SITE);
  assert.ok(fs.write('ck.old', 'x', 0, 1200));
  for (let i = 1; i <= cfg.keyCapacity; i++) {
    const k = addKey(fs, SITE, cfg.keyCapacity, keyRecord(i * 97, i === 1 ? C.ROLE_OWNER : C.ROLE_GUEST));
    if (i === 1) owners.set(board, k);
  }
  board.reset();
  // The rest of Storage used (the log, settings), then the early file erased: trash, and free space below the reserve.
  assert.ok(fs.write('ck.fill', 'f', 0, board.storage.stats().freeBytes - 32 - 900)); // below the reserve, above the urgent mark
  fs.erase('ck.old');
  return board;
}

function snapshot(board: SimBoard) {
  const fs = flashOf(board);
  const keys = keyTableOf(fs);
  const site = genLoad(fs, hostCrypto, 'ck.site.');
  const log: LogEntry[] = [];
  logRead(logOpen(fs, hostCrypto, cfg.logSegments, cfg.logPerSegment, !!cfg.tile), 0, 100000, (e) => log.push(e));
  return { keys: keys || undefined, site: site ? genData(fs, site) : undefined, log };
}

describe('evidence: a power cut at every step of a compaction on a full Puck.js', function () {
  this.timeout(300000);
  let bundle = '';
  before(async () => { bundle = await firmwareFor(cfg); });

  it('the main loop compacts (not an update); cut at each step: site, keys and log survive unless Espruino wipes its Storage', () => {
    const ref = fullBoard(bundle);
    const before = snapshot(ref);
    assert.ok(before.keys && before.site, 'the full board holds its table and site');
    assert.ok(ref.storage.stats().trashBytes > 0);
    const w0 = ref.storage.flash.writes;
    const c0 = ref.storage.flash.compactions;
    // Not in the first ten minutes after boot, nor while a central is connected.
    // (The board drops a silent link within seconds, firmware/linkguard.ts: a central that keeps
    // coming back holds it nearly all the time.)
    for (let t = 0; t < 700000; t += 1000) { if (!ref.nrf.connected) ref.nrf.connect(); ref.clock.advance(1000); }
    assert.equal(ref.storage.flash.compactions, c0, 'no compaction while a link is up');
    ref.nrf.disconnect();
    ref.clock.advance(601000); // ten quiet minutes: the idle main loop compacts
    assert.equal(ref.storage.flash.compactions, c0 + 1, 'the main loop compacted once');
    const steps = ref.storage.flash.writes - w0;
    assert.ok(steps > 2, 'the compaction took page erases and writes: ' + steps);
    assert.equal(ref.storage.stats().trashBytes, 0);

    let wiped = 0, survived = 0;
    for (let n = 1; n <= steps; n++) {
      for (const keep of [0, 0.5, 1]) {
        const where = `cut at compaction step ${n}/${steps} keeping ${keep * 100}%`;
        const b = fullBoard(bundle);
        b.storage.cutPowerAtWrite(n, keep);
        b.clock.advance(601000);
        if (!b.dead) continue; // the n-th write fell after the compaction (a log entry): covered elsewhere
        b.powerOn();
        if (b.storage.flash.resets) {
          // Espruino erased its corrupt Storage at boot: on a board nothing would run now.
          wiped++;
          continue;
        }
        b.clock.advance(3000);
        assert.deepEqual(b.uncaught, [], where);
        const after = snapshot(b);
        assert.equal(after.site, before.site, where + ': the site');
        assert.equal(after.keys, before.keys, where + ': the key table');
        const seqs = new Map(after.log.map((e) => [e.seq, e] as [number, LogEntry]));
        for (const e of before.log) assert.deepEqual(seqs.get(e.seq), e, `${where}: committed log entry #${e.seq}`);
        assert.ok(!b.pins.output(cfg.pins.relay), where + ': relay off');
        survived++;
      }
    }
    console.log(`      ${steps} compaction steps x 3: ${survived} cuts left site, keys and log intact; ${wiped} left a Storage Espruino erases at boot`);
    assert.ok(survived > 0);
  });

  it('a full Puck.js with its clock set idles a day without compacting: the hourly save never eats into the reserve', () => {
    const b = fullBoard(bundle);
    b.reset(); // reads the table the USB tool rewrote last
    b.clock.advance(601000); // the compaction that rewrite left due
    setTime(b, 1800000000);
    b.clock.advance(601000);
    // The rest of a full layout (the log's other segments, settings): a filler leaves 200 bytes above the reserve.
    const reserve = storageReserve(cfg);
    assert.ok(b.storage.write('filler', 'f'.repeat(b.storage.stats().freeBytes - reserve - 200 - 32)));
    const c0 = b.storage.flash.compactions;
    const saves0 = b.storage.flash.writes;
    b.clock.advance(24 * 3600000);
    assert.equal(b.storage.flash.compactions, c0, 'no compaction in a quiet day');
    assert.ok(b.storage.flash.writes > saves0, 'the clock was still saved while there was room above the reserve');
    assert.deepEqual(b.uncaught, []);
  });
});
