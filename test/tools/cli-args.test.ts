/**
 * tools/host/cli-args.ts and tools/host/cli-files.ts, in process: strict parsing, numbers and durations
 * that never turn a typo into "no bound", help that lists every option, paths from INIT_CWD,
 * files written whole or not at all; and the phone key's `add --hours` built on them.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Spec, CliError, UsageError, duration, help, int, parse } from '../../tools/host/cli-args';
import { readJson, userPath, writeFileSafe } from '../../tools/host/cli-files';
import { phonekeyArgs, SPEC as PHONEKEY } from '../../tools/phonekey/args';

const SPEC: Spec = {
  usage: 'tool',
  options: { port: { type: 'string', short: 'p', arg: 'PORT', help: 'the port' }, dev: { type: 'boolean', help: 'dev build' } },
};

const usageError = (re: RegExp) => (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(e.message) && !e.message.includes('\n');

describe('tools/host/cli-args', () => {
  it('parses strictly: unknown flags, missing values, values on booleans and stray arguments are one-line errors', () => {
    assert.deepEqual({ ...parse(['--port', 'x', '--dev'], SPEC).values }, { port: 'x', dev: true });
    assert.deepEqual({ ...parse(['-p', 'y'], SPEC).values }, { port: 'y' });
    assert.throws(() => parse(['--prot', 'x'], SPEC), usageError(/^unknown option --prot \(try --help\)$/));
    assert.throws(() => parse(['--port'], SPEC), usageError(/^--port needs a value$/));
    assert.throws(() => parse(['--port', '--dev'], SPEC), usageError(/^--port needs a value/));
    assert.throws(() => parse(['--dev=1'], SPEC), usageError(/^--dev takes no value$/));
    assert.throws(() => parse(['extra'], SPEC), usageError(/^unexpected argument "extra"/));
  });

  it('--help wins over everything else and the help lists every option', () => {
    assert.equal(parse(['--bogus', '--help'], SPEC).help, true);
    assert.equal(parse(['-h'], SPEC).help, true);
    assert.equal(parse(['--', '--help'], { ...SPEC, positionals: [0, 1] }).help, false);
    const h = help(SPEC);
    for (const o of ['-p, --port PORT', '--dev', '-h, --help']) assert.ok(h.includes(o), h);
  });

  it('whole numbers only, inside their range', () => {
    assert.equal(int('42', '--n', { min: 0, max: 100 }), 42);
    assert.equal(int(undefined, '--n', { min: 0, max: 100, def: 7 }), 7);
    for (const bad of ['', 'abc', '1.5', '1e3', '0x10', ' 3', 'NaN', 'Infinity']) {
      assert.throws(() => int(bad, '--n', { min: 0, max: 100 }), usageError(/^--n needs a whole number/), bad);
    }
    assert.throws(() => int('101', '--n', { min: 0, max: 100 }), usageError(/^--n must be from 0 to 100, got 101$/));
    assert.throws(() => int(undefined, '--n', { min: 0, max: 100 }), usageError(/--n is required/));
  });

  it('durations: 24h, 1d, 90m, a plain number in the option unit; never NaN, zero or unbounded', () => {
    const h = { unit: 'h' as const, maxMs: 3650 * 86400000 };
    for (const [text, ms] of [['24', 86400000], ['24h', 86400000], ['1d', 86400000], ['90m', 5400000], ['1.5h', 5400000], ['30s', 30000], ['2w', 14 * 86400000], ['250ms', 250]] as const) {
      assert.equal(duration(text, '--hours', h), ms, text);
    }
    for (const bad of ['abc', '1x', '-1', '-1h', '', 'h', '1 d', 'NaN', 'Infinity', '1e3']) {
      assert.throws(() => duration(bad, '--hours', h), usageError(/^--hours needs a duration/), bad);
    }
    assert.throws(() => duration('0', '--hours', h), usageError(/longer than zero/));
    assert.throws(() => duration('0h', '--hours', h), usageError(/longer than zero/));
    assert.throws(() => duration('3651d', '--hours', h), usageError(/at most 3650d/));
    assert.equal(duration(undefined, '--t', { unit: 's', maxMs: 60000, defMs: 30000 }), 30000);
  });
});

describe('tools/host/cli-args runMain', () => {
  const runMainWith = (body: string) => spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e',
    `require(${JSON.stringify(require.resolve('../../tools/host/cli-args'))}).runMain('demo', ${body})`], { encoding: 'utf8', timeout: 30000 });

  it('a main left pending with nothing to wait on (a peer that never answered) exits 1 with one line, not 0', () => {
    const r = runMainWith('() => new Promise(() => {})');
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'demo: stopped without a result: nothing answered\n');
  });

  it('a thrown error is one line without a stack, with its exit code; a returned code is the exit code', () => {
    let r = runMainWith('() => { throw new Error("disk on fire\\nsecond line") }');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'demo: disk on fire\n');
    r = runMainWith('async () => 3');
    assert.equal(r.status, 3);
    assert.equal(r.stderr, '');
  });
});

describe('tools/host/cli-files', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cli-files-'));

  it('resolves paths against INIT_CWD (where npm was run), else the working directory', () => {
    assert.equal(userPath('site.json', { INIT_CWD: '/home/me/car' }), '/home/me/car/site.json');
    assert.equal(userPath('/abs/site.json', { INIT_CWD: '/home/me/car' }), '/abs/site.json');
    assert.equal(userPath('x', {}), path.join(process.cwd(), 'x'));
  });

  it('writes whole files; exclusive never replaces one; a missing directory or file is one line', () => {
    const d = dir();
    const f = path.join(d, 'k.json');
    writeFileSafe(f, '{"a":1}', 'key file', { mode: 0o600, exclusive: true });
    assert.equal(fs.readFileSync(f, 'utf8'), '{"a":1}');
    assert.equal(fs.statSync(f).mode & 0o777, 0o600);
    assert.throws(() => writeFileSafe(f, 'other', 'key file', { exclusive: true }), (e: Error) => e instanceof CliError && /exists/.test(e.message));
    assert.equal(fs.readFileSync(f, 'utf8'), '{"a":1}', 'the existing file is untouched');
    writeFileSafe(f, '{"a":2}', 'key file');
    assert.equal(fs.readFileSync(f, 'utf8'), '{"a":2}');
    assert.deepEqual(fs.readdirSync(d), ['k.json'], 'no temporary file left behind');
    assert.throws(() => writeFileSafe(path.join(d, 'no', 'k.json'), 'x', 'key file'), (e: Error) => e instanceof CliError && /directory .*no does not exist/.test(e.message));
    assert.throws(() => readJson(path.join(d, 'missing.json'), 'config'), (e: Error) => e instanceof CliError && /^no config .*missing\.json \(no such file\)$/.test(e.message));
  });
});

describe('phone key arguments (tools/phonekey/args.ts)', () => {
  const env = { INIT_CWD: os.tmpdir() };
  const add = (...more: string[]) => phonekeyArgs(['add', '--key', 'k.json', ...more], env)!.add!;

  it('--hours=24, --hours 24h and --hours 1d are the same day; no --hours is no end', () => {
    assert.equal(add('--hours=24').validForMs, 86400000);
    assert.equal(add('--hours', '24h').validForMs, 86400000);
    assert.equal(add('--hours', '1d').validForMs, 86400000);
    assert.equal(add('--hours', '90m').validForMs, 5400000);
    assert.equal(add().validForMs, undefined);
  });

  it('a bad --hours, role, number or flag is refused before any link is opened', () => {
    assert.throws(() => add('--hours', 'abc'), usageError(/--hours needs a duration/));
    assert.throws(() => add('--hours=1x'), usageError(/--hours needs a duration/));
    assert.throws(() => add('--hours', '0'), usageError(/longer than zero/));
    assert.throws(() => add('--role', 'boss'), usageError(/--role must be owner, driver or guest/));
    assert.throws(() => phonekeyArgs(['revoke', '12x', '--key', 'k.json'], env), usageError(/whole number/));
    assert.throws(() => phonekeyArgs(['revoke', '--key', 'k.json'], env), usageError(/key id to revoke is required/));
    assert.throws(() => phonekeyArgs(['unlock', '--key', 'k.json', '--hours', '1'], env), usageError(/--hours goes with add/));
    assert.throws(() => phonekeyArgs(['unlock', '--key', 'k.json', '--hours'], env), usageError(/--hours needs a value/));
    assert.throws(() => phonekeyArgs(['unlock'], env), usageError(/--key is required/));
    assert.throws(() => phonekeyArgs(['fly', '--key', 'k.json'], env), usageError(/unknown command "fly"/));
    assert.throws(() => add('--out', path.join(os.tmpdir(), 'no-such-dir-' + process.pid, 'k.json')), (e: Error) => e instanceof CliError && /does not exist/.test(e.message));
  });

  it('paths are from INIT_CWD; --help lists every option', () => {
    assert.equal(phonekeyArgs(['status', '--key', 'k.json'], env)!.keyPath, path.join(os.tmpdir(), 'k.json'));
    assert.equal(phonekeyArgs(['status', '--help'], env), undefined);
    const h = help(PHONEKEY);
    for (const o of Object.keys(PHONEKEY.options)) assert.ok(h.includes('--' + o), o);
  });
});
