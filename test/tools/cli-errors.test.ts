/**
 * Every command-line tool, run as the user runs it (node + tsx, a fresh process), with bad input:
 * a wrong flag, a bad number, a missing file or directory, nothing listening. Each must print one
 * line on stderr, no stack trace, and exit non-zero; --help must exit 0 and list every option.
 * Also: `provision issue` never records a key whose file was not written, and relative paths are
 * taken from the directory npm was run in (INIT_CWD), not the repository root.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../../tools/host/build/bundle';
import { type Io, runProvision } from '../../tools/provision/cli';
import { readSiteFile } from '../../tools/host/provision/sitefile';

/** tsx's require hook in the same process (its cli.mjs starts a second node). */
const TSX = require.resolve('tsx/cjs');
const PASS = 'correct horse battery';

interface Run { code: number | null; stdout: string; stderr: string }

function run(tool: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CARKEY_PASSPHRASE: PASS, CARKEY_DEBUG: '', ...opts.env };
    if (!opts.env || !('INIT_CWD' in opts.env)) delete env.INIT_CWD;
    const child = spawn(process.execPath, ['-r', TSX, path.join(ROOT, tool), ...args], { cwd: opts.cwd || ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs || 30000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** One line on stderr matching `re`, no stack, a non-zero exit (`code` when given). */
function oneLineError(r: Run, re: RegExp, code?: number): void {
  const all = `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.notEqual(r.code, 0, all);
  if (code !== undefined) assert.equal(r.code, code, all);
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, 'exactly one line on stderr\n' + all);
  assert.match(lines[0], re, all);
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .*:\d+:\d+/, 'no stack trace\n' + all);
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs the cases two at a time (the machine has two cores) and checks each. */
async function each(cases: Array<[string, () => Promise<Run>, (r: Run) => void]>): Promise<void> {
  const failures: string[] = [];
  for (let i = 0; i < cases.length; i += 2) {
    const batch = cases.slice(i, i + 2);
    const runs = await Promise.all(batch.map((c) => c[1]()));
    batch.forEach((c, j) => { try { c[2](runs[j]); } catch (e) { failures.push(c[0] + ': ' + (e as Error).message); } });
  }
  assert.deepEqual(failures, []);
}

describe('command-line tools fail loudly on bad input (spawned like npm run does)', function () {
  this.timeout(180000);
  let dir: string;
  let port: number;
  let keyFile: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-errors-'));
    port = await closedPort();
    keyFile = path.join(dir, 'k.json');
    fs.writeFileSync(keyFile, JSON.stringify({ keyId: 1, secret: '00'.repeat(16) }));
  });

  it('provision: wrong flag, bad number, missing file, missing directory, nothing listening; --help', async () => {
    const P = 'tools/provision/cli.ts';
    await each([
      ['wrong flag', () => run(P, ['list', '--sight', 'x']), (r) => oneLineError(r, /unknown option --sight/, 2)],
      ['bad number', () => run(P, ['show', '--board', 'puckjs', '--port', 'tcp://127.0.0.1:' + port, '--timeout', 'soon']), (r) => oneLineError(r, /--timeout needs a duration/, 2)],
      ['missing file', () => run(P, ['list', '--site', path.join(dir, 'missing.site')]), (r) => oneLineError(r, /no site file .*missing\.site/, 1)],
      ['missing directory', () => run(P, ['init', '--site', path.join(dir, 'nodir', 'x.site')]), (r) => oneLineError(r, /directory .*nodir does not exist/, 1)],
      ['nothing listening (show)', () => run(P, ['show', '--board', 'puckjs', '--port', 'tcp://127.0.0.1:' + port]), (r) => oneLineError(r, /nothing is listening at tcp:\/\/127\.0\.0\.1:\d+/, 1)],
      ['help', () => run(P, ['issue', '--help']), (r) => {
        assert.equal(r.code, 0, r.stderr);
        for (const o of ['--site', '--role', '--label', '--perms', '--not-before', '--not-after', '--out', '--card-uid', '--link-base', '--show-secret', '--link-file', '--qr-file']) assert.ok(r.stdout.includes(o), o);
      }],
    ]);
  });

  it('provision write: nothing listening, before the site file is even opened', async () => {
    const site = path.join(dir, 'w.site');
    const r = await run('tools/provision/cli.ts', ['write', '--site', site, '--board', 'puckjs', '--port', 'tcp://127.0.0.1:' + port]);
    oneLineError(r, /nothing is listening/, 1);
  });

  it('provision: a port that accepts but never answers ends in a one-line error, not a silent exit 0', async () => {
    const silent = net.createServer(() => { /* accept, say nothing */ });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const p = (silent.address() as net.AddressInfo).port;
      const r = await run('tools/provision/cli.ts', ['show', '--board', 'puckjs', '--port', 'tcp://127.0.0.1:' + p, '--timeout', '2s']);
      oneLineError(r, /no answer from the board|no answer from tcp|nothing answered/, 1);
    } finally {
      silent.close();
    }
  });

  it('phonekey: wrong flag, bad --hours, missing key file, nothing listening; --help', async () => {
    const K = 'tools/phonekey/cli.ts';
    await each([
      ['wrong flag', () => run(K, ['unlock', '--key', keyFile, '--bogus']), (r) => oneLineError(r, /unknown option --bogus/, 2)],
      ['bad --hours', () => run(K, ['add', '--key', keyFile, '--role', 'guest', '--hours=1x']), (r) => oneLineError(r, /--hours needs a duration/, 2)],
      ['missing file', () => run(K, ['unlock', '--key', path.join(dir, 'missing.json')]), (r) => oneLineError(r, /cannot read key file .*missing\.json/, 1)],
      ['nothing listening', () => run(K, ['unlock', '--key', keyFile, '--sim', `ws://127.0.0.1:${port}/ws/radio`]), (r) => oneLineError(r, /cannot reach the simulator/, 1)],
      ['help', () => run(K, ['--help']), (r) => {
        assert.equal(r.code, 0, r.stderr);
        for (const o of ['--key', '--sim', '--ble', '--name', '--role', '--label', '--hours', '--out', '--perms', '--boards', '--link-base', '--qr', '--travel']) assert.ok(r.stdout.includes(o), o);
      }],
    ]);
  });

  it('phonekey v2 commands: share with a bad number or a v1 key, revoke --travel with a v1 key, and nothing written', async () => {
    const K = 'tools/phonekey/cli.ts';
    const before = fs.readdirSync(dir).sort();
    await each([
      ['share bad --hours', () => run(K, ['share', '--key', keyFile, '--hours', '3x']), (r) => oneLineError(r, /--hours needs a duration/, 2)],
      ['share wrong role', () => run(K, ['share', '--key', keyFile, '--hours', '2h', '--role', 'owner']), (r) => oneLineError(r, /--role must be driver or guest/, 2)],
      ['share v1 key', () => run(K, ['share', '--key', keyFile, '--hours', '2h', '--out', path.join(dir, 't.json')]), (r) => oneLineError(r, /is a v1 key file/, 1)],
      ['revoke --travel v1 key', () => run(K, ['revoke', '5', '--travel', '--key', keyFile]), (r) => oneLineError(r, /is a v1 key file/, 1)],
    ]);
    assert.deepEqual(fs.readdirSync(dir).sort(), before, 'nothing written');
  });

  it('flash: wrong flag, bad number, missing file, nothing listening; --help', async () => {
    const F = 'tools/flash.ts';
    await each([
      ['wrong flag', () => run(F, ['--board', 'puckjs', '--prot', 'x']), (r) => oneLineError(r, /unknown option --prot/, 2)],
      ['bad number', () => run(F, ['--board', 'puckjs', '--port', 'tcp://127.0.0.1:' + port, '--timeout', 'x']), (r) => oneLineError(r, /--timeout needs a duration/, 2)],
      ['missing file', () => run(F, ['--board', 'puckjs', '--port', '/dev/null', '--file', path.join(dir, 'missing.js')]), (r) => oneLineError(r, /no such file: .*missing\.js/, 2)],
      ['nothing listening', () => run(F, ['--board', 'puckjs', '--port', 'tcp://127.0.0.1:' + port]), (r) => oneLineError(r, /nothing is listening at tcp:\/\/127\.0\.0\.1:\d+/, 1)],
      ['help', () => run(F, ['--help']), (r) => {
        assert.equal(r.code, 0, r.stderr);
        for (const o of ['--board', '--port', '--dev', '--file', '--timeout']) assert.ok(r.stdout.includes(o), o);
      }],
    ]);
  });

  it('relay bench: wrong flag, bad number, missing key file, nothing listening', async () => {
    const B = 'tools/relay-bench/cli.ts';
    const base = ['--board', 'puckjs', '--port', 'tcp://127.0.0.1:' + port];
    await each([
      ['wrong flag', () => run(B, [...base, '--key', keyFile, '--cylces', '3']), (r) => oneLineError(r, /unknown option --cylces/, 2)],
      ['bad number', () => run(B, [...base, '--key', keyFile, '--cycles', 'many']), (r) => oneLineError(r, /--cycles needs a whole number/, 2)],
      ['missing file', () => run(B, [...base, '--key', path.join(dir, 'missing.json')]), (r) => oneLineError(r, /cannot read key file/, 1)],
      ['nothing listening', () => run(B, [...base, '--key', keyFile, '--out', path.join(dir, 'r')]), (r) => oneLineError(r, /nothing is listening/, 1)],
    ]);
  });

  it('sim and npm start: wrong flag, bad number, missing file, port in use', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    try {
      const inUse = (busy.address() as net.AddressInfo).port;
      await each([
        ['sim wrong flag', () => run('sim/cli.ts', ['run', 'x', '--engin', 'vm']), (r) => oneLineError(r, /unknown option --engin/, 2)],
        ['sim bad number', () => run('sim/cli.ts', ['console', '--port', '99999']), (r) => oneLineError(r, /--port must be from 0 to 65535/, 2)],
        ['sim missing file', () => run('sim/cli.ts', ['console', '--boot', path.join(dir, 'missing.js')]), (r) => oneLineError(r, /no such file: .*missing\.js/, 2)],
        ['sim console port in use', () => run('sim/cli.ts', ['console', '--port', String(inUse)]), (r) => oneLineError(r, new RegExp('port ' + inUse + ' on 127\\.0\\.0\\.1 is in use'), 1)],
        ['start wrong flag', () => run('sim/main.ts', ['--bord', 'puckjs']), (r) => oneLineError(r, /unknown option --bord/, 2)],
        ['start bad number', () => run('sim/main.ts', ['--port', '80x']), (r) => oneLineError(r, /--port needs a whole number/, 2)],
        ['start port in use', () => run('sim/main.ts', ['--port', String(inUse)]), (r) => oneLineError(r, new RegExp('port ' + inUse + ' on 127\\.0\\.0\\.1 is in use'), 1)],
      ]);
    } finally {
      busy.close();
    }
  });

  it('build, benches and evidence runs: wrong flag, bad number, missing file; --help exits 0', async () => {
    await each([
      ['build wrong flag', () => run('tools/build.ts', ['--bored', 'x']), (r) => oneLineError(r, /unknown option --bored/, 2)],
      ['benchmarks wrong flag', () => run('tools/benchmarks/firmware.ts', ['--fast']), (r) => oneLineError(r, /unknown option --fast/, 2)],
      ['keystore wrong flag', () => run('tools/benchmarks/keystore.ts', ['--keys', '5']), (r) => oneLineError(r, /unknown option --keys/, 2)],
      ['memory missing file', () => run('tools/benchmarks/memory.ts', [path.join(dir, 'missing.probe')]), (r) => oneLineError(r, /no memory probe .*missing\.probe/, 1)],
      ['memory bad number', () => run('tools/benchmarks/memory.ts', [keyFile, '--rows', 'ten']), (r) => oneLineError(r, /--rows needs a whole number/, 2)],
      ['fuzz bad number', () => run('tools/evidence/fuzz.ts', ['--cases', '1e3']), (r) => oneLineError(r, /--cases needs a whole number/, 2)],
      ['fuzz wrong flag', () => run('tools/evidence/fuzz.ts', ['--case', '3']), (r) => oneLineError(r, /unknown option --case/, 2)],
      ['soak bad duration', () => run('tools/evidence/soak.ts', ['--hours', 'all']), (r) => oneLineError(r, /--hours needs a duration/, 2)],
      ['test:espruino wrong flag', () => run('tools/espruino/boot-bundles.ts', ['--all']), (r) => oneLineError(r, /unknown option --all/, 2)],
      ['soak help', () => run('tools/evidence/soak.ts', ['--help']), (r) => {
        assert.equal(r.code, 0, r.stderr);
        for (const o of ['--hours', '--seed', '--board', '--espruino-iterations']) assert.ok(r.stdout.includes(o), o);
      }],
    ]);
  });

  it('relative paths are from the directory npm was run in (INIT_CWD), not the repository root', async () => {
    const name = 'init-cwd-' + process.pid + '.site';
    const r = await run('tools/provision/cli.ts', ['init', '--site', name], { cwd: ROOT, env: { INIT_CWD: dir }, timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(dir, name)), 'written where the user was');
    assert.ok(!fs.existsSync(path.join(ROOT, name)), 'not in the repository');
  });
});

describe('provision issue: nothing recorded before it is written', function () {
  this.timeout(60000);
  const FAST = { name: 'scrypt' as const, N: 1 << 14, r: 8, p: 1 };
  const io = () => {
    const o = { out: '', err: '' };
    const obj: Io = { out: (s) => { o.out += s; }, err: (s) => { o.err += s; }, env: { CARKEY_PASSPHRASE: PASS }, kdf: FAST };
    return { o, obj };
  };

  it('the site keeps no key when the key file cannot be written, and no key file stays when the site cannot be', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'issue-order-'));
    const site = path.join(dir, 'site.json');
    assert.equal(await runProvision(['init', '--site', site], io().obj), 0);
    const keys = () => readSiteFile(site, PASS).data.keys.length;

    // The key file's directory is missing: refused before anything, the site unchanged.
    let c = io();
    assert.equal(await runProvision(['issue', '--site', site, '--role', 'guest', '--label', 'Bob', '--out', path.join(dir, 'nodir', 'bob.json')], c.obj), 1);
    assert.match(c.o.err, /^error: cannot write key file .*nodir.* does not exist\n$/);
    assert.equal(keys(), 0);

    // The key file exists already: refused, the site unchanged, the file untouched.
    const taken = path.join(dir, 'taken.json');
    fs.writeFileSync(taken, 'mine');
    c = io();
    assert.equal(await runProvision(['issue', '--site', site, '--role', 'guest', '--label', 'Bob', '--out', taken], c.obj), 1);
    assert.equal(fs.readFileSync(taken, 'utf8'), 'mine');
    assert.equal(keys(), 0);

    // The site file cannot be replaced (its temporary file's name is taken by a directory):
    // the key file just written is removed again, so no key exists that the site does not know.
    const blocker = path.join(dir, '.site.json.' + process.pid + '.tmp');
    fs.mkdirSync(blocker);
    c = io();
    const out = path.join(dir, 'carol.json');
    assert.equal(await runProvision(['issue', '--site', site, '--role', 'driver', '--label', 'Carol', '--out', out], c.obj), 1);
    assert.match(c.o.err, /^error: cannot write site file/);
    assert.ok(!fs.existsSync(out), 'no key file for a key the site did not record');
    assert.equal(keys(), 0);
    fs.rmdirSync(blocker);

    // And when both can be written: the key file and the site's record.
    c = io();
    assert.equal(await runProvision(['issue', '--site', site, '--role', 'driver', '--label', 'Carol', '--out', out], c.obj), 0, c.o.err);
    assert.ok(fs.existsSync(out));
    assert.equal(keys(), 1);
    assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')).keyId, readSiteFile(site, PASS).data.keys[0].id);
  });
});
