/**
 * The simulated board as a real one boots and is driven from its console: boot files from flash,
 * reset()/load()/E.reboot()/echo(), process.env, and the REPL of sim/console-server.ts byte for
 * byte (echo, prompt, =value, DLE lines, Ctrl-C, continuation lines). Virtual time only; the TCP
 * server and the real espruino CLI are exercised in test/tools/flash.test.ts. The TCP server drops
 * what a web page can make a browser send it (HTTP requests, TLS) before the REPL sees a byte.
 */
import { strict as assert } from 'node:assert';
import { boardById } from '../../hal/boards/index';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import * as st from '../../sim/engine/storage';
import * as net from 'node:net';
import { createRepl, countBrackets, espruinoRepr, refusesFirstBytes, startConsoleServer } from '../../sim/console-server';

const puck = boardById('puckjs')!;
const hooks: st.FlashHooks = { error: (m) => new Error(m), powerCut: () => new Error('power cut') };

function flashWith(files: Record<string, string>): st.Flash {
  const f = st.createFlash(puck.storageBytes);
  for (const n of Object.keys(files)) st.write(f, hooks, n, files[n]);
  return f;
}

/** A board booting from `flash` with a REPL whose output is collected. */
function consoleOn(flash?: st.Flash): { board: SimBoard; out: () => string; type: (s: string) => string } {
  const board = createSimBoard({ board: puck, flash });
  let text = '';
  const repl = createRepl(board, (t) => { text += t; });
  return {
    board,
    out: () => text,
    /** Sends input and returns only what the console answered to it. */
    type: (s) => { const from = text.length; repl.input(s); return text.slice(from); },
  };
}

describe('sim board: booting from flash like a real board', () => {
  it('an empty flash boots to a bare console that evaluates code', () => {
    const b = createSimBoard({ board: puck });
    assert.equal(b.consoleText(), '');
    assert.deepEqual(b.uncaught, []);
    assert.equal(b.run('1+2'), 3);
  });

  it('runs .boot0 then .bootcde from flash at power on', () => {
    const b = createSimBoard({ board: puck, flash: flashWith({ '.bootcde': 'print("code", typeof b0)', '.boot0': 'var b0 = 1; print("boot0")' }) });
    assert.equal(b.consoleText(), 'boot0\ncode number');
  });

  it('load() boots what Storage holds now, with a fresh VM', () => {
    const b = createSimBoard({ board: puck });
    b.run('var x = 5; require("Storage").write(".bootcde", "print(\\"loaded\\", typeof x)")');
    assert.equal(b.consoleText(), '');
    b.run('load()');
    assert.equal(b.consoleText(), 'loaded undefined');
    assert.equal(b.resets[b.resets.length - 1].reason, 'load()');
    assert.equal(b.run('typeof x'), 'undefined');
  });

  it('reset() clears RAM without running the saved code; reset(true) also erases it', () => {
    const b = createSimBoard({ board: puck, flash: flashWith({ '.bootcde': 'print("booted")' }) });
    const kinds: string[] = [];
    b.listen({ boot: (_r, kind) => kinds.push(kind) });
    b.run('var y = 1; reset()');
    assert.equal(b.run('typeof y'), 'undefined');
    assert.equal(b.consoleText(), 'booted', 'reset() did not run .bootcde again');
    assert.deepEqual(kinds, ['reset']);
    b.run('reset(true)');
    assert.deepEqual(b.storage.list(), []);
  });

  it('E.reboot() boots from flash once the current code has returned', () => {
    const b = createSimBoard({ board: puck, flash: flashWith({ '.bootcde': 'print("up")' }) });
    b.run('E.reboot()');
    b.clock.advance(1);
    assert.equal(b.consoleText(), 'up\nup');
  });

  it('process.env names the board as Espruino does', () => {
    for (const [id, name] of [['puckjs', 'PUCKJS'], ['puckjs-nfc', 'PUCKJS'], ['mdbt42q', 'MDBT42Q'], ['xiaoble', 'XIAOBLE']]) {
      const b = createSimBoard({ board: boardById(id)!, bundle: '' });
      const env = b.run('process.env') as Record<string, unknown>;
      assert.equal(env.BOARD, name);
      assert.equal(env.VERSION, '2v29');
      assert.equal(env.STORAGE, boardById(id)!.storageBytes);
    }
  });

  it('flash.onWrite sees and can change every Storage write (fault injection)', () => {
    const f = st.createFlash(puck.storageBytes);
    f.onWrite = (name, offset, bytes) => { if (name === 'a' && offset === 2) bytes[0] ^= 1; };
    const b = createSimBoard({ board: puck, flash: f });
    b.run('var S = require("Storage"); S.write("a", "ab", 0, 4); S.write("a", "cd", 2)');
    assert.equal(b.storage.read('a'), 'abbd');
  });
});

describe('sim console: the Espruino REPL', () => {
  it('echoes a typed line, prints =result and a new prompt', () => {
    const c = consoleOn();
    assert.equal(c.type('1+2\r'), '1+2\r\n=3\r\n>');
    assert.equal(c.type('"a"+"b"\r\n'), '"a"+"b"\r\n="ab"\r\n>');
  });

  it('an empty line gives a prompt back (what the CLI waits for on connect)', () => {
    const c = consoleOn();
    assert.equal(c.type('\n'), '\r\n>');
  });

  it('a line starting with DLE runs without echo or result; what it prints comes, then the prompt', () => {
    const c = consoleOn();
    c.type('\n');
    assert.equal(c.type('\x101+2\n'), '', 'no echo, no =3, prompt still shown');
    assert.equal(c.type('\x10print("<","<<",JSON.stringify(process.env.BOARD),">>",">")\n'), '< << "PUCKJS" >> >\r\n>');
  });

  it('Ctrl-C throws away the line being typed', () => {
    const c = consoleOn();
    c.type('\n');
    assert.equal(c.type('abc\x03'), 'abc\r\x1b[J>');
    assert.equal(c.type('7\r'), '7\r\n=7\r\n>');
  });

  it('an unclosed bracket continues on the next line with ":"; ESC LF adds a line without running', () => {
    const c = consoleOn();
    c.type('\n');
    assert.equal(c.type('function f(){\r'), 'function f(){\r\n:');
    assert.match(c.type('return 4}\r'), /^return 4}\r\n=.*\r\n>$/);
    assert.equal(c.board.run('f()'), 4);
    c.type('var z = 1\x1b\n+ 1\r');
    assert.equal(c.board.run('z'), 2);
  });

  it('echo(0) silences echo and results until echo(1)', () => {
    const c = consoleOn();
    c.type('\n');
    c.type('echo(0)\r');
    assert.equal(c.type('2+2\r'), '');
    c.type('echo(1)\r');
    assert.equal(c.type('3+3\r'), '3+3\r\n=6\r\n>');
  });

  it('an uncaught error is printed instead of a result', () => {
    const c = consoleOn();
    c.type('\n');
    const out = c.type('nope()\r');
    assert.match(out, /Uncaught ReferenceError: nope is not defined\r\n/);
    assert.doesNotMatch(out, /=undefined/);
  });

  it('output from a timer removes the prompt, prints, and restores the prompt with the typed text', async () => {
    const c = consoleOn();
    c.type('\n');
    c.type('setTimeout(function(){print("tick")}, 100)\r');
    c.type('ab');
    const from = c.out().length;
    c.board.clock.advance(100);
    await new Promise((r) => setImmediate(r));
    assert.equal(c.out().slice(from), '\r\x1b[Jtick\r\n>ab');
  });

  it('ignores the line-number escapes the espruino CLI sends, answers Ctrl-E', () => {
    const c = consoleOn();
    c.type('\n');
    assert.equal(c.type('\x10\x1b[12dprint(6*7)\n'), '42\r\n>');
    assert.equal(c.type('\x05'), 'Espruino 2v29 PUCKJS\r\n');
  });

  it('reset() prints the banner after its line; load() boots the saved code', () => {
    const c = consoleOn(flashWith({ '.bootcde': 'print("carkey test: locked")' }));
    c.type('\n');
    const out = c.type('reset()\r');
    assert.ok(out.indexOf('=undefined') < out.indexOf('espruino.com'), out);
    assert.match(c.type('load()\r'), /carkey test: locked/);
  });

  it('counts brackets outside strings and comments', () => {
    assert.equal(countBrackets('f("(", \'[\', `{`) // (('), 0);
    assert.equal(countBrackets('if (a) { /* } */'), 1);
    assert.equal(countBrackets('a[1] = {b: [2]}'), 0);
  });

  it('prints values as Espruino does', () => {
    assert.equal(espruinoRepr(3), '3');
    assert.equal(espruinoRepr('a"b\n'), '"a\\"b\\n"');
    assert.equal(espruinoRepr([1, 'x']), '[ 1, "x" ]');
    assert.equal(espruinoRepr({ a: 1, 'b-c': [] }), '{ a: 1, "b-c": [ ] }');
    assert.equal(espruinoRepr(new Uint8Array([1, 2])), 'new Uint8Array([1, 2])');
    assert.equal(espruinoRepr(undefined), 'undefined');
    const long = espruinoRepr({ VERSION: '2v29', BOARD: 'PUCKJS', SERIAL: 'sim-puckjs', CONSOLE: 'Serial1' });
    assert.equal(long, '{\n  VERSION: "2v29",\n  BOARD: "PUCKJS",\n  SERIAL: "sim-puckjs",\n  CONSOLE: "Serial1"\n }');
  });
});

describe('sim console over TCP: only a console client gets a REPL', function () {
  this.timeout(20000);

  /** Opens a connection, sends `chunks` one by one, and resolves with what came back once the server closes or goes quiet. */
  function talk(port: number, chunks: (string | Buffer)[]): Promise<{ text: string; closed: boolean }> {
    return new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      let text = '';
      let closed = false;
      sock.on('data', (d) => { text += d.toString('latin1'); });
      sock.on('error', () => { closed = true; });
      sock.on('close', () => { closed = true; resolve({ text, closed }); });
      sock.on('connect', async () => {
        for (const c of chunks) { if (!sock.destroyed) sock.write(c); await new Promise((r) => setTimeout(r, 30)); }
        setTimeout(() => { if (!closed) { resolve({ text, closed }); sock.destroy(); } }, 300);
      });
    });
  }

  it('a browser\'s HTTP request (form POST, fetch, WebSocket) or TLS handshake is dropped before the board runs a byte of it', async () => {
    const srv = await startConsoleServer({ board: puck, tickMs: 0 });
    try {
      const attack = 'POST / HTTP/1.1\r\nHost: 127.0.0.1:' + srv.port + '\r\nContent-Type: text/plain\r\n\r\nvar PWNED = 1\r\nrequire("Storage").write("x", "pwned")\r\n';
      for (const chunks of [[attack], ['PO', 'ST', attack.slice(4)], ['GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nvar PWNED = 1\r\n'], [Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10]), 'var PWNED = 1\r\n']]) {
        const r = await talk(srv.port, chunks);
        assert.equal(r.closed, true, 'the connection is dropped: ' + JSON.stringify(chunks[0]).slice(0, 20));
        assert.equal(r.text, '', 'nothing echoed');
      }
      // Node's own fetch, as a page's fetch would send it.
      await assert.rejects(fetch('http://127.0.0.1:' + srv.port + '/', { method: 'POST', body: 'var PWNED = 1\r\n' }));
      assert.equal(srv.board.run('typeof PWNED'), 'undefined');
      assert.deepEqual(srv.board.storage.list(), []);
      assert.equal(srv.transcript(), '');
    } finally {
      await srv.close();
    }
  });

  it('a console client still gets its REPL, also for code that starts like a method name', async () => {
    const srv = await startConsoleServer({ board: puck, tickMs: 0 });
    try {
      const r = await talk(srv.port, ['G', 'ETX = 40 + 2\r']);
      assert.equal(r.closed, false);
      assert.match(r.text, /=42/);
      assert.match((await talk(srv.port, ['\x10print(GETX)\n'])).text, /42/);
    } finally {
      await srv.close();
    }
  });

  it('decides from the first bytes only', () => {
    assert.equal(refusesFirstBytes('GET / HTTP/1.1'), 'refuse');
    assert.equal(refusesFirstBytes('OPTIONS * HTTP/1.1'), 'refuse');
    assert.equal(refusesFirstBytes('PRI * HTTP/2.0'), 'refuse');
    assert.equal(refusesFirstBytes('\x16\x03\x01'), 'refuse');
    assert.equal(refusesFirstBytes('POS'), 'wait');
    assert.equal(refusesFirstBytes(''), 'wait');
    assert.equal(refusesFirstBytes('\x03'), 'accept');
    assert.equal(refusesFirstBytes('\x10print(1)\n'), 'accept');
    assert.equal(refusesFirstBytes('GETX=1'), 'accept');
    assert.equal(refusesFirstBytes('get / http/1.1'), 'accept');
  });
});
