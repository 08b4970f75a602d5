/**
 * `npm run test:espruino`: boots each dist/<board>/firmware.js inside the real Espruino
 * interpreter named by ESPRUINO_BIN, from Storage as a board boots saved code (through
 * sim/espruino/), runs its main loop for a second and prints process.memory() with the firmware's
 * share as JSON (one line per board). Fails on an uncaught error at boot.
 * Without ESPRUINO_BIN it says so and exits 0: CI has no such binary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { espruinoBinary } from '../host/espruino-binary';
import { boardById } from '../../hal/boards/index';
import { createEspruinoBoard } from '../../sim/espruino/board';
import { firmwareShare } from '../../sim/engine/board';
import { type Spec, help, parse, runMain } from '../host/cli-args';

const ROOT = path.resolve(__dirname, '../..');

export function prelude(): string {
  return fs.readFileSync(path.join(__dirname, 'prelude.js'), 'utf8');
}

const SPEC: Spec = { usage: 'npm run test:espruino', options: {}, notes: 'Boots every dist/<board>/firmware.js in the interpreter named by ESPRUINO_BIN; skipped without it.' };

async function main(argv: string[]): Promise<number> {
  if (parse(argv, SPEC).help) { process.stdout.write(help(SPEC)); return 0; }
  const bin = espruinoBinary();
  if (!bin) {
    console.log('test:espruino skipped: set ESPRUINO_BIN to an Espruino interpreter built for Linux (see docs/ESPRUINO.md).');
    return 0;
  }
  if (!fs.existsSync(bin)) throw new Error('ESPRUINO_BIN=' + bin + ' does not exist');
  const dist = path.join(ROOT, 'dist');
  const bundles = fs.existsSync(dist)
    ? fs.readdirSync(dist).map((b) => path.join(dist, b, 'firmware.js')).filter((f) => fs.existsSync(f))
    : [];
  if (bundles.length === 0) throw new Error('no dist/<board>/firmware.js: run npm run build first');
  let failed = 0;
  for (const file of bundles) {
    const id = path.basename(path.dirname(file));
    const config = boardById(id);
    if (!config) throw new Error('no board file for dist/' + id);
    // Booted by the simulator's real-interpreter engine: installed into Storage through the
    // interpreter's own file API (its console input drops characters), a second of main loop run.
    const b = createEspruinoBoard({ board: config, bundle: fs.readFileSync(file, 'latin1'), bin });
    try {
      b.clock.advance(1000);
      const text = b.consoleText();
      const booted = /carkey \S+ on /.test(text);
      const m = b.memory();
      const errors = b.uncaught;
      if (errors.length || !booted || !m) {
        failed++;
        console.error(`${id}: boot failed\n${b.log.map((l) => l.from + ' ' + l.text).join('\n')}`);
      }
      const firmware = m ? firmwareShare(m) : undefined;
      console.log(JSON.stringify({ board: id, bytes: fs.statSync(file).size, booted, firmware, boardVariables: config.variables, memory: m }));
    } finally {
      b.close();
    }
  }
  return failed ? 1 : 0;
}

if (require.main === module) runMain('test:espruino', () => main(process.argv.slice(2)));
