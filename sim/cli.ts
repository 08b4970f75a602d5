/**
 * `npm run sim -- <command>`: the simulator from a terminal.
 *   list                 the shipped scenarios
 *   run <name>|all [--engine espruino]
 *                        runs scenarios headless, prints their timelines, exits non-zero on a failure;
 *                        --engine espruino runs the bundle in the real interpreter (ESPRUINO_BIN);
 *                        --variables N gives the firmware N variables instead of the board's
 *                        --memory-probe FILE records live memory for tools/bench/memory.ts
 *   repl [--board id]    an interactive car: unlock, lock, tap, door, button, advance, log, ...
 *   console [--board id] [--port N] [--boot file.js]
 *                        a simulated board's Espruino console on tcp://127.0.0.1:N for the espruino
 *                        CLI and tools/flash.ts; empty flash unless --boot puts a file in .bootcde
 */
import { scenarios } from './scenarios/index';
import { runScenario } from './scenario';
import { startRepl } from './repl';
import { startConsole } from './console-cli';

async function main(argv: string[]): Promise<number | undefined> {
  const [cmd, ...rest] = argv;
  const flag = (name: string, def?: string) => { const i = rest.indexOf('--' + name); return i >= 0 ? rest[i + 1] : def; };
  if (cmd === 'list') {
    for (const s of scenarios) console.log(`${s.name.padEnd(26)} ${s.title}`);
    return 0;
  }
  if (cmd === 'run') {
    const name = rest[0];
    const chosen = name === 'all' ? scenarios : scenarios.filter((s) => s.name === name);
    if (!chosen.length) { console.error(`no scenario "${name}"; try: npm run sim -- list`); return 2; }
    const engine = flag('engine', 'vm');
    if (engine !== 'vm' && engine !== 'espruino') { console.error('--engine is vm or espruino'); return 2; }
    const variables = flag('variables') === undefined ? undefined : Number(flag('variables'));
    if (variables !== undefined && !(engine === 'espruino' && variables > 0)) { console.error('--variables N goes with --engine espruino'); return 2; }
    const probe = flag('memory-probe');
    if (probe !== undefined && engine !== 'espruino') { console.error('--memory-probe FILE goes with --engine espruino'); return 2; }
    let failed = 0;
    for (const s of chosen) {
      const out = await runScenario(s, engine, variables, probe);
      console.log(out.timeline.join('\n'));
      console.log(out.ok ? `PASSED ${s.name}\n` : `FAILED ${s.name}: ${out.failure}\n`);
      if (!out.ok) failed++;
    }
    return failed ? 1 : 0;
  }
  if (cmd === 'console') return startConsole({ board: flag('board') || 'puckjs', port: Number(flag('port', '0')), boot: flag('boot'), seed: Number(flag('seed', '1')) });
  if (cmd === 'repl') return startRepl({ board: flag('board', 'puckjs-nfc'), seed: Number(flag('seed', '1')) });
  console.log('usage: npm run sim -- list | run <scenario>|all [--engine espruino [--variables N] [--memory-probe FILE]] | repl [--board id] | console [--board id] [--port N] [--boot file.js]');
  return cmd ? 2 : 0;
}

main(process.argv.slice(2)).then((code) => { if (code !== undefined) process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
