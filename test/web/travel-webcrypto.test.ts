/**
 * The web phone key's v2 side (sim/web/travel.ts, keycrypto.ts signedRequest) on Node's WebCrypto:
 * a v2 key imported as one non-extractable CryptoKey per board (bytes wiped), the same TICKET
 * COMMAND bytes as the section-11 vector and the same COMMAND bytes as the Node clients, and a
 * visit to the stand-in v2 board (test/support/v2-board.ts): the secret for the board that
 * answers, a ticket unlocking, and revocation lists handed over and taken.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { listVersionOf } from '../../firmware/revlist';
import { OP, hello, nodeMac, parseAnswer } from '../../tools/host/protocol';
import { type TravelKey, makeList, makeTicket, newBoardId, phoneKeyParts } from '../../tools/host/travel';
import { V1_BOARD, credentialFor, requestFor } from '../../tools/host/visit';
import { readAnswer, signedRequest } from '../../sim/web/keycrypto';
import { exchangeLists, importTravelKey, webCredential } from '../../sim/web/travel';
import { standInBoard } from '../support/v2-board';
import { key } from '../support/keys';
import { TICKET_FIELDS, V } from '../travel/vectors.test';

const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const copy = (k: TravelKey): TravelKey => ({ ...k, boards: k.boards.map((b) => ({ ...b, secret: b.secret.slice() })) });
const SITE = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const OWNER = key(0x0b0b0001, C.ROLE_OWNER, { perms: 7 });
const DRIVER = key(0x0b0b0002, C.ROLE_DRIVER, { perms: 7 });
const ids = [1, 2].map((s) => newBoardId(s));

describe('web phone key v2 (WebCrypto)', () => {
  it('imports a v2 key as one non-extractable key per board and wipes the bytes; signs the vector TICKET COMMAND', async () => {
    const owner: TravelKey = { keyId: V.ownerId, boards: phoneKeyParts(V.site, [V.boardId], V.ownerId, V.ownerSalt) };
    const guest = makeTicket(owner, TICKET_FIELDS);
    const given = copy(guest);
    const stored = await importTravelKey(given);
    assert.deepEqual(given.boards[0].secret, new Uint8Array(16), 'the bytes it was given are wiped');
    assert.equal(stored.boards!.every((b) => !b.key.extractable), true);
    await assert.rejects(crypto.subtle.exportKey('raw', stored.boards![0].key));
    assert.deepEqual([stored.role, stored.perms, stored.notBefore, stored.notAfter], [C.ROLE_DRIVER, 7, 1800000000, 1800086400]);
    const c = parseAnswer(nodeMac, undefined, h(V.challenge));
    const msg = await signedRequest(webCredential(stored, c), c.nonce!, OP.UNLOCK);
    assert.equal(Buffer.from(msg).toString('hex'), V.ticketCommand);
  });

  it('signs the same COMMAND bytes as the Node clients for each board; a v1 board gets the clear line', async () => {
    const owner: TravelKey = { keyId: OWNER.id, boards: phoneKeyParts(SITE, ids, OWNER.id, OWNER.salt) };
    const stored = await importTravelKey(copy(owner));
    for (const id of ids) {
      const b = standInBoard({ siteSecret: SITE, boardId: id, keys: [{ ...OWNER }] });
      const c = parseAnswer(nodeMac, undefined, b.handle(hello()));
      const mine = await signedRequest(webCredential(stored, c), c.nonce!, OP.LOCK, new Uint8Array([1, 2]), 1234);
      assert.deepEqual(mine, requestFor(nodeMac, credentialFor(owner, c), c.nonce!, OP.LOCK, new Uint8Array([1, 2]), 1234));
    }
    const v1 = standInBoard({ siteSecret: SITE, boardId: ids[0], keys: [{ ...OWNER }], v1Only: true });
    assert.throws(() => webCredential(stored, parseAnswer(nodeMac, undefined, v1.handle(hello()))), (e: Error) => e.message === V1_BOARD);
  });

  it('a visit to a stand-in v2 board: a ticket unlocks with an authentic answer; lists are handed over and taken', async () => {
    const now = 1800000500;
    const cars = ids.map((boardId) => standInBoard({ siteSecret: SITE, boardId, keys: [{ ...OWNER }, { ...DRIVER }], now }));
    const owner: TravelKey = { keyId: OWNER.id, boards: phoneKeyParts(SITE, ids, OWNER.id, OWNER.salt) };
    const ticket = makeTicket(owner, { ...TICKET_FIELDS, id: 0x7e570077, notBefore: 1800000000 });
    owner.list = makeList(owner, 3, 1800000100, [0x7e570077]);
    /** One visit as the page makes it: HELLO, the command, then the list exchange. */
    const visit = async (stored: Awaited<ReturnType<typeof importTravelKey>>, car: typeof cars[0], op: number) => {
      const c = parseAnswer(nodeMac, undefined, car.handle(hello()));
      const cred = webCredential(stored, c);
      const a = await readAnswer(cred.key, car.handle(await signedRequest(cred, c.nonce!, op)), c.nonce);
      const sync = a.type === 'response' && a.authentic ? await exchangeLists(stored, c, cred, a.nonce!, async (m) => car.handle(m)) : undefined;
      return { a, sync };
    };
    const t = await importTravelKey(copy(ticket));
    const first = await visit(t, cars[1], OP.UNLOCK);
    assert.deepEqual([first.a.type, first.a.status, first.a.authentic], ['response', C.R_OK, true]);
    assert.equal(cars[1].unlocked, true);

    const o = await importTravelKey(copy(owner));
    const atCar1 = await visit(o, cars[0], OP.STATUS);
    assert.match(atCar1.sync!.said!, /version 3 handed to the car: adopted/);
    assert.equal(listVersionOf(cars[0].list), 3);
    const d = await importTravelKey(copy({ keyId: DRIVER.id, boards: phoneKeyParts(SITE, ids, DRIVER.id, DRIVER.salt) }));
    const got = await visit(d, cars[0], OP.UNLOCK);
    assert.deepEqual([got.sync!.changed, got.sync!.said], [true, 'revocation list version 3 taken from the car']);
    assert.deepEqual(d.list, owner.list);
    assert.match((await visit(d, cars[1], OP.UNLOCK)).sync!.said!, /handed to the car: adopted/);
    assert.equal((await visit(t, cars[1], OP.UNLOCK)).a.status, C.R_REVOKED);
  });
});
