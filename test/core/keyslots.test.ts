/**
 * The key table on a slot file (firmware/keyslots.ts) on the page-level flash model: a revoke
 * (its mark, as ksRetire sets it) and a first use change a key in place without a slot, other changes take one, nothing makes
 * trash, and a power cut at every flash write of every operation (keeping none, half or all)
 * leaves the table as it was just before or just after that operation.
 */
import { strict as assert } from 'node:assert';
import * as st from '../../sim/engine/storage';
import * as C from '../../firmware/codes';
import { FLAG_REVOKED, FLAG_UNCONFIRMED, type KeyRecord } from '../../firmware/keystore';
import { M_REVOKED, kslAdd, kslFind, kslGet, kslNext, kslOpen, kslPut, kslRemove } from '../../firmware/keyslots';
import { type SlotFile, slotMark } from '../../firmware/slotfile';
import { ModelCut, modelPort } from '../support/model-port';
import { key } from '../support/keys';

function table(sf: SlotFile): string {
  const out: string[] = [];
  for (let i = kslNext(sf, 0); i >= 0; i = kslNext(sf, i + 1)) { const r = kslGet(sf, i); out.push(`${r.id}:${r.flags}:${r.label}`); }
  return out.sort().join(' ');
}

type Op = (sf: SlotFile) => void;
const change = (id: number, f: (r: KeyRecord) => KeyRecord): Op => (sf) => { const i = kslFind(sf, id); assert.ok(i >= 0); assert.ok(kslPut(sf, i, f(kslGet(sf, i))) >= 0); };
const OPS: Array<[string, Op]> = [
  ['add owner', (sf) => assert.ok(kslAdd(sf, key(1, C.ROLE_OWNER)) >= 0)],
  ['add enrolled', (sf) => assert.ok(kslAdd(sf, key(2, C.ROLE_DRIVER, { flags: FLAG_UNCONFIRMED })) >= 0)],
  ['add guest', (sf) => assert.ok(kslAdd(sf, key(3, C.ROLE_GUEST)) >= 0)],
  ['first use', change(2, (r) => ({ ...r, flags: r.flags & ~FLAG_UNCONFIRMED }))],
  ['relabel', change(3, (r) => ({ ...r, label: 'Bob' }))],
  ['revoke', (sf) => assert.ok(slotMark(sf, kslFind(sf, 3), M_REVOKED))],
  ['disable', change(2, (r) => ({ ...r, flags: r.flags | 1 }))],
  ['remove', (sf) => assert.ok(kslRemove(sf, kslFind(sf, 3)))],
];

function fresh() {
  const f = st.createFlash(40960);
  const sf = kslOpen(modelPort(f), 20)!;
  st.write(f, { error: (m) => new Error(m), powerCut: () => new ModelCut('cut') }, 'after', 'x'.repeat(64));
  return { f, sf };
}

describe('the key table on a slot file (firmware/keyslots.ts)', () => {
  it('a revoke and a first use set marks in place (no slot); a relabel takes one; no trash ever', () => {
    const { f, sf } = fresh();
    for (const [, op] of OPS.slice(0, 3)) op(sf);
    assert.equal(sf.used, 3);
    OPS[3][1](sf);
    assert.equal(sf.used, 3, 'first use: no slot');
    assert.equal(kslGet(sf, kslFind(sf, 2)).flags & FLAG_UNCONFIRMED, 0);
    OPS[4][1](sf);
    assert.equal(sf.used, 4, 'relabel: one slot');
    OPS[5][1](sf);
    assert.equal(sf.used, 4, 'revoke: no slot');
    assert.ok(kslGet(sf, kslFind(sf, 3)).flags & FLAG_REVOKED);
    // Any other change through kslPut takes a slot, and the new slot keeps the revocation.
    assert.ok(kslPut(sf, kslFind(sf, 3), { ...kslGet(sf, kslFind(sf, 3)), label: 'R' }) >= 0);
    assert.equal(sf.used, 5);
    assert.ok(kslGet(sf, kslFind(sf, 3)).flags & FLAG_REVOKED, 'still revoked in its new slot');
    for (const [, op] of OPS.slice(6)) op(sf);
    assert.equal(st.stats(f).trashBytes, 0);
    assert.equal(table(sf), '1:0:k1 2:1:k2');
    assert.equal(table(kslOpen(modelPort(f), 20)!), '1:0:k1 2:1:k2', 'the same after a reboot');
    assert.equal(table(kslOpen(modelPort(f), 99)!), '1:0:k1 2:1:k2', 'an existing file keeps its own slot count');
  });

  it('a power cut at every flash write of every operation: the table as before or after it', () => {
    const states: string[] = [];
    let total = 0;
    { const { f, sf } = fresh(); const w0 = f.writes; states.push(table(sf)); for (const [, op] of OPS) { op(sf); states.push(table(sf)); } total = f.writes - w0; }
    assert.equal(total, 10, 'three adds, two marks, a relabel and a disable (two writes each), a remove');
    for (let n = 1; n <= total; n++) {
      for (const keep of [0, 0.5, 1]) {
        const { f, sf } = fresh();
        st.cutPowerAtWrite(f, n, keep);
        let done = 0;
        try { for (const [, op] of OPS) { op(sf); done++; } assert.fail('no cut'); } catch (e) { if (!(e instanceof ModelCut)) throw e; }
        const where: string = `cut at write ${n}/${total} keeping ${keep * 100}% during ${OPS[done][0]}`;
        assert.equal(st.checkAtBoot(f, () => undefined), false, where);
        const got = table(kslOpen(modelPort(f), 20)!);
        assert.ok(got === states[done] || got === states[done + 1], `${where}: ${got} | ${states[done]} | ${states[done + 1]}`);
        assert.equal(st.stats(f).trashBytes, 0, where);
      }
    }
  });
});
