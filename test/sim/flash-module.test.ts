/**
 * The simulator's require("Flash") (sim/engine/globals.ts), which the layout tools drive over the
 * console: Storage starts where Espruino's board files put it (hal/boards/espruino-facts.json, as
 * process.memory().flash_code_start reports it); Flash.read reads Storage's bytes; erasePage
 * erases a whole page, is a counted flash step where a power cut falls, and refuses an address
 * outside Storage or one that is not an integer; the board-side walk of the header chain
 * (tools/host/console-layout.ts CHAIN_EXPR) finds every file, trash included, where the flash model has it.
 */
import { strict as assert } from 'node:assert';
import { boardById } from '../../hal/boards/index';
import { espruinoBoard } from '../../hal/boards/espruino';
import { loadFacts } from '../../tools/host/build/board-facts';
import { createSimBoard } from '../../sim/engine/board';
import { STORAGE_ADDRESS } from '../../sim/engine/globals';
import { runConsoleLine, simConsoleLink } from '../../sim/console-line';
import * as st from '../../sim/engine/storage';
import { consoleLayoutTarget } from '../../tools/host/console-layout';
import { layoutBoard } from '../support/layout-board';

describe('sim: require("Flash") over Storage', () => {
  it('Storage starts where the board facts say, as process.memory().flash_code_start', () => {
    const facts = loadFacts();
    for (const id of ['puckjs', 'mdbt42q', 'xiaoble']) {
      const eb = espruinoBoard(id).board;
      assert.equal(STORAGE_ADDRESS[eb], facts.boards[eb].storage.address, eb);
      const board = createSimBoard({ board: boardById(id)!, bundle: '' });
      assert.deepEqual(runConsoleLine(board, 'print(process.memory().flash_code_start)'), [String(facts.boards[eb].storage.address)]);
    }
  });

  it('read, getPage and erasePage act on Storage; erasePage is a counted step a power cut can fall in; bad addresses are refused', () => {
    const puck = boardById('puckjs')!;
    const f = st.createFlash(puck.storageBytes);
    const board = createSimBoard({ board: puck, flash: f, bundle: '' });
    board.storage.write('a', 'hello');
    const base = STORAGE_ADDRESS.PUCKJS;
    assert.deepEqual(runConsoleLine(board, `print(E.toString(require("Flash").read(5,${base + 32})))`), ['hello']);
    assert.deepEqual(runConsoleLine(board, `print(JSON.stringify(require("Flash").getPage(${base + 5000})))`), [`{"addr":${base + 4096},"length":4096}`]);
    assert.match(runConsoleLine(board, `require("Flash").erasePage(${base - 4096})`).join(), /outside Storage: not simulated/);
    assert.match(runConsoleLine(board, `require("Flash").erasePage("x")`).join(), /Address should be an integer/);
    const w = f.writes;
    runConsoleLine(board, `require("Flash").erasePage(${base + 100})`);
    assert.equal(f.writes, w + 1, 'one counted step');
    assert.equal(board.storage.read('a'), undefined, 'the page is erased whole');
    board.storage.write('b', 'again');
    board.storage.cutPowerAtWrite(1, 1);
    runConsoleLine(board, `require("Flash").erasePage(${base})`);
    assert.equal(board.storage.read('b'), undefined, 'a cut keeping all of the erase');
    assert.ok(!runConsoleLine(board, 'print(1)').includes('1'), 'the board is off after the cut: no answer');
  });

  it('the board-side chain walk finds every file and every trash where the model has it', async () => {
    // The XIAO BLE's tiles hold trash (the 40 KB journal layout has none).
    for (const id of ['xiaoble']) {
      const ref = layoutBoard(id);
      const board = createSimBoard({ board: ref.cfg, flash: ref.f, bundle: '' });
      const got = await consoleLayoutTarget(simConsoleLink(board)).storage();
      assert.equal(got.total, ref.cfg.storageBytes);
      assert.deepEqual(got.chain, st.files(ref.f).map((x) => ({ at: x.addr - 32, size: x.data.length, name: x.erased ? '' : x.name })), id);
      assert.ok(got.chain.some((x) => x.name === ''), 'trash listed');
    }
  });
});
