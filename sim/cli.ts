/**
 * `npm run sim -- <command>`: the simulator from a terminal.
 *   list                 the shipped scenarios
 *   run <name>|all [--engine espruino]
 *                        runs scenarios headless, prints their timelines, exits non-zero on a failure;
 *                        --engine espruino runs the bundle in the real interpreter (ESPRUINO_BIN);
 *                        --variables N gives the firmware N variables instead of the board's
 *                        --memory-probe FILE records live memory for tools/benchmarks/memory.ts
 *   repl [--board id]    an interactive car: unlock, lock, tap, door, button, advance, log, ...
 *   console [--board id] [--port N] [--boot file.js]
 *                        a simulated board's Espruino console on tcp://127.0.0.1:N for the espruino
 *                        CLI and tools/flash.ts; empty flash unless --boot puts a file in .bootcde
 */
import * as fs from 'node:fs';
import { boards } from '../hal/boards/index';
import { scenarios, v2Scenarios } from './scenarios/index';
import { runScenario } from './scenario';
import { startRepl } from './repl';
import { startConsole } from './console-cli';
import { type Opt, type Spec, UsageError, help, int, parse, runMain, str } from '../tools/host/cli-args';
import { checkWritableDir, userPath } from '../tools/host/cli-files';
import { checkFreePort } from '../tools/host/ports';

const BOARD: Opt = { type: 'string', arg: 'ID', help: 'the board: ' + boards.map((b) => b.id).join(', ') };
const SEED: Opt = { type: 'string', arg: 'N', help: 'random seed of the simulated board (default 1)' };
const SPECS: Record<string, Spec> = {
  list: { usage: 'npm run sim -- list', options: {}, notes: 'the shipped scenarios' },
  run: {
    usage: 'npm run sim -- run', args: '<scenario>|all', positionals: [1, 1],
    options: {
      engine: { type: 'string', arg: 'ENGINE', help: 'vm (default) or espruino: the real interpreter named by ESPRUINO_BIN' },
      variables: { type: 'string', arg: 'N', help: 'with --engine espruino: give the firmware N variables instead of the board\'s' },
      'memory-probe': { type: 'string', arg: 'FILE', help: 'with --engine espruino: record live memory to FILE for tools/benchmarks/memory.ts' },
    },
    notes: 'Runs scenarios headless, prints their timelines; exit 1 when one fails.',
  },
  repl: { usage: 'npm run sim -- repl', options: { board: BOARD, seed: SEED }, notes: 'an interactive car (default board puckjs-nfc): unlock, lock, tap, door, button, advance, log, ...' },
  console: {
    usage: 'npm run sim -- console',
    options: { board: BOARD, port: { type: 'string', arg: 'N', help: 'TCP port on 127.0.0.1 (default 0: any free one)' }, boot: { type: 'string', arg: 'FILE', help: 'put FILE in .bootcde (default: empty flash)' }, seed: SEED },
    notes: "a simulated board's Espruino console on tcp://127.0.0.1:N for the espruino CLI and npm run flash (default board puckjs)",
  },
};

function usage(): string {
  return 'usage: npm run sim -- <command> [options]   (<command> --help lists its options)\n'
    + Object.entries(SPECS).map(([c, s]) => '  ' + c.padEnd(8) + (s.notes || '')).join('\n') + '\n';
}

function boardOf(v: Record<string, unknown>, def: string): string {
  const id = typeof v.board === 'string' ? v.board : def;
  if (!boards.some((b) => b.id === id)) throw new UsageError(`unknown board "${id}"; known: ${boards.map((b) => b.id).join(', ')}`);
  return id;
}

async function main(argv: string[]): Promise<number | undefined> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') { process.stdout.write(usage()); return 0; }
  const spec = SPECS[cmd];
  if (!spec) throw new UsageError(`unknown command "${cmd}" (one of ${Object.keys(SPECS).join(', ')})`);
  const a = parse(rest, spec);
  if (a.help) { process.stdout.write(help(spec)); return 0; }
  const v = a.values;
  const seed = int(str(v, 'seed'), '--seed', { min: 0, max: 0xffffffff, def: 1 });
  if (cmd === 'list') {
    for (const s of scenarios) console.log(`${s.name.padEnd(26)} ${s.title}`);
    for (const s of v2Scenarios) console.log(`${s.name.padEnd(26)} ${s.title} (protocol v2: needs a build that speaks it)`);
    return 0;
  }
  if (cmd === 'run') {
    const name = a.positionals[0];
    const chosen = name === 'all' ? scenarios : [...scenarios, ...v2Scenarios].filter((s) => s.name === name);
    if (!chosen.length) throw new UsageError(`no scenario "${name}"; try: npm run sim -- list`);
    const engine = str(v, 'engine') || 'vm';
    if (engine !== 'vm' && engine !== 'espruino') throw new UsageError('--engine is vm or espruino');
    const variables = str(v, 'variables') === undefined ? undefined : int(str(v, 'variables'), '--variables', { min: 1, max: 1 << 20 });
    if (variables !== undefined && engine !== 'espruino') throw new UsageError('--variables N goes with --engine espruino');
    const probe = str(v, 'memory-probe') === undefined ? undefined : userPath(str(v, 'memory-probe')!);
    if (probe !== undefined && engine !== 'espruino') throw new UsageError('--memory-probe FILE goes with --engine espruino');
    if (probe !== undefined) checkWritableDir(probe, 'memory probe');
    let failed = 0;
    for (const s of chosen) {
      const out = await runScenario(s, engine, variables, probe);
      console.log(out.timeline.join('\n'));
      console.log(out.ok ? `PASSED ${s.name}\n` : `FAILED ${s.name}: ${out.failure}\n`);
      if (!out.ok) failed++;
    }
    return failed ? 1 : 0;
  }
  if (cmd === 'console') {
    const boot = str(v, 'boot') === undefined ? undefined : userPath(str(v, 'boot')!);
    if (boot !== undefined && !fs.existsSync(boot)) throw new UsageError('no such file: ' + boot);
    const port = int(str(v, 'port'), '--port', { min: 0, max: 65535, def: 0 });
    await checkFreePort(port);
    return startConsole({ board: boardOf(v, 'puckjs'), port, boot, seed });
  }
  return startRepl({ board: boardOf(v, 'puckjs-nfc'), seed });
}

runMain('sim', () => main(process.argv.slice(2)));
