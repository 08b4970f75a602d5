/**
 * The firmware bundler, shared by the build CLI (tools/build.ts), the simulator (sim/car.ts builds
 * the bundle it runs) and the benches: TypeScript -> one minified Espruino bundle for a board.
 *
 *   esbuild   bundles hal/espruino/boot.ts + one board file (types stripped, ES2020 kept as written:
 *             nothing is silently lowered, so what Espruino lacks reaches the guard)
 *   terser    minifies and hoists function declarations (Espruino does not hoist them)
 *   guard     dialect-guard.ts: every board-side source file and every bundle is parsed; any construct
 *             the interpreter lacks fails the build with the TypeScript file and line
 *   constants    constants.ts: top-level integer constants written where they are used (a variable each)
 *   boot-only    boot-only.ts: top-level functions only the boot calls are released when it is done
 *   literals     literals.ts: the minifier's `!0`, `!1`, `void 0` written back as `true`, `false`,
 *             `undefined` (one token byte each instead of two)
 *   root         root.ts: the wrapper the minifier needed comes off, the top level runs at the root
 *   owner unit   owner-unit.ts: what only an owner's command runs becomes a string evaluated per
 *             command; short-fields.ts: our state objects' long field names renamed (memory, on Espruino)
 *   pretokenise  pretokenise.ts: the checked text becomes what Storage holds (keywords, operators,
 *             strings and integers as Espruino's lexer tokens; needs Espruino 2v26+), the owner
 *             unit's string tokenised on its own first. `code` is those bytes as a latin1 string;
 *             `text` and the source map are of the plain text (the unit's string plain too), which
 *             is what Espruino prints back in a stack trace.
 *
 * Not here: writing dist/ and the command line (tools/build.ts).
 */
import * as esbuild from 'esbuild';
import { minify } from 'terser';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { RawSourceMap } from 'source-map-js';
import { boardBuildErrors, factsFor } from './board-facts';
import type { BoardConfig } from '../../../hal/boards/types';
import { dialectErrors } from './dialect-report';
import { release } from './release';
import { markOwnerUnit, splitOwnerUnit } from './owner-unit';
import { releaseBootOnly } from './boot-only';
import { inlineConstants } from './constants';
import { keywordLiterals } from './literals';
import { reservedRootNames, toRoot } from './root';
import { checkSerialisedFields, checkShortFields, reservedShortNames, shortFieldNames, shortFieldsRegex } from './short-fields';
import { pretokenise } from './pretokenise';
import { literal } from '../pretokens';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Espruino 2v19+ parses ES2020 syntax minus what the guard rejects; esbuild must not lower beyond that. */
const TARGET = 'es2020';
const BOARD_SOURCE_DIRS = ['firmware', 'hal'];

export interface Bundle {
  board: string;
  dev: boolean;
  /** What Storage holds: the pretokenised bundle, one character per byte (write it as latin1). */
  code: string;
  /** The minified plain text the guard checked and the tokeniser read; `map` maps it. */
  text: string;
  map: RawSourceMap;
  bytes: number;
  sha256: string;
}

/** The board's Espruino build lacks something the firmware needs (board-facts.ts). */
export class BoardError extends Error {
  constructor(public readonly lines: string[]) {
    super('refused: ' + lines.join('\nrefused: '));
  }
}

export class DialectError extends Error {
  constructor(public readonly lines: string[]) {
    super('Espruino dialect check failed:\n' + lines.join('\n'));
  }
}

/** Bundles the board's firmware from an entry (by default the real boot) and checks the result. */
export async function bundleFirmware(board: BoardConfig, opts: { dev?: boolean; entry?: string; resolveDir?: string } = {}): Promise<Bundle> {
  const dev = !!opts.dev;
  // Only the board fields the board reads go into the bundle (every byte of Storage counts): the
  // boot's (pins, levels, crypto) and the firmware's (firmware/app.ts FirmwareBoard).
  const used = { pins: board.pins, relayActiveHigh: board.relayActiveHigh, buttonActiveHigh: board.buttonActiveHigh, crypto: { aes: board.crypto.aes } };
  // The boot builds the ports (hal/), the firmware wires itself on them (firmware/app.ts): both are
  // called from here, above both layers, so the minifier substitutes each single-use start function
  // at its call site and none of their code stays resident (a named function kept about 40 variables).
  const fw = { id: board.id, keyCapacity: board.keyCapacity, logSegments: board.logSegments, logPerSegment: board.logPerSegment, ...(board.tile ? { tile: board.tile } : {}), ...(board.travel ? { travel: true } : {}) };
  const entry = opts.entry ?? [
    `import { boot } from './hal/espruino/boot';`,
    `import { startFirmware } from './firmware/app';`,
    `startFirmware(boot(${JSON.stringify(used)} as any), ${JSON.stringify(fw)});`,
  ].join('\n');
  const built = await esbuild.build({
    stdin: { contents: entry, resolveDir: opts.resolveDir ?? ROOT, sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true,
    // cjs keeps Espruino's own require('Storage') untouched (iife would add a Proxy-based shim).
    format: 'cjs',
    platform: 'neutral',
    target: TARGET,
    external: ['Storage', 'crypto', 'Flash'],
    // The owner unit (owner-unit.ts): ownerCommand marked so the minified bundle can load it on demand.
    plugins: [markOwnerUnit()],
    define: { __VERSION__: JSON.stringify(release().version), __DEV__: dev ? 'true' : 'false', __BOARD__: JSON.stringify(board.id), __HAS_AES__: board.crypto.aes ? 'true' : 'false', __NFC__: board.nfc ? 'true' : 'false', __TILED__: board.tile ? 'true' : 'false', __PERSONALISE__: board.personaliseCards ? 'true' : 'false', __TRAVEL__: board.travel ? 'true' : 'false' },
    charset: 'ascii',
    legalComments: 'none',
    sourcemap: 'external',
    sourcesContent: false,
    outfile: path.join(ROOT, 'dist', board.id, 'firmware.js'),
    write: false,
    logLevel: 'silent',
  });
  const jsFile = built.outputFiles.find((f) => f.path.endsWith('.js'))!;
  const mapFile = built.outputFiles.find((f) => f.path.endsWith('.map'))!;
  // Wrapped in a function so the minifier mangles the top level's names (root.ts takes it off again); the map one line down.
  const esMap = JSON.parse(mapFile.text) as RawSourceMap;
  esMap.mappings = ';' + esMap.mappings;
  const wrapped = '(function(){\n' + stripSourceMapComment(jsFile.text) + '\n})();\n';
  const errorsBefore = dialectErrors(wrapped, 'bundle(' + board.id + ')', esMap, path.join(ROOT, 'dist', board.id));
  if (errorsBefore.length) throw new DialectError(errorsBefore);
  const printed = checkSerialisedFields(wrapped, 'bundle(' + board.id + ')');
  if (printed.length) throw new DialectError(printed);

  const min = await minify({ 'firmware.js': wrapped }, {
    ecma: 5, // never introduce syntax; keep what the input has
    // inline: false — terser's inlining turns parameters into `var`s declared after their first
    // use, which is fine where `var` is hoisted and clobbers outer names on Espruino, where it is not.
    // passes: 5 — each pass substitutes more single-use functions (start functions, the owner
    // operations' core calls) at their call site, so they stop being resident functions; it
    // converges at 5 (puckjs: 2 passes 27 470 B and 1538 variables after boot, 5 passes 27 383 B and 1522).
    compress: { hoist_funs: true, passes: 5, unsafe: false, keep_fargs: true, inline: false, pure_new: true },
    // Our state objects' long field names become short ones (short-fields.ts: a variable each on Espruino).
    // The top level ends up at the interpreter's root (root.ts): never a name Espruino or a console line has there.
    mangle: { reserved: reservedRootNames(), properties: { regex: shortFieldsRegex(), builtins: true, reserved: reservedShortNames(ROOT), cache: { props: shortFieldNames(wrapped, ROOT) } } as any },
    format: { ascii_only: true, comments: false },
    sourceMap: { content: esMap as any, asObject: true, includeSources: false },
  });
  const fieldErrors = checkShortFields(min.code!, ROOT);
  if (fieldErrors.length) throw new DialectError(fieldErrors);
  // The guard reads the owner unit's code while it is still code, then the unit becomes a string.
  const unitErrors = dialectErrors(min.code!, 'dist/' + board.id + '/firmware.js (before the owner unit split)', min.map as unknown as RawSourceMap, path.join(ROOT, 'dist', board.id));
  if (unitErrors.length) throw new DialectError(unitErrors);
  // Top-level integer constants written where they are used (constants.ts), boot-only functions
  // released after the boot (boot-only.ts), the minifier's `!0`/`void 0` as keywords (literals.ts),
  // then the owner unit split off.
  const inlined = inlineConstants(min.code!, min.map as unknown as RawSourceMap);
  // `!0`, `!1`, `void 0` back as the keywords, one byte each once tokenised (literals.ts).
  const lit = keywordLiterals(releaseBootOnly(inlined.code).code, inlined.map);
  const split = splitOwnerUnit(lit.code, lit.map);
  // Then the wrapper comes off: the top level runs at the interpreter's root (root.ts).
  const { code, map, shift } = toRoot(split.code, split.map);
  const unit = split.unit && { start: split.unit.start - shift, end: split.unit.end - shift, text: split.unit.text };
  const errors = dialectErrors(code, 'dist/' + board.id + '/firmware.js', map, path.join(ROOT, 'dist', board.id));
  if (errors.length) {
    // Keep the rejected output for inspection; it is never a file a board would boot.
    fs.mkdirSync(path.join(ROOT, 'dist', board.id), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'dist', board.id, 'rejected.js'), code);
    throw new DialectError(errors);
  }
  const where = 'dist/' + board.id + '/' + (dev ? 'firmware-dev.js' : 'firmware.js');
  // The owner unit is tokenised on its own, then goes into the bundle as the raw string eval reads
  // (about 600 bytes fewer on a Puck.js than its plain text, and faster to parse on each command).
  const tokens = pretokenise(unit ? code.slice(0, unit.start) + literal(pretokenise(unit.text, where + ' (owner unit)')) + code.slice(unit.end) : code, where);
  const bytes = Buffer.from(tokens, 'latin1');
  return { board: board.id, dev, code: tokens, text: code, map, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function stripSourceMapComment(js: string): string {
  return js.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
}

/** Strips the TypeScript of every board-side file and runs the guard on it, so unused code is checked too. */
export async function checkBoardSources(files = listBoardSources()): Promise<string[]> {
  const errors: string[] = [];
  for (const file of files) {
    const rel = path.relative(ROOT, file);
    const out = await esbuild.transform(fs.readFileSync(file, 'utf8'), {
      loader: 'ts', format: 'esm', target: TARGET, sourcemap: 'external', sourcefile: rel, logLevel: 'silent',
    });
    const map = JSON.parse(out.map) as RawSourceMap;
    for (const line of dialectErrors(out.code, rel + ' (stripped)', map, ROOT, true)) errors.push(line);
  }
  return errors;
}

function listBoardSources(): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of BOARD_SOURCE_DIRS) visit(path.join(ROOT, d));
  return out.sort();
}

/** Throws a BoardError when a board's Espruino build lacks what the firmware needs: it would never start. */
export function refuseUnbuildable(selected: BoardConfig[]): void {
  const lacks = ([] as string[]).concat(...selected.map((b) => boardBuildErrors(b, factsFor(b))));
  if (lacks.length) throw new BoardError(lacks);
}

