/**
 * The real-interpreter engine's plumbing, without an interpreter (CI has none): the pipes of
 * sim/espruino/link.ts driven by small shell processes, values turned into board source, and the
 * board-side prelude checked by the same dialect guard as the firmware.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as vm from 'node:vm';
import { InterpreterExited, InterpreterStuck, InterpreterTimeout, makeBoardDir, startLink } from '../../sim/espruino/link';
import { PRELUDE_FILE, toSource } from '../../sim/espruino/board';
import { checkDialect } from '../../tools/host/build/dialect-guard';

const dirs: string[] = [];
const boardDir = () => { const d = makeBoardDir(); dirs.push(d); return d; };
const sh = (script: string) => startLink('/bin/sh', boardDir(), ['-c', script]);

describe('real-interpreter link (named pipes, no interpreter needed)', () => {
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

  it('carries lines out and a message in, in lock step', () => {
    const l = sh(`printf 'H\\n?\\n' > r; m=$(cat c); printf 'p%s\\n?\\n' "$m" > r; exec sleep 5`);
    try {
      assert.equal(l.line(3000), 'H');
      assert.equal(l.line(3000), '?');
      l.send('({n:0})', 3000);
      assert.equal(l.line(3000), 'p({n:0})');
      assert.equal(l.line(3000), '?');
      assert.equal(l.alive, true);
    } finally { l.kill(); }
    assert.equal(l.alive, false);
  });

  it('an interpreter that exits is an error with what it printed, not a wait', () => {
    const l = sh('echo "ASSERT(len <= 64) FAILED"; exit 3');
    const t0 = Date.now();
    assert.throws(() => l.line(10000), (e: unknown) => e instanceof InterpreterExited && /ASSERT/.test(e.output));
    assert.ok(Date.now() - t0 < 5000);
  });

  it('silence past the deadline is a timeout', () => {
    const l = sh('exec sleep 5');
    try {
      assert.throws(() => l.line(200), InterpreterTimeout);
      assert.throws(() => l.send('x', 200), InterpreterTimeout, 'nobody reads the message pipe');
    } finally { l.kill(); }
  });

  it('out of memory or an interrupt ends the wait early', () => {
    const l = sh('echo "Execution Interrupted during event processing."; exec sleep 5');
    const t0 = Date.now();
    try {
      assert.throws(() => l.line(10000), InterpreterStuck);
      assert.ok(Date.now() - t0 < 5000);
    } finally { l.kill(); }
  });

  it('waits for a run to end by itself and returns its output', () => {
    assert.match(sh('echo installed .boot0 12 34').waitExit(5000), /installed \.boot0 12 34/);
  });
});

describe('values sent to the board as source', () => {
  const ctx = vm.createContext({
    E: { toUint8Array: (s: string) => Uint8Array.from(Buffer.from(s, 'latin1')) },
    atob: (b: string) => Buffer.from(b, 'base64').toString('latin1'),
  });
  const back = (v: unknown) => vm.runInContext('(' + toSource(v) + ')', ctx);

  it('round-trips numbers, byte strings, arrays, objects and bytes', () => {
    const v = back({ n: 1.5, neg: -3, s: 'a"b\\c\n\xff\x00', t: true, u: null, list: [1, 'x', [2]] });
    assert.deepEqual(JSON.parse(JSON.stringify(v)), { n: 1.5, neg: -3, s: 'a"b\\c\n\xff\x00', t: true, u: null, list: [1, 'x', [2]] });
    const bytes = back(new Uint8Array([0, 1, 254, 255]));
    assert.deepEqual(Array.from(bytes as Uint8Array), [0, 1, 254, 255]);
    const ab = back({ data: new Uint8Array([9, 8, 7]).buffer }) as { data: ArrayBuffer };
    assert.deepEqual(Array.from(new Uint8Array(ab.data)), [9, 8, 7]);
  });

  it('sends bytes as base64, not as an array literal (a variable per byte on the board)', () => {
    assert.match(toSource(new Uint8Array(64)), /^E\.toUint8Array\(atob\("[A-Za-z0-9+/=]+"\)\)$/);
  });
});

describe('the board-side prelude', () => {
  it('is written in what Espruino runs (the firmware\'s dialect guard passes it)', () => {
    assert.deepEqual(checkDialect(fs.readFileSync(PRELUDE_FILE, 'utf8')), []);
  });
});
