import { scenario } from '../scenario';
import * as C from '../../firmware/codes';
import { cardKeyIdOf } from '../../tools/host/provision/site';

export default scenario('lost-card-revoked', 'A keycard is lost: the owner revokes it from the phone, offline', { board: 'puckjs-nfc', demo: true }, (s) => {
  const uid = new Uint8Array([0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);
  const card = s.car.provisionCard('kid-card', C.ROLE_DRIVER, uid);
  s.car.reset();
  s.car.tap(card);
  s.expect(s.car.relayOn(), 'the card unlocks');
  s.wait(15000);
  s.car.tap(s.car.cards['cloned-card']);
  s.expect(!s.car.relayOn(), 'a clone of the owner card (same UID, no key) is refused');
  const owner = s.car.phone(s.car.keys.owner);
  s.expect(owner.revoke(cardKeyIdOf(uid)).status === C.R_OK, 'the owner revokes the lost card, no network involved');
  s.wait(3000);
  s.car.tap(card);
  s.expect(!s.car.relayOn(), 'the revoked card no longer opens the car');
  const last = s.car.auditLog().filter((e) => e.event === C.LOG_DENIED).pop();
  s.expect(!!last && last.reason === C.R_REVOKED, 'the audit log says why: revoked');
});
