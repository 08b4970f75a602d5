/**
 * `npm run relay-bench -- --board puckjs --port /dev/ttyACM0 --key owner.json [--cycles 50] [--out bench-report]` (--help lists all)
 * Bench-tests a board running a dev build (npm run flash -- --dev) whose relay contact is wired
 * back to its bench input: writes <out>.json and <out>.html, prints a summary, exits 1 on any problem.
 * `--port tcp://127.0.0.1:N` targets the simulator's console (npm run sim -- console), as the tests do.
 */
import { boardById, boards } from '../../hal/boards/index';
import { readKeyFile } from '../phonekey/cli';
import { openEspruinoLink, type ConsoleLink } from '../provision/link';
import { runBench } from './bench';
import { htmlReport } from './report';
import { type Spec, UsageError, duration, help, int, need, parse, runMain, str } from '../host/cli-args';
import { checkWritableDir, userPath, writeFileSafe } from '../host/cli-files';
import { checkPort } from '../host/ports';

const SPEC: Spec = {
  usage: 'npm run relay-bench --',
  options: {
    board: { type: 'string', arg: 'ID', help: 'the board (required; it needs a bench input pin)' },
    port: { type: 'string', short: 'p', arg: 'PORT', help: 'its console: a serial port or tcp://host:port (required)' },
    key: { type: 'string', arg: 'FILE', help: 'an owner phone key file of the board (required)' },
    cycles: { type: 'string', arg: 'N', help: 'unlock/lock cycles, 1 to 100000 (default 20)' },
    out: { type: 'string', arg: 'FILE', help: 'report name: writes FILE.json and FILE.html (default bench-report)' },
    timeout: { type: 'string', arg: 'DURATION', help: 'longest wait for the board to answer one step: 30, 30s, 2m (plain number: seconds; default 30s)' },
  },
  notes: 'The board runs a dev build (npm run flash -- --dev) with its relay contact wired back to its bench input. Exit 0 all cycles passed, 1 a problem, 2 bad arguments.',
};

export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: console.log, err: (s) => process.stderr.write(s) },
  openLink?: (port: string) => Promise<ConsoleLink>): Promise<number> {
  const a = parse(argv, SPEC);
  if (a.help) { io.out(help(SPEC).trimEnd()); return 0; }
  const v = a.values;
  const boardId = need(v, 'board'), port = need(v, 'port'), keyPath = userPath(need(v, 'key'));
  const board = boardById(boardId);
  if (!board) throw new UsageError('unknown board ' + boardId + ' (known: ' + boards.map((b) => b.id).join(', ') + ')');
  if (board.pins.benchContact === undefined) throw new UsageError(`${boardId} has no bench input pin (hal/boards/${boardId}.ts pins.benchContact)`);
  const cycles = int(str(v, 'cycles'), '--cycles', { min: 1, max: 100000, def: 20 });
  const timeoutS = duration(str(v, 'timeout'), '--timeout', { unit: 's', maxMs: 3600000, defMs: 30000 }) / 1000;
  const out = userPath(str(v, 'out') || 'bench-report');
  checkWritableDir(out + '.json', 'report');
  const key = readKeyFile(keyPath);
  if (!openLink) await checkPort(port);
  const open = openLink || ((p: string) => openEspruinoLink(p, { timeoutS }));
  io.out(`bench: ${cycles} cycles on ${board.name} at ${port}; relay on pin ${board.pins.relay}, contact wired back to pin ${board.pins.benchContact}`);
  const link = await open(port);
  try {
    const report = await runBench(link, {
      cycles, key,
      progress: (d, n) => { const w = 30, f = Math.round((d / n) * w); io.err(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${d}/${n}`); if (d === n) io.err('\n'); },
    });
    writeFileSafe(out + '.json', JSON.stringify({ board: boardId, port, date: new Date().toISOString(), ...report }, null, 2), 'report');
    writeFileSafe(out + '.html', htmlReport(report, { board: board.name, port, date: new Date().toISOString() }), 'report');
    const f = (x: number) => x.toFixed(1);
    io.out(`unlock -> contact closed: median ${f(report.closeMs.median)} ms, p95 ${f(report.closeMs.p95)}, max ${f(report.closeMs.max)} (n=${report.closeMs.n})`);
    io.out(`lock -> contact open:     median ${f(report.openMs.median)} ms, p95 ${f(report.openMs.p95)}, max ${f(report.openMs.max)} (n=${report.openMs.n})`);
    io.out(`attacks refused: ${report.attacks.refused}/${report.attacks.tried}; contact moved after an attack: ${report.attacks.contactMoved}`);
    for (const p of report.problems) io.out('PROBLEM: ' + p);
    io.out(`${report.ok ? 'PASS' : 'FAIL'} — report: ${out}.json, ${out}.html`);
    return report.ok ? 0 : 1;
  } finally {
    await link.close();
  }
}

if (require.main === module) runMain('bench', () => main(process.argv.slice(2)), { exit: true });
