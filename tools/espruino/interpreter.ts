/**
 * Drives a real Espruino interpreter built for Linux (the binary named by ESPRUINO_BIN): writes a
 * bundle into its Storage the way the board keeps saved code, boots it from there, and talks to
 * its console. Host-only. What we learned running it (2v29, 32-bit, 13-byte variables):
 *  - Storage lives in ./espruino.flash of the working directory; started with no arguments it boots
 *    .boot0 then .bootcde and stays at the prompt (with `-e` it exits once no timer is left).
 *  - stdin must stay an open, idle pipe: at EOF the interpreter reads 0xF7 garbage forever.
 *  - A line starting with \x10 is executed without echo; quit() exits, but not from boot code.
 *  - Code booted from Storage runs from flash; `espruino file.js` copies it into RAM and
 *    overstates memory, so we never measure that way.
 */
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
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => { out += d.toString('latin1'); waiters.splice(0).forEach((w) => w()); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString('latin1'); });
  // If the interpreter dies while we write, the write fails with EPIPE: its exit is reported instead.
  child.stdin.on('error', () => { /* reported through 'exit' */ });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => { exitCode = code; res(code); waiters.splice(0).forEach((w) => w()); }));
  let seq = 0;
  // The Linux build reads stdin on its own thread into an event FIFO that the interpreter drains
  // unsynchronised: input that arrives while it starts up, or in long bursts, overflows it
  // (FIFO_FULL, dropped characters) or trips ASSERT(len <= 64). Wait for it to settle, then feed
  // it in short slices with a pause between them.
  let feeding = new Promise<void>((res) => setTimeout(res, 300));
  const writeSlowly = (text: string) => {
    for (let i = 0; i < text.length; i += 32) {
      const part = text.slice(i, i + 32);
      feeding = feeding.then(() => new Promise<void>((res) => { if (exitCode === undefined) child.stdin.write(part, 'latin1'); setTimeout(res, 2); }));
    }
  };
  const session: Session = {
    dir,
    output: () => clean(out),
    eval: (js, timeoutMs = 10000) => {
      const id = ++seq;
      const start = `@@S${id}@@`, end = `@@E${id}@@`;
      const from = out.length;
      writeSlowly(`\x10print(${JSON.stringify(start)});try{${js}}catch(e){print("@@ERR "+e)};print(${JSON.stringify(end)})\n`);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer from Espruino in ${timeoutMs} ms to: ${js.slice(0, 80)}\n${clean(out.slice(from))}`)), timeoutMs);
        const check = () => {
          const text = clean(out.slice(from));
          const s = text.indexOf(start + '\n'), e = text.indexOf(end);
          if (s >= 0 && e > s) { clearTimeout(timer); resolve(text.slice(s + start.length + 1, e).replace(/\n$/, '')); return; }
          if (exitCode !== undefined) { clearTimeout(timer); reject(new Error('Espruino exited (' + exitCode + '):\n' + text)); return; }
          waiters.push(check);
        };
        check();
      });
    },
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
