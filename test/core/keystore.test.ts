/**
 * The key store: lookups, the rules no caller can bypass, invariants over random operation
 * sequences (fast-check, against a plain model), and a power cut at every flash write of an update.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import * as C from '../../firmware/codes';
import { FLAG_REVOKED, type KeyRecord, type KeyStore, RECORD_SIZE, decodeRecord, encodeRecord, isActiveOwner, ksActiveOwners,
  ksAdd, ksCount, ksFind, ksGet, ksLookup, ksOpen, ksRetire, ksUpdate } from '../../firmware/keystore';
import { genData } from '../../firmware/genfile';
import { PowerCut, fakeFlash, nodeCrypto, type FakeFlash } from '../support/fake-ports';
import { key } from '../support/keys';

const crypto = nodeCrypto();
const open = (flash: FakeFlash, cap = 200) => ksOpen(flash, crypto, cap);

function allIds(ks: KeyStore): number[] {
  const out: number[] = [];
  for (let i = 0; i < ksCount(ks); i++) out.push(ksGet(ks, i).id);
  return out;
}

function tableBytes(ks: KeyStore): string {
  return ks.gen ? genData(ks.storage, ks.gen) : '';
}

describe('key store', () => {
  it('encodes and decodes a record in 32 bytes, field for field', () => {
    const r = key(0xdeadbeef, C.ROLE_GUEST, { kind: C.KIND_CARD, flags: 1, perms: 7, weekdays: 0x1f, notBefore: 1700000000,
      notAfter: 1800000000, winStart: 480, winEnd: 1020, salt: 0x01020304, label: 'Alice' });
    const s = encodeRecord(r);
    assert.equal(s.length, RECORD_SIZE);
    assert.deepEqual(decodeRecord(s, 0), r);
  });

  it('keeps records sorted and finds each by binary search', () => {
    const ks = open(fakeFlash());
    const ids = [50, 7, 300000, 1, 0xfffffff0, 42];
    assert.equal(ksAdd(ks, undefined, key(ids[0])), C.R_OK);
    const owner = ksLookup(ks, ids[0]);
    for (const id of ids.slice(1)) assert.equal(ksAdd(ks, owner, key(id, C.ROLE_DRIVER)), C.R_OK);
    assert.deepEqual(allIds(ks), [...ids].sort((a, b) => a - b));
    for (const id of ids) assert.equal(ksGet(ks, ksFind(ks, id)).id, id);
    assert.equal(ksFind(ks, 8), -1);
    assert.equal(ksAdd(ks, owner, key(7)), C.R_EXISTS);
  });

  it('survives a reboot: a new ksOpen over the same flash sees the same table', () => {
    const flash = fakeFlash();
    const ks = open(flash);
    ksAdd(ks, undefined, key(1));
    ksAdd(ks, ksLookup(ks, 1), key(2, C.ROLE_GUEST));
    assert.deepEqual(allIds(open(flash)), [1, 2]);
  });

  it('refuses keys past its capacity', () => {
    const ks = open(fakeFlash(), 3);
    ksAdd(ks, undefined, key(1));
    const o = ksLookup(ks, 1);
    assert.equal(ksAdd(ks, o, key(2)), C.R_OK);
    assert.equal(ksAdd(ks, o, key(3)), C.R_OK);
    assert.equal(ksAdd(ks, o, key(4)), C.R_FULL);
  });

  it('lets only an active owner manage keys: a guest or driver cannot add or raise a role', () => {
    const ks = open(fakeFlash());
    ksAdd(ks, undefined, key(1));
    const owner = ksLookup(ks, 1)!;
    ksAdd(ks, owner, key(2, C.ROLE_GUEST));
    ksAdd(ks, owner, key(3, C.ROLE_DRIVER));
    const guest = ksLookup(ks, 2)!, driver = ksLookup(ks, 3)!;
    assert.equal(ksAdd(ks, guest, key(9, C.ROLE_GUEST)), C.R_NOT_PERMITTED);
    assert.equal(ksAdd(ks, driver, key(9, C.ROLE_GUEST)), C.R_NOT_PERMITTED);
    assert.equal(ksUpdate(ks, guest, key(2, C.ROLE_OWNER)), C.R_NOT_PERMITTED);
    assert.equal(ksUpdate(ks, driver, key(3, C.ROLE_OWNER)), C.R_NOT_PERMITTED);
    assert.equal(ksRetire(ks, guest, 1, false), C.R_NOT_PERMITTED);
    assert.equal(ksLookup(ks, 2)!.role, C.ROLE_GUEST);
    // A revoked owner is no longer an owner.
    ksAdd(ks, owner, key(4));
    ksRetire(ks, owner, 4, false);
    assert.equal(ksAdd(ks, ksLookup(ks, 4), key(10)), C.R_NOT_PERMITTED);
  });

  it('never revokes, disables, demotes or removes the last owner', () => {
    const ks = open(fakeFlash());
    ksAdd(ks, undefined, key(1));
    const owner = ksLookup(ks, 1)!;
    assert.equal(ksRetire(ks, owner, 1, false), C.R_LAST_OWNER);
    assert.equal(ksUpdate(ks, owner, key(1, C.ROLE_OWNER, { flags: 1 })), C.R_LAST_OWNER);
    assert.equal(ksUpdate(ks, owner, key(1, C.ROLE_DRIVER)), C.R_LAST_OWNER);
    assert.equal(ksRetire(ks, owner, 1, true), C.R_LAST_OWNER);
    ksAdd(ks, owner, key(2));
    assert.equal(ksRetire(ks, owner, 1, false), C.R_OK, 'with a second owner it may');
    assert.equal(ksLookup(ks, 1)!.flags & FLAG_REVOKED, FLAG_REVOKED);
    assert.equal(ksActiveOwners(ks), 1);
  });

  it('rejects malformed records', () => {
    const ks = open(fakeFlash());
    assert.equal(ksAdd(ks, undefined, key(0)), C.R_BAD_INPUT);
    assert.equal(ksAdd(ks, undefined, key(5, 7)), C.R_BAD_INPUT);
    assert.equal(ksAdd(ks, undefined, key(5, C.ROLE_OWNER, { winStart: 2000 })), C.R_BAD_INPUT);
    assert.equal(ksAdd(ks, undefined, key(5, C.ROLE_OWNER, { notBefore: 10, notAfter: 5 })), C.R_BAD_INPUT);
  });

  it('keeps its invariants over random operation sequences (property)', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('add' as const), id: fc.integer({ min: 1, max: 40 }), role: fc.integer({ min: 0, max: 2 }), actor: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ t: fc.constant('revoke' as const), id: fc.integer({ min: 1, max: 40 }), actor: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ t: fc.constant('remove' as const), id: fc.integer({ min: 1, max: 40 }), actor: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ t: fc.constant('role' as const), id: fc.integer({ min: 1, max: 40 }), role: fc.integer({ min: 0, max: 2 }), actor: fc.integer({ min: 0, max: 40 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const flash = fakeFlash();
      const ks = open(flash, 16);
      ksAdd(ks, undefined, key(100));
      const model = new Map<number, KeyRecord>([[100, key(100)]]);
      for (const o of ops) {
        const actor = o.actor === 0 ? ksLookup(ks, 100) : ksLookup(ks, o.actor);
        if (o.actor !== 0 && !actor) continue; // only keys that exist can act
        const before = ksActiveOwners(ks);
        const r = o.t === 'add' ? ksAdd(ks, actor, key(o.id, o.role)) : o.t === 'revoke' ? ksRetire(ks, actor, o.id, false)
          : o.t === 'remove' ? ksRetire(ks, actor, o.id, true) : ksUpdate(ks, actor, { ...(ksLookup(ks, o.id) || key(o.id)), role: o.role });
        if (r === C.R_OK) {
          assert.ok(isActiveOwner(actor), 'only an active owner changed the table');
          if (o.t === 'add') model.set(o.id, key(o.id, o.role));
          if (o.t === 'remove') model.delete(o.id);
          if (o.t === 'revoke') model.get(o.id)!.flags |= FLAG_REVOKED;
          if (o.t === 'role') model.get(o.id)!.role = o.role;
        }
        // Invariants after every operation.
        const ids = allIds(ks);
        assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'sorted');
        assert.equal(new Set(ids).size, ids.length, 'unique');
        assert.ok(ids.length <= 16, 'within capacity');
        assert.deepEqual(ids, [...model.keys()].sort((a, b) => a - b), 'matches the model');
        for (const id of ids) assert.deepEqual(ksLookup(ks, id), model.get(id), 'every field of every record matches the model');
        assert.ok(ksActiveOwners(ks) >= 1, 'never without an owner');
        if (before >= 1) assert.ok(ksActiveOwners(ks) >= 1);
        assert.deepEqual(allIds(open(flash, 16)), ids, 'what is in flash is what we see');
      }
    }), { numRuns: 150 });
  });

  describe('power cut at every flash write of an update', () => {
    for (const n of [10, 200]) {
      it(`with ${n} keys: add, revoke and remove leave the old or the new table, never neither`, () => {
        const setup = () => {
          const flash = fakeFlash(1 << 20);
          const ks = open(flash, 1000);
          ksAdd(ks, undefined, key(1));
          const owner = ksLookup(ks, 1)!;
          for (let i = 2; i <= n; i++) ksAdd(ks, owner, key(i * 7, C.ROLE_GUEST));
          return { flash, ks, owner };
        };
        const updates: Array<[string, (ks: KeyStore, owner: KeyRecord) => number]> = [
          ['add', (ks, o) => ksAdd(ks, o, key(5000, C.ROLE_DRIVER))],
          ['revoke', (ks, o) => ksRetire(ks, o, 14, false)],
          ['remove', (ks, o) => ksRetire(ks, o, 21, true)],
        ];
        for (const [name, update] of updates) {
          // Learn the old and new tables and how many writes the update makes.
          const ref = setup();
          const oldTable = tableBytes(ref.ks);
          const w0 = ref.flash.writes;
          assert.equal(update(ref.ks, ref.owner), C.R_OK);
          const writes = ref.flash.writes - w0;
          const newTable = tableBytes(ref.ks);
          assert.notEqual(oldTable, newTable);
          for (let cut = 1; cut <= writes; cut++) {
            for (const keep of [0, 0.5, 1]) {
              const t = setup();
              t.flash.cutAtWrite(cut, keep);
              assert.throws(() => update(t.ks, t.owner), PowerCut);
              t.flash.dead = false; // power back on: reboot
              const after = tableBytes(open(t.flash, 1000));
              assert.ok(after === oldTable || after === newTable, `${name}: cut at write ${cut}/${writes} (keep ${keep}) left a table that is neither old nor new`);
            }
          }
        }
      });
    }
  });
});
