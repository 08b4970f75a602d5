/**
 * The dialect guard's own tests: one snippet per rule it must reject (with the rule it must
 * name and where), and a clean file of constructs Espruino does run that it must pass.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkDialect, regexProblem } from '../../tools/host/build/dialect-guard';

const REJECT: Array<[rule: string, snippet: string]> = [
  ['default-parameter', 'function f(a = 1) { return a; }'],
  ['rest', 'function f(...xs) { return xs; }'],
  ['spread', 'var ys = [...xs];'],
  ['spread', 'f(...xs);'],
  ['spread', 'var o = { ...p };'],
  ['destructuring', 'const { a } = o;'],
  ['destructuring', 'const [a, b] = xs;'],
  ['destructuring', 'xs.forEach(({ a }) => a);'],
  ['computed-key', 'var o = { [k]: 1 };'],
  ['tagged-template', 'tag`x${1}`;'],
  ['exponent', 'var x = 2 ** 8;'],
  ['logical-assignment', 'a ??= 1;'],
  ['logical-assignment', 'a ||= 1;'],
  ['logical-assignment', 'a &&= 1;'],
  ['optional-chaining', 'var x = a?.b;'],
  ['label', 'outer: for (;;) { break outer; }'],
  ['async', 'async function f() {}'],
  ['async', 'var f = async () => { await g(); };'],
  ['generator', 'function* g() { yield 1; }'],
  ['class-field', 'class A { x = 1; }'],
  ['private', 'class A { #x; get() { return this.#x; } }'],
  ['extends-error', 'class MyError extends Error {}'],
  ['super-member', 'class A extends B { m() { return super.m(); } }'],
  ['array-hole', 'var a = [1, , 2];'],
  ['bigint', 'var n = 10n;'],
  ['unicode-escape', 'var s = "\\u{1F600}";'],
  ['regexp', 'var r = /colou?r/;'],
  ['regexp', 'var r = /a{2,3}/;'],
  ['regexp', 'var r = /\\bword/;'],
  ['regexp', 'var r = /(?=x)y/;'],
  ['regexp', 'var r = /(ab)+/;'],
  ['regexp', 'var r = /(a)\\1/;'],
  ['module-syntax', 'import("x");'],
  ['missing-global', 'var m = new Map();'],
  ['missing-global', 'var s = new Set([1]);'],
  ['missing-global', 'var w = new WeakMap();'],
  ['missing-global', 'var s = Symbol("x");'],
  ['missing-global', 'Reflect.ownKeys(o);'],
  ['missing-global', 'var p = new Proxy({}, {});'],
  ['missing-global', 'new TextEncoder();'],
  ['missing-global', 'throw new RangeError("x");'],
  ['missing-member', 'Array.from(xs);'],
  ['missing-member', 'Array.of(1);'],
  ['missing-member', 'Object.freeze(o);'],
  ['missing-member', 'Object.is(a, b);'],
  ['missing-member', 'Object.create(p, { x: { value: 1 } });'],
  ['missing-member', 'Number.isInteger(3);'],
  ['missing-member', 'Math.trunc(1.5);'],
  ['missing-member', 'Math.imul(1, 2);'],
  ['missing-member', 'Date.UTC(2020, 1);'],
  ['missing-member', 'Promise.race([]);'],
  ['missing-member', 'String.raw`x`;'],
  ['missing-method', 'p.finally(f);'],
  ['missing-method', 'xs.flat();'],
  ['missing-method', 'xs.at(-1);'],
  ['missing-method', 'xs.lastIndexOf(1);'],
  ['missing-method', 'xs.reduceRight(f);'],
  ['missing-method', 's.trimStart();'],
  ['missing-method', 's.codePointAt(0);'],
  ['missing-method', 's.localeCompare(t);'],
  ['missing-method', 'for (var k of xs.keys()) {}'],
  ['builtin-prototype', 'Array.prototype.slice.call(arguments);'],
  ['builtin-prototype', 'Function.prototype.call.call(f);'],
  ['builtin-prototype', 'String.prototype.trim.call(s);'],
  ['return-at-end', 'function f(x){if(x)return}'],
  ['return-at-end', 'var g=function(x){for(;x;)return};'],
  ['return-at-end', 'var k=(x)=>{if(x)return};'],
  ['return-at-end', 'function f(x){for(;;)if(x)return /* c */ }'],
  ['use-before-declaration', 'f(); function f() {}'],
  ['use-before-declaration', 'function outer() { inner(); function inner() {} }'],
  ['use-before-declaration', 'var g = f; function f() {}'],
  ['use-before-declaration', 'function h() { p = 1; return p; var p; }'],
  ['use-before-declaration', 'function h() { var r = (a = 1, a + 1); var a; return r; }'],
];

describe('dialect guard', () => {
  for (const [rule, snippet] of REJECT) {
    it(`rejects ${rule}: ${snippet}`, () => {
      const v = checkDialect(snippet);
      assert.ok(v.some((x) => x.rule === rule), `expected rule ${rule}, got ${JSON.stringify(v.map((x) => x.rule))}`);
      const hit = v.find((x) => x.rule === rule)!;
      assert.equal(hit.line, 1);
      assert.ok(hit.column >= 0 && hit.column < snippet.length, 'reports a column inside the snippet');
    });
  }

  it('passes a clean file of constructs Espruino runs', () => {
    const code = fs.readFileSync(path.join(__dirname, '../fixtures/dialect/clean.js'), 'utf8');
    assert.deepEqual(checkDialect(code), []);
  });

  it('does not flag a local binding that shadows a missing global', () => {
    assert.deepEqual(checkDialect('function f(Map) { return Map.get(1); } var Set = 1; print(Set);'), []);
  });

  it('does not flag a call from a nested function to a later declaration (it runs later)', () => {
    assert.deepEqual(checkDialect('function a() { return b(); } function b() { return 1; } a();'), []);
  });

  it('does not flag Object.keys(o) or Object.create(p) as iterator or descriptor use', () => {
    assert.deepEqual(checkDialect('Object.keys(o); Object.create(p); Object.entries(o);'), []);
  });

  it('passes a bare `return` Espruino reads: with its `;`, inside a nested block, or alone in a body', () => {
    // Each of these runs on the real interpreter (test/sim/espruino-engine.test.ts "a bare return").
    assert.deepEqual(checkDialect('function f(x){if(x)return;} function g(x){if(x){return}x++} function h(){return} f(g(h()));'), []);
  });

  it('reports a syntax error as a violation instead of throwing', () => {
    const v = checkDialect('function (');
    assert.equal(v.length, 1);
    assert.equal(v[0].rule, 'parse');
  });

  it('reads regular expressions with escapes and classes correctly', () => {
    assert.equal(regexProblem('^[?{]+\\?\\{$'), undefined);
    assert.match(regexProblem('a+?')!, /quantifier/);
  });

  it('gives the line and column of the construct', () => {
    const v = checkDialect('var a = 1;\nvar b = 2;\n  var m = new Map();');
    assert.equal(v.length, 1);
    assert.equal(v[0].line, 3);
    assert.equal(v[0].column, 14);
  });
});
