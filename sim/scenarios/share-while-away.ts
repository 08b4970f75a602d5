import { scenario } from '../scenario';
import * as C from '../../firmware/codes';
import { type SiteSecrets, keyRecord } from '../../tools/host/provision/site';
import { type TravelKey, makeTicket, newBoardId, phoneKeyParts } from '../../tools/host/travel';
import { parseClientKey, travelFragment } from '../../tools/host/travelkey';
import { OP, addKeyArgs } from '../../tools/host/protocol';

/**
 * Protocol v2 (docs/KEYS-THAT-TRAVEL.md "Tickets"): the owner, nowhere near the car, makes a
 * 24-hour driver ticket on the phone and sends it as a link; the guest opens it and unlocks; it
 * cannot be shared on nor used for an owner's operation; it stops at its end. Needs a board that
 * speaks v2 (the xiaoble build; the 40 KB boards stay v1). Fixed bytes.
 */
let x = 0x73686172;
const random = (n: number) => { const o = new Uint8Array(n); for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; o[i] = x & 255; } return o; };
const site: SiteSecrets = { secret: random(32), cardMaster: random(16), setupCode: '271828' };
const boardId = newBoardId(1, random);
const owner = keyRecord(0x0a110002, C.ROLE_OWNER, { label: 'owner' });
const NOW = 1800000000;

export default scenario('share-while-away', 'The owner, away from the car, shares a 24-hour driver key by link; it opens, cannot be passed on, and ends', {
  board: 'xiaoble', seed: 41, boardId, site: { secrets: site, records: [owner] },
}, (s) => {
  const ownerKey: TravelKey = { keyId: owner.id, label: 'owner', boards: phoneKeyParts(site.secret, [boardId], owner.id, owner.salt) };
  const home = s.car.phone(ownerKey);
  s.expect(home.setTime(NOW).status === C.R_OK, 'before leaving, the owner\'s phone set the car\'s clock');
  home.disconnect();
  s.wait(3600 * 1000, 'the owner is far away, an hour later');

  const madeAt = NOW + 3600;
  const ticket = makeTicket(ownerKey, { id: 0x7e57a001, role: C.ROLE_DRIVER, perms: C.PERM_UNLOCK | C.PERM_LOCK | C.PERM_DRIVE, weekdays: 0, notBefore: madeAt, notAfter: madeAt + 86400, winStart: 0, winEnd: 0, madeAt, label: 'Ann' });
  const link = 'https://owner.example/phonekey' + travelFragment(ticket);
  s.say('the owner\'s phone makes a 24-hour driver ticket offline and sends the link (' + link.length + ' characters)');
  const guestKey = parseClientKey(link) as TravelKey;
  s.expect(!!guestKey.ticket && guestKey.keyId === 0x7e57a001, 'the guest opens the link: a ticket for this car');

  const guest = s.car.phone(guestKey);
  const a = guest.unlock();
  s.expect(a.status === C.R_OK && a.authentic === true && s.car.relayOn(), 'the guest unlocks with the ticket (an authentic answer)');
  s.expect(guest.drive().status === C.R_OK, 'the guest may drive');
  s.expect(guest.run(OP.ADD_KEY, addKeyArgs({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, label: 'Bo' })).status === C.R_NOT_PERMITTED, 'the ticket cannot add a key (not permitted)');

  let refusedToShare = false;
  try { makeTicket(guestKey, { ...ticket, id: 0x7e57a002, notBefore: madeAt, notAfter: madeAt + 3600, madeAt, role: C.ROLE_GUEST, perms: 1, weekdays: 0, winStart: 0, winEnd: 0, label: 'Bo' }); } catch (e) { refusedToShare = true; }
  s.expect(refusedToShare, 'the phone refuses to make a ticket from a ticket');
  // A forger signs a ticket with the guest's own secret as if it were an owner's: no board accepts it.
  const forged = makeTicket({ keyId: guestKey.keyId, boards: guestKey.boards.map((b) => ({ boardId: b.boardId, secret: b.secret })) },
    { id: 0x7e57a003, role: C.ROLE_DRIVER, perms: 1, weekdays: 0, notBefore: madeAt, notAfter: madeAt + 3600, winStart: 0, winEnd: 0, madeAt, label: 'Bo' });
  const f = s.car.phone(forged).unlock();
  s.expect(f.type === 'refused' && f.status === C.R_BAD_MAC, 'a ticket "issued" by the ticket is refused (bad MAC: its issuer is no owner here)');

  s.wait(25 * 3600 * 1000, 'a day and an hour pass');
  const late = s.car.phone(guestKey).unlock();
  s.expect(late.status === C.R_EXPIRED, 'the ticket has ended: refused as expired');
  s.expect(s.car.phone(ownerKey).unlock().status === C.R_OK, 'the owner still gets in at once');
});
