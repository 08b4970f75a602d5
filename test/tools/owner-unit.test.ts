/**
 * The owner unit (tools/host/build/owner-unit.ts): what only the owner's commands use leaves the
 * bundle's resident code for a string evaluated per command, and behaves as before.
 */
import { strict as assert } from 'node:assert';
import * as vm from 'node:vm';
import { SourceMapConsumer } from 'source-map-js';
import { freeNames, splitOwnerUnit } from '../../tools/host/build/owner-unit';
import { bundleFirmware } from '../../tools/host/build/bundle';
import { boardById } from '../../hal/boards/index';
import { sourceNamesOf } from '../../tools/benchmarks/memory';
import * as acorn from 'acorn';
import { untokenise } from '../../tools/host/pretokens';
import { pretokenise } from '../../tools/host/build/pretokenise';
import { identityMap } from '../support/source-maps';

// A bundle as the minifier leaves it: top-level functions with short, reused names.
// o: only the unit uses it; s: the unit and resident code; t: only o (so only the unit) uses it;
// e: shadowed by a parameter named `e` in resident code, used for real only by the unit.
const BUNDLE = '!function(){function t(n){return n+1}function o(e){return t(e)*2}function s(n){return n-1}function e(n){return"e\\"\'"+n}' +
  'function r(e){return s(e)+e}const c=__OWNER_UNIT__(function(n,k){let t=0;return o(n)+s(k)+e(t)});g.res=r(5);g.own=c(3,4)}();';

describe('owner unit: the owner-only code as a string evaluated per command', () => {
  it('finds free names through parameters, var, let, const, catch and function names', () => {
    const fn = (src: string) => [...freeNames((acorn.parse(src, { ecmaVersion: 2020 }) as any).body[0])].sort();
    assert.deepEqual(fn('function f(a){var b=a;{let c=d}try{x}catch(e){e+y}return b+c+z}'), ['c', 'd', 'x', 'y', 'z']);
    assert.deepEqual(fn('function f(){for(let i=0;i<n;i++)g(i);const h=function k(){return k+h};({a:b,[q]:1}).a}'), ['b', 'g', 'n', 'q']);
  });

  it('moves only what nothing resident refers to, and the result runs as before', () => {
    const split = splitOwnerUnit(BUNDLE, identityMap(BUNDLE));
    assert.deepEqual(split.moved.sort(), ['e', 'o', 't']);
    assert.match(split.code, /const c=function\(\)\{return eval\(/);
    assert.doesNotMatch(split.code.slice(0, split.code.indexOf('eval(')), /function o\(/);
    for (const code of [BUNDLE, split.code]) {
      const g: any = {};
      vm.runInNewContext(code, { g, __OWNER_UNIT__: (f: unknown) => f });
      assert.deepEqual([g.res, g.own], [9, 8 + 3 + 'e"\'0']);
    }
    // A name in moved code still maps to where it was: `o`'s body calls t at source column 37.
    const m = new SourceMapConsumer(split.map);
    const at = split.code.indexOf('return t(e)*2') + 7;
    assert.equal(m.originalPositionFor({ line: 1, column: at }).column, BUNDLE.indexOf('return t(e)*2') + 7);
  });

  it('leaves a bundle without the marker as it is', () => {
    const code = '!function(){function t(){}t()}();';
    const map = identityMap(code);
    assert.equal(splitOwnerUnit(code, map).code, code);
  });

  it('the puckjs bundle: key management, time and settings are no longer resident functions', async function () {
    this.timeout(60000);
    const b = await bundleFirmware(boardById('puckjs')!);
    const resident = new Set(sourceNamesOf(b.text, b.map).values());
    for (const name of ['retireKey', 'setTime', 'setConfig', 'recordFromArgs', 'ksCount', 'ksGet']) assert.ok(!resident.has(name), name + ' is still resident');
    for (const name of ['authenticate', 'ksFind', 'audit']) assert.ok(resident.has(name), name + ' should be resident');
    assert.equal(b.text.split('eval(').length, 2, 'one unit, evaluated in one place');
    // In Storage the unit is a tokenised raw string (0xD2, 16-bit length) that reads back as its plain text.
    const at = b.code.indexOf('eval(') + 5;
    assert.equal(b.code.charCodeAt(at), 0xd2);
    const n = b.code.charCodeAt(at + 1) | (b.code.charCodeAt(at + 2) << 8);
    const tokens = b.code.slice(at + 3, at + 3 + n);
    assert.ok(/[\x8a-\xd5]/.test(tokens) && !/function/.test(tokens), 'keywords as tokens');
    const lit = b.text.slice(b.text.indexOf('eval(') + 5, b.text.indexOf(').apply(this,arguments)}', b.text.indexOf('eval(')));
    assert.equal(tokens, pretokenise(vm.runInNewContext(lit), 'unit'), 'the plain unit, tokenised');
    acorn.parse(untokenise(tokens), { ecmaVersion: 2020 });
  });
});
