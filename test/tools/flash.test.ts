/**
 * tools/flash.ts against simulated boards served on TCP by sim/console-server.ts, through the real
 * `espruino` CLI: the CLI talks to the simulator; a flash uploads, verifies and boots the bundle;
 * a missing port, a board that corrupts what it is sent, the wrong board, and a production flash of
 * a dev bundle all fail with a message and a non-zero code. The compaction-safe layout: an install
 * from a board image, then an update in place; a board not in the layout and bad flags refused
 * with one line. Real time (the CLI is another process).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { boardById } from '../../hal/boards/index';
import { bundleFirmware, ROOT } from '../../tools/host/build/bundle';
import { writeBundle } from '../../tools/build';
import { flash, FlashError, checkBundle, runEspruinoCli, type FlashResult } from '../../tools/flash';
import { startConsoleServer, type ConsoleServer } from '../../sim/console-server';
import { simConsoleLink } from '../../sim/console-line';
import { keyTableRecords, liveRecords } from '../../tools/host/relayout';
import { gunzipSync } from 'node:zlib';
import { release } from '../../tools/host/build/release';
import * as st from '../../sim/engine/storage';
import { boardImage, writeImageDir } from '../../tools/provision/image';
import { issueKey } from '../../tools/host/provision/keys';
import { newSiteData } from '../../tools/host/provision/sitefile';

const puck = boardById('puckjs')!;
const quiet = () => { /* progress not needed in tests */ };

function runNode(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('tools/flash through the espruino CLI to a simulated board', function () {
  this.timeout(60000);
  let server: ConsoleServer;
  let devFile: string;

  before(async () => {
    server = await startConsoleServer({ board: puck });
    devFile = path.join(ROOT, writeBundle(await bundleFirmware(puck, { dev: true })));
  });
  after(async () => { if (server) await server.close(); });

  it('the real espruino CLI evaluates an expression on the simulated board', async () => {
    const r = await runEspruinoCli(server.url, ['-e', 'print(1+2, process.env.BOARD)'], 20000);
    assert.ok(r.board.indexOf('3 PUCKJS') >= 0, r.stdout + r.stderr);
  });

  let flashed: FlashResult;
  it('flashes an empty board: uploads, verifies, boots the bundle, reports version and memory', async () => {
    flashed = await flash({ board: 'puckjs', port: server.url, log: quiet });
    const built = fs.readFileSync(path.join(ROOT, 'dist/puckjs/firmware.js'), 'latin1');
    assert.equal(flashed.bytes, built.length);
    assert.equal(server.board.storage.read('.bootcde'), built, 'Storage holds exactly the built file');
    assert.match(built, /[\x80-\xff]/, 'the bundle is pretokenised: bytes >= 0x80 went through the CLI unchanged');
    const held = Buffer.from(server.board.storage.read('.bootcde')!, 'latin1');
    assert.equal(require('node:crypto').createHash('sha256').update(held).digest('hex'), JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/puckjs/build.json'), 'utf8'))['firmware.js'].sha256);
    assert.match(server.board.consoleText(), /carkey \S+ on puckjs: locked/);
    assert.ok(flashed.bootLines.some((l) => /carkey \S+ on puckjs: locked/.test(l)), flashed.bootLines.join('\n'));
    assert.equal(flashed.version, '2v29');
    assert.equal(flashed.memory!.total, puck.variables);
    assert.equal(flashed.dev, false);
    assert.equal(server.board.nrf.uartExposed, false, 'the production firmware closed the Bluetooth console');
    assert.deepEqual(flashed.warnings, []);
    const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/puckjs/build.json'), 'utf8'));
    const { version, commit } = release();
    assert.deepEqual(meta['firmware.js'], { board: 'puckjs', dev: false, bytes: flashed.bytes, sha256: flashed.sha256, version, commit });
    // One version: package.json's, printed by the firmware at boot and reported next to Espruino's.
    assert.equal(version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    assert.equal(flashed.firmwareVersion, version);
    assert.equal(flashed.commit, commit);
    assert.match(server.board.consoleText(), new RegExp('carkey ' + version.replace(/\./g, '\\.') + ' on puckjs'));
  });

  it('nothing listening on the port: exit code 1 and a clear message', async () => {
    const port = await closedPort();
    const r = await runNode([TSX, 'tools/flash.ts', '--board', 'puckjs', '--port', 'tcp://127.0.0.1:' + port], 30000);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /nothing is listening at tcp:\/\/127\.0\.0\.1:\d+/);
  });

  it('a port where nothing answers: non-zero and a clear message', async () => {
    const silent = net.createServer((sock) => { sock.on('data', () => { /* a board that never answers */ }); sock.on('error', () => undefined); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const url = 'tcp://127.0.0.1:' + (silent.address() as net.AddressInfo).port;
    try {
      await assert.rejects(flash({ board: 'puckjs', port: url, log: quiet, stepTimeoutMs: 15000 }),
        (e: FlashError) => e.exitCode === 1 && /identifying the board: the board on tcp:\S+ does not answer on its console/.test(e.message));
    } finally {
      silent.close();
    }
  });

  it('a serial port that does not exist: non-zero and a clear message', async () => {
    await assert.rejects(flash({ board: 'puckjs', port: '/dev/ttyNOPE0', log: quiet }),
      (e: FlashError) => e.exitCode === 1 && /serial port \/dev\/ttyNOPE0 does not exist/.test(e.message));
  });

  it('a board that corrupts the upload fails verification; the corrupt .bootcde is erased', async () => {
    const f = st.createFlash(puck.storageBytes);
    f.onWrite = (name, offset, bytes) => { if (name === '.bootcde' && offset === 384) bytes[5] ^= 0x20; };
    const bad = await startConsoleServer({ board: puck, flash: f });
    try {
      await assert.rejects(flash({ board: 'puckjs', port: bad.url, log: quiet }),
        (e: FlashError) => e.exitCode === 1 && /verify failed: .*CRC32.*SHA-256.*erased/.test(e.message));
      assert.equal(bad.board.storage.read('.bootcde'), undefined);
      assert.doesNotMatch(bad.board.consoleText(), /carkey/, 'the corrupt firmware never booted');
    } finally {
      await bad.close();
    }
  });

  it('refuses a production flash of a dev bundle before touching the board', async () => {
    const before = server.transcript().length;
    await assert.rejects(flash({ board: 'puckjs', port: server.url, file: devFile, log: quiet }),
      (e: FlashError) => e.exitCode === 2 && /dev bundle/.test(e.message));
    assert.equal(server.transcript().length, before, 'nothing was sent to the board');
    // Even with a forged build record, the simulator sees the open Bluetooth console.
    const code = fs.readFileSync(devFile, 'latin1');
    const forged = { board: 'puckjs', dev: false, bytes: code.length, sha256: require('node:crypto').createHash('sha256').update(code, 'latin1').digest('hex'), version: '0.0.0', commit: 'unknown' };
    assert.throws(() => checkBundle(puck, code, forged, true), /Bluetooth console \(Nordic UART\) enabled/);
    assert.doesNotThrow(() => checkBundle(puck, code, forged, false));
  });

  it('refuses a board whose Espruino is older than 2v26 (pretokenised bundle): one line, exit 2, nothing written', async () => {
    const old = await startConsoleServer({ board: puck });
    try {
      old.board.run('process.env.VERSION="2v25.395"');
      await assert.rejects(flash({ board: 'puckjs', port: old.url, log: quiet }),
        (e: FlashError) => e.exitCode === 2 && !e.message.includes('\n') && /runs Espruino 2v25\.395; .*needs Espruino 2v26 or later: update/.test(e.message));
      assert.deepEqual(old.board.storage.list(), []);
    } finally {
      await old.close();
    }
  });

  it('refuses firmware for another board', async () => {
    const other = await startConsoleServer({ board: boardById('mdbt42q')! });
    try {
      await assert.rejects(flash({ board: 'puckjs', port: other.url, log: quiet }),
        (e: FlashError) => e.exitCode === 2 && /is a MDBT42Q, but puckjs firmware is for a PUCKJS/.test(e.message));
      assert.deepEqual(other.board.storage.list(), []);
    } finally {
      await other.close();
    }
  });
});

describe('tools/flash: the compaction-safe layout (install, update, a cut update resumed, rebuild) through the console', function () {
  this.timeout(300000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carkey-flash-'));

  it('--install --image writes the layout on an empty board; a second flash updates it in place, keeping site, settings and keys; a cut one is finished by the same command; --rebuild-keys keeps the keys', async () => {
    const site = newSiteData();
    issueKey(site, { role: 'owner', label: 'Me' });
    const imgDir = path.join(dir, 'img');
    writeImageDir(imgDir, boardImage(site, puck));
    const f = st.createFlash(puck.storageBytes);
    const server = await startConsoleServer({ board: puck, flash: f });
    const state = path.join(dir, 'state.json');
    try {
      const lines: string[] = [];
      // The layout's lines go to the board in process (the espruino package's link over TCP takes
      // about 200 ms a line: 58 s for this update, measured once); the CLI steps go through the CLI.
      const openLink = async () => ({ ...simConsoleLink(server.board), close: async () => undefined });
      const first = await flash({ board: 'puckjs', port: server.url, layout: 'install', image: imgDir, stateFile: state, openLink, log: (l) => lines.push(l) });
      assert.equal(first.relayout!.mode, 'install');
      assert.deepEqual(st.list(f).slice(0, 4), ['ck.site.a', 'ck.keys', '.bootcde', 'ck.pad'], lines.join('\n'));
      assert.equal(st.find(f, '.bootcde')!.addr % 4096, 32, 'the bundle starts on a page');
      const permanent = ['ck.site.a', 'ck.keys'].map((n) => [st.find(f, n)!.addr, st.read(f, n)]);
      // The second flash finds the layout and updates it (no flag).
      const second = await flash({ board: 'puckjs', port: server.url, stateFile: state, openLink, log: quiet });
      assert.equal(second.relayout!.mode, 'update');
      assert.deepEqual(['ck.site.a', 'ck.keys'].map((n) => [st.find(f, n)!.addr, st.read(f, n)]), permanent);
      assert.equal(fs.existsSync(state), false, 'the state file is gone once done');
      const r = second.relayout!;
      console.log(`      puckjs update: ${r.pagesErased} page erases, ${r.filesWritten} files, ${r.bytesWritten} bytes, ${r.ms} ms (simulated board, in process)`);
      // Cut midway through an update: one line that says where the state is; the same command finishes it.
      const tiles = () => st.list(f).filter((n) => !['ck.site.a', 'ck.keys', '.bootcde', 'ck.pad'].includes(n)).map((n) => [n, st.read(f, n)]);
      const tilesBefore = tiles();
      server.board.storage.cutPowerAtWrite(20, 0.5);
      await assert.rejects(flash({ board: 'puckjs', port: server.url, stateFile: state, openLink, log: quiet }),
        (e: FlashError) => /kept in .*state\.json: run the same command again to finish/.test(e.message) && !/\n/.test(e.message));
      assert.ok(fs.existsSync(state), 'the state file is kept');
      assert.equal((fs.statSync(state).mode & 0o777).toString(8), '600');
      server.board.powerOn();
      const resumed: string[] = [];
      const third = await flash({ board: 'puckjs', port: server.url, stateFile: state, openLink, log: (l) => resumed.push(l) });
      assert.match(resumed.join('\n'), /resuming an interrupted update from .*state\.json/);
      assert.equal(third.relayout!.mode, 'update');
      assert.deepEqual(['ck.site.a', 'ck.keys'].map((n) => [st.find(f, n)!.addr, st.read(f, n)]), permanent);
      // Every log entry read before is there: the firmware booted between the cut and the re-run and
      // may have appended to a tile (its boot entry), which the re-run keeps as the newer copy.
      const now = new Map(tiles() as [string, string][]);
      for (const [n, was] of tilesBefore as [string, string][]) {
        const used = was.replace(/\xff+$/, '');
        assert.equal(now.get(n)!.slice(0, used.length), used, n + ': the entries read before are kept');
      }
      assert.equal(fs.existsSync(state), false);
      // A rebuild of the key file through the same command: the keys stay.
      const keysBefore = liveRecords(st.read(f, 'ck.keys')!);
      const rebuilt = await flash({ board: 'puckjs', port: server.url, layout: 'rebuild', stateFile: state, openLink, log: quiet });
      assert.equal(rebuilt.relayout!.keysKept, keysBefore.length);
      assert.deepEqual(liveRecords(st.read(f, 'ck.keys')!), keysBefore);
      assert.equal(st.read(f, 'ck.site.a'), permanent[0][1]);
    } finally {
      await server.close();
    }
  });

  it('a puckjs-nfc in its older layout, flashed without a flag: moved into the journal layout, keeping its site and keys', async function () {
    const nfc = boardById('puckjs-nfc')!;
    // Its firmware on the journal layout (hal/boards/puckjs-nfc.ts `tile`): before, it kept the older layout.
    if (!nfc.tile) this.skip();
    // What the older-layout firmware left on a full board (test/evidence/update-move-nfc.test.ts has the cuts).
    const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'older-layout', 'puckjs-nfc.json'), 'utf8')) as { flash: string; site: string };
    const f = st.createFlash(nfc.storageBytes);
    f.mem.set(gunzipSync(Buffer.from(fx.flash, 'base64')));
    const table = keyTableRecords(['ck.keys.a', 'ck.keys.b'].filter((n) => st.read(f, n) !== undefined).map((n) => ({ name: n, data: st.read(f, n)! })))!;
    const server = await startConsoleServer({ board: nfc, flash: f });
    try {
      const openLink = async () => ({ ...simConsoleLink(server.board), close: async () => undefined });
      const lines: string[] = [];
      const r = await flash({ board: 'puckjs-nfc', port: server.url, stateFile: path.join(dir, 'nfc.json'), openLink, log: (l) => lines.push(l) });
      assert.equal(r.relayout!.mode, 'update');
      assert.match(lines.join('\n'), /moving the older layout into the journal layout \(20 keys from ck\.keys\.[ab];/);
      assert.deepEqual(st.list(f), ['ck.site.a', 'ck.keys', '.bootcde', 'ck.pad', 'ck.jrnl']);
      assert.equal(Buffer.from(st.read(f, 'ck.site.a')!, 'latin1').toString('hex'), fx.site, 'the site');
      assert.deepEqual(liveRecords(st.read(f, 'ck.keys')!), table, 'every key, in the table\'s order');
      assert.equal(fs.existsSync(path.join(dir, 'nfc.json')), false, 'the state file is gone once done');
    } finally {
      await server.close();
    }
  });

  it('--update on a board that is not in the layout: exit 2, one line, nothing written', async () => {
    const f = st.createFlash(puck.storageBytes);
    st.write(f, { error: (m) => new Error(m), powerCut: () => new Error('cut') }, 'ck.site.a', 'an older site file');
    const server = await startConsoleServer({ board: puck, flash: f });
    const mem = f.mem.slice();
    try {
      await assert.rejects(flash({ board: 'puckjs', port: server.url, layout: 'update', stateFile: path.join(dir, 's2.json'), log: quiet }),
        (e: FlashError) => e.exitCode === 2 && /refused: the board's Storage is not in the layout/.test(e.message) && !/\n/.test(e.message));
      assert.deepEqual(f.mem, mem, 'nothing written');
    } finally {
      await server.close();
    }
  });

  it('bad flags: one line and exit 2 before anything is opened', async () => {
    const cases: [string[], RegExp][] = [
      [['--board', 'puckjs', '--port', 'tcp://127.0.0.1:1', '--update', '--install', '--image', dir], /--update and --install do not go together/],
      [['--board', 'puckjs', '--port', 'tcp://127.0.0.1:1', '--install'], /--install needs --image DIR/],
      [['--board', 'puckjs', '--port', 'tcp://127.0.0.1:1', '--image', dir], /--image goes with --install/],
      [['--board', 'puckjs', '--port', 'tcp://127.0.0.1:1', '--install', '--image', path.join(dir, 'nope')], /no board image in .*nope \(no manifest\.json\)/],
    ];
    for (const [args, re] of cases) {
      const r = await runNode([TSX, 'tools/flash.ts', ...args], 30000);
      assert.equal(r.code, 2, args.join(' ') + ': ' + r.stdout + r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line: ' + r.stderr);
    }
  });
});
