import { scenario } from '../scenario';
import { startHostile } from '../hostile';
import * as C from '../../firmware/codes';
import { OP, command, nodeMac } from '../../tools/host/protocol';

/**
 * Owner attempts measured while the hostile centrals run, and the bounds. Losing a race is a coin
 * the attacker weights (0.75 here), so the tail is geometric: no hard bound exists. Measured with
 * tools in this scenario's setting, 500 attempts over 10 seeds: median 2.1 s, 95 % within 6.0 s,
 * 99 % within 9.6 s, worst 19.3 s (docs/THREAT-MODEL.md). Asserted: every attempt gets in, within
 * BOUND_MS, and TYPICAL_SHARE of them within TYPICAL_MS.
 */
export const ATTEMPTS = 30;
export const BOUND_MS = 25000;
export const TYPICAL_MS = 10000;
export const TYPICAL_SHARE = 0.9;

export default scenario('hostile-car-park', 'Cheap radios parked by the car hold its link, forge and replay: the owner still gets in every time, mostly within 10 s', { board: 'puckjs', demo: true }, (s) => {
  const car = s.car;
  const race = car.board.nrf.race;
  race.hostileWins = 0.75;
  race.seed = 14;
  // A phone app with its GATT table cached: 600 ms from the link to its first write.
  const owner = car.phone(car.keys.owner, { setupMs: 600 });
  owner.connect();
  const recording = command(nodeMac, car.keys.owner, owner.nonce!, OP.UNLOCK); // what a listener records of the next unlock
  s.expect(owner.unlock().status === C.R_OK, 'the owner unlocks once, and a listener records the command');
  owner.disconnect();
  s.wait(15000, 'the car relocks');
  const hostiles = [
    startHostile(car, 'silent'),
    startHostile(car, 'bad-mac', { victimId: car.keys.owner.keyId }),
    startHostile(car, 'replay', { recording }),
  ];
  s.say(`three hostile centrals start: silent, bad MACs under the owner's id, replays of the recording; each reconnects the moment it is dropped, from a new address, and wins ${race.hostileWins * 100} % of the races for the link`);
  s.wait(60000, 'they run for a minute first (the board-wide budget of unproven attempts is long spent)');
  const times: number[] = [];
  let refused = 0, unlocks = 0;
  for (let i = 0; i < ATTEMPTS; i++) {
    let a;
    try { a = owner.unlock(); } catch (e) { a = undefined; }
    if (!a || a.status !== C.R_OK || !a.authentic) refused++;
    else if (car.relayOn()) unlocks++;
    times.push(owner.lastMs);
    owner.disconnect();
    car.advance(12000); // walks off; the car relocks; the attack goes on
  }
  const sorted = times.slice().sort((x, y) => x - y);
  const worst = sorted[sorted.length - 1], median = sorted[Math.floor(sorted.length / 2)];
  s.say(`owner, ${ATTEMPTS} attempts from pressing unlock to the car's authentic answer: median ${median} ms, worst ${worst} ms; ` +
    `hostile links ${hostiles.map((h) => h.kind + ' ' + h.links).join(', ')}`);
  s.expect(refused === 0 && unlocks === ATTEMPTS, `the owner got in every time (${unlocks} of ${ATTEMPTS})`);
  const typical = times.filter((t) => t <= TYPICAL_MS).length;
  s.expect(worst <= BOUND_MS, `every time within ${BOUND_MS / 1000} s (worst ${worst} ms)`);
  s.expect(typical >= TYPICAL_SHARE * ATTEMPTS, `${typical} of ${ATTEMPTS} within ${TYPICAL_MS / 1000} s`);
  for (const h of hostiles) h.stop();
  const opened = car.auditLog().filter((e) => e.event === C.EV_UNLOCK && e.reason === C.R_OK && e.keyId !== car.keys.owner.keyId);
  s.expect(opened.length === 0, 'nothing but the owner\'s key ever opened the car');
});
