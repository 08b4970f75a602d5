/**
 * Protocol v2 refusals (docs/KEYS-THAT-TRAVEL.md sections 5, 6, 9): what the board's functions
 * refuse and why, with tickets and lists made by the host (tools/host/travel.ts); the ticket book,
 * the time bound, per-board isolation, and the v2 key link.
 */
import { strict as assert } from 'node:assert';
import { boardSlot, cardAidForSlot, cardKeyNoForSlot, inBoards } from '../../firmware/boardkeys';
import { diversifyAes128 } from '../../firmware/desfire';
import { keySecret } from '../../firmware/site';
import { hostCipher } from '../../tools/host/crypto';
import { type Ticket, ticketAdmit, ticketEncode, ticketParse, ticketTag } from '../../firmware/ticket';
import { LIST_MAX_BYTES, listAdmit, listEncodeBody, listParse, listTag } from '../../firmware/revlist';
import { MAX_TICKETS, bookAdmit, bookCount, bookLive, bookRevoke } from '../../firmware/ticketbook';
import { tbLearn, tbNow, verdictOnBound } from '../../firmware/timebound';
import * as C from '../../firmware/codes';
import { FLAG_DISABLED, FLAG_REVOKED } from '../../firmware/keystore';
import { type TravelKey, TravelError, boardSecretsFor, makeList, makeTicket, newBoardId, newerList, parseTravelFragment, phoneKeyParts, travelCrypto, travelFragment } from '../../tools/host/travel';
import { key } from '../support/keys';
import { TICKET_FIELDS, V } from './vectors.test';

const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const latin = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const cr = travelCrypto;
const SALT = 0x0a0b0c0d;
const boards = [h('01b1b2b3b4b5b6b7'), V.boardId, h('05c1c2c3c4c5c6c7')]; // slots 1, 3, 5
const siteOf = (boardId: Uint8Array) => ({ ...boardSecretsFor(V.site, boardId), setupCode: '', gen: undefined });
const ownerRec = (extra = {}) => key(V.ownerId, C.ROLE_OWNER, { salt: SALT, ...extra });
const owner = (): TravelKey => ({ keyId: V.ownerId, boards: phoneKeyParts(V.site, boards, V.ownerId, SALT) });
const on = (k: TravelKey, boardId: Uint8Array) => { const p = k.boards.find((b) => hex(b.boardId) === hex(boardId))!; const t = new Uint8Array(54); t.set(k.ticket!); t.set(p.tag!, 38); return t; };
/** A ticket body signed by hand (to build what the host refuses to make). */
function forged(t: Ticket, secret: Uint8Array): Uint8Array {
  const body = ticketEncode(t);
  const out = new Uint8Array(54);
  out.set(body); out.set(ticketTag(cr, secret, body), 38);
  return out;
}

describe('protocol v2: per-board secrets', () => {
  it('each board derives different secrets; none of them is the site secret; a key has one secret per board', () => {
    const s = boards.map((b) => boardSecretsFor(V.site, b));
    const all = s.flatMap((x) => [hex(x.secret), hex(x.cardMaster)]).concat(owner().boards.map((p) => hex(p.secret)));
    assert.equal(new Set(all).size, all.length);
    assert.ok(!all.includes(hex(V.site)));
  });

  it("a ticket for board 3 signed with board 1's secrets (all an extracted board 1 holds) is refused on board 3", () => {
    const thief = siteOf(boards[0]); // board 1's flash: its board secret; it can derive the owner's secret on board 1 only
    const ownerOn1 = phoneKeyParts(V.site, [boards[0]], V.ownerId, SALT)[0].secret;
    const t = forged({ ...TICKET_FIELDS, issuer: V.ownerId, boards: 0b10101, label: '' }, ownerOn1);
    assert.equal(ticketAdmit(cr, thief, boards[0], t, ownerRec()).reason, C.R_OK, 'it opens board 1, which the thief holds anyway');
    assert.equal(ticketAdmit(cr, siteOf(V.boardId), V.boardId, t, ownerRec()).reason, C.R_BAD_MAC);
    assert.equal(ticketAdmit(cr, siteOf(boards[2]), boards[2], t, ownerRec()).reason, C.R_BAD_MAC);
  });

  it("everything board 1 holds derives no phone key secret, card key or list that board 3 or 5 accepts", () => {
    const b1 = siteOf(boards[0]);
    const uid = h('04a1b2c3d4e5f6');
    const cardKey = (master: Uint8Array, slot: number) => hex(diversifyAes128(hostCipher, master, uid, cardAidForSlot(slot), new TextEncoder().encode('carkey')));
    for (const target of [boards[1], boards[2]]) {
      const t = siteOf(target);
      // Any key (id, salt) board 1 could derive differs from that key's secret on the target.
      for (const [id, salt] of [[V.ownerId, SALT], [1, 1], [0xffffffff, 0]]) assert.notEqual(hex(keySecret(cr, b1, id, salt)), hex(keySecret(cr, t, id, salt)));
      // Card keys: board 1's master, even put in the target's slot, is not the target's key.
      assert.notEqual(cardKey(b1.cardMaster, boardSlot(target)), cardKey(t.cardMaster, boardSlot(target)));
      // A list signed with the owner's secret on board 1, tagged for every board.
      const ownerOn1 = keySecret(cr, b1, V.ownerId, SALT);
      const body = listEncodeBody(99, 1800000000, V.ownerId, 0b10101, []);
      const l = new Uint8Array(body.length + 48); l.set(body);
      for (let i = 0; i < 3; i++) l.set(listTag(cr, ownerOn1, body), body.length + 16 * i);
      assert.equal(listAdmit(cr, t, target, l, '', ownerRec()), C.R_BAD_MAC);
      assert.equal(listAdmit(cr, b1, boards[0], l, '', ownerRec()), C.R_OK, 'board 1 itself is the thief\'s already');
    }
  });

  it('board ids: slot first; slots 1..32 map to DESFire applications of 13 keys', () => {
    assert.equal(boardSlot(newBoardId(32)), 32);
    assert.equal(boardSlot(h('00a1a2a3a4a5a6a7')), 0);
    assert.equal(boardSlot(h('21a1a2a3a4a5a6a7')), 0);
    assert.equal(boardSlot(h('03a1a2a3a4a5a6')), 0);
    assert.throws(() => newBoardId(0), TravelError);
    assert.deepEqual([1, 13, 14, 26, 27, 32].map((s) => [hex(cardAidForSlot(s)), cardKeyNoForSlot(s)]),
      [['314b43', 1], ['314b43', 13], ['314b44', 1], ['314b44', 13], ['314b45', 1], ['314b45', 6]]);
    assert.ok(inBoards(0x80000000, 32) && !inBoards(0x80000000, 31) && !inBoards(0xffffffff, 0) && !inBoards(0xffffffff, 33));
  });
});

describe('protocol v2: tickets', () => {
  const guest = () => makeTicket(owner(), TICKET_FIELDS, [boards[1], boards[2]]);

  it('a ticket opens exactly the boards it names, each with its own guest secret', () => {
    const g = guest();
    for (const b of [boards[1], boards[2]]) {
      const a = ticketAdmit(cr, siteOf(b), b, on(g, b), ownerRec());
      assert.equal(a.reason, C.R_OK);
      assert.equal(hex(a.secret!), hex(g.boards.find((p) => hex(p.boardId) === hex(b))!.secret));
    }
    // Board 1 is not in it: wrong board, even with a tag made for another board.
    assert.equal(ticketAdmit(cr, siteOf(boards[0]), boards[0], on(g, boards[1]), ownerRec()).reason, C.R_WRONG_BOARD);
    // Board 5's tag shown to board 3: bad MAC.
    assert.equal(ticketAdmit(cr, siteOf(boards[1]), boards[1], on(g, boards[2]), ownerRec()).reason, C.R_BAD_MAC);
  });

  it('a bad tag, a changed body, a short ticket: refused', () => {
    const t = on(guest(), boards[1]);
    for (const at of [0, 1, 9, 10, 17, 27, 31, 37, 38, 53]) {
      const bad = t.slice(); bad[at] ^= 0x01;
      assert.notEqual(ticketAdmit(cr, siteOf(boards[1]), boards[1], bad, ownerRec()).reason, C.R_OK, 'byte ' + at);
    }
    assert.equal(ticketAdmit(cr, siteOf(boards[1]), boards[1], t.subarray(0, 53), ownerRec()).reason, C.R_BAD_INPUT);
  });

  it('the issuer must be an active owner phone key here: unknown, driver, disabled, revoked or a card all prove nothing', () => {
    const t = on(guest(), boards[1]);
    const s = siteOf(boards[1]);
    assert.equal(ticketAdmit(cr, s, boards[1], t, undefined).reason, C.R_BAD_MAC);
    assert.equal(ticketAdmit(cr, s, boards[1], t, key(V.ownerId, C.ROLE_DRIVER, { salt: SALT })).reason, C.R_BAD_MAC);
    assert.equal(ticketAdmit(cr, s, boards[1], t, ownerRec({ flags: FLAG_DISABLED })).reason, C.R_BAD_MAC);
    assert.equal(ticketAdmit(cr, s, boards[1], t, ownerRec({ flags: FLAG_REVOKED })).reason, C.R_BAD_MAC);
    assert.equal(ticketAdmit(cr, s, boards[1], t, ownerRec({ kind: C.KIND_CARD })).reason, C.R_BAD_MAC);
    assert.equal(ticketAdmit(cr, s, boards[1], t, key(0x99, C.ROLE_OWNER, { salt: SALT })).reason, C.R_BAD_MAC, 'a record for another id');
  });

  it('a ticket cannot issue tickets: one signed with a guest secret (its holder knows nothing more) is refused, and the host will not make one', () => {
    const g = guest();
    const guestSecret = g.boards[0].secret;
    const t = forged({ ...TICKET_FIELDS, id: 0x12345678, issuer: g.keyId, boards: 0b100, label: '' }, guestSecret);
    // The board has no key with the ticket's id in its table: no issuer record.
    assert.equal(ticketAdmit(cr, siteOf(boards[1]), boards[1], t, undefined).reason, C.R_BAD_MAC);
    assert.throws(() => makeTicket(g, { ...TICKET_FIELDS, id: 0x12345678 }), /cannot issue tickets/);
  });

  it('role above driver, managing rights, no end, an end before its start or its making, no board: refused by board and host', () => {
    const ownerOn3 = owner().boards[1].secret;
    const cases: [Partial<Ticket>, number][] = [
      [{ role: C.ROLE_OWNER }, C.R_NOT_PERMITTED], [{ perms: C.PERM_UNLOCK | C.PERM_MANAGE }, C.R_NOT_PERMITTED],
      [{ role: 3 }, C.R_BAD_INPUT], [{ perms: 0 }, C.R_BAD_INPUT], [{ notAfter: 0 }, C.R_BAD_INPUT],
      [{ notBefore: 1800086401 }, C.R_BAD_INPUT], [{ madeAt: 1800086401 }, C.R_BAD_INPUT], [{ boards: 0 }, C.R_BAD_INPUT],
      [{ id: 0 }, C.R_BAD_INPUT], [{ id: V.ownerId }, C.R_BAD_INPUT], [{ winStart: 1440 }, C.R_BAD_INPUT], [{ weekdays: 128 }, C.R_BAD_INPUT],
    ];
    for (const [change, reason] of cases) {
      const t = forged({ ...TICKET_FIELDS, issuer: V.ownerId, boards: 0b100, label: '', ...change }, ownerOn3);
      assert.equal(ticketAdmit(cr, siteOf(boards[1]), boards[1], t, ownerRec()).reason, reason, JSON.stringify(change));
      if (!('boards' in change) && !('id' in change && change.id === V.ownerId)) assert.throws(() => makeTicket(owner(), { ...TICKET_FIELDS, ...change } as any), TravelError, JSON.stringify(change));
    }
    const badLabel = ticketEncode({ ...TICKET_FIELDS, issuer: V.ownerId, boards: 4, label: 'ab' }); badLabel[34] = 7;
    assert.equal(ticketParse(badLabel), C.R_BAD_INPUT);
  });
});

describe('protocol v2: revocation lists', () => {
  const s3 = () => siteOf(boards[1]);
  const list = (version: number, ids: number[] = [0x05060708]) => makeList(owner(), version, 1800000000 + version, ids);

  it('a newer valid list is adopted; the same or an older version is not', () => {
    assert.equal(listAdmit(cr, s3(), boards[1], list(2), '', ownerRec()), C.R_OK);
    assert.equal(listAdmit(cr, s3(), boards[1], list(2), latin(list(2)), ownerRec()), C.R_EXISTS);
    assert.equal(listAdmit(cr, s3(), boards[1], list(1), latin(list(2)), ownerRec()), C.R_EXISTS);
    assert.equal(listAdmit(cr, s3(), boards[1], list(3), latin(list(2)), ownerRec()), C.R_OK);
    assert.equal(hex(newerList(list(3), list(2))!), hex(list(3)));
    assert.equal(hex(newerList(list(2), list(3))!), hex(list(3)));
  });

  it('a bad MAC anywhere in the tagged part or in this board\'s tag, a signer who is not an active owner here: refused', () => {
    const l = list(4);
    const at3 = l.length - 32; // tags of slots 1, 3, 5: board 3's is the middle one
    for (const i of [1, 5, 9, 18, 21, at3, at3 + 15]) {
      const bad = l.slice(); bad[i] ^= 1;
      const r = listAdmit(cr, s3(), boards[1], bad, '', ownerRec());
      assert.ok(r === C.R_BAD_MAC || r === C.R_BAD_INPUT || r === C.R_WRONG_BOARD, 'byte ' + i + ': ' + r);
    }
    const other = l.slice(); other[l.length - 1] ^= 1; // board 5's tag: board 3 does not care
    assert.equal(listAdmit(cr, s3(), boards[1], other, '', ownerRec()), C.R_OK);
    assert.equal(listAdmit(cr, s3(), boards[1], l, '', undefined), C.R_BAD_MAC);
    assert.equal(listAdmit(cr, s3(), boards[1], l, '', ownerRec({ flags: FLAG_REVOKED })), C.R_BAD_MAC);
    assert.equal(listAdmit(cr, s3(), boards[1], l, '', key(V.ownerId, C.ROLE_DRIVER, { salt: SALT })), C.R_BAD_MAC);
  });

  it('a list signed by a driver (who knows only its own secret) is refused', () => {
    const driver = phoneKeyParts(V.site, [boards[1]], 0x0d0d0d0d, 0x1111)[0].secret;
    const body = listEncodeBody(9, 1800000000, 0x0d0d0d0d, 0b100, [V.ownerId]);
    const l = new Uint8Array(body.length + 16); l.set(body); l.set(listTag(cr, driver, body), body.length);
    assert.equal(listAdmit(cr, s3(), boards[1], l, '', key(0x0d0d0d0d, C.ROLE_DRIVER, { salt: 0x1111 })), C.R_BAD_MAC);
  });

  it('a signer revoked by the board\'s own list cannot sign a newer one', () => {
    const other = { keyId: 0x0e0e0e0e, boards: phoneKeyParts(V.site, boards, 0x0e0e0e0e, 0x2222) };
    const stored = latin(list(5, [0x0e0e0e0e]));
    const l = makeList(other, 6, 1800000000, []);
    assert.equal(listAdmit(cr, s3(), boards[1], l, stored, key(0x0e0e0e0e, C.ROLE_OWNER, { salt: 0x2222 })), C.R_NOT_PERMITTED);
  });

  it('wrong board, too long, too many boards, unsorted or duplicate ids, version 0, trailing bytes: refused; the host will not make them', () => {
    const mine = makeList({ keyId: V.ownerId, boards: phoneKeyParts(V.site, [boards[0]], V.ownerId, SALT) }, 2, 1800000000, [7]);
    assert.equal(listAdmit(cr, s3(), boards[1], mine, '', ownerRec()), C.R_WRONG_BOARD);
    const ids = Array.from({ length: 24 }, (_, i) => 100 + i);
    assert.equal(makeList(owner(), 2, 1800000000, ids).length, 18 + 96 + 48);
    assert.throws(() => makeList(owner(), 2, 1800000000, [...ids, 99]), /at most 24 ids/);
    const nine = { keyId: V.ownerId, boards: Array.from({ length: 9 }, (_, i) => phoneKeyParts(V.site, [newBoardId(i + 1)], V.ownerId, SALT)[0]) };
    assert.throws(() => makeList(nine, 2, 1800000000, []), /at most 8 boards/);
    assert.throws(() => makeList(owner(), 0, 1800000000, []), TravelError);
    const raw = (body: Uint8Array, tags: number) => { const l = new Uint8Array(body.length + 16 * tags); l.set(body); return l; };
    assert.equal(listParse(raw(listEncodeBody(2, 1, 1, 0b100, Array.from({ length: 25 }, (_, i) => i + 1)), 1)), C.R_BAD_INPUT);
    assert.equal(listParse(raw(listEncodeBody(2, 1, 1, 0x1ff, []), 9)), C.R_BAD_INPUT);
    assert.equal(listParse(raw(listEncodeBody(2, 1, 1, 0b100, [5, 3]), 1)), C.R_BAD_INPUT);
    assert.equal(listParse(raw(listEncodeBody(2, 1, 1, 0b100, [5, 5]), 1)), C.R_BAD_INPUT);
    assert.equal(listParse(raw(listEncodeBody(0, 1, 1, 0b100, []), 1)), C.R_BAD_INPUT);
    assert.equal(listParse(raw(listEncodeBody(2, 1, 1, 0b100, []), 2)), C.R_BAD_INPUT);
    assert.equal(typeof listParse(raw(listEncodeBody(2, 1, 1, 0xff, Array.from({ length: 24 }, (_, i) => i + 1)), 8)), 'object');
    assert.equal(18 + 96 + 128, LIST_MAX_BYTES);
  });
});

describe('protocol v2: the ticket book', () => {
  it('records a new ticket, knows it again without a write, keeps the cap on live tickets, drops expired ones', () => {
    let table = '';
    for (let i = 1; i <= 3; i++) {
      const p = bookAdmit(table, i, 1000 + i, 0, 3);
      assert.equal(p.reason, C.R_OK); table = p.table!;
    }
    assert.equal(bookCount(table), 3);
    assert.deepEqual(bookAdmit(table, 2, 1002, 0, 3), { reason: C.R_OK, table: undefined });
    assert.equal(bookAdmit(table, 4, 2000, 0, 3).reason, C.R_TOO_MANY_TICKETS);
    // At time 1002 ticket 1 has expired: room again, and the expired record goes.
    const p = bookAdmit(table, 4, 2000, 1002, 3);
    assert.equal(p.reason, C.R_OK);
    assert.equal(bookCount(p.table!), 3);
    assert.equal(bookLive(p.table!, 1002), 3);
    assert.equal(bookAdmit(table, 9, 2000, 0, 99).reason, C.R_OK, 'the cap is at most MAX_TICKETS');
    let full = '';
    for (let i = 1; i <= MAX_TICKETS; i++) full = bookAdmit(full, i, 5000, 0, 99).table!;
    assert.equal(bookAdmit(full, 99, 5000, 0, 99).reason, C.R_TOO_MANY_TICKETS);
  });

  it('a ticket revoked here is refused, also before its first use', () => {
    let table = bookAdmit('', 7, 5000, 0, 4).table!;
    table = bookRevoke(table, 7, 5000, 0)!;
    assert.equal(bookAdmit(table, 7, 5000, 0, 4).reason, C.R_REVOKED);
    table = bookRevoke(table, 8, 0, 0)!;
    assert.equal(bookAdmit(table, 8, 6000, 0, 4).reason, C.R_REVOKED);
    assert.equal(bookLive(table, 4294967000), 1, 'a record revoked for good never expires');
  });
});

describe('protocol v2: the time lower bound', () => {
  it('rises only, counts the seconds since, ignores nonsense', () => {
    const tb = { seconds: 0, atMs: 0 };
    assert.equal(tbNow(tb, 5000), 0);
    assert.ok(tbLearn(tb, 1800000000, 1000));
    assert.equal(tbNow(tb, 61000), 1800000060);
    assert.ok(!tbLearn(tb, 1800000030, 61000), 'lower than what it knows');
    assert.ok(!tbLearn(tb, 100, 61000) && !tbLearn(tb, 4294967295, 61000) && !tbLearn(tb, NaN, 61000));
    assert.ok(tbLearn(tb, 1800000100, 61000));
    assert.equal(tbNow(tb, 61000), 1800000100);
  });

  it('the verdict: certain only about expiry; strict waits for trusted time', () => {
    const lb = 1800000000;
    assert.equal(verdictOnBound(lb, 0, 0, false, true), C.R_OK, 'unbounded');
    assert.equal(verdictOnBound(lb, 0, lb - 1, false, false), C.R_EXPIRED, 'expired before the bound');
    assert.equal(verdictOnBound(lb, 0, lb - 1, true, true), C.R_EXPIRED);
    assert.equal(verdictOnBound(lb, lb - 10, lb + 10, false, false), C.R_OK, 'started, not provably ended');
    assert.equal(verdictOnBound(lb, lb - 10, lb + 10, false, true), C.R_TIME_UNKNOWN, 'strict');
    assert.equal(verdictOnBound(lb, lb + 10, lb + 20, false, false), C.R_TIME_UNKNOWN, 'may not have started');
    assert.equal(verdictOnBound(lb, 0, lb + 10, true, false), C.R_TIME_UNKNOWN, 'hours need the time of day');
    assert.equal(verdictOnBound(0, 0, lb + 10, false, false), C.R_TIME_UNKNOWN, 'no bound at all');
  });
});

describe('protocol v2: the key link', () => {
  it('round-trips an owner key and a ticket with a list; refuses broken links with one clear reason', () => {
    const o = { ...owner(), label: 'me', list: makeList(owner(), 3, 1800000000, [5]) };
    const g = makeTicket(o, TICKET_FIELDS, [boards[1]]);
    for (const k of [o, g]) {
      const back = parseTravelFragment('https://car.example/phonekey' + travelFragment(k));
      assert.equal(travelFragment(back), travelFragment(k));
    }
    assert.equal(hex(g.list!), hex(o.list));
    assert.ok(travelFragment(makeTicket(o, TICKET_FIELDS)).length < 900);
    const bad = ['#k=1.00', '#v=2&k=0&b=01a1a2a3a4a5a6a7.' + '00'.repeat(16), '#v=2&k=5', '#v=2&k=5&b=00a1a2a3a4a5a6a7.' + '00'.repeat(16),
      '#v=2&k=5&b=01a1a2a3a4a5a6a7.' + '00'.repeat(15), '#v=2&k=5&b=01a1a2a3a4a5a6a7.' + '00'.repeat(16) + '.' + '00'.repeat(16),
      '#v=2&k=5&t=' + '00'.repeat(38) + '&b=01a1a2a3a4a5a6a7.' + '00'.repeat(16), '#v=2&k=5&b=01a1a2a3a4a5a6a7.' + '00'.repeat(16) + '&l=4c00'];
    for (const b of bad) assert.throws(() => parseTravelFragment(b), (e: Error) => e instanceof TravelError && !e.message.includes('\n'), b);
  });
});
