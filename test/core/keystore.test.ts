/**
 * The key store: lookups, the rules no caller can bypass, invariants over random operation
 * sequences (fast-check, against a plain model), and a power cut at every flash write of an update.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import * as C from '../../firmware/codes';
import { FLAG_REVOKED, type KeyRecord, type KeyStore, RECORD_SIZE, decodeRecord, encodeRecord, isActiveOwner, ksActiveOwners,
  ksAdd, ksCount, ksFind, ksGet, ksLookup, ksOpen, ksRetire, ksUpdate } from '../../firmware/keystore';
import { genWrite } from '../../firmware/genfile';
import { PowerCut, fakeFlash, nodeCrypto, type FakeFlash } from '../support/fake-ports';
import { key } from '../support/keys';

const crypto = nodeCrypto();
const open = (flash: FakeFlash, cap = 200) => ksOpen(flash, crypto, cap);

function allIds(ks: KeyStore): number[] {
  const out: number[] = [];
  for (let i = 0; i < ksCount(ks); i++) out.push(ksGet(ks, i).id);
  return out;
}

/** The table as what it means: every live record, its flags as the marks make them, in id order. */
function tableBytes(ks: KeyStore): string {
  const out: string[] = [];
  for (let i = 0; i < ksCount(ks); i++) out.push(encodeRecord(ksGet(ks, i)));
  return out.sort().join('');
}

describe('key store', () => {
  it('encodes and decodes a record in 32 bytes, field for field', () => {
    const r = key(0xdeadbeef, C.ROLE_GUEST, { kind: C.KIND_CARD, flags: 1, perms: 7, weekdays: 0x1f, notBefore: 1700000000,
      notAfter: 1800000000, winStart: 480, winEnd: 1020, salt: 0x01020304, label: 'Alice' });
    const s = encodeRecord(r);
    assert.equal(s.length, RECORD_SIZE);
    assert.deepEqual(decodeRecord(s, 0), r);
  });

  it('finds each key by id, lists them all, refuses a duplicate', () => {
    const ks = open(fakeFlash());
    const ids = [50, 7, 300000, 1, 0xfffffff0, 42];
    assert.equal(ksAdd(ks, undefined, key(ids[0])), C.R_OK);
    const owner = ksLookup(ks, ids[0]);
    for (const id of ids.slice(1)) assert.equal(ksAdd(ks, owner, key(id, C.ROLE_DRIVER)), C.R_OK);
    assert.deepEqual(allIds(ks), ids, 'in slot order: the order they were added');
    for (const id of ids) assert.equal(ksLookup(ks, id)!.id, id);
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

  it('a revoke and a first use take no slot; a change that finds every slot used is refused (R_FULL) and loses nothing', () => {
    const flash = fakeFlash();
    const ks = open(flash, 4); // 5 slots
    ksAdd(ks, undefined, key(1));
    const owner = ksLookup(ks, 1)!;
    ksAdd(ks, owner, key(2, C.ROLE_GUEST, { flags: C.FLAG_UNCONFIRMED }));
    ksAdd(ks, owner, key(3, C.ROLE_GUEST));
    assert.equal(ksRetire(ks, owner, 3, false), C.R_OK);
    assert.equal(ksUpdate(ks, undefined, { ...ksLookup(ks, 2)!, flags: 0 }), C.R_OK);
    assert.equal(ks.sf!.used, 3, 'revoke and first use set marks');
    assert.equal(ksLookup(ks, 3)!.flags & FLAG_REVOKED, FLAG_REVOKED);
    assert.equal(ksLookup(ks, 2)!.flags & C.FLAG_UNCONFIRMED, 0);
    assert.equal(ksUpdate(ks, owner, { ...ksLookup(ks, 2)!, label: 'two' }), C.R_OK);
    assert.equal(ksRetire(ks, owner, 3, true), C.R_OK);
    assert.equal(ksAdd(ks, owner, key(4, C.ROLE_GUEST)), C.R_OK);
    assert.equal(ks.sf!.used, 5, 'every slot used');
    const before = tableBytes(ks);
    assert.equal(ksAdd(ks, owner, key(5, C.ROLE_GUEST)), C.R_FULL, 'no blank slot: the tool rebuilds the file');
    assert.equal(ksUpdate(ks, owner, { ...ksLookup(ks, 4)!, label: 'four' }), C.R_FULL);
    assert.equal(ksRetire(ks, owner, 4, false), C.R_OK, 'a revoke still works: a mark');
    assert.equal(tableBytes(open(flash, 4)).replace(encodeRecord({ ...ksLookup(ks, 4)! }), ''), before.replace(encodeRecord(key(4, C.ROLE_GUEST)), ''), 'nothing lost');
    assert.deepEqual(flash.list(''), ['ck.keys'], 'no other file, no trash');
  });

  it('moves the table of earlier firmware (ck.keys.a|b) into the slot file, then erases it', () => {
    const flash = fakeFlash();
    const recs = [key(9), key(3, C.ROLE_GUEST), key(70, C.ROLE_DRIVER, { flags: FLAG_REVOKED })];
    const table = recs.map(encodeRecord).join('');
    assert.ok(genWrite(flash, crypto, 'ck.keys.', undefined, table.length, (off) => table.substr(off)));
    const ks = open(flash);
    for (const r of recs) assert.deepEqual(ksLookup(ks, r.id), r);
    assert.deepEqual(flash.list(''), ['ck.keys']);
    // Cut while copying: the old table stays until every record is in, and the next boot finishes.
    const f2 = fakeFlash();
    assert.ok(genWrite(f2, crypto, 'ck.keys.', undefined, table.length, (off) => table.substr(off)));
    f2.cutAtWrite(3, 0.5);
    assert.throws(() => open(f2), PowerCut);
    f2.dead = false;
    const again = open(f2);
    for (const r of recs) assert.deepEqual(ksLookup(again, r.id), r);
    assert.deepEqual(f2.list(''), ['ck.keys']);
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
        assert.equal(new Set(ids).size, ids.length, 'unique');
        assert.ok(ids.length <= 16, 'within capacity');
        assert.deepEqual([...ids].sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b), 'matches the model');
        for (const id of ids) assert.deepEqual(ksLookup(ks, id), model.get(id), 'every field of every record matches the model');
        assert.ok(ksActiveOwners(ks) >= 1, 'never without an owner');
        if (before >= 1) assert.ok(ksActiveOwners(ks) >= 1);
        assert.deepEqual(allIds(open(flash, 16)), ids, 'what is in flash is what we see');
        assert.ok(flash.list('').every((n) => n === 'ck.keys'), 'one file, never a second');
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
