/**
 * Fleet registry benchmark (not a test): fills a registry with BOARDS boards, KEYS keys and ENTRIES
 * audit entries (spread evenly over boards, one entry every 5 minutes per board: 10 000 a board is 35 days), then times:
 * importing one collection of 1000 new entries for a board, listing a board's keys, and filtering
 * one month of one board's log. Prints the figures and the sizes it really ran with.
 *
 *   npx tsx tools/fleet/bench.ts [--boards 1000] [--keys 50000] [--entries 10000000] [--registry FILE]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Spec, help, int, parse, runMain, str } from '../host/cli-args';
import { createRegistry } from './registry';
import { boardByName, listKeys } from './boards';
import { queryLog, storeEntries } from './logstore';

const SPEC: Spec = {
  usage: 'npx tsx tools/fleet/bench.ts',
  options: {
    boards: { type: 'string', arg: 'N', help: 'boards (default 1000)' },
    keys: { type: 'string', arg: 'N', help: 'keys in all (default 50000)' },
    entries: { type: 'string', arg: 'N', help: 'log entries in all (default 10000000)' },
    registry: { type: 'string', arg: 'FILE', help: 'where (default a temporary file, removed after)' },
  },
};

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

async function main(argv: string[]): Promise<number> {
  const a = parse(argv, SPEC);
  if (a.help) { process.stdout.write(help(SPEC)); return 0; }
  const nBoards = int(str(a.values, 'boards'), '--boards', { min: 1, max: 100000, def: 1000 });
  const nKeys = int(str(a.values, 'keys'), '--keys', { min: 0, max: 10000000, def: 50000 });
  const nEntries = int(str(a.values, 'entries'), '--entries', { min: 0, max: 100000000, def: 10000000 });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  const file = a.values.registry ? path.resolve(String(a.values.registry)) : path.join(tmp, 'fleet.db');
  const r = createRegistry(file, 'bench passphrase', { secret: new Uint8Array(32).fill(1), cardMaster: new Uint8Array(16).fill(2) }, { name: 'scrypt', N: 1 << 14, r: 8, p: 1 });
  const t0 = process.hrtime.bigint();
  const now = Math.floor(Date.now() / 1000);
  r.db.transaction(() => {
    const ins = r.db.prepare("INSERT INTO boards (board_id, slot, type, label, secrets, added) VALUES (?, ?, 'puckjs', ?, 'board', ?)");
    for (let i = 0; i < nBoards; i++) ins.run((0x0100000000000000n + BigInt(i)).toString(16).padStart(16, '0'), 1, 'car-' + i, now);
  })();
  r.db.transaction(() => {
    const ins = r.db.prepare("INSERT INTO keys (board, key_id, kind, role, perms, label, salt, issued) VALUES (?, ?, 'phone', 'driver', 'unlock,lock', '', ?, ?)");
    for (let i = 0; i < nKeys; i++) ins.run(1 + (i % nBoards), 1000 + i, i, now);
  })();
  const perBoard = Math.floor(nEntries / nBoards);
  const start = now - perBoard * 300;
  const ins = r.db.prepare('INSERT INTO log (board, seq, time, trusted, event, result, reason, key_id, collected) VALUES (?, ?, ?, 1, 21, 1, 0, 7, ?)');
  for (let b = 1; b <= nBoards; b++) {
    r.db.transaction(() => { for (let s = 1; s <= perBoard; s++) ins.run(b, s, start + s * 300, now); })();
  }
  const fillS = ms(t0) / 1000;
  const board = boardByName(r, 'car-' + Math.floor(nBoards / 2));
  const importMs: number[] = [], keysMs: number[] = [], monthMs: number[] = [];
  let monthRows = 0, keyRows = 0;
  for (let run = 0; run < 5; run++) {
    const from = perBoard + 1 + run * 1000;
    const page = Array.from({ length: 1000 }, (_, i) => ({ seq: from + i, time: now + run * 1000 + i, trusted: true, event: 21, result: 1, reason: 0, keyId: 7 }));
    let t = process.hrtime.bigint();
    storeEntries(r, board.id, page);
    importMs.push(ms(t));
    t = process.hrtime.bigint();
    keyRows = listKeys(r, board).length;
    keysMs.push(ms(t));
    t = process.hrtime.bigint();
    monthRows = queryLog(r, { board: board.id, from: start, to: start + 30 * 86400 }).length;
    monthMs.push(ms(t));
  }
  const size = fs.statSync(file).size + (fs.existsSync(file + '-wal') ? fs.statSync(file + '-wal').size : 0);
  r.close();
  console.log(`registry: ${nBoards} boards, ${nKeys} keys, ${perBoard * nBoards} log entries (${perBoard} per board), ${(size / 1e6).toFixed(0)} MB, filled in ${fillS.toFixed(1)} s`);
  console.log(`import a collection of 1000 entries: median ${median(importMs).toFixed(1)} ms (5 runs, one transaction each)`);
  console.log(`list a board's keys (${keyRows}): median ${median(keysMs).toFixed(2)} ms`);
  console.log(`filter a month of one board's log (${monthRows} entries): median ${median(monthMs).toFixed(1)} ms`);
  if (!a.values.registry) fs.rmSync(tmp, { recursive: true, force: true });
  return 0;
}

if (require.main === module) runMain('fleet bench', () => main(process.argv.slice(2)));
