/**
 * Benchmark (not a test): key lookup time and the variables the key store costs, for 10, 200 and
 * 1000 keys. Host figures always; with ESPRUINO_BIN, the same lookups inside the real interpreter,
 * with the table in its Storage, measured by process.memory() and getTime().
 *
 *   npx tsx tools/benchmarks/keystore.ts            # prints a table, then one JSON line
 */
import { performance } from 'node:perf_hooks';
import { boardById } from '../../hal/boards/index';
import { KEY_SLOTS_FILE, ksAdd, ksFind, ksLookup, ksOpen } from '../../firmware/keystore';
import { PERM_LOCK, PERM_UNLOCK, ROLE_GUEST, ROLE_OWNER } from '../../firmware/codes';
import { memoryFlash } from '../host/flash';
import { hostCryptoWithAes } from '../host/crypto';
import { keyRecord } from '../host/provision/site';
import { bundleFirmware } from '../host/build/bundle';
import { espruinoBinary } from '../host/espruino-binary';
import { installFlash } from '../../sim/espruino/board';
import { makeBoardDir, runOnce } from '../../sim/espruino/link';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Spec, help, parse, runMain } from '../host/cli-args';

const SIZES = [10, 200, 1000];
const LOOKUPS = 2000;

/** The records the key store figures have always been measured with (unlock + lock, a short label). */
const key = (id: number, role = ROLE_OWNER) => keyRecord(id, role, { perms: PERM_UNLOCK | PERM_LOCK, salt: id ^ 0x5a5a, label: 'k' + id });

function buildTable(n: number) {
  const flash = memoryFlash(1 << 20);
  const ks = ksOpen(flash, hostCryptoWithAes(), 1000);
  ksAdd(ks, undefined, key(1));
  const owner = ksLookup(ks, 1)!;
  const ids: number[] = [1];
  for (let i = 2; i <= n; i++) { const id = (i * 2654435761) >>> 0 || 3; ids.push(id); ksAdd(ks, owner, key(id, ROLE_GUEST)); }
  return { flash, ks, ids };
}

// Runs inside Espruino: opens the store from Storage and times lookups of present and absent ids.
const BOARD_ENTRY = `
import { espruinoStorage } from './hal/espruino/storage';
import { espruinoCrypto } from './hal/espruino/crypto';
import { ksOpen, ksFind, ksLookup } from './firmware/keystore';
(global as any).benchKeys = function (ids: number[], rounds: number) {
  const m0 = process.memory().usage;
  const ks = ksOpen(espruinoStorage(), espruinoCrypto(false), 1000);
  const m1 = process.memory().usage;
  let found = 0, peak = 0;
  const t0 = getTime();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < ids.length; i++) { if (ksFind(ks, ids[i]) >= 0) found++; }
  const t1 = getTime();
  for (let i = 0; i < ids.length; i++) { ksLookup(ks, ids[i]); const u = process.memory(false).usage; if (u > peak) peak = u; }
  return JSON.stringify({ openVars: m1 - m0, peakDuringLookup: peak - m0, usPerLookup: (t1 - t0) * 1e6 / (rounds * ids.length), found: found });
};
`;
declare const global: any;

// The table and the bench code go straight into the interpreter's flash file (as the simulator's
// engine installs a board), not through its console, whose long uploads the Linux build can abort
// on (ASSERT in jsdevices.c).
async function onEspruino(bin: string, n: number, flash: ReturnType<typeof buildTable>['flash'], ids: number[]) {
  const b = await bundleFirmware(boardById('puckjs')!, { entry: BOARD_ENTRY });
  const dir = makeBoardDir();
  try {
    const files: Record<string, string> = { 'relay-bench.js': b.code };
    for (const name of flash.files.keys()) files[name] = flash.read(name)!;
    installFlash(bin, dir, files);
    const sample = ids.slice(0, 20).concat([2, 4, 6, 8, 10]);
    const out = runOnce(bin, dir, `eval(require("Storage").read("relay-bench.js"));print("@@"+benchKeys(${JSON.stringify(sample)},${Math.ceil(400 / sample.length)}))`, 60000);
    const line = out.split('\n').find((l) => l.indexOf('@@') >= 0);
    if (!line) throw new Error(`the interpreter printed no result for ${n} keys:\n` + out.slice(-1500));
    return JSON.parse(line.slice(line.indexOf('@@') + 2).trim());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const SPEC: Spec = { usage: 'npx tsx tools/benchmarks/keystore.ts', options: {}, notes: 'Key store lookups for 10..1000 keys on the host, and with ESPRUINO_BIN in the real interpreter; one JSON line at the end.' };

async function main(argv: string[]): Promise<number> {
  if (parse(argv, SPEC).help) { process.stdout.write(help(SPEC)); return 0; }
  const bin = espruinoBinary();
  const results: any[] = [];
  for (const n of SIZES) {
    const { flash, ks, ids } = buildTable(n);
    const probe = ids.concat([2, 4, 6]);
    const t0 = performance.now();
    let found = 0;
    for (let i = 0; i < LOOKUPS; i++) if (ksFind(ks, probe[i % probe.length]) >= 0) found++;
    const nodeUs = ((performance.now() - t0) * 1000) / LOOKUPS;
    // The slot file as the firmware makes it for 1000 keys (1250 slots), whatever number are used.
    const fileBytes = flash.read(KEY_SLOTS_FILE)!.length;
    const row: any = { keys: n, tableBytes: fileBytes, flashBytes: 32 + fileBytes, nodeUsPerLookup: +nodeUs.toFixed(2) };
    if (bin) row.espruino = await onEspruino(bin, n, flash, ids);
    results.push(row);
    console.log(`${String(n).padStart(5)} keys  file ${String(fileBytes).padStart(6)} B  node ${nodeUs.toFixed(2)} us/lookup` +
      (row.espruino ? `  espruino ${row.espruino.usPerLookup.toFixed(1)} us/lookup, store ${row.espruino.openVars} vars, peak +${row.espruino.peakDuringLookup} vars` : ''));
  }
  if (!bin) console.log('(set ESPRUINO_BIN for the real-interpreter figures)');
  console.log(JSON.stringify({ bench: 'keystore', espruino: bin ? path.basename(bin) : null, results }));
  return 0;
}

runMain('benchmarks:keystore', () => main(process.argv.slice(2)));
