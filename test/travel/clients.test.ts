/**
 * The clients' half of protocol v2 (tools/host/visit.ts, travelkey.ts, protocol.ts) against a
 * stand-in board built from the firmware's own v2 functions (test/support/v2-board.ts) and the
 * vectors of docs/KEYS-THAT-TRAVEL.md section 11: HELLO with a version, the secret for the board the
 * CHALLENGE names, COMMAND and TICKET COMMAND, the clear lines for a v1 board, a foreign board and
 * a version mismatch, and revocation lists carried from board to board by another driver's key.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fragment } from '../../firmware/frames';
import * as C from '../../firmware/codes';
import { listVersionOf } from '../../firmware/revlist';
import { type Answer, OP, hello, listMessage, nodeMac, parseAnswer } from '../../tools/host/protocol';
import { type TravelKey, makeList, makeTicket, newBoardId, phoneKeyParts } from '../../tools/host/travel';
import { parseClientKey, parseTravelKeyJson, travelFragment, travelKeyJson } from '../../tools/host/travelkey';
import { V1_BOARD, credentialFor, listSync, requestFor, takeBoardList, versionMismatch } from '../../tools/host/visit';
import { type StandInBoard, standInBoard } from '../support/v2-board';
import { key } from '../support/keys';
import { TICKET_FIELDS, V } from './vectors.test';

const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const SITE = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
const OWNER = key(0x11110001, C.ROLE_OWNER, { perms: 7 });
const DRIVER = key(0x22220002, C.ROLE_DRIVER, { perms: 7 });
const ids = [1, 2, 3].map((s) => newBoardId(s));
const ownerKey = (): TravelKey => ({ keyId: OWNER.id, label: 'owner', boards: phoneKeyParts(SITE, ids, OWNER.id, OWNER.salt) });
const driverKey = (): TravelKey => ({ keyId: DRIVER.id, label: 'driver', boards: phoneKeyParts(SITE, ids, DRIVER.id, DRIVER.salt) });
const board = (slot: number, extra: Partial<Parameters<typeof standInBoard>[0]> = {}) =>
  standInBoard({ siteSecret: SITE, boardId: ids[slot - 1], keys: [{ ...OWNER }, { ...DRIVER }], ...extra });

/** One visit as every client makes it: HELLO 01 02, the command, then the list exchange. */
function visit(b: StandInBoard, k: TravelKey | { keyId: number; secret: Uint8Array }, op: number): { challenge: Answer; answer: Answer; listed?: Answer } {
  const challenge = parseAnswer(nodeMac, undefined, b.handle(hello()));
  assert.equal(challenge.type, 'challenge');
  const cred = credentialFor(k, challenge);
  const answer = parseAnswer(nodeMac, cred, b.handle(requestFor(nodeMac, cred, challenge.nonce!, op)), challenge.nonce);
  let listed: Answer | undefined;
  const sync = listSync(k, challenge);
  if (sync === 'send') listed = parseAnswer(nodeMac, cred, b.handle(listMessage((k as TravelKey).list!)));
  if (sync === 'get') {
    const a = parseAnswer(nodeMac, cred, b.handle(requestFor(nodeMac, cred, answer.nonce!, OP.GET_LIST)), answer.nonce);
    takeBoardList(k as TravelKey, a);
  }
  return { challenge, answer, listed };
}

describe('protocol v2 clients (tools/host/visit.ts) against a stand-in v2 board', () => {
  it('the section-11 vectors: the TICKET COMMAND, the v2 CHALLENGE and LISTED read as the doc says', () => {
    const owner: TravelKey = { keyId: V.ownerId, boards: phoneKeyParts(V.site, [V.boardId], V.ownerId, V.ownerSalt) };
    const guest = makeTicket(owner, TICKET_FIELDS);
    const c = parseAnswer(nodeMac, undefined, h(V.challenge));
    assert.deepEqual([c.type, c.version, Buffer.from(c.boardId!).toString('hex'), c.listVersion, c.flags], ['challenge', 2, '03a1a2a3a4a5a6a7', 7, 1]);
    const cred = credentialFor(guest, c);
    assert.equal(Buffer.from(cred.secret).toString('hex'), V.guestSecret);
    assert.equal(Buffer.from(requestFor(nodeMac, cred, c.nonce!, OP.UNLOCK)).toString('hex'), V.ticketCommand);
    assert.deepEqual(parseAnswer(nodeMac, undefined, h(V.listed)), { type: 'listed', status: 0, reason: 'ok', listVersion: 7 });
    assert.deepEqual(Array.from(hello()), [1, 2]);
  });

  it('docs/PROTOCOL.md states every v2 vector, the HELLO packet and the version-mismatch layout', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/PROTOCOL.md'), 'utf8');
    for (const [name, v] of Object.entries(V)) if (typeof v === 'string' && name !== 'site') assert.ok(doc.includes(v), name + ' ' + v);
    assert.ok(doc.includes('`c000020102`'));
    assert.deepEqual(fragment(hello(), 20).map((p) => Buffer.from(p).toString('hex')), ['c000020102']);
    const refused = board(1, { versions: [3, 4] }).handle(hello());
    assert.equal(refused.length, 22);
    assert.equal(Buffer.from(refused.subarray(0, 2)).toString('hex') + '…' + Buffer.from(refused.subarray(18)).toString('hex'), '8318…00000304');
    assert.ok(doc.includes('`8318` nonce(16) `0000` `0304`'));
  });

  it('an owner key with a secret per board opens each board with that board\'s secret', () => {
    for (const slot of [1, 2, 3]) {
      const b = board(slot);
      const { challenge, answer } = visit(b, ownerKey(), OP.UNLOCK);
      assert.deepEqual(challenge.boardId, ids[slot - 1]);
      assert.deepEqual([answer.type, answer.status, answer.authentic], ['response', C.R_OK, true]);
      assert.equal(b.unlocked, true);
    }
    // A key for boards 1 and 2 says so at board 3, before signing anything.
    const two: TravelKey = { ...ownerKey(), boards: ownerKey().boards.slice(0, 2) };
    const b3 = board(3);
    const c = parseAnswer(nodeMac, undefined, b3.handle(hello()));
    assert.throws(() => credentialFor(two, c), /this key does not open this car \(board 03/);
  });

  it('a v1 board: a single-board key speaks v1 with its one secret; a ticket or a several-board key stops with the clear line', () => {
    const v1 = board(2, { v1Only: true });
    const c = parseAnswer(nodeMac, undefined, v1.handle(hello()));
    assert.deepEqual([c.version, c.boardId], [1, undefined]);
    assert.throws(() => credentialFor(ownerKey(), c), (e: Error) => e.message === V1_BOARD);
    const ticket = makeTicket(ownerKey(), { ...TICKET_FIELDS, notBefore: 0, madeAt: 1799990000 }, [ids[1]]);
    assert.throws(() => credentialFor(ticket, c), (e: Error) => e.message === V1_BOARD);
    const single: TravelKey = { ...ownerKey(), boards: [ownerKey().boards[1]] };
    const { answer } = visit(board(2, { v1Only: true }), single, OP.UNLOCK);
    assert.deepEqual([answer.status, answer.authentic], [C.R_OK, true]);
    assert.equal(listSync(single, c), undefined, 'no list exchange with a v1 board');
    // A v1 key file keeps working against a v2 board (its COMMAND is unchanged).
    const v1key = { keyId: OWNER.id, secret: ownerKey().boards[0].secret };
    assert.deepEqual([visit(board(1), v1key, OP.UNLOCK).answer.status], [C.R_OK]);
  });

  it('a version mismatch is said with both ranges', () => {
    const future = board(1, { versions: [3, 4] });
    const a = parseAnswer(nodeMac, undefined, future.handle(hello()));
    assert.deepEqual([a.type, a.status, a.versions], ['refused', C.R_VERSION, [3, 4]]);
    assert.equal(versionMismatch(a), 'the board speaks protocol versions 3..4, this phone key speaks 2');
    assert.equal(versionMismatch(parseAnswer(nodeMac, undefined, board(1).handle(new Uint8Array([2, 0, 0, 0, 0])))), undefined);
  });

  it('a ticket opens the boards it names, within its permissions and time, and proves its answer', () => {
    const fields = { id: 0x7e570009, role: C.ROLE_DRIVER, perms: C.PERM_UNLOCK, weekdays: 0, notBefore: 1800000000, notAfter: 1800086400, winStart: 0, winEnd: 0, madeAt: 1799999000, label: 'ann' };
    const guest = makeTicket(ownerKey(), fields, [ids[1], ids[2]]);
    const b3 = board(3, { now: 1800000100 });
    const { answer } = visit(b3, guest, OP.UNLOCK);
    assert.deepEqual([answer.type, answer.status, answer.authentic], ['response', C.R_OK, true]);
    assert.equal(b3.unlocked, true);
    assert.equal(b3.heard[1][0], 0x05, 'a TICKET COMMAND');
    assert.equal(visit(b3, guest, OP.LOCK).answer.status, C.R_NOT_PERMITTED);
    assert.throws(() => visit(board(1), guest, OP.UNLOCK), /does not open this car/);
    assert.equal(visit(board(2, { now: 1800086401 }), guest, OP.UNLOCK).answer.status, C.R_EXPIRED);
    // The guest's key read back from its file and link is the same key, and still opens.
    const again = parseTravelKeyJson(JSON.parse(travelKeyJson(guest)));
    assert.deepEqual(again, guest);
    assert.deepEqual(parseClientKey(travelFragment(guest)), guest);
    assert.equal(visit(board(2), again, OP.UNLOCK).answer.status, C.R_OK);
    // A ticket cannot issue tickets or sign lists.
    assert.throws(() => makeTicket(guest, fields), /a ticket cannot issue tickets/);
    assert.throws(() => makeList(guest, 1, 1800000000, [5]), /only an owner key/);
  });

  it('a revocation made at home travels: the owner hands it to car 1, a driver takes it there and hands it to car 2', () => {
    const owner = ownerKey();
    const guest = makeTicket(owner, { id: 0x7e57000a, role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, weekdays: 0, notBefore: 0, notAfter: 1900000000, winStart: 0, winEnd: 0, madeAt: 1799999000, label: 'bob' });
    const car1 = board(1), car2 = board(2);
    assert.equal(visit(car2, guest, OP.UNLOCK).answer.status, C.R_OK, 'car 2 opens for the ticket before');
    owner.list = makeList(owner, 1, 1800000050, [guest.keyId]);
    const atCar1 = visit(car1, owner, OP.UNLOCK);
    assert.deepEqual([atCar1.listed!.type, atCar1.listed!.status, atCar1.listed!.listVersion], ['listed', 0, 1]);
    assert.equal(listVersionOf(car1.list), 1);
    const driver = driverKey();
    visit(car1, driver, OP.UNLOCK);
    assert.equal(driver.list && Buffer.from(driver.list).toString('hex'), Buffer.from(owner.list).toString('hex'), 'the driver took car 1\'s list');
    const atCar2 = visit(car2, driver, OP.UNLOCK);
    assert.equal(atCar2.listed!.status, 0);
    assert.equal(visit(car2, guest, OP.UNLOCK).answer.status, C.R_REVOKED, 'car 2, never visited by the owner, refuses the revoked ticket');
    // An older list is not newer: the board keeps its own and says so.
    const older = { ...driverKey(), list: makeList(owner, 1, 1800000050, []) };
    const b = parseAnswer(nodeMac, undefined, car2.handle(listMessage(older.list!)));
    assert.deepEqual([b.status, b.listVersion], [C.R_EXISTS, 1]);
  });

  it('keeps a board\'s list only from an authentic GET LIST answer, and only when newer', () => {
    const owner = ownerKey();
    const list2 = makeList(owner, 2, 1800000000, [5]);
    const k = driverKey();
    const ok: Answer = { type: 'response', status: 0, op: OP.GET_LIST, authentic: true, data: list2 };
    assert.equal(takeBoardList(k, { ...ok, authentic: false }), false);
    assert.equal(takeBoardList(k, { ...ok, data: list2.slice(0, 20) }), false);
    assert.equal(takeBoardList(k, ok), true);
    assert.equal(takeBoardList(k, { ...ok, data: makeList(owner, 1, 1800000000, [5]) }), false);
    assert.deepEqual(k.list, list2);
  });

  it('reads every key text a client accepts, and refuses what is not one with a reason', () => {
    const v1 = { keyId: 7, secret: 'ab'.repeat(16) };
    assert.deepEqual(parseClientKey(JSON.stringify(v1)), { keyId: 7, secret: new Uint8Array(16).fill(0xab) });
    assert.deepEqual(parseClientKey('http://x/phonekey#k=7.' + 'ab'.repeat(16) + '&label=Al'), { keyId: 7, secret: new Uint8Array(16).fill(0xab), label: 'Al' });
    const owner = ownerKey();
    assert.deepEqual(parseClientKey(travelKeyJson(owner)), owner);
    for (const bad of ['', '{', '{"keyId":7}', '#k=7.abc', JSON.stringify({ format: 'carkey-phonekey', version: 2, keyId: 7, boards: [] }),
      JSON.stringify({ format: 'carkey-phonekey', version: 2, keyId: 7, boards: [{ boardId: '00' + 'aa'.repeat(7), secret: 'ab'.repeat(16) }] }),
      JSON.stringify({ format: 'carkey-phonekey', version: 2, keyId: 7, boards: [{ boardId: '01' + 'aa'.repeat(7), secret: 'ab'.repeat(16), tag: 'cd'.repeat(16) }] })]) {
      assert.throws(() => parseClientKey(bad), Error, bad);
    }
  });
});
