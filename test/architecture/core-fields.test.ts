/**
 * The protocols read the core through functions (firmware/core.ts corePorts, coreStatus,
 * coreKeys, coreLog, coreActor, coreConfig, realTime, setLinked), never its fields, so the core's
 * layout stays its own (issue 16). A source scan: a protocol file that names `core.ks`,
 * `pk.core.state`, `g.k.p` or any other field of the Core fails here.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const PROTOCOLS = ['firmware/phonekey.ts', 'firmware/owner-ops.ts', 'firmware/cards.ts', 'firmware/linkguard.ts'];
/** Every field of the Core, read from its interface in firmware/core.ts (a new field is covered too). */
function coreFields(): string[] {
  const src = fs.readFileSync(path.join(ROOT, 'firmware/core.ts'), 'utf8');
  const body = src.slice(src.indexOf('export interface Core {'), src.indexOf('\n}', src.indexOf('export interface Core {')));
  return [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
}
const FIELDS = coreFields();

/** `x.field` where x is a name for the core in these files (core, pk.core, cards.core, g.k). */
function coreFieldReads(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const re = new RegExp('\\b(core|\\.k)\\s*\\.\\s*(' + FIELDS.join('|') + ')\\b', 'g');
  const found: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) found.push(m[0]);
  return found;
}

describe('architecture: protocols read the core through functions', () => {
  it('the scan finds a field read and ignores functions and comments', () => {
    for (const f of ['p', 'ks', 'log', 'tc', 'actor', 'state', 'out', 'config', 'linked']) assert.ok(FIELDS.includes(f), f);
    assert.deepEqual(coreFieldReads('const a = pk.core.state; ksLookup(core.ks, 1); g.k.tc.trusted; core.p.clock'), ['core.state', 'core.ks', '.k.tc', 'core.p']);
    assert.deepEqual(coreFieldReads('coreStatus(core); pk.p.clock; corePorts(core).clock; // core.ks\n/* core.log */ coreKeys(cards.core)'), []);
  });
  for (const file of PROTOCOLS) {
    it(file + ' reads no field of the core', () => {
      assert.deepEqual(coreFieldReads(fs.readFileSync(path.join(ROOT, file), 'utf8')), []);
    });
  }
});
