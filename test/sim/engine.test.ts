/**
 * sim/engine: the built bundle boots on every board; the VM lacks what Espruino lacks; timers,
 * flash, power cuts, watchdog, radio, pins, I2C and crypto behave as on the board. All in virtual time.
 */
import { strict as assert } from 'node:assert';
import { createCipheriv, createHash } from 'node:crypto';
import { boards, boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { bundleFirmware } from '../../tools/host/build/bundle';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';

const puck = boardById('puckjs')!;
const mdbt = boardById('mdbt42q')!;

/** Boots a code snippet as if it were the bundle. */
function snippet(code: string, board: BoardConfig = puck): SimBoard {
  return createSimBoard({ board, bundle: code });
}

describe('sim engine: the built bundle', function () {
  this.timeout(60000);
  const bundles: Record<string, string> = {};
  before(async () => {
    for (const b of boards) bundles[b.id] = (await bundleFirmware(b)).code;
  });

  for (const b of boards) {
    it(`boots on ${b.id}, prints its boot line, relay off, no uncaught error`, () => {
      const sim = createSimBoard({ board: b, bundle: bundles[b.id] });
      assert.deepEqual(sim.uncaught, []);
      assert.match(sim.consoleText(), new RegExp('carkey \\S+ on ' + b.id));
      assert.equal(sim.pins.output(b.pins.relay), b.relayActiveHigh ? 0 : 1);
      sim.clock.advance(10 * 60 * 1000);
      assert.deepEqual(sim.uncaught, [], 'ten minutes of main loop without an uncaught error');
    });
  }

  it('an hour of board time takes well under a second of real time', () => {
    const sim = createSimBoard({ board: puck, bundle: bundles.puckjs });
    const t0 = process.hrtime.bigint();
    sim.clock.advance(3600 * 1000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 1000, 'took ' + ms + ' ms');
    assert.ok(Math.abs(sim.clock.getTime() - 3600) < 1e-9);
  });

  it('a reset keeps the flash and boots again', () => {
    const sim = createSimBoard({ board: puck, bundle: bundles.puckjs });
    // A board never provisioned makes its site and key file at its first boot, its journal at the next (firmware/core.ts).
    assert.deepEqual(sim.storage.list(), ['ck.site.a', 'ck.keys']);
    sim.reset();
    const files = sim.storage.list();
    assert.deepEqual(files, ['ck.site.a', 'ck.keys', 'ck.pad', 'ck.jrnl']);
    sim.reset();
    assert.deepEqual(sim.storage.list(), files);
    assert.equal(sim.consoleText().split('\n').filter((l) => /carkey .* on puckjs/.test(l)).length, 3);
    assert.equal(sim.resets.length, 3);
  });
});

describe('sim engine: the VM offers only what Espruino offers', () => {
  it('a bundle that uses new Map() fails as on the board', () => {
    const sim = snippet('var m = new Map(); print("after");');
    assert.equal(sim.uncaught.length, 1);
    assert.match(sim.uncaught[0], /Map is not defined/);
    assert.doesNotMatch(sim.consoleText(), /after/);
  });

  it('the missing members are missing', () => {
    const probes = ['Array.from', 'Array.of', 'Object.freeze', 'Object.is', 'Number.isInteger', 'Number.parseInt', 'Math.imul',
      'Math.trunc', 'Math.log2', 'Date.UTC', 'Promise.race', 'Promise.prototype.finally', '[].flat', '[].at', '[].lastIndexOf',
      '[].reduceRight', '[].keys', '"".trimStart', '"".codePointAt', '"".localeCompare', 'String.raw', 'this.Symbol', 'this.Reflect',
      'this.Proxy', 'this.BigInt', 'this.WeakMap', 'this.Set', 'this.TextEncoder'];
    const sim = snippet('print(' + probes.map((p) => `typeof ${p}`).join('+","+') + ');');
    assert.deepEqual(sim.consoleText().split(','), probes.map(() => 'undefined'));
  });

  it('what Espruino has is there', () => {
    const sim = snippet('print([typeof E.CRC32, typeof require("Storage").write, typeof [].includes, typeof "".padStart, typeof Object.assign, typeof btoa, Math.max(1,2)].join());');
    assert.equal(sim.consoleText(), 'function,function,function,function,function,function,2');
  });

  it('Date and getTime follow virtual time, not the host clock', () => {
    const sim = snippet('setTime(1700000000); setTimeout(function () { print(getTime() + " " + Date.now()); }, 2500);');
    sim.clock.advance(3000);
    assert.equal(sim.consoleText(), '1700000002.5 1700000002500');
  });

  it('E.CRC32 is IEEE CRC-32 (unsigned); E.hwRand is seeded and repeatable', () => {
    const code = 'print(E.CRC32("123456789")); print(E.hwRand()); print(E.hwRand());';
    const a = snippet(code).consoleText().split('\n');
    const b = snippet(code).consoleText().split('\n');
    assert.equal(a[0], String(0xcbf43926));
    assert.deepEqual(a, b);
    assert.notEqual(a[1], a[2]);
    assert.notEqual(createSimBoard({ board: puck, bundle: code, seed: 2 }).consoleText(), a.join('\n'));
  });

  it('E.sum adds the elements of a typed array, an array or a string, and throws on anything else (jswrap_espruino_sum)', () => {
    const sim = snippet('print(E.sum(new Uint8Array([255, 255, 3]))); print(E.sum([1.5, -2, 300])); print(E.sum("AB")); print(E.sum(new Uint8Array([1, 2, 3, 4]).subarray(1, 3)));' +
      'try { E.sum(5); print("no throw"); } catch (e) { print("threw"); }');
    assert.deepEqual(sim.consoleText().split('\n'), ['513', '299.5', '131', '5', 'threw']);
  });
});

describe('sim engine: timers', () => {
  it('clearTimeout(undefined) throws, clearTimeout() clears every timer', () => {
    const sim = snippet('try { clearTimeout(undefined); print("no throw"); } catch (e) { print("threw: " + e.message); }' +
      'setTimeout(function () { print("a"); }, 10); setInterval(function () { print("b"); }, 10); clearTimeout();');
    sim.clock.advance(100);
    assert.equal(sim.consoleText(), 'threw: clearTimeout(undefined) not allowed. Use clearTimeout() instead');
  });

  it('ids are small integers: last id + 1, reused once the last is gone', () => {
    const sim = snippet('var a = setTimeout(function(){}, 10), b = setTimeout(function(){}, 20); clearTimeout(b);' +
      'var c = setTimeout(function(){}, 5); print([a, b, c].join());');
    assert.equal(sim.consoleText(), '1,2,2');
  });

  it('run in virtual time order; a throwing callback is reported and the rest still run', () => {
    const sim = snippet('setTimeout(function () { print("c " + getTime()); }, 3000);' +
      'setTimeout(function () { throw new Error("boom"); }, 1500);' +
      'setInterval(function () { print("i " + getTime()); }, 1000);' +
      'setTimeout(function () { print("a " + getTime()); }, 1000);');
    sim.clock.advance(3000);
    // Timers due at the same moment run in id order, as Espruino walks its timer array.
    assert.deepEqual(sim.consoleText().split('\n'), ['i 1', 'a 1', 'Uncaught Error: boom', 'i 2', 'c 3', 'i 3']);
    assert.deepEqual(sim.uncaught, ['Uncaught Error: boom']);
  });

  it('runUntilIdle stops when no timer is left', () => {
    const sim = snippet('setTimeout(function () { setTimeout(function () { print("done"); }, 500); }, 200);');
    assert.equal(sim.clock.runUntilIdle(10000), 700);
    assert.equal(sim.consoleText(), 'done');
  });
});

describe('sim engine: Storage', () => {
  const s = () => snippet('');

  it('rewriting a whole file marks the old copy erased first (trash until compact)', () => {
    const sim = snippet('var S = require("Storage"); S.write("f", "hello"); S.write("f", "world!");');
    assert.equal(sim.storage.read('f'), 'world!');
    const st = sim.storage.stats();
    assert.equal(st.trashCount, 1);
    assert.equal(st.fileCount, 1);
    assert.equal(st.fileBytes, 32 + 8);
    sim.storage.compact();
    assert.equal(sim.storage.stats().trashCount, 0);
    assert.equal(sim.storage.stats().freeBytes, puck.storageBytes - 40);
  });

  it('pre-size then fill at offsets; unwritten bytes read as \\xFF; written bytes cannot be rewritten', () => {
    const sim = snippet('var S = require("Storage"); S.write("p", "AB", 0, 8); S.write("p", "CD", 4);' +
      'print(S.read("p") === "AB\\xFF\\xFFCD\\xFF\\xFF");' +
      'try { S.write("p", "XY", 4); print("no throw"); } catch (e) { print(e.message); }' +
      'print(S.read("p", 4, 2));');
    assert.deepEqual(sim.consoleText().split('\n'), ['true', 'File already written with different data', 'CD']);
  });

  it('names longer than 28 characters are truncated silently', () => {
    const sim = snippet('var S = require("Storage"); S.write("abcdefghijklmnopqrstuvwxyz0123456789", "x"); print(S.list()[0]);' +
      'print(S.read("abcdefghijklmnopqrstuvwxyz01zzzz"));');
    assert.deepEqual(sim.consoleText().split('\n'), ['abcdefghijklmnopqrstuvwxyz01', 'x']);
  });

  it('a write that does not fit compacts the trash first, then fails when still no room', () => {
    const sim = s();
    // Two of these leave 48 bytes free. (Espruino compacts only when the free bytes plus the trash's
    // data bytes, headers not counted, exceed what the new file needs: jsflash.c _jsfCreateFile.)
    const big = 'z'.repeat(puck.storageBytes / 2 - 56);
    // The same content again is a no-op on Espruino; different content replaces the file.
    sim.run('var S = require("Storage"); S.write("a", ' + JSON.stringify(big) + '); S.write("a", ' + JSON.stringify(big.replace(/^z/, 'y')) + ');');
    assert.equal(sim.storage.stats().trashCount, 1);
    // Needs the trash's room: compaction happens inside the write.
    sim.run('S.write("b", ' + JSON.stringify(big) + ');');
    assert.equal(sim.storage.stats().trashCount, 0);
    assert.deepEqual(sim.storage.list().sort(), ['a', 'b']);
    // Full: Espruino throws "Unable to find or create file"; the hal driver turns that into false.
    sim.run('var more = "more".repeat(12); try { print(S.write("c", more)); } catch (e) { print(e.message); }' +
      'var w = function (n, d) { try { return S.write(n, d) !== false; } catch (e) { return false; } }; print(w("c", more));');
    assert.deepEqual(sim.consoleText().split('\n'), ['Unable to find or create file', 'false']);
    assert.equal(sim.storage.read('c'), undefined);
  });

  it('StorageFile appends across opens and a \\xFF byte ends the file', () => {
    const sim = snippet('var S = require("Storage"); var f = S.open("log", "a"); f.write("one\\n"); f.write("two\\n");' +
      'f = S.open("log", "a"); f.write("three\\n\\xFFlost\\n");' +
      'var r = S.open("log", "r"), l, out = []; while ((l = r.readLine()) !== undefined) out.push(l.trim()); print(out.join(","));' +
      'print(S.open("log", "r").getLength());');
    assert.deepEqual(sim.consoleText().split('\n'), ['one,two,three', '14']);
  });

  it('the flash survives a reset', () => {
    const sim = snippet('var S = require("Storage"); if (!S.read("boots")) S.write("boots", "1"); else print("found " + S.read("boots"));');
    assert.equal(sim.consoleText(), '');
    sim.reset();
    assert.equal(sim.consoleText(), 'found 1');
  });
});

describe('sim engine: power cuts', () => {
  it('the n-th write keeps part of its bytes, then the board is dead until powered on', () => {
    const code = 'var S = require("Storage");' +
      'setTimeout(function () {' +
      '  S.write("one", "first");' +
      '  try { S.write("two", "0123456789"); } catch (e) { print("caught"); }' +
      '  digitalWrite(D1, 1); S.write("three", "x"); print("after");' +
      '}, 100);' +
      'setInterval(function () { print("tick"); }, 1000);';
    const sim = snippet(code);
    sim.storage.cutPowerAtWrite(2, 0.5);
    sim.clock.advance(5000);
    assert.equal(sim.dead, true);
    assert.equal(sim.storage.read('one'), 'first');
    assert.equal(sim.storage.read('two'), '01234\xff\xff\xff\xff\xff');
    assert.equal(sim.storage.read('three'), undefined, 'no flash write after the cut');
    assert.equal(sim.pins.output(1), 0, 'no pin change after the cut');
    assert.equal(sim.consoleText(), '', 'nothing printed after the cut: not even the catch or a later tick');
    sim.pins.setInput(5, 1);
    sim.powerOn();
    assert.equal(sim.dead, false);
    sim.clock.advance(1000);
    // The new boot runs the same code over the half-written flash: "two" is replaced whole this time.
    assert.equal(sim.consoleText(), 'after\ntick');
    assert.equal(sim.storage.read('two'), '0123456789');
  });

  it('a cut during a whole-file replace leaves no complete copy', () => {
    const sim = snippet('var S = require("Storage"); S.write("k", "old-data");');
    sim.storage.cutPowerAtWrite(1, 0.25);
    sim.run('S.write("k", "new-data");');
    assert.equal(sim.dead, true);
    assert.equal(sim.storage.read('k'), 'ne\xff\xff\xff\xff\xff\xff');
    assert.equal(sim.storage.stats().trashCount, 1);
  });

  it('powerCut() now stops timers until reset()', () => {
    const sim = snippet('setInterval(function () { print("t"); }, 100);');
    sim.clock.advance(250);
    sim.powerCut();
    sim.clock.advance(1000);
    assert.equal(sim.consoleText(), 't\nt');
    sim.reset();
    sim.clock.advance(100);
    assert.equal(sim.consoleText(), 't\nt\nt');
  });
});

describe('sim engine: watchdog', () => {
  it('a manual watchdog that is not kicked resets the board, and this is logged', () => {
    const sim = snippet('E.enableWatchdog(5, false); var n = 0; var i = setInterval(function () { E.kickWatchdog(); if (++n === 3) clearInterval(i); }, 1000);');
    sim.clock.advance(7900);
    assert.equal(sim.resets.length, 1);
    sim.clock.advance(200);
    assert.equal(sim.resets.length, 2);
    assert.equal(sim.resets[1].reason, 'watchdog');
    assert.equal(sim.resets[1].at, 8000);
    assert.ok(sim.log.some((l) => l.from === 'sim' && /watchdog reset/.test(l.text)));
  });

  it('an automatic watchdog is kicked by the event loop', () => {
    const sim = snippet('E.enableWatchdog(2); setInterval(function () {}, 1000);');
    sim.clock.advance(60000);
    assert.equal(sim.resets.length, 1);
  });
});

describe('sim engine: reboots and hangs', () => {
  it('E.reboot() runs the kill handlers, stops the current code and boots again', () => {
    const sim = snippet('print("boot"); E.on("kill", function () { print("kill"); });' +
      'setTimeout(function () { E.reboot(); print("not reached"); }, 100);');
    sim.clock.advance(150);
    assert.equal(sim.consoleText(), 'boot\nkill\nboot');
    assert.deepEqual(sim.resets.map((r) => r.reason), ['power on', 'E.reboot']);
    assert.deepEqual(sim.uncaught, []);
  });

  it('with callTimeoutMs, a hung callback is reported and the watchdog resets the board', () => {
    const sim = createSimBoard({ board: puck, bundle: 'E.enableWatchdog(10, false); setTimeout(function () { for (;;) {} }, 100);', callTimeoutMs: 50 });
    sim.clock.advance(150); // the new boot would hang again at 200
    assert.deepEqual(sim.uncaught, ['hung']);
    assert.deepEqual(sim.resets.map((r) => r.reason), ['power on', 'watchdog']);
  });

  it('process.memory() reports the board budget, not a measurement', () => {
    assert.equal(snippet('var m = process.memory(); print(m.total + " " + m.usage);').consoleText(), puck.variables + ' 0');
  });
});

describe('sim engine: radio (NRF)', () => {
  const SVC = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';
  const RX = '6e400002-b5a3-f393-e0a9-e50e24dcca9e';
  const TX = '6e400003-b5a3-f393-e0a9-e50e24dcca9e';
  const code = `var s = {}; s["${SVC}"] = {}; s["${SVC}"]["${RX}"] = { writable: true, maxLen: 20, onWrite: function (e) {
      var d = new Uint8Array(e.data), o = new Uint8Array(d.length); for (var i = 0; i < d.length; i++) o[i] = d[d.length - 1 - i];
      var u = {}; u["${SVC}"] = {}; u["${SVC}"]["${TX}"] = { value: o, notify: true }; NRF.updateServices(u); } };
    s["${SVC}"]["${TX}"] = { readable: true, notify: true, value: [0] };
    NRF.setServices(s, { uart: false });
    NRF.on("connect", function (a) { print("connect " + a); });
    NRF.on("disconnect", function (r) { print("disconnect " + r); });`;

  it('a write reaches onWrite and its notification reaches the central', () => {
    const sim = snippet(code);
    assert.equal(sim.nrf.uartExposed, false);
    const seen: number[][] = [];
    sim.nrf.subscribe((n) => seen.push(Array.from(n.data)));
    sim.nrf.connect('11:22:33:44:55:66 public');
    sim.nrf.startNotifications(SVC, TX);
    sim.nrf.write(SVC, RX, [1, 2, 3]);
    sim.clock.advance(10); // the board's event loop runs, then a connection event
    assert.deepEqual(seen, [[3, 2, 1]]);
    assert.equal(sim.nrf.notifications[0].characteristic, TX);
    assert.deepEqual(Array.from(sim.nrf.read(SVC, TX)!), [3, 2, 1]);
    sim.nrf.disconnect();
    assert.equal(sim.consoleText(), 'connect 11:22:33:44:55:66 public\ndisconnect 19');
    assert.throws(() => sim.nrf.write(SVC, RX, [1]), /not connected/);
  });

  it('notifications carry at most MTU-3 bytes; maxLen is enforced; uart is exposed by default', () => {
    const sim = snippet(code);
    sim.nrf.connect();
    sim.nrf.startNotifications();
    sim.nrf.write(SVC, RX, new Array(20).fill(7));
    sim.clock.advance(10);
    assert.equal(sim.nrf.notifications[0].data.length, 20);
    assert.throws(() => sim.nrf.write(SVC, RX, new Array(21).fill(7)), /maxLen/);
    assert.equal(snippet('NRF.setServices({}, {});').nrf.uartExposed, true);
  });

  it('a reset drops the connection and the services', () => {
    const sim = snippet(code);
    sim.nrf.connect();
    sim.reset();
    assert.equal(sim.nrf.connected, false);
    sim.nrf.connect();
    assert.equal(sim.consoleText().split('\n').filter((l) => l.indexOf('connect ') === 0).length, 2);
  });
});

describe('sim engine: crypto, pins, I2C', () => {
  it('AES is absent on mdbt42q and matches node:crypto ECB on puckjs', () => {
    assert.equal(snippet('print(typeof require("crypto").AES);', mdbt).consoleText(), 'undefined');
    const sim = snippet('var k = new Uint8Array(16), b = new Uint8Array(16); for (var i = 0; i < 16; i++) { k[i] = i; b[i] = 255 - i; }' +
      'var c = new Uint8Array(require("crypto").AES.encrypt(b, k, { mode: "ECB" })); print(btoa(E.toString(c)));' +
      'print(require("crypto").AES.encrypt(new Uint8Array(15), k) === undefined);');
    const k = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
    const b = Buffer.from(Array.from({ length: 16 }, (_, i) => 255 - i));
    const c = createCipheriv('aes-128-ecb', k, null).setAutoPadding(false).update(b);
    const lines = sim.consoleText().split('\n');
    assert.equal(lines[0], c.toString('base64'));
    assert.equal(lines[lines.length - 1], 'true');
  });

  it('btoa takes what Espruino\'s takes: strings, arrays, ArrayBuffers (a SHA-256 result), and throws on anything else', () => {
    // Checked against the real interpreter: AQL/, the SHA-256 of "abc", QUJB, an object's values, and the error text.
    const sim = snippet('print(btoa(new Uint8Array([1,2,255]).buffer));print(btoa(require("crypto").SHA256("abc")));print(btoa([65,66,321]));print(btoa({a:65,b:66}));try{btoa(5)}catch(e){print(e.message)}');
    assert.equal(sim.consoleText(), ['AQL/', 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=', 'QUJB', 'QUI=', 'Expecting String or Array, got Number'].join('\n'));
  });

  it('SHA256 returns an ArrayBuffer of the right digest', () => {
    const sim = snippet('var h = require("crypto").SHA256("abc"); print(h instanceof ArrayBuffer); print(btoa(E.toString(new Uint8Array(h))));');
    assert.equal(sim.consoleText(), 'true\n' + createHash('sha256').update('abc').digest('base64'));
  });

  it('setWatch gets {state, time, lastTime} for each edge; outputs read back', () => {
    const sim = snippet('pinMode(D7, "input_pulldown"); setWatch(function (e) { print(e.state + " " + e.time + " " + e.lastTime); digitalWrite(D8, e.state); }, D7, { repeat: true, edge: "both" });');
    sim.clock.advance(1000);
    sim.pins.setInput(7, 1);
    assert.equal(sim.pins.output(8), 1);
    sim.clock.advance(500);
    sim.pins.setInput(7, 0);
    sim.pins.setInput(7, 0);
    assert.equal(sim.consoleText(), 'true 1 undefined\nfalse 1.5 1');
    assert.equal(sim.pins.output(8), 0);
  });

  it('a debounced watch fires once the level has been stable', () => {
    const sim = snippet('setWatch(function (e) { print("edge " + e.state); }, D7, { repeat: true, edge: "rising", debounce: 50 });');
    sim.pins.setInput(7, 1);
    sim.clock.advance(10);
    sim.pins.setInput(7, 0);
    sim.clock.advance(10);
    sim.pins.setInput(7, 1);
    sim.clock.advance(49);
    assert.equal(sim.consoleText(), '');
    sim.clock.advance(1);
    assert.equal(sim.consoleText(), 'edge true');
  });

  it('I2C1 talks to an attached device by address; a missing one NACKs', () => {
    const sim = snippet('');
    const written: number[][] = [];
    sim.i2c.attach(0x24, { write: (b) => written.push(Array.from(b)), read: (n) => new Array(n).fill(0).map((_, i) => i + 1) });
    sim.run('I2C1.setup({ sda: D28, scl: D29 }); I2C1.writeTo(0x24, [1, 2], 3); print(I2C1.readFrom(0x24, 3).join());' +
      'try { I2C1.writeTo(0x30, 1); } catch (e) { print(e.message); }');
    assert.deepEqual(written, [[1, 2, 3]]);
    assert.equal(sim.consoleText(), '1,2,3\nI2C Error: Address NACK');
  });
});
