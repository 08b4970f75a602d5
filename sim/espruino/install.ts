/**
 * The real interpreter's flash and budget, before any board runs: files written into a fresh
 * flash file through the interpreter's own Storage (verified by CRC-32), and the interpreter's
 * size, bare usage and the prelude's share, measured once per process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BoardConfig } from '../../hal/boards/types';
import { crc32 } from '../../tools/host/bytes';
import { makeBoardDir, runOnce, startLink } from './link';

export const PRELUDE_FILE = path.join(__dirname, 'prelude.js');

/**
 * Writes the prelude and the bundle into a fresh flash file through the interpreter's own
 * Storage (read from files in the directory, so nothing goes through its console input).
 */
export function installFlash(bin: string, dir: string, files: Record<string, string>): void {
  const calls: string[] = [];
  for (const name of Object.keys(files)) {
    const file = 'in-' + calls.length;
    fs.writeFileSync(path.join(dir, file), files[name], 'latin1');
    calls.push(`put(${JSON.stringify(name)},${JSON.stringify(file)},${files[name].length})`);
  }
  const code = 'var S=require("Storage");function put(n,p,z){var f=E.openFile(p,"r"),o=0,d;S.erase(n);' +
    'while((d=f.read(256))!==undefined){S.write(n,d,o,z);o+=d.length;}f.close();' +
    'print("installed "+n+" "+o+" "+E.CRC32(S.read(n)));}' + calls.join(';');
  const out = runOnce(bin, dir, code, 60000);
  const lines = out.replace(/\r/g, '').split('\n');
  for (const name of Object.keys(files)) {
    const ok = lines.some((l) => {
      const m = /^installed (\S+) (\d+) (-?\d+)$/.exec(l);
      return !!m && m[1] === name && Number(m[2]) === files[name].length && Number(m[3]) >>> 0 === crc32(files[name]);
    });
    if (!ok) throw new Error(`installing ${name} into the interpreter's flash failed; it printed:\n${out}`);
  }
}

export interface InterpreterBudget {
  /** Variables the interpreter has. */
  total: number;
  /** Variables it uses with nothing loaded. */
  bare: number;
  /** Variables the prelude adds (its functions, closures and state), measured on a board that holds nothing else. */
  prelude: number;
}

const budgets: Record<string, InterpreterBudget> = {};

/** Measures the interpreter once per process: its size, its bare usage and the prelude's share. */
export function interpreterBudget(bin: string, timeoutMs = 20000): InterpreterBudget {
  if (budgets[bin]) return budgets[bin];
  const d = makeBoardDir();
  try {
    const bare = /usage (\d+) (\d+)/.exec(runOnce(bin, d, 'var m=process.memory();print("usage "+m.usage+" "+m.total)', timeoutMs));
    if (!bare) throw new Error('the interpreter did not report its memory');
    installFlash(bin, d, { '.boot0': fs.readFileSync(PRELUDE_FILE, 'latin1') });
    const l = startLink(bin, d);
    try {
      const said: string[] = [];
      const next = (): string => { const x = l.line(timeoutMs); said.push(x); return x[0] === 'p' ? next() : x; };
      if (next() !== 'H' || next() !== '?') throw new Error('the prelude did not say hello: ' + said.join(' | '));
      l.send('({n:0,s:1,i:{},b:0})', timeoutMs);
      if (next() !== '?') throw new Error('the prelude did not reach its serve loop: ' + said.join(' | '));
      l.send('process.memory().usage', timeoutMs);
      let x = next();
      while (x[0] !== '=') x = next();
      const withPrelude = Number(x.slice(1).split(' ')[1]);
      budgets[bin] = { total: Number(bare[2]), bare: Number(bare[1]), prelude: withPrelude - Number(bare[1]) };
      return budgets[bin];
    } finally { l.kill(); }
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
}

/** Variables an interpreter needs so that a board's firmware gets the board's whole budget. */
export function variablesNeeded(bin: string, board: BoardConfig): number {
  return board.variables + interpreterBudget(bin).prelude;
}
