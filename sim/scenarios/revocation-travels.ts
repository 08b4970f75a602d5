import { scenario } from '../scenario';
import * as C from '../../firmware/codes';
import { type SiteSecrets, keyRecord } from '../../tools/host/provision/site';
import { type TravelKey, makeList, newBoardId, newerList, phoneKeyParts } from '../../tools/host/travel';

/**
 * Protocol v2 (docs/KEYS-THAT-TRAVEL.md "Revocation lists"): the owner revokes driver Ann at
 * home; driver Ben's phone learns the new list from the owner's phone; car 2, which the owner
 * never visits, refuses Ann right after Ben has visited it. Car 1, which no key has visited since,
 * still opens for Ann until a key carries the list there (lists travel as fast as keys visit).
 * Needs boards that speak v2 (the xiaoble build; the 40 KB boards stay v1).
 */
let x = 0x7265766b;
const random = (n: number) => { const o = new Uint8Array(n); for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; o[i] = x & 255; } return o; };
const site: SiteSecrets = { secret: random(32), cardMaster: random(16), setupCode: '161803' };
const boardIds = [1, 2].map((slot) => newBoardId(slot, random));
const owner = keyRecord(0x0a110003, C.ROLE_OWNER, { label: 'owner' });
const ann = keyRecord(0x0d110001, C.ROLE_DRIVER, { label: 'Ann', perms: C.PERM_UNLOCK | C.PERM_LOCK | C.PERM_DRIVE });
const ben = keyRecord(0x0d110002, C.ROLE_DRIVER, { label: 'Ben', perms: C.PERM_UNLOCK | C.PERM_LOCK | C.PERM_DRIVE });
const records = [owner, ann, ben];
const keyOf = (r: typeof owner): TravelKey => ({ keyId: r.id, label: r.label, boards: phoneKeyParts(site.secret, boardIds, r.id, r.salt) });
const NOW = 1800000000;

export default scenario('revocation-travels', 'The owner revokes a driver at home; car 2 refuses her right after another driver\'s visit', {
  board: 'xiaoble', seed: 51, boardId: boardIds[0], site: { secrets: site, records },
}, (s) => {
  const [car1, car2] = s.cars;
  const ownerKey = keyOf(owner), annKey = keyOf(ann), benKey = keyOf(ben);
  s.expect(car2.phone(annKey).unlock().status === C.R_OK, 'Ann opens car 2 (before)');
  car2.advance(15000);

  s.say('at home, the owner revokes Ann: list version 1, signed for both cars');
  ownerKey.list = makeList(ownerKey, 1, NOW, [ann.id]);
  benKey.list = newerList(benKey.list, ownerKey.list);
  s.expect(!!benKey.list, 'Ben\'s phone takes the newer list from the owner\'s phone');

  const ben2 = car2.phone(benKey);
  s.expect(ben2.unlock().status === C.R_OK, 'Ben opens car 2');
  s.expect(!!ben2.lastSync && ben2.lastSync.did === 'sent', 'Ben\'s phone hands the list to car 2, which adopts it');
  car2.advance(15000);
  const a2 = car2.phone(annKey).unlock();
  s.expect(a2.status === C.R_REVOKED && !car2.relayOn(), 'car 2, never visited by the owner, refuses Ann: revoked');

  const a1 = car1.phone(annKey).unlock();
  s.expect(a1.status === C.R_OK, 'car 1, which no key has visited since, still opens for Ann (lists travel as keys visit)');
  car1.advance(15000);
  const ben1 = car1.phone(benKey);
  s.expect(ben1.lock().status === C.R_OK && !!ben1.lastSync && ben1.lastSync.did === 'sent', 'Ben visits car 1 and hands it the list');
  s.expect(car1.phone(annKey).unlock().status === C.R_REVOKED, 'now car 1 refuses Ann too');
  s.expect(car1.phone(ownerKey).unlock().status === C.R_OK, 'the owner gets in at once');
}, [{ board: 'xiaoble', seed: 52, boardId: boardIds[1], site: { secrets: site, records } }]);
