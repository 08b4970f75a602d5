import { scenario } from '../scenario';
import * as C from '../../firmware/codes';

export default scenario('power-cut-during-update', 'Power is cut in the middle of adding a key: the key table survives', { board: 'puckjs', demo: true }, (s) => {
  const owner = s.car.phone(s.car.keys.owner);
  owner.connect();
  s.say('the power will fail during the 3rd flash write of the next change');
  s.car.board.storage.cutPowerAtWrite(3, 0.5);
  let died = false;
  try { owner.addKey({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, label: 'Carol' }); } catch (e) { died = true; }
  s.expect(died || s.car.board.dead, 'the board lost power mid-update');
  s.car.powerOn();
  s.expect(!s.car.relayOn(), 'after power returns the relay is off');
  const again = s.car.phone(s.car.keys.owner);
  s.expect(again.unlock().status === C.R_OK, 'the old key table is intact: the owner unlocks');
  s.expect(s.car.phone(s.car.keys.guest).unlock().status === C.R_OK, 'and so does every other key');
});
