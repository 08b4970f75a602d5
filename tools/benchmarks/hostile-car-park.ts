/**
 * The owner's time to unlock while hostile centrals hold, forge and replay (the hostile-car-park
 * scenario's setting), over many attempts and seeds: median, 95th and 99th percentile, worst.
 *
 *   npx tsx tools/benchmarks/hostile-car-park.ts [--seeds 10] [--attempts 50] [--engine vm|espruino]
 *
 * A measurement, not a test: the figures go to docs/THREAT-MODEL.md with this command.
 */
import { createCar } from '../../sim/car';
import { startHostile } from '../../sim/hostile';
import { OP, command, nodeMac } from '../host/protocol';

function flag(name: string, def: string): string {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

async function main(): Promise<void> {
  const seeds = Number(flag('seeds', '10')), attempts = Number(flag('attempts', '50'));
  const engine = flag('engine', 'vm') as 'vm' | 'espruino';
  const all: number[] = [];
  let refused = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const car = await createCar({ demo: true, seed, engine });
    try {
      car.board.nrf.race.seed = seed * 7919;
      const owner = car.phone(car.keys.owner, { setupMs: 600 });
      owner.connect();
      const recording = command(nodeMac, car.keys.owner, owner.nonce!, OP.UNLOCK);
      owner.unlock(); owner.disconnect(); car.advance(15000);
      startHostile(car, 'silent'); startHostile(car, 'bad-mac', { victimId: car.keys.owner.keyId }); startHostile(car, 'replay', { recording });
      car.advance(60000);
      for (let i = 0; i < attempts; i++) {
        if (owner.unlock().status !== 0) refused++;
        all.push(owner.lastMs);
        owner.disconnect();
        car.advance(12000);
      }
    } finally { car.board.close(); }
  }
  all.sort((a, b) => a - b);
  const q = (f: number) => all[Math.min(all.length - 1, Math.floor(all.length * f))];
  console.log(`${engine}: ${all.length} owner attempts (${seeds} seeds), ${refused} refused; ms from unlock pressed to the authentic answer: ` +
    `median ${q(0.5)}, p95 ${q(0.95)}, p99 ${q(0.99)}, worst ${all[all.length - 1]}`);
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
