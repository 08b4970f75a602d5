/**
 * Short field names (tools/host/build/short-fields.ts): the listed fields are renamed in every
 * bundle, and the build refuses a name it cannot rename safely.
 */
import { strict as assert } from 'node:assert';
import { ROOT, bundleFirmware } from '../../tools/host/build/bundle';
import { SHORT_FIELDS, checkShortFields } from '../../tools/host/build/short-fields';
import { boardById } from '../../hal/boards/index';

describe('short field names in the bundle', () => {
  it('refuses a listed name that Espruino\'s API has, or that the bundle still holds somewhere', () => {
    assert.deepEqual(checkShortFields('x.a=1', ROOT), []);
    const still = checkShortFields('x={"relockTimer":1}', ROOT);
    assert.equal(still.length, 1);
    assert.match(still[0], /relockTimer: still in the minified bundle/);
  });

  it('no listed name is left in any board\'s production bundle', async function () {
    this.timeout(120000);
    for (const id of ['puckjs', 'puckjs-nfc', 'xiaoble']) {
      const b = await bundleFirmware(boardById(id)!);
      for (const name of SHORT_FIELDS) assert.ok(!new RegExp('[^A-Za-z0-9_$]' + name + '[^A-Za-z0-9_$]').test(b.text), id + ': ' + name);
    }
  });
});
