import { scenario } from '../scenario';
import * as C from '../../firmware/codes';

export default scenario('brute-force', 'Someone tries keys they do not have: their link pays, the key they attack still opens at once', { board: 'puckjs', demo: true }, (s) => {
  const thief = s.car.phone({ keyId: s.car.keys.driver.keyId, secret: new Uint8Array(16).fill(1) });
  for (let i = 1; i <= 5; i++) {
    const a = thief.unlock();
    s.expect(a.status === C.R_BAD_MAC && a.retrySeconds === 0 && !s.car.relayOn(), `attempt ${i} with a guessed secret is refused (${thief.lastMs} ms: two failures drop the link, its address waits 5 s)`);
  }
  const real = s.car.phone(s.car.keys.driver).unlock();
  s.expect(real.status === C.R_OK, 'the attacked key opens at once with its real secret: nobody else\'s failures refuse it');
  s.car.phone(s.car.keys.driver).lock();
  const owner = s.car.phone(s.car.keys.owner).unlock();
  s.expect(owner.status === C.R_OK, 'and so does the owner');
});
