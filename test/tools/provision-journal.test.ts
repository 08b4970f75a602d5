/**
 * `npm run provision -- write` onto a board whose Storage is in the journal layout (docs/ESPRUINO.md
 * "Flash"): writing the site, key and settings files through Storage there would leave trash before
 * the journal (a later compaction moves the journal off its page and the firmware logs nothing), so
 * the tool refuses: one line that names what to run instead, exit code 2, not a byte written, the
 * board still running as before. A board flashed but never provisioned (no journal yet) is written
 * as before (test/tools/provision.test.ts, end to end).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCar } from '../../sim/car';
import { simConsoleLink } from '../../sim/console-line';
import { gunzipSync } from 'node:zlib';
import { boardById } from '../../hal/boards/index';
import * as st from '../../sim/engine/storage';
import { createSimBoard } from '../../sim/engine/board';
import { type Io, runProvision } from '../../tools/provision/cli';
import type { KdfParams } from '../../tools/host/provision/sitefile';
import type { SimBoard } from '../../sim/engine/board';
import * as C from '../../firmware/codes';

const FAST: KdfParams = { name: 'scrypt', N: 1 << 14, r: 8, p: 1 };
const PASS = 'correct horse battery';
const puck = boardById('puckjs')!;

function io(board: SimBoard) {
  const out = { stdout: '', stderr: '', lines: [] as string[] };
  const link = simConsoleLink(board);
  const ioObj: Io = {
    out: (s) => { out.stdout += s; }, err: (s) => { out.stderr += s; }, env: { CARKEY_PASSPHRASE: PASS }, kdf: FAST,
    openLink: async () => ({ run: (code: string) => { out.lines.push(code); return link.run(code); }, close: async () => {} }),
  };
  return { out, ioObj };
}

describe('tools: provision write onto a board in the journal layout', function () {
  this.timeout(60000);

  it('refuses with one line naming board-image and flash --install; exit 2; nothing written; the owner still gets in', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provision-journal-'));
    const site = path.join(dir, 'site.json');
    const quiet = io(createSimBoard({ board: puck }));
    assert.equal(await runProvision(['init', '--site', site], quiet.ioObj), 0, quiet.out.stderr);
    assert.equal(await runProvision(['issue', '--site', site, '--role', 'owner', '--label', 'Alice', '--out', path.join(dir, 'a.json')], quiet.ioObj), 0, quiet.out.stderr);

    const car = await createCar({ board: 'puckjs', seed: 5 });
    const owner = car.provisionKey('owner', C.ROLE_OWNER);
    car.reset();
    assert.ok(car.board.storage.list().includes('ck.jrnl'), 'the simulated car is in the journal layout');
    const mem = car.board.storage.flash.mem.slice();
    const w0 = car.board.storage.flash.writes;
    const c = io(car.board);
    assert.equal(await runProvision(['write', '--site', site, '--board', 'puckjs', '--port', 'tcp://sim'], c.ioObj), 2);
    const lines = c.out.stderr.trim().split('\n');
    assert.equal(lines.length, 1, 'one line: ' + c.out.stderr);
    assert.match(lines[0], /^error: refused: the board's Storage is in the flash layout \(it holds ck\.pad and ck\.jrnl\).*nothing was written.*npm run provision -- board-image .*--board puckjs.*npm run flash -- --board puckjs --port PORT --install --image DIR/);
    assert.equal(car.board.storage.flash.writes, w0, 'no flash write');
    assert.deepEqual(car.board.storage.flash.mem, mem, 'not a byte changed');
    assert.ok(c.out.lines.every((l) => !/\.write\(|\.erase\(|load\(/.test(l)), 'only a listing was sent: ' + c.out.lines.join(' | '));
    car.advance(1000);
    assert.equal(car.phone(owner).unlock().status, C.R_OK, 'the board runs as before');
  });

  it('a board in the earlier tiled layout (its pad before the log tiles, made by the earlier firmware) is refused the same way', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provision-journal-'));
    const site = path.join(dir, 'site.json');
    const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'earlier-tiled', 'puckjs.json'), 'utf8')) as { flash: string };
    const f = st.createFlash(puck.storageBytes);
    f.mem.set(gunzipSync(Buffer.from(fx.flash, 'base64')));
    const board = createSimBoard({ board: puck, flash: f });
    assert.ok(!board.storage.list().includes('ck.jrnl') && board.storage.list().includes('ck.log.0'));
    const quiet = io(board);
    assert.equal(await runProvision(['init', '--site', site], quiet.ioObj), 0, quiet.out.stderr);
    const mem = f.mem.slice();
    const c = io(board);
    assert.equal(await runProvision(['write', '--site', site, '--board', 'puckjs', '--port', 'tcp://sim'], c.ioObj), 2);
    assert.match(c.out.stderr, /^error: refused: the board's Storage is in the flash layout \(it holds ck\.pad\)[^\n]*\n$/);
    assert.deepEqual(f.mem, mem, 'not a byte changed');
  });
});
