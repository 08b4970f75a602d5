/**
 * Target `pn532-driver`: the PN532 driver against a simulated PN532 whose I2C reads are mutated.
 */
import { performance } from 'node:perf_hooks';
import { hostCipher } from '../../host/crypto';
import { SimPn532 } from '../../../sim/pn532/pn532';
import { authenticateDesfire, type DesfireConfig } from '../../../firmware/desfire';
import { createPn532, pn532Release, pn532Start, pn532Sum, pn532Transceive } from '../../../hal/pn532';
import type { I2CBus } from '../../../firmware/ports';
import { timerQueue } from '../../host/timer-queue';
import { mutate, sameBytes } from '../common';
import { rng } from '../../host/random';
import { type FuzzResult, result, add, hex, MAX_VIOLATIONS } from './result';
import { SITE_KEY, AID, SYS, cardFor } from './cards-common';

export async function fuzzPn532Driver(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0xd21);
  const v: string[] = [];
  const stats: Record<string, number> = { mutatedReads: 0, nacks: 0, cardsSeen: 0, auths: 0, authOk: 0, readerFaults: 0, recoveredAfterMs: 0 };
  const t = timerQueue();
  const sim = new SimPn532(t);
  let mutating = true;
  const bus: I2CBus = {
    writeTo: (a, d) => {
      if (mutating && r.chance(0.01)) { stats.nacks++; throw new Error('I2C NACK (fuzz)'); }
      sim.bus.writeTo(a, d);
    },
    readFrom: (a, n) => {
      if (mutating && r.chance(0.01)) { stats.nacks++; throw new Error('I2C NACK (fuzz)'); }
      const b = sim.bus.readFrom(a, n);
      if (!mutating || !r.chance(0.08)) return b;
      stats.mutatedReads++;
      if (n === 1) return new Uint8Array([r.int(256)]);
      const m = mutate(r, b, 80);
      return r.chance(0.8) ? Uint8Array.from({ length: n }, (_, i) => (i < m.length ? m[i] : 0)) : m;
    },
  };
  const reader = createPn532(bus, t, sim.resetPin, pn532Sum);
  const uidG = new Uint8Array([0x04, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60]);
  const genuine = cardFor(r, uidG, 'genuine');
  const clone = cardFor(r, uidG, 'clone');
  const cfg: DesfireConfig = { siteKey: SITE_KEY, aid: AID, keyNo: 0, systemId: SYS, cipher: hostCipher, random: { bytes: (n) => r.bytes(n) } };
  let leaks = 0;
  t.every(7, () => { if (sim.fieldOn && reader.asleep) leaks++; });
  const okAt: number[] = [];
  pn532Start(reader, (uid, sak) => {
    stats.cardsSeen++;
    const inField = sim.card;
    authenticateDesfire(cfg, (apdu, cb) => pn532Transceive(reader, apdu, cb), uid, sak, (ok) => {
      stats.auths++;
      if (ok) {
        stats.authOk++;
        okAt.push(t.now());
        if (inField !== genuine || !sameBytes(uid, uidG)) add(v, `authenticated a card that is not the genuine one (uid ${hex(uid)}, ${inField === clone ? 'clone' : 'no card'} in the field)`);
      }
      pn532Release(reader);
    });
  }, (reason) => { if (reason === 'reader-fault') stats.readerFaults++; });
  const step = (ms: number) => {
    try { t.tick(ms); } catch (e) { add(v, 'an exception escaped the driver: ' + (e as Error).stack); }
  };
  for (let c = 0; c < cases; c++) {
    sim.card = r.pick([genuine, genuine, clone, undefined]);
    step(200 + r.int(1300));
    sim.card = undefined;
    step(100 + r.int(700));
    if (v.length >= MAX_VIOLATIONS) break;
  }
  // Faults stop: the reader must find and authenticate the genuine card again (after any back-off).
  mutating = false;
  step(1000);
  sim.card = genuine;
  const from = t.now(), before = okAt.length;
  while (okAt.length === before && t.now() - from < 130000) step(100);
  if (okAt.length === before) add(v, 'the reader did not recover: no authentication within 130 s of the faults stopping');
  else stats.recoveredAfterMs = okAt[before] - from;
  sim.card = undefined;
  step(1000);
  if (leaks) add(v, `the field was on while the driver slept (${leaks} samples)`);
  if (sim.fieldOn) add(v, 'the field is still on at the end with no card');
  return result('pn532-driver', cases, seed, t0, v, stats);
}
