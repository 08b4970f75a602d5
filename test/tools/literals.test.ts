/**
 * Keyword literals (tools/host/build/literals.ts): the minifier's `!0`, `!1` and `void 0` become
 * `true`, `false` and `undefined` (one token byte each instead of two), with the same value and
 * the source map carried over.
 */
import { strict as assert } from 'node:assert';
import { SourceMapGenerator, SourceMapConsumer, type RawSourceMap } from 'source-map-js';
import { keywordLiterals } from '../../tools/host/build/literals';
import { pretokenise } from '../../tools/host/build/pretokenise';

/** A map of `code` (one line) with a mapping at every column, to the same column of a.ts. */
function identityMap(code: string): RawSourceMap {
  const g = new SourceMapGenerator({ file: 'x.js' });
  for (let c = 0; c < code.length; c++) g.addMapping({ generated: { line: 1, column: c }, original: { line: 1, column: c }, source: 'a.ts' });
  return JSON.parse(g.toString());
}

describe('keyword literals in the bundle', () => {
  it('writes !0, !1 and void 0 as true, false and undefined, with a space only where a name would run on', () => {
    const code = 'function f(a){if(a)return!0;var b=!1,c=void 0;return[!!0,typeof void 0,a===void 0?!1:!0,"!0 void 0"]}';
    const out = keywordLiterals(code, identityMap(code));
    assert.equal(out.code, 'function f(a){if(a)return true;var b=false,c=undefined;return[!true,typeof undefined,a===undefined?false:true,"!0 void 0"]}');
    assert.equal(out.replaced, 8);
    for (const a of [0, 1, 'x']) assert.deepEqual(new Function('return ' + out.code + ';')()(a), new Function('return ' + code + ';')()(a));
  });

  it('leaves what is not the literal: other numbers, !0 as the object of a member access or a call', () => {
    const code = 'x=!2;y=!0[k];z=void 0.5;w=void 01;v=!0 .t;u=!10';
    assert.equal(keywordLiterals(code, identityMap(code)).code, code);
  });

  it('keeps the source map: text after a replacement maps where it did', () => {
    const code = 'a=!0;b=c';
    const out = keywordLiterals(code, identityMap(code));
    const at = out.code.indexOf('b=c');
    assert.equal(new SourceMapConsumer(out.map).originalPositionFor({ line: 1, column: at }).column, code.indexOf('b=c'));
  });

  it('once tokenised, true and undefined are a byte fewer than !0 and void 0, false two fewer than !1', () => {
    const size = (c: string) => pretokenise(c, 't').length;
    assert.equal(size('a=!0;') - size('a=true;'), 1);
    assert.equal(size('a=void 0;') - size('a=undefined;'), 1);
    assert.equal(size('a=!1;') - size('a=false;'), 2);
  });
});
