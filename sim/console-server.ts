/**
 * A simulated board's Espruino console on a TCP port, so the official `espruino` CLI (and
 * tools/flash.ts) talk to it exactly as to a board on a serial port:
 *   npx espruino -p tcp://127.0.0.1:PORT -e "print(1+2)"
 * The board boots what its flash holds (.boot0-3, .bootcde); an empty flash is a bare console.
 * The REPL follows Espruino's src/jsinteractive.c: echo of typed characters, `>` prompt, `=value`
 * after each line, `:` continuation while brackets are open, DLE (\x10) at the start of a line runs
 * it without echo or result, Ctrl-C clears the line, ESC LF (Alt-Enter) adds a newline without
 * running, ESC [ n d (the CLI's line numbers) and cursor keys are ignored, Ctrl-E answers
 * `Espruino <version> <board>`, output printed by the board removes and then restores the prompt.
 * The virtual clock follows real time while the server runs.
 * Who may connect: programs on this computer (it listens on 127.0.0.1, and refuses peers that are
 * not loopback), as anyone logged in may open a board's serial port; the espruino CLI and
 * tools/flash.ts cannot carry a token, so there is none. Browsers speak no raw TCP and DNS
 * rebinding needs HTTP, but any web page can make the browser send an HTTP request (a form POST,
 * fetch no-cors, a WebSocket) to this port, and its body would reach the REPL line by line: a
 * connection whose first bytes are an HTTP request line or a TLS handshake is dropped before a
 * byte of it reaches the board (`refusesFirstBytes`).
 * Here: the REPL and the socket. Not here: the Espruino API (sim/engine/globals.ts).
 * Not modelled: history, cursor movement within a line, tab completion, packet transfer (DLE SOH).
 */
import * as net from 'node:net';
import type { BoardConfig } from '../hal/boards/types';
import { createSimBoard, type SimBoard } from './engine/board';
import type { Flash } from './engine/storage';
import { espruinoBoard, SIM_ESPRUINO_VERSION } from '../hal/boards/espruino';

const BANNER = [
  '',
  ' ____                 _ ',
  '|  __|___ ___ ___ _ _|_|___ ___ ',
  '|  __|_ -| . |  _| | | |   | . |',
  '|____|___|  _|_| |___|_|_|_|___|',
  '         |_| espruino.com',
  ' ' + SIM_ESPRUINO_VERSION + ' (c) simulator',
  '',
  '',
].join('\n');

export interface Repl {
  /** Bytes from the terminal (latin1). */
  input(data: string): void;
  /** Stops listening to the board. */
  dispose(): void;
}

/** Espruino's REPL over a board; `write` gets what the board's console sends (latin1, \r\n line ends). */
export function createRepl(board: SimBoard, write: (text: string) => void): Repl {
  let line = '';
  let removed = false; // the prompt and input line are not on the terminal (jsiConsoleRemoveInputLine)
  let echoOffForLine = false;
  let state: '' | 'r' | 'esc' | 'escO' | 'esc[' | 'esc[n' | 'dle' = '';
  let escNumber = 0;
  let busy = false; // inside input(): the prompt comes back at its end
  let deferred = '';
  let returnScheduled = false;

  const echoOn = () => board.echo && !echoOffForLine;
  const show = () => echoOn() && !removed;
  const out = (text: string) => write(text.replace(/\r?\n/g, '\r\n'));
  const removeInputLine = () => {
    if (removed) return;
    removed = true;
    if (echoOn()) write('\r\x1b[J');
  };
  const returnInputLine = () => {
    if (!removed) return;
    removed = false;
    if (echoOn()) write('>' + line.replace(/\n/g, '\r\n:'));
  };
  const scheduleReturn = () => {
    if (busy || returnScheduled) return;
    returnScheduled = true;
    setImmediate(() => { returnScheduled = false; returnInputLine(); });
  };

  const unlisten = board.listen({
    print(text) {
      removeInputLine();
      out(text + '\n');
      scheduleReturn();
    },
    boot(_reason, kind) {
      if (kind !== 'reset' || !board.echo) return;
      // reset() prints its banner once the line that asked for it has finished, as on the board.
      if (busy) deferred += BANNER;
      else { removeInputLine(); out(BANNER); scheduleReturn(); }
    },
  });

  const execute = () => {
    if (show()) write('\r\n');
    if (!echoOffForLine) removed = true;
    const code = line.replace(/\s+$/, '');
    line = '';
    const isEmpty = code === '';
    const errorsBefore = board.uncaught.length;
    const value = isEmpty ? undefined : board.run(code);
    const failed = board.uncaught.length > errorsBefore;
    if (echoOn() && !failed && !isEmpty) out('=' + espruinoRepr(value) + '\n');
    echoOffForLine = false;
    if (deferred) { removeInputLine(); out(deferred); deferred = ''; }
  };

  const newLine = (run: boolean) => {
    if (run && countBrackets(line) <= 0) { execute(); return; }
    if (show()) write('\r\n:');
    line += '\n';
  };

  const handle = (ch: string) => {
    const c = ch.charCodeAt(0);
    if (state === 'esc') {
      state = '';
      if (ch === 'O') state = 'escO';
      else if (ch === '[') state = 'esc[';
      else if (ch === '\n') newLine(false); // Alt-Enter: a newline that does not run the line
      return;
    }
    if (state === 'escO') { state = ''; return; } // numpad home/end: cursor movement is not modelled
    if (state === 'esc[') {
      if (ch >= '0' && ch <= '9') { state = 'esc[n'; escNumber = c - 48; } else state = '';
      return;
    }
    if (state === 'esc[n') {
      if (ch >= '0' && ch <= '9') { escNumber = escNumber * 10 + c - 48; return; }
      state = '';
      if (ch === 'H' && escNumber === 2) { removeInputLine(); line = ''; } // erase the line
      return; // ESC [ n d: line number for the next code, which the simulator ignores
    }
    if (c === 0) { state = ''; return; }
    if (c === 1) { state = ''; return; } // DLE SOH packet transfer: not modelled
    if (c === 3) { // Ctrl-C: clear the line
      state = '';
      if (line) { removeInputLine(); line = ''; }
      echoOffForLine = false;
      return;
    }
    if (c === 5) { // Ctrl-E on an empty line: say what we are
      if (!line) out('Espruino ' + SIM_ESPRUINO_VERSION + ' ' + espruinoBoard(board.board.id).board + '\n');
      return;
    }
    if (c === 16) { // DLE: this line runs without echo
      if (!line) echoOffForLine = true;
      state = 'dle';
      return;
    }
    if (c === 27) { state = 'esc'; return; }
    const hadR = state === 'r';
    state = '';
    if (c === 8 || c === 127) {
      if (line && line[line.length - 1] !== '\n') {
        line = line.slice(0, -1);
        if (show()) write('\x08 \x08');
      }
      return;
    }
    if (ch === '\n' && hadR) return; // \r\n: handled on \r
    if (ch === '\r' || ch === '\n') {
      if (ch === '\r') state = 'r';
      newLine(true);
      return;
    }
    if (c >= 32 || ch === '\t') {
      const s = ch === '\t' ? '    ' : ch;
      line += s;
      if (show()) write(s);
    }
  };

  return {
    input(data: string) {
      busy = true;
      try {
        for (let i = 0; i < data.length; i++) handle(data[i]);
      } finally {
        busy = false;
      }
      returnInputLine();
    },
    dispose: unlisten,
  };
}

/** Open brackets minus closed ones, outside strings and comments (jsiCountBracketsInInput). */
export function countBrackets(code: string): number {
  let n = 0;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      i++;
      while (i < code.length && code[i] !== ch) { if (code[i] === '\\') i++; i++; }
    } else if (ch === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (ch === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) return n + 1; // an open comment keeps the line open
      i = end + 1;
    } else if (ch === '(' || ch === '[' || ch === '{') n++;
    else if (ch === ')' || ch === ']' || ch === '}') n--;
  }
  return n;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function escapeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 32 || c > 126 && c < 256) out += '\\x' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
    else if (c >= 256) out += '\\u' + ('000' + c.toString(16)).slice(-4);
    else out += ch;
  }
  return out + '"';
}

/** A value as Espruino's REPL prints it after `=` (jsfPrintJSON with JSON_PRETTY | JSON_DROP_QUOTES | SOME_NEWLINES). */
export function espruinoRepr(v: unknown, indent = '', seen: unknown[] = []): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return escapeString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'function') {
    // Functions made by the simulator itself stand for Espruino's native ones.
    if (v instanceof Function) return 'function () { [native code] }';
    return Function.prototype.toString.call(v);
  }
  if (typeof v !== 'object') return String(v);
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  if (tag === 'ArrayBuffer') return 'new Uint8Array([' + Array.prototype.join.call(new Uint8Array(v as ArrayBuffer), ', ') + ']).buffer';
  if (ArrayBuffer.isView(v)) return 'new ' + tag + '([' + Array.prototype.join.call(v, ', ') + '])';
  if (tag === 'Error') return String((v as Error).name || 'Error') + ': ' + String((v as Error).message);
  if (tag === 'Date') return 'Date: ' + String(v);
  if (seen.indexOf(v) >= 0) return '{ ... }';
  seen.push(v);
  const inner = indent + '  ';
  let parts: string[];
  let open: string, close: string;
  if (Array.isArray(v)) {
    parts = v.map((x) => espruinoRepr(x, inner, seen));
    open = '['; close = ']';
  } else {
    parts = Object.keys(v).map((k) => (IDENT.test(k) ? k : escapeString(k)) + ': ' + espruinoRepr((v as Record<string, unknown>)[k], inner, seen));
    open = '{'; close = '}';
  }
  seen.pop();
  if (!parts.length) return open + ' ' + close;
  const flat = open + ' ' + parts.join(', ') + ' ' + close;
  if (flat.length <= 60 && flat.indexOf('\n') < 0) return flat;
  return open + '\n' + parts.map((p) => inner + p).join(',\n') + '\n' + indent + ' ' + close;
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'PATCH', 'CONNECT', 'TRACE', 'PRI'];

/**
 * What the first bytes of a connection say: 'refuse' for a browser's HTTP request (a method and a
 * space) or a TLS ClientHello (0x16), 'wait' while they could still become one, 'accept' otherwise.
 */
export function refusesFirstBytes(first: string): 'refuse' | 'accept' | 'wait' {
  if (first.charCodeAt(0) === 0x16) return 'refuse';
  for (const m of HTTP_METHODS) {
    const req = m + ' ';
    if (first.startsWith(req)) return 'refuse';
    if (req.startsWith(first)) return 'wait';
  }
  return first.length ? 'accept' : 'wait';
}

const LOOPBACK_PEER = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export interface ConsoleServerOptions {
  board: BoardConfig;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. Whatever it listens on, only loopback peers get a console. */
  host?: string;
  seed?: number;
  /** Start over this flash (kept by the caller across servers, or pre-filled). */
  flash?: Flash;
  /** Use this board instead of creating one (it should boot from flash: no `bundle`). */
  sim?: SimBoard;
  /** How often the virtual clock catches up with real time, ms (default 10). 0 = the caller advances it. */
  tickMs?: number;
}

export interface ConsoleServer {
  readonly board: SimBoard;
  readonly host: string;
  readonly port: number;
  /** tcp://host:port, what `espruino -p` takes. */
  readonly url: string;
  /** Everything the console has sent, since the server started. */
  transcript(): string;
  close(): Promise<void>;
}

/** Starts a simulated board with its console on a TCP port; resolves once it listens. */
export function startConsoleServer(opts: ConsoleServerOptions): Promise<ConsoleServer> {
  const host = opts.host || '127.0.0.1';
  const board = opts.sim || createSimBoard({ board: opts.board, seed: opts.seed, flash: opts.flash });
  const clients: net.Socket[] = [];
  let transcript = '';
  const write = (text: string) => {
    transcript += text;
    const bytes = Buffer.from(text, 'latin1');
    for (const c of clients) if (!c.destroyed) c.write(bytes);
  };
  const repl = createRepl(board, write);
  const server = net.createServer((sock) => {
    if (!LOOPBACK_PEER.test(String(sock.remoteAddress))) { sock.destroy(); return; }
    clients.push(sock);
    sock.setNoDelay(true);
    let first = ''; // the connection's first bytes, until they cannot be an HTTP request
    let decided = false;
    sock.on('data', (d: Buffer) => {
      if (decided) { repl.input(d.toString('latin1')); return; }
      first += d.toString('latin1');
      const verdict = refusesFirstBytes(first);
      if (verdict === 'refuse') { sock.destroy(); return; }
      if (verdict === 'wait') return;
      decided = true;
      repl.input(first);
    });
    sock.on('error', () => { /* the client went away */ });
    sock.on('close', () => { const i = clients.indexOf(sock); if (i >= 0) clients.splice(i, 1); });
  });
  const tickMs = opts.tickMs === undefined ? 10 : opts.tickMs;
  let timer: NodeJS.Timeout | undefined;
  if (tickMs > 0) {
    let last = performance.now();
    timer = setInterval(() => {
      const now = performance.now();
      const ms = Math.floor(now - last);
      if (ms <= 0) return;
      last += ms;
      board.clock.advance(ms);
    }, tickMs);
  }
  return new Promise((resolve, reject) => {
    server.once('error', (e) => { if (timer) clearInterval(timer); repl.dispose(); reject(e); });
    server.listen(opts.port || 0, host, () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        board, host, port, url: 'tcp://' + host + ':' + port,
        transcript: () => transcript,
        close: () => new Promise<void>((done) => {
          if (timer) clearInterval(timer);
          repl.dispose();
          for (const c of clients.slice()) c.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
