/**
 * One console link to an Espruino board: run one line of JavaScript, get back what it printed.
 * Every tool that drives a console speaks through this interface — the provisioning CLI, the relay
 * bench, the verified uploader (tools/host/console-upload.ts), the browser bench and flasher
 * pages, the benches in the real interpreter — whatever carries the bytes.
 *
 * A transport that is a byte stream to Espruino's REPL (a stdin pipe, Nordic UART over Web
 * Bluetooth) supplies only `write` and hands over what it receives; `streamLink` does the exchange:
 * each line goes out as `\x10print("\x01N");try{<line>}catch(e){print(e)}print("\x02N")` — \x10
 * turns echo off for the line — and what the board printed between the two markers is the answer.
 * One line at a time, so markers never interleave. Transports that already answer line by line
 * (the espruino package's executeExpression, the simulator's /ws/console) implement `run` themselves.
 *
 * Browser-safe: nothing here imports Node.
 */

export interface ConsoleLink {
  /** Runs one line on the board; resolves with what it printed (not its value), lines joined by \n. */
  run(code: string): Promise<string>;
}

/** What a byte-stream transport supplies. */
export interface ConsoleTransport {
  /** Sends text, one char per byte. */
  write(text: string): void | Promise<void>;
}

export interface StreamLink extends ConsoleLink {
  /** Runs one line with its own deadline. */
  run(code: string, timeoutMs?: number): Promise<string>;
  /** The transport received text (any chunking). */
  received(text: string): void;
  /** The transport is gone: pending and later lines fail with `why`. */
  ended(why: string): void;
}

export interface StreamLinkOptions {
  /** Deadline for one line unless run() names one (default 10 s). */
  timeoutMs?: number;
  /** Cleans what was received before markers are looked for (prompts, escapes); \r is always dropped. */
  clean?: (text: string) => string;
}

export function streamLink(t: ConsoleTransport, opts: StreamLinkOptions = {}): StreamLink {
  const clean = opts.clean || ((s: string) => s);
  let buffer = '';
  let gone: string | undefined;
  let wake: (() => void) | undefined;
  let seq = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const runOne = async (code: string, timeoutMs: number): Promise<string> => {
    if (gone) throw new Error(gone);
    const n = String(++seq);
    const start = '\x01' + n + '\n', end = '\x02' + n;
    buffer = '';
    await t.write('\x10print("\\x01' + n + '");try{' + code + '}catch(e){print(e)}print("\\x02' + n + '")\n');
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = clean(buffer.replace(/\r/g, ''));
      const a = text.indexOf(start), b = text.indexOf(end, a + 1);
      if (a >= 0 && b > a) return text.slice(a + start.length, b).replace(/\n$/, '');
      if (gone) throw new Error(gone + (text ? ':\n' + text : ''));
      const left = until - Date.now();
      if (left <= 0) throw new Error('no answer from the board within ' + timeoutMs / 1000 + ' s to: ' + code.slice(0, 80) + (text ? '\n' + text : ''));
      await new Promise<void>((r) => { const timer = setTimeout(r, Math.min(left, 200)); wake = () => { clearTimeout(timer); r(); }; });
      wake = undefined;
    }
  };
  return {
    run: (code, timeoutMs) => {
      const p = queue.catch(() => undefined).then(() => runOne(code, timeoutMs || opts.timeoutMs || 10000));
      queue = p;
      return p;
    },
    received: (text) => { buffer += text; if (wake) wake(); },
    ended: (why) => { if (!gone) gone = why; if (wake) wake(); },
  };
}
