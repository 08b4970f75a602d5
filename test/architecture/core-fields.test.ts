/**
 * The protocols read the core through functions (firmware/core.ts coreStatus, coreKeys, coreLog,
 * coreActor, coreConfig, realTime, setLinked), never its fields, so the core's layout stays its
 * own (issue 16). A source scan: a protocol file that names `core.ks`, `pk.core.state` or any
 * other field of the Core fails here. Ports (`core.p`) are the firmware's injected hardware and
 * are still read through the core for now (see docs/ARCHITECTURE.md).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const PROTOCOLS = ['firmware/phonekey.ts', 'firmware/owner-ops.ts', 'firmware/cards.ts', 'firmware/linkguard.ts'];
/** Every field of the Core but its ports. */
const FIELDS = ['config', 'configGen', 'ks', 'log', 'tc', 'out', 'state', 'relockTimer', 'enrolTimer', 'recoverTimer', 'enrolRole', 'actor', 'reserve', 'urgent', 'compactAt', 'linked'];

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
    assert.deepEqual(coreFieldReads('const a = pk.core.state; ksLookup(core.ks, 1); g.k.tc.trusted;'), ['core.state', 'core.ks', '.k.tc']);
    assert.deepEqual(coreFieldReads('coreStatus(core); core.p.clock; // core.ks\n/* core.log */ coreKeys(cards.core)'), []);
  });
  for (const file of PROTOCOLS) {
    it(file + ' reads no field of the core', () => {
      assert.deepEqual(coreFieldReads(fs.readFileSync(path.join(ROOT, file), 'utf8')), []);
    });
  }
});
