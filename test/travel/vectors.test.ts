/**
 * Protocol v2 test vectors (docs/KEYS-THAT-TRAVEL.md "Test vectors"): exact bytes for a per-board
 * derivation, a ticket and a revocation list, made by the host (tools/host/travel.ts), recomputed
 * from the written formulas with node:crypto's HMAC, and accepted by the board's functions.
 */
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boardCardMaster, boardSecret } from '../../firmware/boardkeys';
import { keySecret } from '../../firmware/site';
import { ticketAdmit, ticketParse } from '../../firmware/ticket';
import { listAdmit, listHasId, listVersionOf } from '../../firmware/revlist';
import * as C from '../../firmware/codes';
import { challengeV2, helloVersion, listedAnswer, negotiate, ticketCommandMacOk } from '../../firmware/travelmsg';
import { boardSecretsFor, hello, makeList, makeTicket, parseChallenge, partForChallenge, phoneKeyParts, ticketCommand, travelCrypto } from '../../tools/host/travel';
import { key } from '../support/keys';

const doc = fs.readFileSync(path.join(__dirname, '../../docs/KEYS-THAT-TRAVEL.md'), 'utf8');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const seq = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);
const hmac = (k: Uint8Array | Buffer, ...parts: (string | Uint8Array)[]) => {
  const m = createHmac('sha256', k);
  for (const p of parts) m.update(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
  return new Uint8Array(m.digest());
};
const latin = (b: Uint8Array) => Buffer.from(b).toString('latin1');

export const V = {
  site: seq(0, 32),
  boardId: h('03a1a2a3a4a5a6a7'),
  ownerId: 0x01020304,
  ownerSalt: 0x0a0b0c0d,
  boardSecret: 'fa75a20bf0e2b826f7218cd9bb7189cb94be770d23692698f5851717f1ef18e5',
  cardMaster: '4f2f8ba725908f20d1991887ff1cf830',
  ownerSecret: '57e1a621e50764844a8aea9944023722',
  ticketBody: '547e570001010203040107006b49d2006b4b238000000000000000046b49aaf0677565737431',
  ticketTag: '8295a884e2375e236d118714ac78fed0',
  guestSecret: 'bed1ded47e6c2294eaabc599c8b6ed27',
  ticketCommand: '05547e570001010203040107006b49d2006b4b238000000000000000046b49aaf06775657374318295a884e2375e236d118714ac78fed00113881a1fd24a88e4ca1ae94f58141c0e3d05',
  challenge: '81101112131415161718191a1b1c1d1e1f010203a1a2a3a4a5a6a700000007',
  listed: '850000000007',
  list: '4c000000076b49d264010203040000000402050607087e5700019dab23ceb074491fdc3cfa867db0d327',
};
export const TICKET_FIELDS = { id: 0x7e570001, role: C.ROLE_DRIVER, perms: 7, weekdays: 0, notBefore: 1800000000, notAfter: 1800086400, winStart: 0, winEnd: 0, madeAt: 1799990000, label: 'guest1' };

describe('protocol v2 test vectors (docs/KEYS-THAT-TRAVEL.md)', () => {
  const site = () => ({ secret: h(V.boardSecret), cardMaster: h(V.cardMaster), setupCode: '', gen: undefined });
  const owner = () => ({ keyId: V.ownerId, boards: phoneKeyParts(V.site, [V.boardId], V.ownerId, V.ownerSalt) });

  it('the doc states every vector this test checks', () => {
    for (const v of Object.values(V)) if (typeof v === 'string') assert.ok(doc.includes(v), v);
  });

  it('per-board derivation: host, board and the written formula agree', () => {
    const s = boardSecretsFor(V.site, V.boardId);
    assert.equal(hex(s.secret), V.boardSecret);
    assert.equal(hex(s.cardMaster), V.cardMaster);
    assert.equal(hex(boardSecret(travelCrypto, V.site, V.boardId)), V.boardSecret);
    assert.equal(hex(hmac(V.site, 'CK2B', V.boardId)), V.boardSecret);
    assert.equal(hex(hmac(V.site, 'CK2D', V.boardId).subarray(0, 16)), V.cardMaster);
    assert.equal(hex(boardCardMaster(travelCrypto, V.site, V.boardId)), V.cardMaster);
    // The owner's secret ON THIS BOARD: v1's formula over the board secret.
    const id = h('010203040a0b0c0d');
    assert.equal(hex(hmac(h(V.boardSecret), 'CK1K', id).subarray(0, 16)), V.ownerSecret);
    assert.equal(hex(keySecret(travelCrypto, site(), V.ownerId, V.ownerSalt)), V.ownerSecret);
    assert.equal(hex(owner().boards[0].secret), V.ownerSecret);
  });

  it('a ticket: the host makes the pinned bytes, the formula agrees, the board admits it and derives the same guest secret', () => {
    const t = makeTicket(owner(), TICKET_FIELDS);
    assert.equal(hex(t.ticket!), V.ticketBody);
    assert.equal(hex(t.boards[0].tag!), V.ticketTag);
    assert.equal(hex(t.boards[0].secret), V.guestSecret);
    assert.equal(hex(hmac(h(V.ownerSecret), 'CK2T', h(V.ticketBody)).subarray(0, 16)), V.ticketTag);
    assert.equal(hex(hmac(h(V.ownerSecret), 'CK2G', h(V.ticketBody)).subarray(0, 16)), V.guestSecret);
    const a = ticketAdmit(travelCrypto, site(), V.boardId, h(V.ticketBody + V.ticketTag), key(V.ownerId, C.ROLE_OWNER, { salt: V.ownerSalt }));
    assert.equal(a.reason, C.R_OK);
    assert.equal(hex(a.secret!), V.guestSecret);
    assert.deepEqual(a.ticket, { ...TICKET_FIELDS, issuer: V.ownerId, boards: 4 });
    assert.deepEqual(ticketParse(h(V.ticketBody)), a.ticket);
  });

  it('the TICKET COMMAND vector: the host makes it (node:crypto HMAC), the board\'s check accepts it and nothing else', () => {
    const nonce = seq(0x10, 16);
    const t = makeTicket(owner(), TICKET_FIELDS);
    const msg = ticketCommand(t, t.boards[0], nonce, 1);
    assert.equal(hex(msg), V.ticketCommand);
    assert.equal(hex(msg.subarray(1, 55)), V.ticketBody + V.ticketTag);
    assert.equal(hex(hmac(h(V.guestSecret), 'CK1C', nonce, msg.subarray(0, msg.length - 16)).subarray(0, 16)), hex(msg.subarray(msg.length - 16)));
    assert.ok(ticketCommandMacOk(travelCrypto, h(V.guestSecret), nonce, msg));
    assert.ok(!ticketCommandMacOk(travelCrypto, h(V.guestSecret), seq(0x20, 16), msg), 'another nonce');
    assert.ok(!ticketCommandMacOk(travelCrypto, h(V.ownerSecret), nonce, msg), 'another secret');
    for (const at of [0, 1, 40, 55, 57, msg.length - 1]) { const bad = msg.slice(); bad[at] ^= 1; assert.ok(!ticketCommandMacOk(travelCrypto, h(V.guestSecret), nonce, bad), 'byte ' + at); }
    assert.ok(!ticketCommandMacOk(travelCrypto, h(V.guestSecret), nonce, msg.subarray(0, 73)));
  });

  it('HELLO, CHALLENGE and LISTED: v2 layouts, version negotiation, one clear line for an old board or a foreign car', () => {
    assert.equal(hex(challengeV2(seq(0x10, 16), 1, V.boardId, 7)), V.challenge);
    assert.equal(hex(listedAnswer(C.R_OK, 7)), V.listed);
    assert.equal(helloVersion(hello()), 2);
    assert.equal(helloVersion(h('01')), 1);
    assert.deepEqual([0, 1, 2, 3, 255].map((v) => negotiate(v)), [0, 1, 2, 2, 2]);
    // A board with a v1 site (no board id) speaks up to version 1.
    assert.deepEqual([0, 1, 2, 3].map((v) => negotiate(v, 1)), [0, 1, 1, 1]);
    const c = parseChallenge(h(V.challenge));
    assert.deepEqual({ ...c, nonce: hex(c.nonce), boardId: hex(c.boardId!) }, { nonce: hex(seq(0x10, 16)), flags: 1, version: 2, boardId: hex(V.boardId), listVersion: 7 });
    const t = makeTicket(owner(), TICKET_FIELDS);
    assert.equal(partForChallenge(t, c), t.boards[0]);
    const v1 = parseChallenge(h(V.challenge).subarray(0, 18));
    assert.equal(v1.version, 1);
    assert.throws(() => partForChallenge(t, v1), /speaks protocol version 1.*update its firmware/);
    const other = h(V.challenge); other[20] ^= 1;
    assert.throws(() => partForChallenge(t, parseChallenge(other)), /does not open this car/);
  });

  it('a revocation list: pinned bytes, the formula agrees, the board adopts it and finds its ids', () => {
    const l = makeList(owner(), 7, 1800000100, [0x7e570001, 0x05060708, 0x7e570001]);
    assert.equal(hex(l), V.list);
    const body = l.subarray(0, l.length - 16);
    assert.equal(hex(hmac(h(V.ownerSecret), 'CK2L', body).subarray(0, 16)), hex(l.subarray(l.length - 16)));
    assert.equal(listAdmit(travelCrypto, site(), V.boardId, l, '', key(V.ownerId, C.ROLE_OWNER, { salt: V.ownerSalt })), C.R_OK);
    const stored = latin(l);
    assert.equal(listVersionOf(stored), 7);
    assert.ok(listHasId(stored, 0x7e570001) && listHasId(stored, 0x05060708));
    assert.ok(!listHasId(stored, 0x05060709) && !listHasId(stored, V.ownerId));
  });
});
