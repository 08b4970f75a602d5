/**
 * Boot-only functions (tools/host/build/boot-only.ts): the top-level functions only the boot calls
 * are released at the end of the bundle, and nothing that may run later loses a function it calls.
 */
import { strict as assert } from 'node:assert';
import * as vm from 'node:vm';
import { bootOnly, releaseBootOnly } from '../../tools/host/build/boot-only';
import { bundleFirmware } from '../../tools/host/build/bundle';
import { boardById } from '../../hal/boards/index';
import { sourceNamesOf } from '../../tools/benchmarks/memory';

// a: called at boot; b: called only by a (so at boot); c: called inside a callback made at boot;
// d: passed as a value; e: called by c (which runs later); f: called on the spot inside a callback;
// h: called in an IIFE at boot; k: shadowed at boot by a parameter, really used by a timer callback;
// m: called at boot and by the owner unit's code; u: nothing calls it.
const BUNDLE = '!function(){function a(n){return b(n)+1}function b(n){return 2*n}function c(){return e()}function e(){return 5}' +
  'function d(){return 7}function f(){return 3}function h(n){return n}function k(){return 9}function m(){return 4}function u(){}' +
  'var o=__OWNER_UNIT__(function(){return m()});g.t=[];g.r=a(1)+function(n){return h(n)}(1)+m()+function(k){return k(2)}(n=>n);' +
  'g.t.push(()=>c()+function(){return f()}()+k());g.v=d}();';

describe('boot-only functions: released once the boot has run', () => {
  it('releases what only the boot calls, keeps what may run later', () => {
    assert.deepEqual(bootOnly(BUNDLE).sort(), ['a', 'b', 'h']);
  });

  it('the released bundle computes the same, callbacks included', () => {
    const out = releaseBootOnly(BUNDLE);
    assert.deepEqual(out.released, ['a', 'b', 'h']);
    assert.match(out.code, /;a=b=h=void 0\}\(\);$/);
    for (const code of [BUNDLE, out.code]) {
      const g: any = {};
      vm.runInNewContext(code, { g, __OWNER_UNIT__: (fn: unknown) => fn });
      assert.deepEqual([g.r, g.t[0](), g.v()], [3 + 1 + 4 + 2, 5 + 3 + 9, 7]);
    }
  });

  it('leaves a bundle without boot-only functions as it is', () => {
    const code = '!function(){function t(){}g.x=t}();';
    assert.equal(releaseBootOnly(code).code, code);
  });

  it('the puckjs bundle: the boot\'s own helpers are released, the unlock path is not', async function () {
    this.timeout(60000);
    const b = await bundleFirmware(boardById('puckjs')!);
    const names = sourceNamesOf(b.text, b.map);
    const tail = /;([\w$=]+)=undefined\s*$/.exec(b.text); // at the root (root.ts): no wrapper around it
    assert.ok(tail, 'the bundle ends by releasing its boot-only functions');
    const released = tail![1].split('=').map((n) => names.get(n) || n);
    for (const name of ['watchInput', 'configOfJournal', 'createReassembler']) assert.ok(released.includes(name), name + ' released');
    for (const name of ['authenticate', 'audit', 'ksFind', 'sanitizeConfig', 'dispatch']) assert.ok(!released.includes(name), name + ' must stay');
  });
});
