/**
 * Target `cards`: mutated card answers through the car's reader (puckjs-nfc bundle).
 */
import { performance } from 'node:perf_hooks';
import { createCar } from '../../../sim/car';
import { OP } from '../../host/protocol';
import { logMirror, watchOutputs } from '../common';
import { rng } from '../../host/random';
import { type FuzzResult, result, add, MAX_VIOLATIONS } from './result';
import { mutatingCard } from './cards-common';
import { checkCase, finalCheck, type RadioRig } from './radio-rig';

export async function fuzzCards(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0xca4d);
  const car = await createCar({ board: 'puckjs-nfc', demo: true, seed });
  const g: RadioRig = { car, phone: car.phone(car.keys.owner), out: watchOutputs(car), log: logMirror(car), resets: car.board.resets.length };
  const v: string[] = [];
  const stats: Record<string, number> = { taps: 0, intactGenuine: 0, unlocks: 0, privileged: 0, faults: 0, legit: 0 };
  const genuine = mutatingCard(r, car.cards['owner-card'], 0);
  const clone = mutatingCard(r, car.cards['cloned-card'], 0);
  for (let c = 0; c < cases; c++) {
    const card = r.chance(0.7) ? genuine : clone;
    card.p = r.pick([0, 0.3, 0.6, 1]);
    card.changed = false;
    const rises = { relay: g.out.relayRises, drive: g.out.driveRises };
    const exchanges = car.pn532!.exchanges;
    car.tap(card, 1500);
    stats.taps++;
    const intact = card === genuine && !card.changed && car.pn532!.exchanges > exchanges;
    if (intact) stats.intactGenuine++;
    if (g.out.relayRises > rises.relay) stats.unlocks++;
    // A tap is a credential only if the genuine card's answers reached the board intact.
    checkCase(g, v, () => `cards case ${c}: ${card === genuine ? 'genuine' : 'clone'} card, p=${card.p}, answers ${card.changed ? 'changed' : 'intact'}`,
      intact ? [OP.UNLOCK, OP.LOCK] : [], rises, stats);
    car.advance(2500);
    if (v.length >= MAX_VIOLATIONS) break;
  }
  // The reader still works: an intact genuine tap unlocks (lock first if a tap left it unlocked).
  genuine.p = 0;
  car.advance(20000);
  const before = g.out.relayRises;
  car.tap(genuine, 1500);
  if (g.out.relayRises === before) add(v, 'an intact genuine card tap did not unlock after the fuzz');
  car.advance(15000);
  finalCheck(g, v, stats);
  return result('cards', cases, seed, t0, v, stats);
}
