import { scenario } from '../scenario';
import * as C from '../../firmware/codes';

export default scenario('brute-force', 'Someone tries keys they do not have: locked out, while the owner still gets in', { board: 'puckjs', demo: true }, (s) => {
  const thief = s.car.phone({ keyId: s.car.keys.driver.keyId, secret: new Uint8Array(16).fill(1) });
  for (let i = 1; i <= 5; i++) {
    const a = thief.unlock();
    s.expect(a.status === C.R_BAD_MAC && !s.car.relayOn(), `attempt ${i} with a guessed secret is refused`);
  }
  const real = s.car.phone(s.car.keys.driver).unlock();
  s.expect(real.status === C.R_LOCKED_OUT, 'the attacked key is now locked out, even with its real secret');
  const owner = s.car.phone(s.car.keys.owner).unlock();
  s.expect(owner.status === C.R_OK, 'the owner is never locked out by someone else\'s failures');
  s.car.phone(s.car.keys.owner).lock();
  s.wait(31000, 'the lockout runs out');
  s.expect(s.car.phone(s.car.keys.driver).unlock().status === C.R_OK, 'the real driver gets in again');
});
