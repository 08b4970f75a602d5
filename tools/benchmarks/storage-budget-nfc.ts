/**
 * What moving `puckjs-nfc` onto the journal layout would take (docs/ESPRUINO.md "Flash", the
 * `puckjs-nfc` paragraph): builds its bundle as it ships (the two-generation key table, the log's
 * rings and generation files) and as a journal build (the same board with `tile`: the slot-file key
 * store and the journal, the log as the journal's two pages), both pretokenised as `npm run build`
 * makes them, and prints
 * - the bytes of each and the net cost, per source module (plain minified characters, from the
 *   source maps: what the journal build adds and what it no longer needs);
 * - what the journal layout leaves for the bundle on a 40 KB Storage (tools/host/layout.ts
 *   tiledLayout): page-aligned (the key file ends on a page boundary, so that an update never erases
 *   the site's page) with the card reader's I2C marker as a tile page after the journal (today's
 *   hal/espruino/i2c.ts) and without it (a marker kept elsewhere), and the key slots the non-aligned
 *   variant would give (an update then erases page 0: test/tools/relayout.test.ts shows a cut there
 *   makes Espruino's boot check erase Storage).
 * With ESPRUINO_BIN set, both builds are also booted in that interpreter as `npm run test:espruino`
 * boots a bundle (sim/espruino/, a second of main loop) and the firmware's variables after boot printed.
 * The last line is one JSON object.
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

/** Both builds, the net cost per module, and what each variant of the journal layout leaves the bundle. */
export async function nfcJournalFit() {
  const shipped = boardById('puckjs-nfc')!;
  // The journal build: the slot store and the journal (__TILED__), two journal pages of 254 records.
  const journal: BoardConfig = { ...shipped, tile: 512, logSegments: 2, logPerSegment: 254 };
  const old = await bundleFirmware(shipped);
  const neu = await bundleFirmware(journal);
  const a = perModule(old.text, old.map), b = perModule(neu.text, neu.map);
  const modules = [...new Set([...a.keys(), ...b.keys()])].map((m) => ({ m, old: a.get(m) || 0, neu: b.get(m) || 0 }))
    .filter((r) => r.old !== r.neu).sort((x, y) => Math.abs(y.neu - y.old) - Math.abs(x.neu - x.old));
  // The largest bundle each variant of the layout takes: the bundle grows until the layout says it no longer fits.
  const maxBundle = (cfg: BoardConfig) => { let n = 20000; for (let l = tiledLayout(cfg, n + 4); l.aligned && l.short === 0; l = tiledLayout(cfg, n + 4)) n += 4; return n; };
  const noMarker: BoardConfig = { ...journal, nfc: false }; // tiledLayout counts the I2C marker's tile page by `nfc`
  const slotsAt = (bytes: number) => Math.max(0, tiledLayout({ ...noMarker, keyCapacity: 0 }, bytes).keySlots);
  const alignedNoMarker = maxBundle(noMarker);
  return {
    shippedBytes: old.bytes, journalBytes: neu.bytes, netBytes: neu.bytes - old.bytes, modules,
    alignedWithMarker: maxBundle(journal), alignedNoMarker, alignedSlots: tiledLayout({ ...noMarker, keyCapacity: 0 }, alignedNoMarker).keySlots,
    overAligned: neu.bytes - alignedNoMarker, nonAlignedSlots: slotsAt(neu.bytes), nonAlignedShort: tiledLayout(noMarker, neu.bytes).short, keyCapacity: shipped.keyCapacity,
    bundles: { shipped: { board: shipped, code: old.code }, journal: { board: journal, code: neu.code } },
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

const SPEC: Spec = { usage: '[ESPRUINO_BIN=…] npx tsx tools/benchmarks/storage-budget-nfc.ts', options: {}, notes: 'What moving puckjs-nfc onto the journal layout would take; the last line is one JSON object.' };

async function main(argv: string[]): Promise<number> {
  if (parse(argv, SPEC).help) { process.stdout.write(help(SPEC)); return 0; }
  const r = await nfcJournalFit();
  console.log(`puckjs-nfc as shipped: ${r.shippedBytes} B pretokenised; as a journal build: ${r.journalBytes} B; net ${r.netBytes} B`);
  console.log('module                              shipped  journal  change (plain minified characters)');
  for (const x of r.modules) console.log(`${x.m.padEnd(36)}${String(x.old).padStart(7)}${String(x.neu).padStart(9)}${String(x.neu - x.old).padStart(8)}`);
  console.log(`largest bundle, page-aligned, I2C marker as a tile page: ${r.alignedWithMarker} B (the journal build is ${r.journalBytes - r.alignedWithMarker} B over)`);
  console.log(`largest bundle, page-aligned, no tile page: ${r.alignedNoMarker} B (${r.overAligned} B over; key file up to ${r.alignedSlots} slots)`);
  console.log(`non-aligned (bundle in the site's page), no tile page: ${r.nonAlignedSlots} key slots at ${r.journalBytes} B (short ${r.nonAlignedShort} B of ${r.keyCapacity} slots)`);
  const bin = espruinoBinary();
  const vars = bin ? { shipped: varsAfterBoot(bin, r.bundles.shipped.board, r.bundles.shipped.code), journal: varsAfterBoot(bin, r.bundles.journal.board, r.bundles.journal.code) } : undefined;
  if (vars) console.log(`firmware's variables a second after boot (${bin}): shipped ${vars.shipped.usage} (peak ${vars.shipped.peak}), journal build ${vars.journal.usage} (peak ${vars.journal.peak})`);
  const { modules, bundles, ...line } = r;
  console.log(JSON.stringify({ ...line, varsAfterBoot: vars }));
  return 0;
}

if (require.main === module) runMain('storage-budget-nfc', () => main(process.argv.slice(2)));
