/**
 * The bundle's top level at the interpreter's root (tools/host/build/root.ts): the wrapper comes
 * off with the meaning kept, a bundle that would change meaning is refused, and no top-level name
 * is one Espruino or our tools' console lines have at the root: a console line leaves the running
 * firmware alone.
 */
import { strict as assert } from 'node:assert';
import * as vm from 'node:vm';
import * as acorn from 'acorn';
import { SourceMapConsumer } from 'source-map-js';
import { CONSOLE_NAMES, reservedRootNames, toRoot } from '../../tools/host/build/root';
import { bundleFirmware } from '../../tools/host/build/bundle';
import { boardById } from '../../hal/boards/index';
import { READ_LOG_LINE } from '../../tools/host/logdecode';
import { createCar } from '../../sim/car';
import { identityMap } from '../support/source-maps';

describe('the bundle at the interpreter\'s root', () => {
  it('takes the wrapper off; the code runs as before and still maps to its source', () => {
    const code = '!function(){function a(n){return n+b}var b=2;g.r=a(1);g.f=()=>a(2)}();';
    const out = toRoot(code, identityMap(code));
    assert.equal(out.code, 'function a(n){return n+b}var b=2;g.r=a(1);g.f=()=>a(2)\n');
    assert.equal(out.shift, '!function(){'.length);
    const g: any = {};
    vm.runInNewContext(out.code, { g });
    assert.deepEqual([g.r, g.f()], [3, 4]);
    const at = out.code.indexOf('n+b');
    assert.equal(new SourceMapConsumer(out.map).originalPositionFor({ line: 1, column: at }).column, code.indexOf('n+b'));
    assert.equal(toRoot('(function(){var z=1})();', identityMap('(function(){var z=1})();')).code, 'var z=1\n');
  });

  it('refuses what would change meaning at the root, and a reserved top-level name', () => {
    const refuse = (code: string, why: RegExp) => assert.throws(() => toRoot(code, identityMap(code)), why);
    refuse('!function(){if(a)return;b()}();', /a return statement/);
    refuse('!function(){g.t=()=>this}();', /`this`/);
    refuse('!function(){g.a=arguments}();', /`arguments`/);
    refuse('!function(){function S(){}S()}();', /the top-level name S is one/);
    refuse('!function(n){n()}(f);', /not one function called without arguments/);
    refuse('a();b();', /not one function/);
    // Inside an inner function, return, this and arguments are that function's own.
    const ok = '!function(){function a(){return this.x+arguments.length}g.a=a}();';
    assert.doesNotThrow(() => toRoot(ok, identityMap(ok)));
  });

  it('the puckjs bundle declares no name Espruino or a console line has at the root', async function () {
    this.timeout(60000);
    const b = await bundleFirmware(boardById('puckjs')!);
    const top = (acorn.parse(b.text, { ecmaVersion: 2020 }) as any).body;
    assert.ok(top.length > 50, 'the top level is the program itself');
    const names: string[] = [];
    for (const st of top) {
      if (st.type === 'FunctionDeclaration') names.push(st.id.name);
      if (st.type === 'VariableDeclaration') for (const d of st.declarations) names.push(d.id.name);
    }
    const reserved = new Set(reservedRootNames());
    assert.deepEqual(names.filter((n) => reserved.has(n)), []);
    for (const pin of ['D0', 'D31', 'A5', 'E', 'S']) assert.ok(reserved.has(pin), pin);
  });

  it('console lines that set the names our tools use leave the running firmware alone', async function () {
    this.timeout(60000);
    const car = await createCar({ board: 'puckjs', demo: true, seed: 7 });
    const owner = car.phone(car.keys.owner);
    assert.equal(owner.unlock().status, 0);
    car.advance(60_000);
    car.board.run(READ_LOG_LINE);
    for (const name of CONSOLE_NAMES) car.board.run('var ' + name + '=function(){throw new Error("clobbered")}');
    car.advance(1000);
    assert.equal(owner.unlock().status, 0, 'an unlock');
    assert.equal(car.relayOn(), true);
    assert.equal(owner.status().status, 0, 'an owner command (the owner unit)');
    assert.ok(!/clobbered/.test(car.board.consoleText()), 'the firmware called none of them');
  });
});
