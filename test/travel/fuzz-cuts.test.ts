/**
 * Protocol v2 parsers under random input, and its flash writes under power cuts
 * (docs/KEYS-THAT-TRAVEL.md sections 5, 6, 10). Fuzz: random bytes and mutated valid tickets and
 * lists never throw, never verify unless unchanged in what is tagged, never adopt an older list.
 * Power cuts: at every flash write of recording a ticket and adopting a list, keeping 0, half or
 * all of that write's bytes, the files read back as the old or the new version, never neither.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ticketAdmit, ticketParse } from '../../firmware/ticket';
import { listAdmit, listParse } from '../../firmware/revlist';
import { bookAdmit } from '../../firmware/ticketbook';
import { type TravelFiles, bookTable, bookWrite, listWrite, storedList, travelOpen } from '../../firmware/travelfiles';
import * as C from '../../firmware/codes';
import { boardSecretsFor, makeList, makeTicket, phoneKeyParts, travelCrypto } from '../../tools/host/travel';
import { fakeFlash, nodeCrypto } from '../support/fake-ports';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileCost } from '../../firmware/flashroom';
import { GEN_HEADER } from '../../firmware/genfile';
import { LIST_MAX_BYTES } from '../../firmware/revlist';
import { MAX_TICKETS, TICKET_RECORD } from '../../firmware/ticketbook';
import { key } from '../support/keys';
import { TICKET_FIELDS, V } from './vectors.test';

const cr = travelCrypto;
const SALT = 0x0a0b0c0d;
const site = { ...boardSecretsFor(V.site, V.boardId), setupCode: '', gen: undefined };
const ownerRec = key(V.ownerId, C.ROLE_OWNER, { salt: SALT });
const owner = { keyId: V.ownerId, boards: phoneKeyParts(V.site, [V.boardId], V.ownerId, SALT) };
const guest = makeTicket(owner, TICKET_FIELDS);
const ticket = new Uint8Array(54); ticket.set(guest.ticket!); ticket.set(guest.boards[0].tag!, 38);
const list5 = makeList(owner, 5, 1800000000, [3, 0x7e570001]);
const latin = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const SEED = 20261204;

describe('protocol v2: fuzzing tickets and lists', function () {
  this.timeout(60000);

  it('random bytes: parsers and checks never throw and never accept', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (b) => {
      const t = ticketParse(b), l = listParse(b);
      assert.ok(typeof t === 'number' || typeof t === 'object');
      assert.ok(typeof l === 'number' || typeof l === 'object');
      assert.notEqual(ticketAdmit(cr, site, V.boardId, b, ownerRec).reason, C.R_OK);
      assert.notEqual(listAdmit(cr, site, V.boardId, b, '', ownerRec), C.R_OK);
    }), { numRuns: 1500, seed: SEED });
  });

  it('mutated valid tickets: any changed byte of body or tag is refused; untouched ones still pass', () => {
    let refused = 0;
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(60), fc.integer({ min: 1, max: 255 })), { minLength: 0, maxLength: 4 }), fc.nat(8), (edits, cut) => {
      const t = new Uint8Array(54 + (cut > 5 ? cut - 5 : 0));
      t.set(ticket);
      for (const [at, x] of edits) if (at < t.length) t[at] ^= x;
      const changed = !t.subarray(0, 54).every((v, i) => v === ticket[i]);
      const r = ticketAdmit(cr, site, V.boardId, cut > 0 && cut <= 5 ? t.subarray(0, 54 - cut) : t, ownerRec).reason;
      if (changed || (cut > 0 && cut <= 5)) { assert.notEqual(r, C.R_OK); refused++; } else assert.equal(r, C.R_OK);
    }), { numRuns: 1500, seed: SEED });
    assert.ok(refused > 1000, 'the fuzz reached refusals: ' + refused);
  });

  it('mutated lists: never adopted with a changed tagged part or tag, never an older or equal version', () => {
    let adopted = 0;
    const stored = latin(list5);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(list5.length + 2), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), fc.integer({ min: 1, max: 9 }), (edits, version) => {
      const l = makeList(owner, version, 1800000000, [3, 0x7e570001]).slice();
      const clean = l.slice();
      for (const [at, x] of edits) if (at < l.length) l[at] ^= x;
      const changed = !l.every((v, i) => v === clean[i]);
      const r = listAdmit(cr, site, V.boardId, l, stored, ownerRec);
      if (r === C.R_OK) { adopted++; assert.ok(!changed && version > 5, 'adopted: version ' + version + ' changed ' + changed); }
      if (!changed && version <= 5) assert.equal(r, C.R_EXISTS);
    }), { numRuns: 800, seed: SEED });
    assert.ok(adopted > 50, 'intact newer lists were adopted: ' + adopted);
  });
});

describe('protocol v2: power cuts while recording a ticket or adopting a list', () => {
  type Step = (tf: TravelFiles) => boolean;
  /** Runs `before` then `step` with a cut at each write in turn; the state after power returns must be old or new. */
  function cutEverywhere(before: Step[], step: Step, read: (tf: TravelFiles) => string) {
    const setup = () => { const f = fakeFlash(); const tf = travelOpen(f, nodeCrypto()); for (const s of before) assert.ok(s(tf)); return { f, tf }; };
    const a = setup();
    const old = read(a.tf);
    const w0 = a.f.writes;
    assert.ok(step(a.tf));
    const fresh = read(a.tf);
    const writes = a.f.writes - w0;
    assert.notEqual(old, fresh);
    assert.ok(writes >= 2, 'the step writes: ' + writes);
    let cuts = 0;
    for (let n = 1; n <= writes; n++) {
      for (const keep of [0, 0.5, 1]) {
        const b = setup();
        b.f.cutAtWrite(n, keep);
        assert.throws(() => step(b.tf), /cut/);
        b.f.dead = false; // power returns: the board boots and reads its files again
        const after = read(travelOpen(b.f, nodeCrypto()));
        assert.ok(after === old || after === fresh, `cut at write ${n} keeping ${keep}: neither old nor new`);
        cuts++;
      }
    }
    return cuts;
  }

  it('recording a ticket in the book', () => {
    const first = bookAdmit('', 1, 1800086400, 0, 4).table!;
    const second = bookAdmit(first, 2, 1800086400, 0, 4).table!;
    assert.ok(cutEverywhere([(tf) => bookWrite(tf, first)], (tf) => bookWrite(tf, second), bookTable) >= 6);
    assert.ok(cutEverywhere([], (tf) => bookWrite(tf, first), bookTable) >= 6, 'the first ticket ever');
  });

  it('adopting a list', () => {
    const newer = makeList(owner, 6, 1800000100, [3, 4, 0x7e570001]);
    assert.ok(cutEverywhere([(tf) => listWrite(tf, list5)], (tf) => listWrite(tf, newer), storedList) >= 6);
    assert.ok(cutEverywhere([], (tf) => listWrite(tf, list5), storedList) >= 6, 'the first list ever');
  });

  it('the flash each file takes is what docs/KEYS-THAT-TRAVEL.md section 10 says', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/KEYS-THAT-TRAVEL.md'), 'utf8');
    const cost = (data: number) => fileCost(GEN_HEADER + data);
    assert.equal(cost(MAX_TICKETS * TICKET_RECORD), 120);
    assert.equal(cost(LIST_MAX_BYTES), 292);
    assert.equal(cost(62) - cost(54), 8);
    assert.ok(doc.includes('| ≤ 72 | ≤ 120 |') && doc.includes('| ≤ 242 | ≤ 292 |') && doc.includes('| 62 (v1: 54) | 112 (+8) |'));
    assert.equal(cost(62), 112);
  });

  it('a full flash refuses the write and keeps the old list current', () => {
    const f = fakeFlash(1200);
    const tf = travelOpen(f, nodeCrypto());
    assert.ok(listWrite(tf, list5));
    f.write('filler', 'x', 0, f.free() - 32 - 64);
    assert.ok(!listWrite(tf, makeList(owner, 6, 1800000100, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12])));
    assert.equal(storedList(travelOpen(f, nodeCrypto())), latin(list5));
  });
});
