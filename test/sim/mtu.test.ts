/**
 * A larger MTU: the phone's longer packets tell the board it may answer in longer packets too
 * (Espruino does not report the negotiated MTU to JavaScript). Nothing is truncated either way.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { createCar } from '../../sim/car';
import { OP } from '../../tools/phonekey/protocol';

describe('phone key with a negotiated MTU (production bundle in the simulator)', function () {
  this.timeout(30000);
  for (const mtu of [23, 185]) {
    it(`MTU ${mtu}: the owner lists keys; answers fit the link and arrive whole`, async () => {
      const car = await createCar({ board: 'puckjs', demo: true });
      const phone = car.phone(car.keys.owner);
      phone.connect();
      car.board.nrf.setMtu(mtu);
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
    });
  }
});
