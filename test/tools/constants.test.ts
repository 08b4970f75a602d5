/**
 * Top-level integer constants written where they are used (tools/host/build/constants.ts): the
 * result computes the same, assigned names and shadowed uses are left alone, and the declarations
 * go (one variable each on Espruino).
 */
import { strict as assert } from 'node:assert';
import * as vm from 'node:vm';
import * as acorn from 'acorn';
import { inlineConstants } from '../../tools/host/build/constants';
import { bundleFirmware } from '../../tools/host/build/bundle';
import { boardById } from '../../hal/boards/index';
import { identityMap } from '../support/source-maps';

// a, b, k: constants (k negative, read with a member access); c: assigned later; d: a string;
// e: shadowed by a parameter in f; s: a var whose every declarator goes.
const BUNDLE = '!function(){var a=16,b=4096,c=1,d="x",k=-1;var s=3;function f(e){return e+a}var e=7,g2=a*2;' +
  'function h(){c=5;return c}g.r=[f(1),b/a,h(),d,k,k.toString(),s,e,g2,function(n){return n-k}(1)]}();';

describe('top-level integer constants at their uses', () => {
  it('writes unassigned integer constants where they are used and drops their declarations; the result computes the same', () => {
    const out = inlineConstants(BUNDLE, identityMap(BUNDLE));
    assert.deepEqual(out.names.sort(), ['a', 'b', 'e', 'k', 's']);
    assert.match(out.code, /var c=1,d="x";/);
    assert.match(out.code, /function f\(e\)\{return e\+16\}var g2=32|var g2=16\*2/);
    assert.match(out.code, /\(-1\)\.toString\(\)/);
    assert.match(out.code, /return n- ?\(-1\)/);
    assert.doesNotMatch(out.code, /var s=/);
    const run = (code: string) => { const g: any = {}; vm.runInNewContext(code, { g }); return JSON.stringify(g.r); };
    assert.equal(run(out.code), run(BUNDLE));
    acorn.parse(out.code, { ecmaVersion: 2020 });
  });

  it('the puckjs bundle keeps only integer constants it assigns, or uses so often that the number would cost more bytes', async function () {
    this.timeout(60000);
    const b = await bundleFirmware(boardById('puckjs')!);
    const top = (acorn.parse(b.text, { ecmaVersion: 2020 }) as any).body;
    const ints: string[] = [];
    for (const st of top) if (st.type === 'VariableDeclaration') for (const d of st.declarations) if (d.init && d.init.type === 'Literal' && typeof d.init.value === 'number') ints.push(d.id.name);
    for (const name of ints) {
      const assigned = b.text.split(new RegExp('(^|[^.\\w$])' + name.replace('$', '\\$') + '=(?!=)')).length - 1;
      const used = b.text.split(new RegExp('(^|[^.\\w$])' + name.replace('$', '\\$') + '(?![\\w$])')).length - 1;
      assert.ok(assigned >= 2 || used >= 10, name + ' (assigned ' + assigned + ', used ' + used + ')');
    }
    assert.ok(ints.length <= 3, ints.join(' '));
  });
});
