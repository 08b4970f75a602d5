/**
 * How `puckjs-nfc` fits the journal layout (docs/ESPRUINO.md "Flash", the `puckjs-nfc` paragraph):
 * builds its bundle as it ships (the slot-file key store and the journal, the reader's I2C hang
 * marker as journal records), pretokenised as `npm run build` makes it, and prints
 * - its bytes and the plain minified characters of each source module (from the source map);
 * - the largest bundle the journal layout leaves on its 40 KB Storage with the key file ending on a
 *   page boundary (tools/host/layout.ts tiledLayout: an update never erases the site's page), the
 *   bytes to spare, and the key slots of that key file.
 * With ESPRUINO_BIN set, the bundle is also booted in that interpreter as `npm run test:espruino`
 * boots a bundle (sim/espruino/, a second of main loop) and the firmware's variables after boot printed.
 * The last line is one JSON object.
 *
 * Until 2026-12-05 the board kept the older layout (its journal build was 32 672 B, 4 100 B over);
 * the diets of that day and this measure are what moved it.
 *
 * Usage: [ESPRUINO_BIN=/root/espruino-4095] npx tsx tools/benchmarks/storage-budget-nfc.ts
 */
import { SourceMapConsumer, type RawSourceMap } from 'source-map-js';
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { bundleFirmware } from '../host/build/bundle';
import { tiledLayout } from '../host/layout';
import { espruinoBinary } from '../host/espruino-binary';
import { createEspruinoBoard } from '../../sim/espruino/board';
import { firmwareShare } from '../../sim/engine/board';
import { type Spec, help, parse, runMain } from '../host/cli-args';

/** Plain minified characters per source module (each mapped segment counted to the next one). */
function perModule(text: string, map: RawSourceMap): Map<string, number> {
  const c = new SourceMapConsumer(map);
  const segs: { line: number; col: number; src: string }[] = [];
  c.eachMapping((m) => { segs.push({ line: m.generatedLine, col: m.generatedColumn, src: String(m.source).replace(/^(\.\.\/)+/, '') }); });
  const starts = [0];
  for (const l of text.split('\n')) starts.push(starts[starts.length - 1] + l.length + 1);
  const out = new Map<string, number>();
  segs.forEach((s, i) => {
    const a = starts[s.line - 1] + s.col;
    const b = i + 1 < segs.length ? starts[segs[i + 1].line - 1] + segs[i + 1].col : text.length;
    out.set(s.src, (out.get(s.src) || 0) + b - a);
  });
  return out;
}

/** The shipped build, its modules, and the largest page-aligned bundle the journal layout leaves it. */
export async function nfcJournalFit() {
  const board = boardById('puckjs-nfc')!;
  const b = await bundleFirmware(board);
  const per = perModule(b.text, b.map);
  const modules = [...per.keys()].map((m) => ({ m, chars: per.get(m)! })).sort((x, y) => y.chars - x.chars);
  // The largest bundle the layout takes: the bundle grows until the layout says it no longer fits page-aligned.
  let alignedBytes = 20000;
  for (let l = tiledLayout(board, alignedBytes + 4); l.aligned && l.short === 0; l = tiledLayout(board, alignedBytes + 4)) alignedBytes += 4;
  return {
    board, shippedBytes: b.bytes, alignedBytes, spare: alignedBytes - b.bytes, alignedSlots: tiledLayout({ ...board, keyCapacity: 0 }, alignedBytes).keySlots,
    keySlots: tiledLayout(board, b.bytes).keySlots, keyCapacity: board.keyCapacity, modules, code: b.code,
  };
}

/** The firmware's variables a second after boot in the interpreter at `bin` (as npm run test:espruino measures them). */
function varsAfterBoot(bin: string, board: BoardConfig, code: string): ReturnType<typeof firmwareShare> {
  const b = createEspruinoBoard({ board, bundle: code, bin });
  try {
    b.clock.advance(1000);
    const m = b.memory();
    if (b.uncaught.length || !/carkey \S+ on /.test(b.consoleText()) || !m) throw new Error(board.id + ': boot failed: ' + b.uncaught.join('; '));
    return firmwareShare(m);
  } finally {
    b.close();
  }
}

const SPEC: Spec = { usage: '[ESPRUINO_BIN=…] npx tsx tools/benchmarks/storage-budget-nfc.ts', options: {}, notes: 'How puckjs-nfc fits the journal layout; the last line is one JSON object.' };

async function main(argv: string[]): Promise<number> {
  if (parse(argv, SPEC).help) { process.stdout.write(help(SPEC)); return 0; }
  const r = await nfcJournalFit();
  console.log(`puckjs-nfc as shipped (journal layout): ${r.shippedBytes} B pretokenised`);
  console.log('module                              plain minified characters');
  for (const x of r.modules) console.log(`${x.m.padEnd(36)}${String(x.chars).padStart(7)}`);
  console.log(`largest bundle, page-aligned (the key file ends page 0, the journal is pages 8 and 9): ${r.alignedBytes} B; `
    + (r.spare >= 0 ? `${r.spare} B to spare` : `${-r.spare} B OVER: the layout does not fit`) + `; key file of ${r.keySlots} slots for ${r.keyCapacity} keys (up to ${r.alignedSlots})`);
  const bin = espruinoBinary();
  const vars = bin ? varsAfterBoot(bin, r.board, r.code) : undefined;
  if (vars) console.log(`firmware's variables a second after boot (${bin}): ${vars.usage} (peak ${vars.peak})`);
  const { modules, code, board, ...line } = r;
  console.log(JSON.stringify({ ...line, varsAfterBoot: vars }));
  return 0;
}

if (require.main === module) runMain('storage-budget-nfc', () => main(process.argv.slice(2)));
