/**
 * `npm start`: will build the firmware and start the simulator with its web view (issue: Simulator).
 * Until then it builds the bundles and says what is coming, so the README's first command works.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const r = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'tools/build.ts')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log('\nThe simulator is not here yet: it will run dist/<board>/firmware.js against a simulated');
console.log('board (radio, PN532 and cards, relay, door, flash, clock) with a web page on 127.0.0.1.');
