/**
 * Short field names (tools/host/build/short-fields.ts): the listed fields are renamed in every
 * bundle, and the build refuses a name it cannot rename safely: Espruino's API, the language's
 * built-in names, a setting, a key of a JSON a hook prints, a name or whole string left in the bundle.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT, bundleFirmware } from '../../tools/host/build/bundle';
import { SHORT_FIELDS, checkSerialisedFields, checkShortFields, reservedShortNames, serialisedKeys, shortFieldNames } from '../../tools/host/build/short-fields';
import { boardById } from '../../hal/boards/index';

describe('short field names in the bundle', () => {
  it('refuses a listed name that Espruino\'s API has, or that the bundle still holds somewhere', () => {
    assert.deepEqual(checkShortFields('x.a=1', ROOT), []);
    const still = checkShortFields('x={"relockTimer":1}', ROOT);
    assert.equal(still.length, 1);
    assert.match(still[0], /relockTimer: still in the minified bundle/);
  });

  it('refuses a name Espruino reads, a built-in name and a setting, but not a parameter\'s name', () => {
    const lines = checkShortFields('x.a=1', ROOT, ['onWrite', 'mitm_protected', 'sf', 'length', 'message', 'next', 'holdMs', 'strictTime', 'reason', 'fooBar']);
    assert.deepEqual([...new Set(lines.map((l) => l.split(':')[0].slice(12)))].sort(), ['holdMs', 'length', 'message', 'mitm_protected', 'next', 'onWrite', 'sf', 'strictTime'], lines.join('\n'));
    for (const n of ['onWrite', 'mitm_protected', 'sf']) assert.ok(lines.some((l) => l.startsWith('short field ' + n + ': Espruino\'s API')), n);
    for (const n of ['length', 'message', 'next']) assert.ok(lines.some((l) => l.startsWith('short field ' + n + ': the language')), n);
    for (const n of ['holdMs', 'strictTime']) assert.ok(lines.some((l) => l.startsWith('short field ' + n + ': a setting')), n);
  });

  it('refuses a name left as a whole string (a run-time key), not inside a longer one', () => {
    assert.deepEqual(checkShortFields('r("card-removed");s="ck.cfg.";log("reader: "+e)', ROOT, ['card', 'cfg', 'reader']), []);
    assert.equal(checkShortFields('o[k]=1;k="card"', ROOT, ['card']).length, 1);
    assert.equal(checkShortFields('o.card=1', ROOT, ['card']).length, 1);
  });

  it('finds what the host reads: the keys of what is printed as JSON (literals, a name\'s literal and fields in its own scope) and a hook\'s members', () => {
    const code = [
      'function a() { const out = {}; out.keyId = 1; return JSON.stringify(out); }',
      'function b() { const out = { other: 1 }; return out; }',
      'function c(p) { return JSON.stringify({ relay: 1, n: { drive: 2 } }) + JSON.stringify(p); }',
      'let q = { door: 1 }; function d() { return JSON.stringify(q); }',
      'global.CKB = { send: function (m) { return m; } }; global.phases = d;',
    ].join('\n');
    assert.deepEqual([...serialisedKeys(code)].sort(), ['CKB', 'door', 'drive', 'keyId', 'n', 'phases', 'relay', 'send']);
    assert.deepEqual(checkSerialisedFields(code, 'x', ['keyId', 'other', 'relay']).map((l) => l.split(':')[0]), ['short field keyId', 'short field relay']);
  });

  it('never renames a field to a keyword, a built-in or an Espruino name', () => {
    const reserved = reservedShortNames(ROOT);
    for (const n of ['in', 'do', 'at', 'on', 'length', 'sf', 'iv']) assert.ok(reserved.includes(n), n);
  });

  it('gives the one-letter names to the fields used most, never a name the code already has', () => {
    const code = 'x.a = 1; x.b = "c"; y.core.core.core = { core: 1, timers: 2 }; z.timers; w.salt;';
    const names = shortFieldNames(code, ROOT);
    assert.equal(names.size, SHORT_FIELDS.length);
    assert.equal(new Set(names.values()).size, names.size, 'all different');
    const core = names.get('core')!, timers = names.get('timers')!;
    assert.equal(core.length, 1);
    assert.equal(timers.length, 1);
    for (const n of names.values()) assert.ok(!['a', 'b', 'c', 'in', 'do', 'at', 'on'].includes(n), n);
  });

  it('no listed name is a key of a JSON a bench or hook entry prints, nor a hook\'s member', async () => {
    const dir = path.join(ROOT, 'hal', 'espruino');
    const entries = fs.readdirSync(dir).filter((f) => /-entry\.ts$|-hook\.ts$/.test(f));
    assert.ok(entries.length >= 4, entries.join(' '));
    for (const f of entries) {
      const b = await esbuild.build({ entryPoints: [path.join(dir, f)], bundle: true, format: 'cjs', platform: 'neutral', target: 'es2020', external: ['Storage', 'crypto', 'Flash'], write: false, logLevel: 'silent' });
      assert.deepEqual(checkSerialisedFields(b.outputFiles[0].text, f), [], f);
    }
  });

  it('no listed name is left in any board\'s production bundle', async function () {
    this.timeout(120000);
    for (const id of ['puckjs', 'puckjs-nfc', 'xiaoble']) {
      const b = await bundleFirmware(boardById(id)!);
      for (const name of SHORT_FIELDS) assert.ok(!new RegExp('[^A-Za-z0-9_$]' + name + '[^A-Za-z0-9_$]').test(b.text.replace(/"[^"]*"/g, '""')), id + ': ' + name);
    }
  });
});
