/**
 * `npm run fleet` as the user runs it (a fresh node + tsx process each time): a v1 site file
 * imported, the simulator started with that same site (`npm start -- --site`), the board's log
 * collected by the CLI over the simulator's radio bridge with the owner key the registry derives,
 * exported as CSV; and bad input: wrong flag, bad number, missing file, nothing listening, a wrong
 * passphrase — each one line and a non-zero exit — and a share whose file cannot be written
 * records nothing.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../../tools/host/build/bundle';
import { newSiteData, writeSiteFile } from '../../tools/host/provision/sitefile';
import { issueKey } from '../../tools/host/provision/keys';
import { ownSite } from '../../sim/own-site';
import { type SimServer, startServer } from '../../sim/server';
import { openRegistry } from '../../tools/fleet/registry';
import { FAST_KDF } from './support';

const TSX = require.resolve('tsx/cjs');
const PASS = 'fleet cli passphrase';
interface Run { code: number | null; stdout: string; stderr: string }

function fleet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const e: NodeJS.ProcessEnv = { ...process.env, CARKEY_PASSPHRASE: PASS, CARKEY_DEBUG: '', ...env };
    delete e.INIT_CWD;
    const child = spawn(process.execPath, ['-r', TSX, path.join(ROOT, 'tools/fleet/cli.ts'), ...args], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function oneLineError(r: Run, re: RegExp, code?: number): void {
  const all = `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.notEqual(r.code, 0, all);
  if (code !== undefined) assert.equal(r.code, code, all);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, 'exactly one line on stderr\n' + all);
  assert.match(lines[0], re, all);
}

describe('npm run fleet (spawned as the user runs it)', function () {
  this.timeout(180000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-cli-'));
  const site = path.join(dir, 'mycar.site');
  const reg = path.join(dir, 'fleet.db');
  let srv: SimServer | undefined;
  before(() => {
    const data = newSiteData();
    issueKey(data, { role: 'owner', label: 'Me' });
    issueKey(data, { role: 'guest', label: 'Bob' });
    writeSiteFile(site, data, PASS, FAST_KDF);
  });
  after(async () => { if (srv) await srv.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('imports a site file, collects the simulated car\'s log over the radio bridge, exports CSV', async () => {
    const imp = await fleet(['import', site, '--registry', reg, '--label', 'my-car']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /board my-car .* with 2 keys/);
    srv = await startServer({ board: 'puckjs', port: 0, realtime: true, tickMs: 20, site: ownSite(site, PASS, 'puckjs') });
    const ws = srv.url.replace(/^http/, 'ws').replace(/\/$/, '') + '/ws/radio';
    const col = await fleet(['collect', '--registry', reg, '--board', 'my-car', '--sim', ws]);
    assert.equal(col.code, 0, col.stderr + col.stdout);
    const m = /read (\d+) entries in \d+ pages, (\d+) new; firmware (\S+)/.exec(col.stdout);
    assert.ok(m, col.stdout);
    assert.ok(Number(m[2]) > 0);
    const csv = await fleet(['log', '--registry', reg, '--board', 'my-car', '--csv']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout.trimEnd().split('\r\n').length - 1, Number(m[2]));
    const boards = await fleet(['boards', '--registry', reg]);
    assert.match(boards.stdout, /my-car .* v1 site secret .* 2 keys .* log entries/);
  });

  it('bad input: one line and a non-zero exit; --help exits 0', async () => {
    const help = await fleet(['--help']);
    assert.equal(help.code, 0);
    for (const o of ['--registry', '--board', '--sim', '--csv', '--from', 'serve']) assert.ok(help.stdout.includes(o), o);
    oneLineError(await fleet(['boards', '--registry', reg, '--wrong']), /unknown option --wrong/, 2);
    oneLineError(await fleet(['revoke', 'abc', '--registry', reg]), /key id needs a whole number/, 2);
    oneLineError(await fleet(['log', '--registry', reg, '--event', '999']), /--event must be from 0 to 127/, 2);
    oneLineError(await fleet(['import', path.join(dir, 'nope.site'), '--registry', reg]), /no site file .*nope\.site/, 1);
    oneLineError(await fleet(['boards', '--registry', path.join(dir, 'none.db')]), /no registry .*none\.db/, 1);
    oneLineError(await fleet(['boards', '--registry', reg], { CARKEY_PASSPHRASE: 'wrong passphrase' }), /wrong passphrase/, 1);
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    oneLineError(await fleet(['collect', '--registry', reg, '--board', 'my-car', '--sim', 'ws://127.0.0.1:' + port + '/ws/radio']), /cannot reach the simulator/, 1);
    oneLineError(await fleet(['collect', '--registry', reg, '--board', 'my-car', '--console', 'tcp://127.0.0.1:' + port]), /nothing is listening at tcp:\/\/127\.0\.0\.1/, 1);
    oneLineError(await fleet(['collect', '--registry', reg, '--board', 'my-car', '--console', 'tcp://127.0.0.1:' + port, '--sim', 'ws://127.0.0.1:1/']), /one of --sim URL, --ble or --console PORT/, 2);
    oneLineError(await fleet(['serve', '--registry', reg, '--port', '70000']), /--port must be from 0 to 65535/, 2);
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    try {
      oneLineError(await fleet(['serve', '--registry', reg, '--port', String((busy.address() as net.AddressInfo).port)]), /is in use/, 1);
    } finally { busy.close(); }
    const text = await fleet(['log', '--registry', reg, '--board', 'my-car']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /my-car {2}\d+ .* (granted|boot|clock set|key added)/);
  });

  it('a share whose file cannot be written records no ticket', async () => {
    // A v1-only registry cannot make tickets at all; add a board that speaks v2 with its own secrets and an owner first.
    assert.equal((await fleet(['board-add', '--registry', reg, '--label', 'van', '--type', 'xiaoble'])).code, 0);
    assert.equal((await fleet(['key-add', '--registry', reg, '--board', 'van', '--role', 'owner'])).code, 0);
    // A board whose firmware speaks v1 (a 40 KB build; the imported site-secret board) takes no ticket: said at once, nothing written.
    oneLineError(await fleet(['share', '--registry', reg, '--board', 'my-car', '--role', 'driver', '--hours', '1d', '--out', path.join(dir, 'v1.link.txt')]), /a ticket needs boards that speak protocol v2 .*not: my-car \(puckjs, site secret\)/, 1);
    assert.ok(!fs.existsSync(path.join(dir, 'v1.link.txt')));
    oneLineError(await fleet(['share', '--registry', reg, '--board', 'van', '--role', 'driver', '--hours', '1d', '--out', path.join(dir, 'no-such-dir', 'x.link.txt')]), /does not exist/, 1);
    const r = openRegistry(reg, PASS);
    try { assert.equal((r.db.prepare("SELECT count(*) AS n FROM keys WHERE kind = 'ticket'").get() as { n: number }).n, 0); } finally { r.close(); }
    const ok = await fleet(['share', '--registry', reg, '--board', 'van', '--role', 'driver', '--hours', '1d', '--out', path.join(dir, 'sam.link.txt')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(fs.readFileSync(path.join(dir, 'sam.link.txt'), 'utf8'), /^#v=2&k=\d+&b=/);
    assert.equal((fs.statSync(path.join(dir, 'sam.link.txt')).mode & 0o777), 0o600);
  });
});
