/**
 * `npm run test:espruino`: boots each dist/<board>/firmware.js inside the real Espruino
 * interpreter named by ESPRUINO_BIN, from Storage as a board boots saved code, and prints
 * process.memory() after boot as JSON (one line per board). Fails on an uncaught error at boot.
 * Without ESPRUINO_BIN it says so and exits 0: CI has no such binary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bootFromStorage, espruinoBinary } from './interpreter';

const ROOT = path.resolve(__dirname, '../..');

export function prelude(): string {
  return fs.readFileSync(path.join(__dirname, 'prelude.js'), 'utf8');
}

async function main() {
  const bin = espruinoBinary();
  if (!bin) {
    console.log('test:espruino skipped: set ESPRUINO_BIN to an Espruino interpreter built for Linux (see docs/ESPRUINO.md).');
    return;
  }
  if (!fs.existsSync(bin)) throw new Error('ESPRUINO_BIN=' + bin + ' does not exist');
  const dist = path.join(ROOT, 'dist');
  const bundles = fs.existsSync(dist)
    ? fs.readdirSync(dist).map((b) => path.join(dist, b, 'firmware.js')).filter((f) => fs.existsSync(f))
    : [];
  if (bundles.length === 0) throw new Error('no dist/<board>/firmware.js: run npm run build first');
  let failed = 0;
  for (const file of bundles) {
    const board = path.basename(path.dirname(file));
    // The Linux build's console input is racy under load (ASSERT(len <= 64) in jsdevices.c): a
    // crashed interpreter is started again, up to three times, before the boot counts as failed.
    let r: Awaited<ReturnType<typeof bootFromStorage>> | undefined;
    for (let attempt = 1; !r; attempt++) {
      try {
        r = await bootFromStorage(bin, fs.readFileSync(file, 'latin1'), prelude());
      } catch (e) {
        if (attempt >= 3 || !/Espruino exited|no answer/.test((e as Error).message)) throw e;
        console.error(`${board}: the interpreter crashed on upload (attempt ${attempt}); trying again`);
      }
    }
    await r.session.quit();
    const text = r.session.output();
    const errors = text.split('\n').filter((l) => /Uncaught|ERROR|OUT OF MEMORY|Error/.test(l));
    const booted = /carkey \S+ on /.test(text);
    if (errors.length || !booted) {
      failed++;
      console.error(`${board}: boot failed\n${text}`);
    }
    console.log(JSON.stringify({ board, bytes: fs.statSync(file).size, booted, memory: r.memory }));
  }
  if (failed) process.exit(1);
}

if (require.main === module) main().catch((e) => { console.error(e.message || e); process.exit(1); });
