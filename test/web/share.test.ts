/**
 * The web phone key's owner side (sim/web/share.ts) on Node's WebCrypto: a ticket made from the
 * owner's non-extractable per-board CryptoKeys is byte for byte the CLI's (tools/host/travel.ts
 * makeTicket over the firmware's ticketTag / ticketGuestSecret), its MAC inputs give the section-11
 * vector, the next revocation list is the CLI's makeList, and the share form's bad inputs (role
 * owner, no validity, no car, no permission, a long label) each give one line and make nothing.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { type TravelKey, TravelError, makeList, makeTicket, newBoardId, phoneKeyParts } from '../../tools/host/travel';
import { listIds, sharedTicketFields, ticketMacInputs } from '../../tools/host/travelmake';
import { hmac16, importSecret } from '../../sim/web/keycrypto';
import { importTravelKey } from '../../sim/web/travel';
import { type ShareForm, SHARED_KEPT, parseKeyId, rememberShared, shareRequest, webRevokeList, webTicket } from '../../sim/web/share';
import { TICKET_FIELDS, V } from '../travel/vectors.test';
import { ticketEncode } from '../../firmware/ticket';

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const copy = (k: TravelKey): TravelKey => ({ ...k, boards: k.boards.map((b) => ({ ...b, secret: b.secret.slice() })) });
const SITE = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
const OWNER_ID = 0x0c0c0001;
const ids = [1, 2, 3].map((s) => newBoardId(s));
const NOW = 1800000000;

const owner = (): TravelKey => ({ keyId: OWNER_ID, label: 'owner', boards: phoneKeyParts(SITE, ids, OWNER_ID, 0x55) });
const form = (f: Partial<ShareForm> = {}): ShareForm => ({ role: 'driver', perms: ['unlock', 'lock', 'drive'], hours: '24', label: 'ann', boards: [hexOf(ids[0]), hexOf(ids[2])], ...f });

describe('web phone key: sharing and revoking as an owner (WebCrypto)', () => {
  it('makes the same ticket bytes as the CLI from non-extractable keys, and the section-11 tag and guest secret', async () => {
    const o = owner();
    o.list = makeList(o, 3, NOW - 50, [0x99]);
    const stored = await importTravelKey(copy(o));
    assert.equal(stored.boards!.every((b) => !b.key.extractable), true);
    const r = shareRequest(form());
    assert.deepEqual([r.role, r.perms, r.validForS, r.label, r.boardIds.map(hexOf)], [C.ROLE_DRIVER, 7, 86400, 'ann', [hexOf(ids[0]), hexOf(ids[2])]]);
    const web = await webTicket(stored, r, NOW, 0x7e57cafe);
    const cli = makeTicket(o, sharedTicketFields(0x7e57cafe, C.ROLE_DRIVER, 7, 86400, NOW, 'ann'), [ids[0], ids[2]]);
    assert.deepEqual(web, cli);
    assert.equal(web.boards.length, 2);
    assert.deepEqual(web.list, o.list, 'the guest carries the owner\'s list');

    const key = await importSecret(phoneKeyParts(V.site, [V.boardId], V.ownerId, V.ownerSalt)[0].secret);
    const input = ticketMacInputs(ticketEncode({ ...TICKET_FIELDS, issuer: V.ownerId, boards: 4 }));
    assert.equal(hexOf(await hmac16(key, input.tag)), V.ticketTag);
    assert.equal(hexOf(await hmac16(key, input.guest)), V.guestSecret);
  });

  it('refuses bad share-form input with one line: role owner, no validity, zero or too long, no car, no permission, a long label', () => {
    const bad: [Partial<ShareForm>, RegExp][] = [
      [{ role: 'owner' }, /^a ticket is never an owner: choose driver or guest/],
      [{ hours: '' }, /^validity: how many hours the ticket lasts \(every ticket ends\)$/],
      [{ hours: '0' }, /^validity must be longer than zero/],
      [{ hours: 'soon' }, /^validity: a number of hours/],
      [{ hours: '9000' }, /^validity: at most 8784 hours/],
      [{ boards: [] }, /^choose at least one car the ticket opens$/],
      [{ perms: [] }, /^choose at least one permission/],
      [{ label: 'a longer name' }, /^label: at most 6/],
    ];
    for (const [f, re] of bad) assert.throws(() => shareRequest(form(f)), (e: Error) => e instanceof TravelError && re.test(e.message), JSON.stringify(f));
  });

  it('refuses to share from a ticket, a v1 key, or for a car the key has no secret for', async () => {
    const stored = await importTravelKey(copy(owner()));
    const other = newBoardId(4);
    await assert.rejects(webTicket(stored, { ...shareRequest(form()), boardIds: [other] }, NOW, 5), /has no secret for board/);
    const ticket = await importTravelKey(makeTicket(owner(), sharedTicketFields(0x7e57cafe, C.ROLE_GUEST, 3, 3600, NOW, '')));
    await assert.rejects(webTicket(ticket, shareRequest(form({ boards: [hexOf(ids[0])] })), NOW, 6), /a ticket cannot share: only an owner key can$/);
    await assert.rejects(webRevokeList(ticket, 7, NOW), /a ticket cannot sign a revocation list/);
    const v1 = { keyId: 9, key: stored.key, importedAt: 0 };
    await assert.rejects(webTicket(v1, shareRequest(form()), NOW, 6), /sharing needs a v2 owner key/);
  });

  it('revokes so that it travels: the next version, the CLI\'s bytes, an id already listed changes nothing, its own id and a 25th are refused', async () => {
    const o = owner();
    const stored = await importTravelKey(copy(o));
    const first = await webRevokeList(stored, 0x7e57cafe, NOW);
    assert.deepEqual(first.list, makeList(o, 1, NOW, [0x7e57cafe]));
    assert.deepEqual([first.version, first.count], [1, 1]);
    stored.list = first.list;
    const second = await webRevokeList(stored, 0x11, NOW + 5);
    assert.deepEqual(second.list, makeList(o, 2, NOW + 5, [0x11, 0x7e57cafe]));
    assert.deepEqual(listIds(second.list), [0x11, 0x7e57cafe]);
    stored.list = second.list;
    assert.deepEqual(await webRevokeList(stored, 0x11, NOW + 9), { version: 2, count: 2 });
    await assert.rejects(webRevokeList(stored, OWNER_ID, NOW), /cannot name id 0 or its own signer/);
    stored.list = makeList(o, 9, NOW, Array.from({ length: 24 }, (_, i) => 1000 + i));
    await assert.rejects(webRevokeList(stored, 5, NOW), /at most 24 ids/);
    // The section-11 list: version 7 made from a version 6 that revoked 05060708.
    const vOwner: TravelKey = { keyId: V.ownerId, boards: phoneKeyParts(V.site, [V.boardId], V.ownerId, V.ownerSalt) };
    const vStored = await importTravelKey({ ...copy(vOwner), list: makeList(vOwner, 6, 1800000000, [0x05060708]) });
    assert.equal(hexOf((await webRevokeList(vStored, 0x7e570001, 1800000100)).list!), V.list);
    assert.equal(parseKeyId(' 0x7E57CAFE '), 0x7e57cafe);
    assert.equal(parseKeyId('17'), 17);
    for (const t of ['0', '', 'x', '4294967296']) assert.throws(() => parseKeyId(t), /revoke: a key or ticket id/);
  });

  it('remembers the tickets it made, newest first, without the ended ones, at most SHARED_KEPT', () => {
    let shared = rememberShared(undefined, { id: 1, role: C.ROLE_GUEST, notAfter: NOW - 1 }, NOW - 10);
    shared = rememberShared(shared, { id: 2, role: C.ROLE_DRIVER, notAfter: NOW + 10, label: 'ann' }, NOW);
    assert.deepEqual(shared.map((t) => t.id), [2], 'ticket 1 ended before now');
    for (let i = 3; i < 40; i++) shared = rememberShared(shared, { id: i, role: C.ROLE_GUEST, notAfter: NOW + 10 }, NOW);
    assert.equal(shared.length, SHARED_KEPT);
    assert.equal(shared[0].id, 39);
  });
});
