/**
 * Reads the imports of source files without a compiler: every `import … from 'x'`, `export … from
 * 'x'`, `import 'x'`, `import type … from 'x'`, `import('x')` and `require('x')`, skipping comments,
 * ordinary strings, regular expressions and template literals (a bundle entry written as a
 * template string is not an import of this file). Then sorts files into the project's layers and
 * says which arrows break the layering (docs/ARCHITECTURE.md "Layers"). Used by layers.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The specifiers one source text imports, in order. */
export function importsOf(src: string): string[] {
  const out: string[] = [];
  // The last few significant tokens before a string: 'from', 'import', 'require', '(' ...
  const recent: string[] = [];
  const push = (t: string) => { recent.push(t); if (recent.length > 3) recent.shift(); };
  const braces: number[] = []; // for each open `${`, the brace depth at which it closes
  let depth = 0;
  let i = 0;
  const n = src.length;
  const readString = (q: string): string => {
    let s = '';
    i++;
    while (i < n && src[i] !== q) { if (src[i] === '\\') { s += src[i + 1]; i += 2; continue; } if (src[i] === '\n' && q !== '`') break; s += src[i++]; }
    i++;
    return s;
  };
  // Skips template text up to the closing backtick or a `${` (then code resumes inside it).
  const readTemplate = () => {
    while (i < n) {
      if (src[i] === '\\') { i += 2; continue; }
      if (src[i] === '`') { i++; return; }
      if (src[i] === '$' && src[i + 1] === '{') { i += 2; braces.push(depth); depth++; return; }
      i++;
    }
  };
  const regexAllowed = () => {
    const last = recent[recent.length - 1];
    return last === undefined || /^[(,=:[!&|?{};+\-*%<>~^]$/.test(last) || last === 'return' || last === 'typeof' || last === '=>';
  };
  while (i < n) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') { while (i < n && src[i] !== '\n') i++; continue; }
    if (c === '/' && src[i + 1] === '*') { const e = src.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '\'' || c === '"') {
      const s = readString(c);
      const [a, b, last] = [recent[recent.length - 3], recent[recent.length - 2], recent[recent.length - 1]];
      if (last === 'from' || (last === 'import' && b !== '.') || (last === '(' && (b === 'require' || b === 'import') && a !== '.')) out.push(s);
      push('"');
      continue;
    }
    if (c === '`') { i++; readTemplate(); push('`'); continue; }
    if (c === '/' && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < n && src[i] !== '\n') {
        if (src[i] === '\\') { i += 2; continue; }
        if (src[i] === '[') inClass = true; else if (src[i] === ']') inClass = false; else if (src[i] === '/' && !inClass) break;
        i++;
      }
      i++;
      push('/re/');
      continue;
    }
    if (c === '{') { depth++; push(c); i++; continue; }
    if (c === '}') {
      depth--; i++;
      if (braces.length && braces[braces.length - 1] === depth) { braces.pop(); readTemplate(); push('`'); continue; }
      push(c); continue;
    }
    const word = /^[A-Za-z_$][\w$]*/.exec(src.slice(i, i + 64));
    if (word) { push(word[0]); i += word[0].length; continue; }
    if (c === '=' && src[i + 1] === '>') { push('=>'); i += 2; continue; }
    push(c); i++;
  }
  return out;
}

export type Layer = 'firmware' | 'hal' | 'host' | 'sim' | 'tools' | 'test';

/** The layer of a path relative to the repository root, or undefined outside the six folders. */
export function layerOf(rel: string): Layer | undefined {
  const p = rel.split(path.sep).join('/');
  if (p.startsWith('tools/host/')) return 'host';
  const top = p.split('/')[0];
  return (['firmware', 'hal', 'sim', 'tools', 'test'] as string[]).includes(top) ? (top as Layer) : undefined;
}

/** What each layer may import (besides packages): the layers below it, and itself. */
export const MAY_IMPORT: Record<Layer, Layer[]> = {
  firmware: ['firmware'],
  hal: ['hal', 'firmware'],
  host: ['host', 'hal', 'firmware'],
  sim: ['sim', 'host', 'hal', 'firmware'],
  tools: ['tools', 'sim', 'host', 'hal', 'firmware'],
  test: ['test', 'tools', 'sim', 'host', 'hal', 'firmware'],
};

export interface Arrow { from: string; to: string; spec: string }

/** A relative import resolved to a repository path (extension as written; no file system access). */
export function resolveImport(fromRel: string, spec: string): string | undefined {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined; // a package or node: module
  return path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec));
}

/** The arrows among `files` (repository-relative path -> source) that break MAY_IMPORT. */
export function violations(files: Record<string, string>): Arrow[] {
  const bad: Arrow[] = [];
  for (const [from, src] of Object.entries(files)) {
    const own = layerOf(from);
    if (!own) continue;
    for (const spec of importsOf(src)) {
      const to = resolveImport(from, spec);
      if (to === undefined) continue;
      const target = layerOf(to);
      if (!target || !MAY_IMPORT[own].includes(target)) bad.push({ from, to, spec });
    }
  }
  return bad;
}

const SOURCE = /\.(ts|tsx|js|cjs|mjs)$/;

/** Every source file under the layer folders of `root`, repository-relative, with its text. */
export function readSources(root: string, dirs = ['firmware', 'hal', 'sim', 'tools', 'test']): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel + '/' + e.name;
      if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'fixtures') visit(r); }
      else if (SOURCE.test(e.name)) out[r] = fs.readFileSync(path.join(root, r), 'utf8');
    }
  };
  for (const d of dirs) if (fs.existsSync(path.join(root, d))) visit(d);
  return out;
}
