/**
 * `npm run bench -- --board puckjs --port /dev/ttyACM0 --key owner.json [--cycles 50] [--out bench-report]`
 * Bench-tests a board running a dev build (npm run flash -- --dev) whose relay contact is wired
 * back to its bench input: writes <out>.json and <out>.html, prints a summary, exits 1 on any problem.
 * `--port tcp://127.0.0.1:N` targets the simulator's console (npm run sim -- console), as the tests do.
 */
import * as fs from 'node:fs';
import { boardById } from '../../hal/boards/index';
import { readKeyFile } from '../phonekey/cli';
import { openEspruinoLink, type ConsoleLink } from '../provision/link';
import { runBench } from './bench';
import { htmlReport } from './report';

function flag(argv: string[], name: string, def?: string): string | undefined {
  const i = argv.indexOf('--' + name);
  return i >= 0 ? argv[i + 1] : def;
}

export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: console.log, err: (s) => process.stderr.write(s) },
  openLink: (port: string) => Promise<ConsoleLink> = openEspruinoLink): Promise<number> {
  const boardId = flag(argv, 'board'), port = flag(argv, 'port'), keyPath = flag(argv, 'key');
  if (!boardId || !port || !keyPath) { io.out('usage: npm run bench -- --board <id> --port <serial|tcp://host:port> --key owner.json [--cycles N] [--out file]'); return 2; }
  const board = boardById(boardId);
  if (!board) { io.out('unknown board ' + boardId); return 2; }
  if (board.pins.benchContact === undefined) { io.out(`${boardId} has no bench input pin (hal/boards/${boardId}.ts pins.benchContact)`); return 2; }
  const cycles = Number(flag(argv, 'cycles', '20'));
  const out = flag(argv, 'out', 'bench-report')!;
  const key = readKeyFile(keyPath);
  io.out(`bench: ${cycles} cycles on ${board.name} at ${port}; relay on pin ${board.pins.relay}, contact wired back to pin ${board.pins.benchContact}`);
  const link = await openLink(port);
  try {
    const report = await runBench(link, {
      cycles, key,
      progress: (d, n) => { const w = 30, f = Math.round((d / n) * w); io.err(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${d}/${n}`); if (d === n) io.err('\n'); },
    });
    fs.writeFileSync(out + '.json', JSON.stringify({ board: boardId, port, date: new Date().toISOString(), ...report }, null, 2));
    fs.writeFileSync(out + '.html', htmlReport(report, { board: board.name, port, date: new Date().toISOString() }));
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

if (require.main === module) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { console.error('error: ' + (e as Error).message); process.exitCode = 1; });
}
