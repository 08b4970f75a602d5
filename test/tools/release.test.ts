/**
 * Release hygiene that can drift unnoticed: the licence the package declares exists; the
 * changelog covers the version; the lockfile's root entry is package.json's (when they differ,
 * every `npm install` rewrites the lockfile); every package the host tools import at run time is a
 * dependency, not a devDependency (so `npm install --omit=dev` still runs them); the firmware
 * prints package.json's version.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, bundleFirmware } from '../../tools/host/build/bundle';
import { boardById } from '../../hal/boards/index';
import { createSimBoard } from '../../sim/engine/board';
import { release } from '../../tools/host/build/release';
import { createCar } from '../../sim/car';
import { statusVersion } from '../../tools/host/protocol';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** Source files under `dir`, recursively (no .d.ts). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

describe('release hygiene', () => {
  it('LICENSE is the MIT licence package.json declares, for the project contributors', () => {
    assert.equal(pkg.license, 'MIT');
    const text = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    assert.match(text, /^MIT License/);
    assert.match(text, /Copyright \(c\) \d{4} offline-car-key contributors/);
  });

  it('the changelog has a section for the current version', () => {
    const text = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
    assert.match(text, new RegExp('^## \\[' + pkg.version.replace(/\./g, '\\.') + '\\]', 'm'));
  });

  it("the lockfile's root entry is package.json's, so npm install has nothing to rewrite", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    const root = lock.packages[''];
    assert.equal(lock.name, pkg.name);
    assert.equal(lock.version, pkg.version);
    assert.equal(root.version, pkg.version);
    // The drift this catches: an optional package also listed among the root's dependencies.
    assert.deepEqual(root.dependencies, pkg.dependencies);
    assert.deepEqual(root.devDependencies, pkg.devDependencies);
    assert.deepEqual(root.optionalDependencies, pkg.optionalDependencies);
  });

  it('every package the host tools and the simulator import at run time is a dependency', () => {
    const runtime = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies || {})]);
    const espruinoModules = new Set(['Storage', 'crypto']); // the board's, in firmware bundles
    const missing: string[] = [];
    for (const file of [...sources(path.join(ROOT, 'tools')), ...sources(path.join(ROOT, 'sim'))]) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*import\s+(?!type\b)[^'"]*?from\s+'([^'.][^']*)'|(?:import|require)\(\s*'([^'.][^']*)'/g)) {
        const spec = m[1] || m[2];
        // Not a module name: code that writes require('…') into a string it builds.
        if (spec.startsWith('node:') || espruinoModules.has(spec) || /["+\s]/.test(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!runtime.has(name)) missing.push(path.relative(ROOT, file) + ': ' + spec);
      }
    }
    assert.deepEqual(missing, []);
    // npm scripts run TypeScript through tsx.
    for (const script of ['start', 'provision', 'phonekey', 'flash', 'build']) assert.match(pkg.scripts[script], /^tsx /);
    assert.ok(runtime.has('tsx'));
  });

  it("a phone key reads the firmware's version in STATUS (docs/PROTOCOL.md op 10)", async () => {
    const car = await createCar({ board: 'puckjs', demo: true });
    const a = car.phone(car.keys.owner).status();
    assert.equal(a.status, 0);
    assert.equal(statusVersion(a.data!), pkg.version);
    car.board.close();
  });

  it("the firmware prints package.json's version at boot", async () => {
    assert.equal(release().version, pkg.version);
    const b = await bundleFirmware(boardById('mdbt42q')!);
    const sim = createSimBoard({ board: boardById('mdbt42q')!, bundle: b.code });
    assert.match(sim.consoleText(), new RegExp('carkey ' + pkg.version.replace(/\./g, '\\.') + ' on mdbt42q: locked'));
  });
});
