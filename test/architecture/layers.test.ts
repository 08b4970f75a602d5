/**
 * The layers, checked by reading every import (docs/ARCHITECTURE.md "Layers"):
 *   firmware/   imports only firmware/
 *   hal/        hal/ and firmware/
 *   tools/host/ itself, hal/ and firmware/
 *   sim/        itself, tools/host/, hal/ and firmware/
 *   tools/      anything but test/
 *   test/       anything; nothing outside test/ imports test/
 * The checker itself is tested on fabricated sources, so a new arrow the wrong way fails here.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { type Arrow, importsOf, layerOf, readSources, violations } from './imports';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * PENDING: arrows that break the layers today and are being removed by another piece of work in
 * flight. Each entry names who removes it. An entry that no longer occurs fails the test, so the
 * list only shrinks: delete entries as their work is merged, until it is empty.
 */
const PENDING: { from: string; to: string; owner: string }[] = [
  // Helper "world" replaces the test fakes the benches and the fuzzer borrow with one in-memory
  // flash and one virtual-timer queue in tools/host/ (tools/host/flash.ts, tools/host/timer-queue.ts).
  { from: 'tools/benchmarks/board.ts', to: 'test/support/fake-ports', owner: 'world' },
  { from: 'tools/benchmarks/keystore.ts', to: 'test/support/fake-ports', owner: 'world' },
  { from: 'tools/evidence/fuzz.ts', to: 'test/support/fake-ports', owner: 'world' },
  { from: 'tools/evidence/fuzz.ts', to: 'test/nfc/fake-timers', owner: 'world' },
];

const pending = (a: Arrow) => PENDING.some((p) => p.from === a.from && p.to === a.to);
const show = (a: Arrow) => `${a.from} imports ${a.to} ('${a.spec}')`;

describe('layers: every import runs down (test/architecture)', () => {
  const all = violations(readSources(ROOT));

  it('no file imports a higher layer, or test/ from outside test/', () => {
    const bad = all.filter((a) => !pending(a)).map(show);
    assert.deepEqual(bad, [], 'imports against the layers:\n' + bad.join('\n'));
  });

  it('every PENDING entry still occurs (delete the ones whose work is merged)', () => {
    const stale = PENDING.filter((p) => !all.some((a) => a.from === p.from && a.to === p.to)).map((p) => `${p.from} -> ${p.to} (${p.owner})`);
    assert.deepEqual(stale, []);
  });

  it('reads the imports of real files: sim/car.ts imports tools/host and firmware', () => {
    const specs = importsOf(readSources(ROOT, ['sim'])['sim/car.ts']);
    assert.ok(specs.some((s) => s.includes('tools/host/')), specs.join(' '));
    assert.ok(specs.some((s) => s.includes('firmware/')), specs.join(' '));
  });
});

describe('layers: the import checker', () => {
  it('finds every form of import and nothing inside comments, strings or templates', () => {
    const src = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      "import './side-effect';",
      "export { c } from './c';",
      "export * from \"./d\";",
      "const e = require('./e');",
      "const f = await import('./f');",
      "import {",
      "  g,",
      "} from './g';",
      "// import { no } from './comment';",
      "/* require('./block-comment') */",
      "const s = \"import x from './in-a-string'\";",
      "const t = `import { y } from './in-a-template' ${ require('./in-template-code') }`;",
      "const r = /from '.\\/regex'/;",
      "const o = { from: 'not-an-import' };",
      "x.import('./method-call');",
    ].join('\n');
    assert.deepEqual(importsOf(src), ['./a', '../b', './side-effect', './c', './d', './e', './f', './g', './in-template-code']);
  });

  it('sorts paths into layers: tools/host is its own', () => {
    assert.equal(layerOf('tools/host/protocol.ts'), 'host');
    assert.equal(layerOf('tools/build.ts'), 'tools');
    assert.equal(layerOf('hal/boards/puckjs.ts'), 'hal');
    assert.equal(layerOf('docs/x.ts'), undefined);
  });

  // Fabricated imports: each forbidden arrow is found, each allowed one passes.
  const cases: [string, string, string, boolean][] = [
    ['firmware/core.ts', "import { x } from '../hal/espruino/gpio';", 'hal/espruino/gpio', false],
    ['firmware/core.ts', "import { x } from './keystore';", '', true],
    ['hal/espruino/boot.ts', "import { x } from '../../firmware/app';", '', true],
    ['hal/pn532.ts', "import { x } from '../sim/pn532/pn532';", 'sim/pn532/pn532', false],
    ['tools/host/protocol.ts', "import { x } from '../../sim/names';", 'sim/names', false],
    ['tools/host/protocol.ts', "import { x } from '../phonekey/cli';", 'tools/phonekey/cli', false],
    ['tools/host/protocol.ts', "import { x } from '../../firmware/frames';", '', true],
    ['sim/car.ts', "import { x } from '../tools/provision/image';", 'tools/provision/image', false],
    ['sim/car.ts', "import { x } from '../tools/host/protocol';", '', true],
    ['sim/car.ts', "const k = require('../test/support/keys');", 'test/support/keys', false],
    ['tools/flash.ts', "import { x } from '../sim/engine/board';", '', true],
    ['tools/benchmarks/x.ts', "import type { K } from '../../test/support/keys';", 'test/support/keys', false],
    ['test/sim/x.test.ts', "import { x } from '../../tools/flash';", '', true],
    ['sim/x.ts', "import { x } from '../../elsewhere/y';", '../elsewhere/y', false],
  ];
  for (const [from, src, to, ok] of cases) {
    it(`${from}: ${src} ${ok ? 'is allowed' : 'is refused'}`, () => {
      const v = violations({ [from]: src });
      if (ok) assert.deepEqual(v, []);
      else assert.deepEqual(v.map((a) => [a.from, a.to]), [[from, to]]);
    });
  }

  it('a new violation is not hidden by PENDING: only its exact pair is allowed', () => {
    const v = violations({ 'tools/evidence/soak.ts': "import { fakeFlash } from '../../test/support/fake-ports';" });
    assert.equal(v.length, 1);
    assert.equal(v.filter((a) => !pending(a)).length, 1);
  });
});
