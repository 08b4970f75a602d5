/**
 * The Espruino console must not be reachable over Bluetooth in production builds (it is a full
 * JavaScript REPL for anyone in range); dev builds keep it and say so loudly at boot.
 */
import { strict as assert } from 'node:assert';
import { boards } from '../../hal/boards/index';
import { createCar } from '../../sim/car';

describe('Bluetooth console exposure', function () {
  this.timeout(30000);
  for (const b of boards) {
    it(`${b.id}: the production bundle removes the Nordic UART console; it pairs only by passkey with MITM protection`, async () => {
      const car = await createCar({ board: b.id });
      assert.equal(car.board.nrf.uartExposed, false);
      const sec = car.board.nrf.state.security as { lesc?: boolean; bond?: boolean; mitm?: boolean; passkey?: string } | undefined;
      assert.ok(sec && sec.lesc && sec.bond && sec.mitm, 'LE Secure Connections, bonding, MITM protection');
      assert.equal(sec!.passkey, car.site.setupCode, 'the board setup code is the static passkey');
      // The access characteristics' levels: test/sim/link-security.test.ts.
      assert.ok(!car.board.consoleText().includes('DEV BUILD'));
      // The dev-only bench hook (hal/espruino/relay-bench-hook.ts) is not in the bundle.
      assert.equal(car.board.run('typeof CKB'), 'undefined');
    });
  }

  it('a dev bundle keeps the console and warns at boot', async () => {
    const car = await createCar({ board: 'puckjs', dev: true });
    assert.equal(car.board.nrf.uartExposed, true);
    assert.match(car.board.consoleText(), /DEV BUILD: the JavaScript console is open over Bluetooth/);
    assert.equal(car.board.run('typeof CKB'), 'object');
  });
});
