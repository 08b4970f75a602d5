/**
 * Drives a real Espruino interpreter built for Linux (the binary named by ESPRUINO_BIN) booted from
 * the Storage in its directory (sim/espruino/board.ts installFlash puts files there), and talks to
 * its console through stdin/stdout: a transport for the one console link (tools/host/console-link.ts).
 * Host-only. What we learned running it (2v29, 32-bit, 13-byte variables):
 *  - Storage lives in ./espruino.flash of the working directory; started with no arguments it boots
 *    .boot0 then .bootcde and stays at the prompt (with `-e` it exits once no timer is left).
 *  - stdin must stay an open, idle pipe: at EOF the interpreter reads 0xF7 garbage forever.
 *  - A line starting with \x10 is executed without echo; quit() exits, but not from boot code.
 *  - Code booted from Storage runs from flash; `espruino file.js` copies it into RAM and
 *    overstates memory, so we never measure that way.
 */
import { streamLink } from '../host/console-link';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface Session {
  /** Runs one line of JavaScript and resolves with what it printed (between markers). */
  eval(js: string, timeoutMs?: number): Promise<string>;
  /** Everything the console has printed so far. */
  output(): string;
  quit(): Promise<number | null>;
  dir: string;
}

/** Starts the interpreter in `dir` (booting whatever Storage holds there). */
export function startInterpreter(bin: string, dir: string): Session {
  const child: ChildProcessWithoutNullStreams = spawn(bin, [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  // Every line goes through the one console link (markers around it); this is only its transport.
  const link = streamLink({ write: (text) => writeSlowly(text) }, { clean });
  child.stdout.on('data', (d: Buffer) => { const t = d.toString('latin1'); out += t; link.received(t); });
  child.stderr.on('data', (d: Buffer) => { const t = d.toString('latin1'); out += t; link.received(t); });
  // If the interpreter dies while we write, the write fails with EPIPE: its exit is reported instead.
  child.stdin.on('error', () => { /* reported through 'exit' */ });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => { exitCode = code; link.ended('Espruino exited (' + code + ')'); res(code); }));
  // The Linux build reads stdin on its own thread into an event FIFO that the interpreter drains
  // unsynchronised: input that arrives while it starts up, or in long bursts, overflows it
  // (FIFO_FULL, dropped characters) or trips ASSERT(len <= 64). Wait for it to settle, then feed
  // it in short slices with a pause between them.
  let feeding = new Promise<void>((res) => setTimeout(res, 300));
  function writeSlowly(text: string): void {
    for (let i = 0; i < text.length; i += 32) {
      const part = text.slice(i, i + 32);
      feeding = feeding.then(() => new Promise<void>((res) => { if (exitCode === undefined) child.stdin.write(part, 'latin1'); setTimeout(res, 2); }));
    }
  }
  const session: Session = {
    dir,
    output: () => clean(out),
    eval: (js, timeoutMs = 10000) => link.run(js, timeoutMs),
    quit: () => {
      if (exitCode === undefined) writeSlowly('\x10quit()\n');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      return exited.then((c) => { clearTimeout(kill); return c; });
    },
  };
  return session;
}

/** Console output without prompts, carriage returns or terminal escapes. */
function clean(s: string): string {
  return s.replace(/\r/g, '').replace(/\x1b\[J/g, '').replace(/^>/gm, '');
}
