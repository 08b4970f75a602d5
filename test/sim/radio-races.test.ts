/**
 * The simulator's connection model (sim/engine/nrf.ts), shared by both engines: one central at a
 * time; NRF.disconnect() really drops the link (the disconnect event, then the waiting centrals
 * race); a hostile central wins races with the set probability; NRF.setWhitelist changes nothing
 * about who connects (Espruino 2v29 advertises with BLE_GAP_ADV_FP_ANY whatever it says).
 */
import { strict as assert } from 'node:assert';
import { createCar } from '../../sim/car';

describe('sim radio: connections and races', function () {
  this.timeout(30000);

  it('one central at a time; NRF.disconnect drops it, fires disconnect, and the next waiting central gets the link', async () => {
    const car = await createCar({ board: 'puckjs' });
    car.board.run('NRF.on("connect", function (a) { print("connect " + a); }); NRF.on("disconnect", function (r) { print("disconnect " + r); });');
    const nrf = car.board.nrf;
    const a = nrf.central('aa:aa'), b = nrf.central('bb:bb');
    let dropped = 0;
    a.onDrop = () => { dropped++; };
    a.initiate();
    car.advance(50);
    b.initiate();
    car.advance(50);
    assert.equal(a.connected, true);
    assert.equal(b.connected, false, 'the second waits: one link only');
    car.board.run('NRF.disconnect()');
    car.advance(50);
    assert.equal(a.connected, false);
    assert.equal(dropped, 1, 'the central heard its link end');
    assert.equal(b.connected, true, 'advertising resumed and the waiting central connected');
    assert.match(car.board.consoleText(), /connect aa:aa[\s\S]*disconnect 22[\s\S]*connect bb:bb/);
  });

  it('a hostile central wins races with the set probability (seeded)', async () => {
    const car = await createCar({ board: 'puckjs' });
    const nrf = car.board.nrf;
    nrf.race.hostileWins = 0.75;
    nrf.race.seed = 5;
    const bad = nrf.central('evil', { hostile: true }), good = nrf.central('phone');
    let hostileWins = 0;
    const N = 400;
    for (let i = 0; i < N; i++) {
      bad.initiate(); good.initiate();
      car.advance(30);
      if (bad.connected) hostileWins++;
      assert.ok(bad.connected !== good.connected, 'exactly one of them holds the link');
      bad.cancel(); good.cancel(); bad.disconnect(); good.disconnect();
      car.advance(30);
    }
    assert.ok(Math.abs(hostileWins / N - 0.75) < 0.07, 'won ' + hostileWins + ' of ' + N);
  });

  it('NRF.setWhitelist(true) does not keep any central from connecting', async () => {
    const car = await createCar({ board: 'puckjs' });
    car.board.run('NRF.setWhitelist(true)');
    assert.equal(car.board.nrf.state.whitelist, true);
    const stranger = car.board.nrf.central('never-bonded');
    stranger.initiate();
    car.advance(50);
    assert.equal(stranger.connected, true);
  });
});
