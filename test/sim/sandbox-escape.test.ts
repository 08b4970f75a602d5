/**
 * The VM engine's board code must not reach the host's Node.js (its `process`, `require`, files):
 * `npm start` serves the board's console to local pages, so an escape would be code execution on
 * the user's computer. Each probe is board code trying a known route out of a Node `vm` context:
 * a host function's or object's `.constructor` (the host's Function), errors thrown by host code,
 * the global object's own prototype, `caller` of board functions that host code calls (getters,
 * toString, toJSON), and V8's CallSite API through Error.prepareStackTrace.
 * A probe reports a leak when a Function constructor it found returns a `process` with Node's
 * `versions.node` (the board's own `process` has none).
 */
import { strict as assert } from 'node:assert';
import { boardById } from '../../hal/boards/index';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import { createRepl } from '../../sim/console-server';

const puck = boardById('puckjs-nfc')!;

/** Board-side helpers every probe uses: `hostly(F)` is true when F is a Function constructor that runs code in Node's realm. */
const PRELUDE = `
var LEAKS = [];
function hostly(F) {
  try { var p = F('return process')(); return !!(p && p.versions && p.versions.node); } catch (e) { return false; }
}
function viaCtor(v) { try { return v !== null && v !== undefined && (hostly(v.constructor) || (v.constructor && hostly(v.constructor.constructor))); } catch (e) { return false; } }
function check(path, v) { if (viaCtor(v)) LEAKS.push(path); }
/** A function that records whether whoever called it is a host function. */
function spy(path, value) {
  return function probe() { var c = probe.caller; if (c && viaCtor(c)) LEAKS.push(path + ' (caller)'); return value; };
}
`;

function bare(): SimBoard {
  const b = createSimBoard({ board: puck, bundle: PRELUDE });
  assert.deepEqual(b.uncaught, []);
  return b;
}

/** Runs probe code on the board (it must run to its end) and returns the leaks it found. */
function leaks(b: SimBoard, code: string): string[] {
  b.run('LEAKS = [];');
  const before = b.uncaught.length;
  b.run(code + '\nLEAKS.push("END")');
  assert.deepEqual(b.uncaught.slice(before), [], 'the probe ran without an uncaught error');
  const found = String(b.run('LEAKS.join(", ")')).split(', ');
  assert.equal(found.pop(), 'END', 'the probe ran to its end');
  return found;
}

describe('VM engine: board code cannot reach the host process', () => {
  let b: SimBoard;
  beforeEach(() => { b = bare(); });

  it('the probe itself finds a host Function constructor when handed one', () => {
    // Proves the detector works: a host function put on the board's global is found.
    (b as unknown as { run(c: string): unknown }).run('1');
    const g = b.run('this') as Record<string, unknown>;
    g.planted = () => 1;
    assert.deepEqual(leaks(b, 'check("planted", planted)'), ['planted']);
  });

  it('E.hwRand and every other function and object reachable from the global object', () => {
    const found = leaks(b, `
      var seen = [], queue = [['this', this]];
      while (queue.length) {
        var item = queue.shift(), path = item[0], v = item[1];
        if (v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.indexOf(v) >= 0) continue;
        seen.push(v);
        check(path, v);
        var names = Object.getOwnPropertyNames(v);
        for (var i = 0; i < names.length; i++) {
          var d = Object.getOwnPropertyDescriptor(v, names[i]);
          if (d && 'value' in d) queue.push([path + '.' + names[i], d.value]);
        }
        queue.push([path + '.__proto__', Object.getPrototypeOf(v)]);
      }
    `);
    assert.deepEqual(found, []);
    // The routes named in the bug report, spelled out.
    for (const expr of ["E.hwRand.constructor", "require('Storage').read.constructor", "require('crypto').SHA256.constructor",
      'NRF.setServices.constructor', 'digitalWrite.constructor', 'setTimeout.constructor', 'I2C1.readFrom.constructor',
      'process.memory.constructor', 'console.log.constructor', 'this.constructor.constructor', 'Date.now.constructor']) {
      assert.equal(b.run('hostly(' + expr + ')'), false, expr);
      assert.equal(b.run(expr + "('return !!(typeof process === \"object\" && process.versions)')()"), false, expr + ' runs code in the board, whose process has no versions');
    }
    assert.equal(b.run('typeof E.hwRand()'), 'number', 'the wrapped function still works');
  });

  it('the global object, its prototype and the engine\'s call slot', () => {
    assert.deepEqual(leaks(b, `
      check('this', this);
      check('constructor', typeof constructor === 'undefined' ? undefined : constructor);
      check('this.__proto__', Object.getPrototypeOf(this));
      if (typeof __simSlot !== 'undefined') check('__simSlot', __simSlot);
      check('Date.now', Date.now); check('Math.random', Math.random);
    `), []);
  });

  it('what API calls return: modules, files, stats, status objects, typed arrays', () => {
    assert.deepEqual(leaks(b, `
      var S = require('Storage'), C = require('crypto');
      check('Storage', S); check('Storage.read', S.read); check('crypto', C); check('crypto.SHA256', C.SHA256);
      check('crypto.AES', C.AES); check('crypto.AES.encrypt', C.AES.encrypt);
      S.write('f', 'abc');
      var f = S.open('log', 'w'); check('StorageFile', f); check('StorageFile.write', f.write);
      check('getStats()', S.getStats()); check('list()', S.list()); check('readArrayBuffer()', S.readArrayBuffer('f'));
      check('SHA256()', C.SHA256('x')); check('process.memory()', process.memory()); check('process.env', process.env);
      check('NRF', NRF); check('NRF.getSecurityStatus()', NRF.getSecurityStatus()); check('E.toUint8Array()', E.toUint8Array(1, 2));
      I2C1.setup({}); check('I2C1', I2C1);
      check('setWatch', setWatch); check('console.log', console.log);
    `), []);
  });

  it('errors thrown by host code, by the simulator\'s own checks and by Node itself', () => {
    const found = leaks(b, `
      function tryIt(path, f) { try { f(); LEAKS.push(path + ' did not throw'); } catch (e) { check(path, e); } }
      tryIt('require(unknown)', function () { require('nope'); });
      tryIt('clearWatch(99)', function () { clearWatch(99); });
      tryIt('AES bad key', function () { require('crypto').AES.encrypt(new Uint8Array(16), new Uint8Array(3)); });
      tryIt('I2C not set up', function () { I2C1.readFrom(0x24, 1); });
      tryIt('setServices(null characteristic)', function () { NRF.setServices({ 'abcd': null }); });
      var deep = []; deep.push(deep);
      tryIt('E.toUint8Array(circular)', function () { E.toUint8Array(deep); });
    `);
    assert.deepEqual(found, []);
    // Still the same error for the board: its kind and message, as the board's own values.
    assert.equal(b.run("try { NRF.setServices({ 'abcd': null }); } catch (e) { (e instanceof TypeError) + ' ' + (e instanceof Error) + ' ' + (typeof e.message) }"), 'true true string');
    assert.equal(b.run("try { require('nope'); } catch (e) { e.message }"), 'Module nope not found');
  });

  it('callers of board functions that host code calls: getters, toString, toJSON, valueOf', () => {
    const found = leaks(b, `
      function getter(path, value) { var o = {}; Object.defineProperty(o, 'x', { get: spy(path, value), enumerable: true }); return o; }
      var w = {}; Object.defineProperty(w, 'repeat', { get: spy('setWatch options', false) });
      setWatch(function () {}, D1, w);
      var arr = [1, 2]; Object.defineProperty(arr, 0, { get: spy('Storage.write data', 1) });
      require('Storage').write('g', arr);
      print({ toJSON: spy('print toJSON', 1) });
      print(getter('print getter', 1));
      E.toUint8Array({ data: 1, get count() { return spy('toUint8Array count', 1)(); } });
      digitalWrite({ toString: spy('digitalWrite pin toString', 'D1'), valueOf: spy('digitalWrite pin valueOf', 1) }, 1);
      btoa({ toString: spy('btoa toString', 'x') });
      NRF.setServices({ 'abcd': { 'abce': getter('setServices characteristic', 1) } });
    `);
    assert.deepEqual(found, []);
  });

  it('errors thrown by board code and printed as uncaught', () => {
    b.run(`var e = new Error('x'); Object.defineProperty(e, 'message', { get: spy('uncaught message', 'm') });
      setTimeout(function () { throw e; }, 1);`);
    b.clock.advance(10);
    assert.equal(b.run('LEAKS.join(", ")'), '');
  });

  it('V8 call sites (Error.prepareStackTrace) give no host function', () => {
    const found = leaks(b, `
      Error.stackTraceLimit = 100;
      Error.prepareStackTrace = function (e, sites) {
        for (var i = 0; i < sites.length; i++) {
          var f; try { f = sites[i].getFunction(); } catch (x) { f = undefined; }
          if (f && viaCtor(f)) LEAKS.push('call site ' + i + ' ' + sites[i].getFunctionName());
        }
        return 'stack';
      };
      try { require('nope'); } catch (e) { String(e.stack); }
      setWatch(function () { String(new Error('y').stack); }, D2, { repeat: false });
    `);
    b.pins.setInput(2, 1);
    found.push(...String(b.run('LEAKS.join(", ")')).split(', ').filter((x) => x && x !== 'END'));
    assert.deepEqual(found, []);
  });

  it('the console REPL reading a value with getters to print it', () => {
    const repl = createRepl(b, () => undefined);
    repl.input('var o = {}; Object.defineProperty(o, "x", { get: spy("REPL getter", 1), enumerable: true }); o\r');
    repl.input('({ toString: spy("REPL toString", "s") })\r');
    repl.dispose();
    assert.equal(b.run('LEAKS.join(", ")'), '');
  });
});
