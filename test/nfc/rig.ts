/** Test rig: fake timers + simulated PN532 + the real driver, with everything it reported recorded. */
import { createPn532, pn532Start, pn532Sum, type Pn532 } from '../../hal/pn532';
import { SimPn532 } from '../../sim/pn532/pn532';
import { fakeTimers, type FakeTimers } from './fake-timers';

export interface Rig {
  t: FakeTimers;
  sim: SimPn532;
  r: Pn532;
  cards: Array<{ uid: string; sak: number; at: number }>;
  errors: Array<{ reason: string; at: number }>;
  /** Set to handle a card; by default the card is released at once by the caller's handler. */
  onCard: (uid: Uint8Array, sak: number) => void;
  /** Samples (every 7 ms) with the field on while the driver sleeps between polls: must stay 0. */
  fieldLeaks: number;
}

/** The driver with its own timings (hal/pn532.ts constants) on fake timers: virtual seconds cost nothing. */
export function rig(start = true): Rig {
  const t = fakeTimers();
  const sim = new SimPn532(t);
  const r = createPn532(sim.bus, t, sim.resetPin, pn532Sum);
  const k: Rig = {
    t, sim, r, cards: [], errors: [], fieldLeaks: 0,
    onCard: () => { /* test sets */ },
  };
  // Watch for the field left on while the driver is idle (between polls).
  t.every(7, () => { if (sim.fieldOn && r.asleep) k.fieldLeaks++; });
  if (start) {
    pn532Start(r, (uid, sak) => {
      k.cards.push({ uid: Buffer.from(uid).toString('hex'), sak, at: t.now() });
      k.onCard(uid, sak);
    }, (reason) => { k.errors.push({ reason, at: t.now() }); });
  }
  return k;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const h = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
