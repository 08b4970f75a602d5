/**
 * The docs name real files: every repository path (`firmware/core.ts`, `tools/host/flash.ts`, ...)
 * named in README.md, docs/*.md and each folder's README.md exists, and each bare file name a
 * folder README names (`boot.ts`) is a file of the repository. Files move; this catches the page
 * that still sends a reader to the old place. CHANGELOG.md is history and is not checked.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TOP = ['firmware', 'hal', 'sim', 'tools', 'test', 'docs'];
/**
 * Paths a page names on purpose as gone (docs/THREAT-MODEL.md: "firmware/lockout.ts is gone";
 * docs/ESPRUINO.md and docs/PERFORMANCE.md: puckjs-nfc's two-generation key table, retired).
 */
const GONE = new Set(['firmware/lockout.ts', 'firmware/keystore-gen.ts', 'test/core/keystore-gen.test.ts']);

function walk(dir: string, out: string[]): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out); else out.push(path.relative(ROOT, p).split(path.sep).join('/'));
  }
  return out;
}

/** Repository paths in a page: a top folder, a slash, then a name that ends in a word character. */
export function repoPaths(text: string): string[] {
  const re = new RegExp(`(?<![\\w/.-])((?:${TOP.join('|')})/[\\w./-]*\\w)`, 'g');
  return [...text.matchAll(re)].map((m) => m[1]);
}

/** Bare file names a folder README names in backticks (`boot.ts`, `engine/board.ts`). */
export function bareFiles(text: string): string[] {
  return [...text.matchAll(/`([\w./-]+\.(?:ts|js|cjs|json|md|html|css))`/g)].map((m) => m[1])
    .filter((p) => !TOP.includes(p.split('/')[0]) && !p.startsWith('../../'));
}

describe('docs name files that exist (test/architecture)', () => {
  const files = walk(ROOT, []);
  const readmes = files.filter((f) => /(^|\/)README\.md$/.test(f) && !f.startsWith('test/fixtures/'));
  const pages = [...new Set(['README.md', ...files.filter((f) => /^docs\/[^/]+\.md$/.test(f)), ...readmes])];

  it('finds the pages and their paths (the check checks something)', () => {
    assert.ok(pages.includes('docs/ARCHITECTURE.md') && pages.includes('tools/host/README.md'));
    assert.deepEqual(repoPaths('see `firmware/core.ts`, tools/host/ and (sim/car.ts).'), ['firmware/core.ts', 'tools/host', 'sim/car.ts']);
    assert.deepEqual(bareFiles('`boot.ts`, `engine/board.ts`, `hal/pn532.ts`, `../../x.md`'), ['boot.ts', 'engine/board.ts']);
  });

  it('every repository path in README.md, docs/*.md and the folder READMEs exists', () => {
    const missing: string[] = [];
    for (const page of pages) {
      for (const p of repoPaths(fs.readFileSync(path.join(ROOT, page), 'utf8'))) {
        if (!GONE.has(p) && !fs.existsSync(path.join(ROOT, p))) missing.push(`${page}: ${p}`);
      }
    }
    assert.deepEqual([...new Set(missing)], []);
  });

  it('every file name a folder README names is a file of the repository', () => {
    const missing: string[] = [];
    for (const page of readmes.filter((r) => r !== 'README.md')) {
      const dir = path.posix.dirname(page);
      for (const p of bareFiles(fs.readFileSync(path.join(ROOT, page), 'utf8'))) {
        const here = path.posix.normalize(path.posix.join(dir, p));
        if (p.startsWith('../') ? fs.existsSync(path.join(ROOT, here)) : files.some((f) => f === p || f === here || f.endsWith('/' + p))) continue;
        missing.push(`${page}: ${p}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
