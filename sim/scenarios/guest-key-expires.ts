import { scenario } from '../scenario';
import * as C from '../../firmware/codes';

const NOW = 1767225600; // 2026-01-01 00:00 UTC

export default scenario('guest-key-expires', 'An owner lends the car for an hour; the guest key stops working after it', { board: 'puckjs', demo: true }, (s) => {
  const owner = s.car.phone(s.car.keys.owner);
  s.expect(owner.setTime(NOW).status === C.R_OK, 'the owner sets the car\'s clock from the phone');
  const added = owner.addKey({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK | C.PERM_LOCK, notBefore: NOW, notAfter: NOW + 3600, label: 'Bob' });
  s.expect(added.answer.status === C.R_OK && !!added.key, 'the owner adds a guest key valid for one hour; its secret arrives wrapped');
  owner.disconnect();
  const guest = s.car.phone(added.key);
  s.expect(guest.unlock().status === C.R_OK, 'the guest unlocks');
  s.wait(2 * 3600 * 1000, 'two hours pass');
  const late = guest.unlock();
  s.expect(late.status === C.R_EXPIRED && late.authentic === true, 'the guest key is refused as expired');
  s.say('a power cut: the board loses real time');
  s.car.powerCut();
  s.car.powerOn();
  const g2 = s.car.phone(added.key).unlock();
  s.expect(g2.status === C.R_TIME_UNKNOWN, 'the time-bounded guest key is refused: time unknown (fail closed)');
  const o2 = s.car.phone(s.car.keys.owner);
  s.expect(o2.unlock().status === C.R_OK, 'the owner (no time bounds) still gets in without trusted time');
});
