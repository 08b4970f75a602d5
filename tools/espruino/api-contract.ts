/**
 * The API contract: for every Espruino member, event and option hal/espruino.d.ts declares
 * (tools/espruino/declared-api.ts), what Espruino's own documentation blocks (/*JSON{...}*\/ in
 * its jswrap_*.c, the source of its reference and of its build) say in releases 2v19 and 2v29:
 * the entry's type, parameters, the build condition (ifdef/#if, and the library its file belongs
 * to), and which declared options its text mentions. Writes hal/espruino-api.json; nothing
 * fetched is committed. test/tools/api-contract.test.ts checks the declarations against it and
 * marks what each board's build lacks (hal/boards/espruino-facts.json).
 *
 * Usage: tsx tools/espruino/api-contract.ts <espruino-source-dir (a git clone)>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { declaredMembers, type DeclaredMember } from './declared-api';

export const API_FILE = path.resolve(__dirname, '..', '..', 'hal', 'espruino-api.json');
export const VERSIONS = ['2v19', '2v29'];

/** What one declared member is in one Espruino release; null in `members` when it is not there. */
export interface ApiEntry {
  type: string;
  file: string;
  params: string[][];
  /** Build conditions: the entry's own, and the library (board-file `libraries`) its file needs. */
  ifdef?: string;
  ifndef?: string;
  if?: string;
  library?: string;
  /** The declared options (keys, string values) its parameters, typescript and description mention. */
  mentions: string[];
}

export interface ApiFile {
  _comment: string;
  versions: Record<string, { commit: string; members: Record<string, ApiEntry | null> }>;
}

interface JsonDoc {
  type: string; class?: string; name?: string; instanceof?: string;
  params?: string[][]; typescript?: string | string[]; ifdef?: string; ifndef?: string; '#if'?: string;
  description: string; file: string;
}

/** The board-file library a wrapper file is compiled for (Makefile: WRAPPERSOURCES per USE_<LIB>). */
function libraryOf(file: string): string | undefined {
  const m = /^libs\/(crypto|bluetooth|puckjs|nfc|neopixel|graphics|network)\//.exec(file);
  if (!m) return undefined;
  return ({ crypto: 'CRYPTO', bluetooth: 'BLUETOOTH', puckjs: 'PUCKJS', nfc: 'NFC', neopixel: 'NEOPIXEL', graphics: 'GRAPHICS', network: 'NET' } as Record<string, string>)[m[1]];
}

/** Every documentation block of a release, parsed as scripts/common.py does. */
function jsonDocs(src: string, commit: string): JsonDoc[] {
  const git = (args: string[]) => execFileSync('git', ['-C', src, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const files = git(['ls-tree', '-r', '--name-only', commit]).split('\n').filter((f) => /(^|\/)jswrap[^/]*\.c$/.test(f) && !f.startsWith('archives/'));
  const docs: JsonDoc[] = [];
  for (const file of files) {
    const code = git(['show', commit + ':' + file]);
    for (const comment of code.match(/\/\*JSON[\s\S]*?\*\//g) || []) {
      const body = comment.slice(6, -2);
      const end = body.indexOf('\n}') + 2;
      try {
        const d = JSON.parse(body.slice(0, end));
        d.description = body.slice(end).trim();
        d.file = file;
        docs.push(d);
      } catch { /* Espruino's build would stop here too; not one of ours */ }
    }
  }
  return docs;
}

/** The documentation block a declared member stands for, or undefined. */
function findEntry(docs: JsonDoc[], m: DeclaredMember): JsonDoc | undefined {
  const find = (f: (d: JsonDoc) => boolean) => docs.find(f);
  if (m.kind === 'object') return find((d) => (d.type === 'object' || d.type === 'variable') && d.name === m.name) || find((d) => d.type === 'class' && d.class === m.name && !d.name);
  if (m.kind === 'library') return find((d) => d.type === 'library' && d.class === m.name);
  if (m.kind === 'event') return find((d) => d.type === 'event' && d.class === m.cls && d.name === m.name);
  if (!m.cls) return find((d) => d.type === 'function' && d.name === m.name && !d.class);
  // I2C1 is an instance of class I2C: its members are `method`s of I2C.
  const obj = find((d) => d.type === 'object' && d.name === m.cls && !!d.instanceof);
  const cls = obj ? obj.instanceof! : m.cls;
  const types = obj ? ['method', 'property'] : ['staticmethod', 'staticproperty', 'method', 'property'];
  return find((d) => types.indexOf(d.type) >= 0 && d.class === cls && d.name === m.name);
}

function entryOf(d: JsonDoc, m: DeclaredMember): ApiEntry {
  const ts = Array.isArray(d.typescript) ? d.typescript.join('\n') : d.typescript || '';
  const text = JSON.stringify(d.params || []) + '\n' + ts + '\n' + d.description;
  const e: ApiEntry = { type: d.type, file: d.file, params: (d.params || []).map((p) => [p[0], p[1]]), mentions: m.options.filter((o) => new RegExp('\\b' + o + '\\b').test(text)).sort() };
  if (d.ifdef) e.ifdef = d.ifdef;
  if (d.ifndef) e.ifndef = d.ifndef;
  if (d['#if']) e.if = d['#if'];
  const lib = libraryOf(d.file);
  if (lib) e.library = lib;
  return e;
}

/** The commit of release `v` ("2v19 release" in Espruino's history). */
function releaseCommit(src: string, v: string): string {
  const out = execFileSync('git', ['-C', src, 'log', '--format=%H', '--grep=^' + v + ' release$'], { encoding: 'utf8' }).trim().split('\n')[0];
  if (!out) throw new Error(src + ': no commit "' + v + ' release" (a full git clone of Espruino is needed)');
  return out;
}

export function makeApiFile(src: string, members = declaredMembers()): ApiFile {
  const versions: ApiFile['versions'] = {};
  for (const v of VERSIONS) {
    const commit = releaseCommit(src, v);
    const docs = jsonDocs(src, commit);
    const out: Record<string, ApiEntry | null> = {};
    for (const m of members) {
      const d = findEntry(docs, m);
      out[m.key] = d ? entryOf(d, m) : null;
    }
    versions[v] = { commit, members: out };
  }
  return { _comment: 'Generated by tools/espruino/api-contract.ts from the /*JSON{...}*/ blocks of Espruino\'s jswrap_*.c at each release, for what hal/espruino.d.ts declares. Do not edit: run it again.', versions };
}

function main(): void {
  const src = process.argv[2];
  if (!src || !fs.existsSync(path.join(src, '.git'))) {
    console.error('usage: tsx tools/espruino/api-contract.ts <espruino-source-dir> (a git clone with its release history)');
    process.exit(2);
  }
  const api = makeApiFile(src);
  fs.writeFileSync(API_FILE, JSON.stringify(api, null, 1) + '\n');
  for (const v of VERSIONS) {
    const missing = Object.keys(api.versions[v].members).filter((k) => !api.versions[v].members[k]);
    console.log(v + ' (' + api.versions[v].commit.slice(0, 9) + '): ' + Object.keys(api.versions[v].members).length + ' declared members, not found: ' + (missing.join(', ') || 'none'));
  }
  console.log('wrote ' + path.relative(process.cwd(), API_FILE));
}

if (require.main === module) main();
