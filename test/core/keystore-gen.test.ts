/**
 * The two-generation key table (firmware/keystore-gen.ts, the puckjs-nfc build's store): finding a
 * key by id, the native search's edge cases (the id's bytes inside another record's fields, the
 * first and last record, an empty table), and that a table written by the module reads back.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { ksAdd, ksCount, ksFind, ksGet, ksLookup, ksOpen } from '../../firmware/keystore-gen';
import { str32 } from '../../firmware/binstr';
import { fakeFlash, nodeCrypto } from '../support/fake-ports';
import { key } from '../support/keys';
import { boardById, boards, usesKeyGenerations } from '../../hal/boards/index';

const crypto = nodeCrypto();

describe('key store, two generations (keystore-gen)', () => {
  it('is the store of puckjs-nfc as shipped only: every board on the journal layout (tile) keeps its keys in the slot file, puckjs-nfc too once it has one', () => {
    assert.deepEqual(boards.filter(usesKeyGenerations).map((b) => b.id), ['puckjs-nfc']);
    const nfc = boardById('puckjs-nfc')!;
    assert.equal(usesKeyGenerations({ ...nfc, tile: 512 }), false, 'a journal build of it resolves the slot store (tools/benchmarks/storage-budget-nfc.ts)');
  });
  it('finds every key by id, first and last included, and no id that is not there', () => {
    const ks = ksOpen(fakeFlash(), crypto, 20);
    assert.equal(ksFind(ks, 7), -1, 'empty table');
    const ids = [0x50, 7, 300000, 1, 0xfffffff0, 42, 0x80000000];
    assert.equal(ksAdd(ks, undefined, key(ids[0])), C.R_OK);
    const owner = ksLookup(ks, ids[0]);
    for (const id of ids.slice(1)) assert.equal(ksAdd(ks, owner, key(id, C.ROLE_DRIVER)), C.R_OK);
    const sorted = ids.slice().sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++) {
      assert.equal(ksFind(ks, sorted[i]), i, 'sorted by id');
      assert.equal(ksGet(ks, i).id, sorted[i]);
    }
    for (const id of [0, 2, 8, 0xffffffff, 0x7fffffff]) assert.equal(ksFind(ks, id), -1);
    assert.equal(ksFind(ks, -16), ksFind(ks, 0xfffffff0), 'ids are unsigned');
  });

  it('passes over the id\'s bytes inside other records (salt, validity, label) and finds the record itself', () => {
    const ks = ksOpen(fakeFlash(), crypto, 20);
    const target = 0x6b313233; // 'k123'
    // Records before and after the target whose salt, notAfter and label hold the target's four bytes.
    assert.equal(ksAdd(ks, undefined, key(0x10, C.ROLE_OWNER, { salt: target })), C.R_OK);
    const owner = ksLookup(ks, 0x10);
    assert.equal(ksAdd(ks, owner, key(0x20, C.ROLE_GUEST, { notAfter: target, label: 'k123' })), C.R_OK);
    assert.equal(ksAdd(ks, owner, key(0x70000000, C.ROLE_GUEST, { label: 'xk123' })), C.R_OK);
    assert.equal(ksFind(ks, target), -1, 'only misaligned copies: not a key');
    assert.equal(ksAdd(ks, owner, key(target, C.ROLE_DRIVER)), C.R_OK);
    assert.equal(ksCount(ks), 4);
    const at = ksFind(ks, target);
    assert.equal(ksGet(ks, at).id, target);
    assert.equal(ksLookup(ks, target)!.role, C.ROLE_DRIVER);
    assert.ok(str32(target) === 'k123');
  });

  it('reads back what it wrote after a reboot', () => {
    const flash = fakeFlash();
    const ks = ksOpen(flash, crypto, 20);
    ksAdd(ks, undefined, key(5));
    ksAdd(ks, ksLookup(ks, 5), key(3, C.ROLE_GUEST));
    const again = ksOpen(flash, crypto, 20);
    assert.equal(ksFind(again, 3), 0);
    assert.equal(ksFind(again, 5), 1);
    assert.equal(ksLookup(again, 3)!.role, C.ROLE_GUEST);
  });
});
