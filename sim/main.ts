/**
 * `npm start [-- --board <id>] [--port <n>] [--seed <n>] [--dev]`: builds the firmware bundle and
 * the web pages, boots a demo car (owner, driver and guest phones; owner, cloned and UID-only cards
 * on NFC boards) and serves its web view on 127.0.0.1. `--dev` runs the dev build (bench hook on
 * the console, for /bench); its default board is puckjs, whose bench input the simulated relay
 * contact is wired to (puckjs-nfc has none).
 * Not here: the server (sim/server.ts), the car (sim/car.ts, sim/vehicle.ts).
 */
import { boards } from '../hal/boards/index';
import { startServer } from './server';

function flags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error('unexpected argument ' + argv[i]);
    out[m[1]] = m[2] !== undefined ? m[2] : m[1] === 'dev' ? '1' : argv[++i] ?? '';
  }
  return out;
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  for (const k of Object.keys(f)) if (k !== 'board' && k !== 'port' && k !== 'seed' && k !== 'dev') throw new Error('unknown flag --' + k + ' (try --board, --port, --seed, --dev)');
  const dev = f.dev !== undefined;
  const board = f.board || (dev ? 'puckjs' : 'puckjs-nfc');
  if (!boards.some((b) => b.id === board)) throw new Error('unknown board ' + board + ' (one of ' + boards.map((b) => b.id).join(', ') + ')');
  const port = f.port !== undefined ? Number(f.port) : 8080;
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error('bad --port ' + f.port);
  const seed = f.seed !== undefined ? Number(f.seed) : 1;
  console.log('Building the ' + (dev ? 'DEV ' : '') + 'firmware for ' + board + ' and the web pages...');
  const s = await startServer({ board, port, seed, dev });
  console.log('Simulated car (' + board + ', seed ' + seed + (dev ? ', dev build' : '') + ') running.');
  console.log('  Vehicle:          ' + s.url);
  console.log('  Web phone key:    ' + s.url + 'phonekey');
  console.log('  Bench console:    ' + s.url + 'bench' + (dev ? '' : ' (needs --dev)'));
  console.log('  Radio for the CLI: ' + s.url.replace(/^http/, 'ws') + 'ws/radio  (npm run phonekey -- unlock --key k.json --sim <this>)');
  console.log('Only pages served by this run, on this computer, may use it (a per-run token in the pages).');
  console.log('Ctrl-C to stop.');
  const stop = () => { void s.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(String((e as Error).message || e));
  process.exit(1);
});
