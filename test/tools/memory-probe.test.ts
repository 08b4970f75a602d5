/**
 * tools/benchmarks/memory.ts: reading the real-interpreter engine's memory probe. The analysis is
 * checked on a hand-made dump (CI); the probe itself with a real interpreter (ESPRUINO_BIN).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyse, parseProbe, parseVarLine, sourceNames } from '../../tools/benchmarks/memory';
import { espruinoBinary } from '../../tools/host/espruino-binary';
import { scenarios } from '../../sim/scenarios/index';
import { runScenario } from '../../sim/scenario';

// Root 1 holds the bundle's scope 10 (two functions f and g close over it); an array 20 that the
// root does not reach is a call frame: its scope 21 holds "a" (an object of 3) and "b" (a number).
const DUMP = [
  '@@PROBE board=puckjs prelude=100 ballast=50 variables=2630',
  '@@U 400 write ck.log.1',
  '@@U 420 ask u{"x"}',
  '@@DUMP 420 ask u{"x"}',
  'ref,size,flags,name,links...',
  '1,1,1,Object,2,',
  '2,1,28,"\\xFFfns",10,',
  '10,1,7,,3,4,',
  '3,1,28,"f",11,',
  '4,2,28,"gee,with,commas",12,',
  '11,1,7,,13,15,',
  '13,1,28,"\\xFFcod",14,',
  '14,1,41,String "return a+b...",',
  '15,1,28,"\\xFFsco",10,',
  '12,1,7,,16,17,',
  '16,1,28,"\\xFFcod",18,',
  '18,5,41,String "return 1",',
  '17,1,28,"\\xFFsco",10,',
  '>20,1,3,Array,30,',
  '30,1,15,"0",21,',
  '21,1,7,,22,23,',
  '22,1,28,"a",24,',
  '24,3,5,Object,',
  '23,1,20,"b",99,',
  '@@END',
].join('\n');

describe('memory probe analysis (tools/benchmarks/memory.ts)', () => {
  it('reads dump lines, quoted labels with commas and literal names without links', () => {
    assert.deepEqual(parseVarLine('4,2,28,"gee,with,commas",12,'), [4, { size: 2, flags: 28, label: '"gee,with,commas"', links: [12] }]);
    assert.deepEqual(parseVarLine('23,1,20,"b",99,')![1].links, [], 'a name holding its number links nowhere');
    assert.equal(parseVarLine('14,1,41,String "a,b...",')![1].label, 'String "a,b..."');
    assert.equal(parseVarLine('ref,size,flags,name,links...'), undefined);
  });

  it('finds the points, the dump, the frames the running code holds and what each top-level name keeps', () => {
    const p = parseProbe(DUMP);
    assert.equal(p.board, 'puckjs');
    assert.equal(p.offset, 150);
    assert.deepEqual(p.points.map((x) => x.usage), [400, 420]);
    assert.equal(p.dumps.length, 1);
    const a = analyse(p.dumps[0], true);
    assert.equal(a.reachable, 18, 'root, scope and both functions with their code');
    assert.deepEqual(a.stack, [{ size: 8, ref: 20, holds: ['a', 'b'] }], 'the frame: array, index, scope, two names, the object');
    assert.deepEqual(a.topLevel, [{ size: 10, name: 'gee,with,commas' }, { size: 5, name: 'f' }]);
  });

  it('maps mangled top-level names back to source names through the bundle\'s source map', function () {
    const bundle = path.join(__dirname, '..', '..', 'dist', 'puckjs', 'firmware.js');
    if (!fs.existsSync(bundle)) this.skip();
    const names = new Set(sourceNames(bundle).values());
    for (const n of ['genCheck', 'slotFind', 'ksFind', 'macOf', 'audit']) assert.ok(names.has(n), n);
  });

  it('the real interpreter\'s probe: points at every write, a dump at the highest, frames and names', async function () {
    this.timeout(120000);
    if (!espruinoBinary()) { console.log('      skipped: set ESPRUINO_BIN (docs/ESPRUINO.md)'); this.skip(); }
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'probe-')), 'probe.txt');
    const out = await runScenario(scenarios.find((s) => s.name === 'replay-attack')!, 'espruino', undefined, file);
    assert.ok(out.ok, out.failure || '');
    const p = parseProbe(fs.readFileSync(file, 'latin1'));
    assert.equal(p.board, 'puckjs');
    // The journal layout writes the log with require("Flash").write (hal/espruino/journal.ts).
    assert.ok(p.points.some((x) => x.why.startsWith('write flash') || x.why.startsWith('write ck.log.')), 'a point at an audit log write');
    const high = p.dumps[p.dumps.length - 1];
    assert.equal(high.usage, Math.max(...p.points.map((x) => x.usage)), 'the last dump is at the highest point');
    const a = analyse(high);
    assert.ok(a.stack.reduce((s, r) => s + r.size, 0) > 50, 'the running code holds its frames');
    assert.ok(a.topLevel.length > 50, 'the bundle\'s top-level names');
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
