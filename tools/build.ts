/**
 * The build: one minified Espruino bundle per board, dist/<board>/firmware.js and firmware-dev.js,
 * through the bundler and dialect guard of tools/host/build/bundle.ts; dist/<board>/build.json
 * records each bundle's bytes, SHA-256, version and git commit. The files are pretokenised (bytes, not
 * UTF-8 text; Espruino 2v26+); each .map maps the plain minified text the tokeniser read, written
 * beside it as firmware.plain.js / firmware-dev.plain.js (never flashed).
 *
 * Usage: tsx tools/build.ts [--board <id>] (both the production and the dev bundle; --help lists the options)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boards, boardById, unknownBoardMessage } from '../hal/boards/index';
import type { BoardConfig } from '../hal/boards/types';
import { type Bundle, DialectError, ROOT, bundleFirmware, checkBoardSources, refuseUnbuildable } from './host/build/bundle';
import { release } from './host/build/release';
import { type Spec, help, parse, runMain, str, UsageError } from './host/cli-args';

/** What dist/<board>/build.json says about one bundle file (tools/flash.ts checks it before flashing). */
export interface BuildRecord {
  board: string;
  dev: boolean;
  bytes: number;
  sha256: string;
  /** package.json's version, which the firmware prints at boot. */
  version: string;
  /** The git commit built from, or "unknown". */
  commit: string;
}

export function writeBundle(b: Bundle): string {
  const dir = path.join(ROOT, 'dist', b.board);
  fs.mkdirSync(dir, { recursive: true });
  const name = b.dev ? 'firmware-dev.js' : 'firmware.js';
  fs.writeFileSync(path.join(dir, name), Buffer.from(b.code, 'latin1')); // bytes >= 0x80: never as UTF-8
  // The map maps the plain minified text the tokeniser read (what Espruino prints back in a stack
  // trace), kept beside it as firmware(-dev).plain.js for the tools that read positions (memory.ts).
  fs.writeFileSync(path.join(dir, name.replace(/\.js$/, '.plain.js')), b.text);
  fs.writeFileSync(path.join(dir, name + '.map'), JSON.stringify(b.map));
  // build.json: { "firmware.js": {board, dev, bytes, sha256, version, commit}, "firmware-dev.js": {...} }
  const metaFile = path.join(dir, 'build.json');
  let meta: Record<string, BuildRecord> = {};
  try { meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')); } catch { /* first build */ }
  meta[name] = { board: b.board, dev: b.dev, bytes: b.bytes, sha256: b.sha256, ...release() };
  fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  return path.join('dist', b.board, name);
}

const SPEC: Spec = {
  usage: 'npm run build --',
  options: { board: { type: 'string', arg: 'ID', help: 'build only this board (' + boards.map((b) => b.id).join(', ') + '); default all' } },
  notes: 'Writes dist/<board>/firmware.js and firmware-dev.js (pretokenised: Espruino 2v26+), their plain text (*.plain.js) and source maps, and dist/<board>/build.json (bytes, sha256, version, commit).',
};

async function main(argv: string[]): Promise<number> {
  const args = parse(argv, SPEC);
  if (args.help) { process.stdout.write(help(SPEC)); return 0; }
  const only = str(args.values, 'board');
  const selected = only ? [boardById(only)] : boards;
  if (selected.some((b) => !b)) throw new UsageError(unknownBoardMessage(only));
  refuseUnbuildable(selected as BoardConfig[]);
  const sourceErrors = await checkBoardSources();
  if (sourceErrors.length) throw new DialectError(sourceErrors);
  for (const board of selected as BoardConfig[]) {
    for (const dev of [false, true]) {
      const b = await bundleFirmware(board, { dev });
      const file = writeBundle(b);
      console.log(`${file}: ${b.bytes} bytes` + (!dev && !board.nfc ? ' (no keycards in this build: they do not fit its Storage with ' + board.keyCapacity + ' keys; see docs/PERFORMANCE.md)' : ''));
    }
  }
  return 0;
}

if (require.main === module) runMain('build', () => main(process.argv.slice(2)));
