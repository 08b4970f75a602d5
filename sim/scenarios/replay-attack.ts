import { scenario } from '../scenario';
import * as C from '../../firmware/codes';
import { OP, command, nodeMac } from '../../tools/host/protocol';
import { central } from '../central';

export default scenario('replay-attack', 'A recorded unlock played back later never opens the car', { board: 'puckjs', demo: true }, (s) => {
  const phone = s.car.phone(s.car.keys.owner);
  const hello = phone.connect();
  const recorded = command(nodeMac, s.car.keys.owner, hello.nonce!, OP.UNLOCK);
  s.say('an attacker records the owner\'s unlock command off the air');
  const air = central(s.car.board);
  air.send(recorded);
  air.take();
  air.close();
  s.expect(s.car.relayOn(), 'the owner\'s unlock works');
  s.wait(15000);
  s.expect(!s.car.relayOn(), 'relocked');
  s.say('later the attacker connects and plays the recording back');
  const attacker = s.car.phone();
  attacker.connect();
  const answer = attacker.sendMessage(recorded);
  s.expect(!!answer && answer.status !== C.R_OK, 'the board refuses it: the nonce it answers is gone');
  s.expect(!s.car.relayOn(), 'the relay never moved');
});
