/**
 * Board facts (hal/boards/espruino-facts.json, generated from Espruino's boards/*.py by
 * tools/espruino/board-facts.ts): our board files and the espruino CLI's board data agree with
 * them, and the build refuses a board whose Espruino build lacks what the firmware needs.
 * With Espruino's source at ESPRUINO_SRC (default /tmp/esp-src) the facts are regenerated and compared.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boards, boardById, unknownBoardMessage } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { boardBuildErrors, factsFor, loadFacts } from '../../tools/host/build/board-facts';
import { DEFAULT_BLE_NAME, REFERENCE_ONLY_BOARDS, espruinoBleNames, espruinoBoard, espruinoBoardNames } from '../../hal/boards/espruino';
import { cliBoardJson, readFacts } from '../../tools/espruino/board-facts';
import { BoardError, refuseUnbuildable } from '../../tools/host/build/bundle';

const ROOT = path.resolve(__dirname, '..', '..');
const facts = loadFacts();

/** The nRF52840 DK board file as it was written by hand before the facts existed. */
const OLD_DK: BoardConfig = {
  id: 'nrf52840dk', name: 'nRF52840 DK',
  pins: { relay: 3, drive: 4, door: 28, button: 11, ledRed: 13, i2cSda: 26, i2cScl: 27 },
  relayActiveHigh: true, buttonActiveHigh: false, crypto: { sha256: true, aes: true },
  personaliseCards: true, travel: true, nfc: true, storageBytes: 262144, keyCapacity: 1000, logSegments: 8, logPerSegment: 128, variables: 12500,
};

describe('board facts from Espruino\'s board files', () => {
  for (const b of boards) {
    const esp = espruinoBoard(b.id).board;
    it(`${b.id}: its Espruino build (${esp}) has what the firmware needs, and the board file agrees with it`, () => {
      const f = factsFor(b, facts)!;
      assert.ok(f, 'no facts for ' + esp);
      assert.deepEqual(boardBuildErrors(b, f), []);
      assert.equal(b.variables, f.variables);
      assert.equal(b.storageBytes, f.storage.bytes);
      assert.equal(b.crypto.aes, f.crypto.aes, 'aes in the board file must say what crypto.AES is on the board');
      // The button is the board's BTN1, so Espruino's default button debounce applies to it.
      if (b.pins.button !== undefined) assert.ok(f.buttons.some((x) => x.index === b.pins.button), 'button pin is not a BTN of ' + esp);
      const info = espruinoBoard(b.id);
      assert.equal(info.ram, f.chip.ramKB * 1024);
      assert.equal(info.flash, f.chip.flashKB * 1024);
      assert.equal(info.maxMtu, f.mtu.max);
    });
    it(`${b.id}: tools/boards/${esp}.json is what the facts make`, () => {
      const file = JSON.parse(fs.readFileSync(path.join(ROOT, 'tools', 'boards', esp + '.json'), 'utf8'));
      assert.deepEqual(file, JSON.parse(JSON.stringify(cliBoardJson(factsFor(b, facts)!))));
    });
  }

  it('MTU caps and default button debounce come from the source: 53 on nRF52832 builds, 131 on nRF52840, 25 ms', () => {
    assert.equal(facts.boards.PUCKJS.mtu.max, 53);
    assert.equal(facts.boards.MDBT42Q.mtu.max, 53);
    assert.equal(facts.boards.XIAOBLE.mtu.max, 131);
    assert.equal(facts.buttonWatch.debounceMs, 25);
  });

  it('refuses the old nRF52840 DK target, saying what its Espruino build lacks', () => {
    const errs = boardBuildErrors(OLD_DK, facts.boards.NRF52840DK, 'NRF52840DK');
    assert.match(errs.join('\n'), /no CRYPTO library: require\("crypto"\) throws/);
    assert.match(errs.join('\n'), /has 40960 bytes of Storage \(10 pages of 4096\), but the board file counts on 262144/);
    assert.match(errs.join('\n'), /BTN1 \(D11, inverted in software, IN_PULLDOWN\): it reads 1 while pressed/);
  });

  it('refuses native AES on a build that has only AES_CCM (XIAOBLE), and the build stops on it', () => {
    const xiao = boardById('xiaoble')!;
    const wrong = { ...xiao, crypto: { sha256: true, aes: true } };
    assert.match(boardBuildErrors(wrong, facts.boards.XIAOBLE).join('\n'), /has no AES \(crypto\.AES is missing\), but the board file says aes: true/);
    assert.throws(() => refuseUnbuildable([xiao, wrong]), (e: unknown) => e instanceof BoardError && /^refused: xiaoble: .*no AES/.test(e.message));
    assert.doesNotThrow(() => refuseUnbuildable(boards));
  });

  it('names the replacement of a removed board id', () => {
    assert.equal(boardById('nrf52840dk'), undefined);
    assert.match(unknownBoardMessage('nrf52840dk'), /replaced by xiaoble/);
  });

  const src = process.env.ESPRUINO_SRC || '/tmp/esp-src';
  it('the facts file is what tools/espruino/board-facts.ts makes from Espruino\'s source', function () {
    if (!fs.existsSync(path.join(src, 'boards', 'PUCKJS.py'))) return this.skip(); // no Espruino source here (ESPRUINO_SRC)
    this.timeout(30000);
    const fresh = readFacts(src);
    if (fresh.source.commit !== facts.source.commit) return this.skip(); // another Espruino revision: regenerate to compare
    assert.deepEqual(JSON.parse(JSON.stringify(fresh)), facts);
  });

  it('the facts cover exactly our Espruino boards and the reference ones, all named in hal/boards/espruino.ts', () => {
    assert.deepEqual(espruinoBoardNames(), ['PUCKJS', 'MDBT42Q', 'XIAOBLE']);
    assert.deepEqual(Object.keys(facts.boards).sort(), espruinoBoardNames().concat(REFERENCE_ONLY_BOARDS).sort());
    for (const b of espruinoBoardNames()) assert.ok(fs.existsSync(path.join(ROOT, 'tools', 'boards', b + '.json')), b);
    for (const b of REFERENCE_ONLY_BOARDS) assert.ok(!fs.existsSync(path.join(ROOT, 'tools', 'boards', b + '.json')), b);
    assert.deepEqual(espruinoBleNames(), ['Puck.js', 'MDBT42Q', 'XIAOBLE', DEFAULT_BLE_NAME]);
  });

  it('each board\'s advertised name is its BLUETOOTH_NAME_PREFIX in Espruino\'s board file', function () {
    if (!fs.existsSync(path.join(src, 'boards', 'PUCKJS.py'))) return this.skip(); // no Espruino source here (ESPRUINO_SRC)
    for (const b of boards) {
      const esp = espruinoBoard(b.id);
      const py = fs.readFileSync(path.join(src, 'boards', esp.board + '.py'), 'utf8');
      const m = /BLUETOOTH_NAME_PREFIX=\\?"([^"\\]+)/.exec(py.replace(/\s+/g, ''));
      assert.equal(esp.bleName, m ? m[1] : DEFAULT_BLE_NAME, b.id);
    }
  });
});
