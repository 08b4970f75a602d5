import { scenario } from '../scenario';
import type { CarOptions } from '../car';
import * as C from '../../firmware/codes';
import { type SiteSecrets, CARD_AID, cardKeyIdOf, cardKeyOf, keyRecord } from '../../tools/host/provision/site';
import { newBoardId, phoneKeyParts } from '../../tools/host/travel';
import { SimDesfireCard } from '../cards/desfire';
import { guessedCardKey, guessedKey, keyTableOf, readOut, targetOf, tryEverything } from '../extraction';

/**
 * Three cars of one site, each board provisioned with its own secrets (docs/KEYS-THAT-TRAVEL.md
 * "Per-board secrets"); car 1's flash is read out whole and everything in it is tried on cars 2
 * and 3 (sim/extraction.ts). Fixed bytes, so every run is the same story.
 */
let x = 0x6b657973;
const random = (n: number) => { const o = new Uint8Array(n); for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; o[i] = x & 255; } return o; };
const site: SiteSecrets = { secret: random(32), cardMaster: random(16), setupCode: '314159' };
const boardIds = [1, 2, 3].map((slot) => newBoardId(slot, random));
const owner = keyRecord(0x0a110001, C.ROLE_OWNER, { label: 'owner' });
const ownerParts = phoneKeyParts(site.secret, boardIds, owner.id, owner.salt);
const cardUid = new Uint8Array([0x04, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76]);
const carOptions = (i: number): CarOptions => ({
  board: 'puckjs-nfc', seed: 31 + i, boardId: boardIds[i],
  site: { secrets: site, records: [owner, keyRecord(cardKeyIdOf(cardUid), C.ROLE_OWNER, { kind: C.KIND_CARD, label: 'card' })] },
});

export default scenario('three-cars-one-extracted', 'Three cars of one site: car 1\'s flash, read out whole, opens neither car 2 nor car 3', carOptions(0), (s) => {
  const [car1, car2, car3] = s.cars;
  const names = ['car 1', 'car 2', 'car 3'];
  s.say('one owner phone key, one secret per board (same key id and salt; phoneKeyParts)');
  s.cars.forEach((car, i) => {
    const a = car.phone({ keyId: owner.id, secret: ownerParts[i].secret }).unlock();
    s.expect(a.status === C.R_OK && a.authentic === true && car.relayOn(), `the owner's part for ${names[i]} unlocks ${names[i]} at once`);
  });
  s.expect(car2.phone({ keyId: owner.id, secret: ownerParts[0].secret }).unlock().status !== C.R_OK, 'the owner\'s part for car 1 does not open car 2');
  // Each car's owner card holds the key diversified from that board's card master (one card per car today).
  const genuine = s.cars.map((car) => new SimDesfireCard(cardUid, [{ aid: CARD_AID, keys: [cardKeyOf(car.site, cardUid)] }]));
  for (const car of s.cars) car.advance(15000);
  s.cars.forEach((car, i) => { car.tap(genuine[i]); s.expect(car.relayOn(), `${names[i]}'s own card opens ${names[i]}`); car.advance(15000); });

  s.say('a thief reads out car 1\'s whole Storage');
  const files = readOut(car1);
  const table = keyTableOf(car1);
  const bytes = [...files.values()].reduce((n, f) => n + f.length, 0);
  s.say(`read: ${[...files.keys()].join(', ')} (${bytes} bytes); key ids ${table.ids.map((id) => id.toString(16)).join(', ')}`);
  const nonceOf = (i: number) => s.cars[i].phone().connect().nonce!;
  const targets = s.cars.map((car, i) => targetOf(names[i], car, boardIds[i], nonceOf(i), [cardUid]));
  const own = tryEverything(files, table, [targets[0]]);
  s.expect(own.openings.some((o) => o.role === 'board secret' && o.keyId === owner.id) && own.openings.some((o) => o.role === 'card master'),
    `control: the read-out does open car 1 itself (${own.openings.length} of ${own.tries} guesses), so a leak to another car would show`);
  const rest = tryEverything(files, table, targets.slice(1));
  s.say(`every 16- and 32-byte window (${rest.windows} distinct) as site secret, board secret, phone key secret and card master: ${rest.tries} MACed UNLOCKs and card keys for cars 2 and 3`);
  s.expect(rest.openings.length === 0, 'none opens car 2 or car 3' + (rest.openings.length ? ': ' + JSON.stringify(rest.openings.slice(0, 3)) : ''));

  s.say('over the air: each guess that opens car 1, derived for car 2 and car 3 in turn');
  for (const o of own.openings.filter((g) => g.keyId !== undefined)) {
    const k1 = guessedKey(o, boardIds[0]);
    s.expect(car1.phone(k1).unlock().status === C.R_OK && car1.relayOn(), `car 1 opens to its own ${o.role} (key ${o.keyId!.toString(16)})`);
    for (const i of [1, 2]) {
      const a = s.cars[i].phone(guessedKey(o, boardIds[i])).unlock();
      s.expect(a.status !== C.R_OK && !s.cars[i].relayOn(), `${names[i]} refuses it (${a.reason || a.type})`);
    }
  }
  const cardGuess = own.openings.find((o) => o.role === 'card master')!;
  car1.advance(15000);
  car1.tap(new SimDesfireCard(cardUid, [{ aid: CARD_AID, keys: [guessedCardKey(cardGuess, boardIds[0], cardUid)] }]));
  s.expect(car1.relayOn(), 'car 1 opens to a card made with its own card master (a board\'s flash still opens that board)');
  for (const i of [1, 2]) {
    const clone = new SimDesfireCard(cardUid, [{ aid: CARD_AID, keys: [guessedCardKey(cardGuess, boardIds[i], cardUid)] }]);
    s.cars[i].advance(15000);
    s.cars[i].tap(clone);
    s.expect(!s.cars[i].relayOn(), `a card made with car 1's card master for ${names[i]}'s owner card (same UID) is refused by ${names[i]}`);
  }
  s.expect(car3.phone({ keyId: owner.id, secret: ownerParts[2].secret }).unlock().status === C.R_OK && car3.relayOn(), 'the owner still gets into car 3 at once');
}, [carOptions(1), carOptions(2)]);
