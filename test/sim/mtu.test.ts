/**
 * A larger MTU: the phone's longer packets tell the board it may answer in longer packets too
 * (Espruino does not report the negotiated MTU to JavaScript). The MTU is capped at the board's
 * (53 on a Puck.js, boards/PUCKJS.py); nothing is truncated either way.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { createCar } from '../../sim/car';
import { OP } from '../../tools/host/protocol';

describe('phone key with a negotiated MTU (production bundle in the simulator)', function () {
  this.timeout(30000);
  for (const [ask, mtu] of [[23, 23], [185, 53]]) {
    it(`a phone asking for MTU ${ask} gets ${mtu}: the owner lists keys; answers fit the link and arrive whole`, async () => {
      const car = await createCar({ board: 'puckjs', demo: true });
      const phone = car.phone(car.keys.owner);
      phone.connect({ mtu: ask });
      assert.equal(car.board.nrf.state.mtu, mtu);
      const before = car.board.nrf.notifications.length;
      // A first command at the new size (the phone's packets fill the MTU), then a long answer.
      assert.equal(phone.status().status, C.R_OK);
      const list = phone.run(OP.LIST_KEYS, new Uint8Array([0, 0]));
      assert.equal(list.status, C.R_OK);
      assert.equal(list.authentic, true);
      const sent = car.board.nrf.notifications.slice(before);
      assert.ok(sent.every((n) => !n.truncated && n.data.length <= mtu - 3), 'every notification fits the MTU');
      if (mtu > 23) assert.ok(sent.some((n) => n.data.length > 20), 'the board used the larger packets');
      else assert.ok(sent.every((n) => n.data.length <= 20));
      assert.deepEqual(car.board.nrf.dropped, [], 'nothing was lost');
    });
  }
});
