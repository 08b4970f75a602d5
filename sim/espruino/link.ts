/**
 * A synchronous link to a real Espruino interpreter built for Linux (ESPRUINO_BIN), so the
 * simulator's synchronous board API (sim/engine/board.ts's SimBoard) can drive it unchanged.
 * Three named pipes in the interpreter's working directory:
 *   c  Node -> board: one message per open/close (the board reads it with fs.readFileSync)
 *   r  board -> Node: protocol lines (the board appends with fs.writeFileSync)
 *   o  the interpreter's own stdout and stderr (banner, boot errors, OUT OF MEMORY, ASSERTs)
 * Nothing here blocks forever: reads are non-blocking and polled with a real-time deadline, and an
 * interpreter that exits shows as end-of-file on `o`. The interpreter's console (stdin) is an open
 * pipe that is never written: its input path drops characters under load.
 * Here: the process and the pipes. Not here: what the lines mean (board.ts, prelude.js).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Link {
  readonly dir: string;
  /** The next protocol line from the board (without its newline). Throws on timeout or exit. */
  line(timeoutMs: number): string;
  /** Writes one message for the board, which must be waiting ("?"). */
  send(message: string, timeoutMs: number): void;
  /** What the interpreter printed itself since the last call. */
  takeOutput(): string;
  readonly alive: boolean;
  /** Kills the interpreter at once (a power cut); the directory and its flash file stay. */
  kill(): void;
  /** Waits for the interpreter to exit by itself; returns what it printed. */
  waitExit(timeoutMs: number): string;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` real milliseconds (the event loop is not needed meanwhile). */
function nap(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** A working directory with the three pipes, for one simulated board (its flash file lives here). */
export function makeBoardDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carkey-espruino-'));
  execFileSync('mkfifo', [path.join(dir, 'c'), path.join(dir, 'r'), path.join(dir, 'o')]);
  return dir;
}

/** Starts the interpreter in `dir` (it boots .boot0 ... .bootcde from the flash file there). */
export function startLink(bin: string, dir: string, args: string[] = []): Link {
  const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
  // Our read ends first (non-blocking opens of a pipe's read end never wait), then the child's stdout.
  const replies = fs.openSync(path.join(dir, 'r'), O_RDONLY | O_NONBLOCK);
  const output = fs.openSync(path.join(dir, 'o'), O_RDONLY | O_NONBLOCK);
  const outputWriter = fs.openSync(path.join(dir, 'o'), O_WRONLY);
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { cwd: dir, stdio: ['pipe', outputWriter, outputWriter] });
  } finally {
    fs.closeSync(outputWriter);
  }
  child.on('error', () => { /* seen as end-of-file on the output pipe */ });
  if (child.stdin) child.stdin.on('error', () => { /* the interpreter died; reported by line() */ });
  let pending = '';
  let printed = '';
  let exited = false;
  const buf = Buffer.alloc(65536);
  const readFrom = (fd: number): string | null => {
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      return n === 0 ? null : buf.toString('latin1', 0, n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return '';
      throw e;
    }
  };
  const pollOutput = () => {
    if (exited) return;
    for (;;) {
      const s = readFrom(output);
      if (s === null) { exited = true; return; }
      if (!s) return;
      printed += s;
    }
  };
  const closeAll = () => {
    for (const fd of [replies, output]) { try { fs.closeSync(fd); } catch { /* closed already */ } }
  };
  const link: Link = {
    dir,
    line(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (let spins = 0; ; spins++) {
        const nl = pending.indexOf('\n');
        if (nl >= 0) {
          const l = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          return l;
        }
        const s = exited ? null : readFrom(replies);
        if (s) { pending += s; spins = 0; continue; }
        pollOutput();
        if (exited) throw new InterpreterExited(printed);
        if (Date.now() > deadline) throw new InterpreterTimeout(timeoutMs);
        // Out of memory (or an interrupt) ends the code that would have answered: no need to wait.
        if (spins % 200 === 199 && STUCK.test(printed)) throw new InterpreterStuck(printed);
        if (spins > 50) nap(spins > 2000 ? 1 : 0.05);
      }
    },
    send(message, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let fd: number | undefined;
      // The board announced "?" just before it opens the pipe: wait the moment until it has.
      while (fd === undefined) {
        try { fd = fs.openSync(path.join(dir, 'c'), O_WRONLY | O_NONBLOCK); } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
          pollOutput();
          if (exited) throw new InterpreterExited(printed);
          if (Date.now() > deadline) throw new InterpreterTimeout(timeoutMs);
          nap(0.05);
        }
      }
      try {
        const data = Buffer.from(message, 'latin1');
        for (let at = 0; at < data.length;) {
          try { at += fs.writeSync(fd, data, at, data.length - at); } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
            if (Date.now() > deadline) throw new InterpreterTimeout(timeoutMs);
            nap(0.05);
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    takeOutput() {
      pollOutput();
      const s = printed;
      printed = '';
      return s;
    },
    get alive() { pollOutput(); return !exited; },
    waitExit(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!exited) {
        if (Date.now() > deadline) { link.kill(); throw new InterpreterTimeout(timeoutMs); }
        pollOutput();
        nap(1);
      }
      closeAll();
      if (child.stdin) child.stdin.destroy();
      return link.takeOutput();
    },
    kill() {
      if (!exited) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
      // Wait for the end-of-file so no later write of this process can reach the flash file.
      const deadline = Date.now() + 5000;
      while (!exited && Date.now() < deadline) { pollOutput(); nap(1); }
      exited = true;
      closeAll();
      if (child.stdin) child.stdin.destroy();
    },
  };
  return link;
}

/** Runs `code` with `espruino -e` in `dir` (after it boots whatever the flash there holds) and returns its output. */
export function runOnce(bin: string, dir: string, code: string, timeoutMs: number): string {
  return startLink(bin, dir, ['-e', code]).waitExit(timeoutMs);
}

export class InterpreterExited extends Error {
  constructor(readonly output: string) {
    super('the Espruino interpreter exited; it printed:\n' + output.split('\n').slice(-15).join('\n'));
  }
}

/**
 * What the interpreter prints when it abandons the code that was running. Not "ERROR: Not enough
 * memory for result": a native function (SHA-256, AES) prints that, returns undefined and the code
 * runs on (the firmware retries after E.defrag()).
 */
const STUCK = /Execution Interrupted|OUT OF MEMORY/;

export class InterpreterStuck extends Error {
  constructor(readonly output: string) {
    super('the Espruino interpreter abandoned the running code: ' + (STUCK.exec(output) || [''])[0]);
  }
}

export class InterpreterTimeout extends Error {
  constructor(readonly ms: number) {
    super('no answer from the Espruino interpreter in ' + ms + ' ms');
  }
}
