/**
 * Files named on a command line: resolved against the directory the user ran `npm run` from
 * (npm sets INIT_CWD there and runs the script in the repository root), read with a one-line
 * error when missing, and written whole or not at all (a temporary file beside the target, then
 * a rename — or a hard link when the target must not exist yet), with a clear error for a
 * directory that does not exist.
 * Not here: argument parsing (cli-args.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError } from './cli-args';

/** A path from the command line, absolute: relative to INIT_CWD when npm ran us, else to cwd. */
export function userPath(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.INIT_CWD || process.cwd(), p);
}

export function readText(file: string, what: string, encoding: BufferEncoding = 'utf8'): string {
  try {
    return fs.readFileSync(file, encoding);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError('no ' + what + ' ' + file + ' (no such file)');
    if (code === 'EISDIR') throw new CliError(what + ' ' + file + ' is a directory, not a file');
    throw new CliError('cannot read ' + what + ' ' + file + ': ' + (e as Error).message);
  }
}

export function readJson(file: string, what: string): unknown {
  const text = readText(file, what);
  try { return JSON.parse(text); } catch (e) { throw new CliError(what + ' ' + file + ' is not JSON: ' + (e as Error).message); }
}

/** Fails with a one-line error unless `file`'s directory exists (before any work is done). */
export function checkWritableDir(file: string, what: string): void {
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats;
  try { st = fs.statSync(dir); } catch { throw new CliError('cannot write ' + what + ' ' + file + ': directory ' + dir + ' does not exist'); }
  if (!st.isDirectory()) throw new CliError('cannot write ' + what + ' ' + file + ': ' + dir + ' is not a directory');
}

/**
 * Writes `file` whole or not at all. `exclusive`: refuse if it exists (checked atomically by a
 * hard link, so two runs cannot both create it). `mode`: e.g. 0o600 for files holding secrets.
 */
export function writeFileSafe(file: string, data: string | Uint8Array, what: string, opts: { mode?: number; exclusive?: boolean } = {}): void {
  checkWritableDir(file, what);
  const tmp = path.join(path.dirname(path.resolve(file)), '.' + path.basename(file) + '.' + process.pid + '.tmp');
  try {
    fs.writeFileSync(tmp, data, { mode: opts.mode ?? 0o644 });
    if (opts.exclusive) {
      try {
        fs.linkSync(tmp, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(what + ' ' + file + ' exists; choose another name');
        throw e;
      }
    } else {
      fs.renameSync(tmp, file);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError('cannot write ' + what + ' ' + file + ': ' + (e as Error).message);
  } finally {
    try { fs.unlinkSync(tmp); } catch { /* renamed away */ }
  }
}
