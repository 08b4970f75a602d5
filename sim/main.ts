/**
 * `npm start [-- --board <id>] [--port <n>] [--seed <n>] [--dev] [--site FILE]`: builds the firmware bundle and
 * the web pages, boots a demo car (owner, driver and guest phones; owner, cloned and UID-only cards
 * on NFC boards) and serves its web view on 127.0.0.1. `--dev` runs the dev build (bench hook on
 * the console, for /relay-bench); its default board is puckjs, whose bench input the simulated relay
 * contact is wired to (puckjs-nfc has none).
 * Not here: the server (sim/server.ts), the car (sim/car.ts, sim/vehicle.ts).
 */
import { boards } from '../hal/boards/index';
import { startServer } from './server';
import { ownSite } from './own-site';
import { getPassphrase } from '../tools/host/provision/passphrase';
import { userPath } from '../tools/host/cli-files';
import { checkFreePort } from '../tools/host/ports';
import { CliError, type Spec, UsageError, help, int, parse, runMain, str } from '../tools/host/cli-args';

const SPEC: Spec = {
  usage: 'npm start --',
  options: {
    board: { type: 'string', arg: 'ID', help: 'the board: ' + boards.map((b) => b.id).join(', ') + ' (default puckjs-nfc; puckjs with --dev)' },
    port: { type: 'string', arg: 'N', help: 'HTTP port on 127.0.0.1, 0 for any free one (default 8080)' },
    seed: { type: 'string', arg: 'N', help: 'random seed of the simulated car (default 1)' },
    dev: { type: 'boolean', help: 'run the dev build (bench hook on the console, for /relay-bench)' },
    site: { type: 'string', arg: 'FILE', help: 'your own site file (npm run provision -- init): the car gets its secrets and keys, so your key files unlock it (passphrase from CARKEY_PASSPHRASE or asked)' },
  },
  notes: 'Serves the simulated car, the web phone key and the bench console; Ctrl-C stops it.',
};

async function main(argv: string[]): Promise<number | undefined> {
  const a = parse(argv, SPEC);
  if (a.help) { process.stdout.write(help(SPEC)); return 0; }
  const dev = !!a.values.dev;
  const board = str(a.values, 'board') || (dev ? 'puckjs' : 'puckjs-nfc');
  if (!boards.some((b) => b.id === board)) throw new UsageError('unknown board ' + board + ' (one of ' + boards.map((b) => b.id).join(', ') + ')');
  const port = int(str(a.values, 'port'), '--port', { min: 0, max: 65535, def: 8080 });
  const seed = int(str(a.values, 'seed'), '--seed', { min: 0, max: 0xffffffff, def: 1 });
  const siteFile = str(a.values, 'site');
  const site = siteFile ? ownSite(userPath(siteFile), await getPassphrase(), board) : undefined;
  await checkFreePort(port);
  console.log('Building the ' + (dev ? 'DEV ' : '') + 'firmware for ' + board + ' and the web pages...');
  const s = await startServer({ board, port, seed, dev, site }).catch((e: NodeJS.ErrnoException) => {
    throw e && e.code === 'EADDRINUSE' ? new CliError('port ' + port + ' on 127.0.0.1 is in use (choose another with --port N, or --port 0 for any free one)') : e;
  });
  console.log('Simulated car (' + board + (site ? ', your site ' + siteFile + ' with ' + site.records.length + ' keys' : ', seed ' + seed) + (dev ? ', dev build' : '') + ') running.');
  console.log('  Vehicle:          ' + s.url);
  console.log('  Web phone key:    ' + s.url + 'phonekey');
  console.log('  Bench console:    ' + s.url + 'relay-bench' + (dev ? '' : ' (needs --dev)'));
  console.log('  Radio for the CLI: ' + s.url.replace(/^http/, 'ws') + 'ws/radio  (npm run phonekey -- unlock --key k.json --sim <this>)');
  console.log('Only pages served by this run, on this computer, may use it (a per-run token in the pages).');
  console.log('Ctrl-C to stop.');
  const stop = () => { void s.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return undefined;
}

runMain('start', () => main(process.argv.slice(2)));
