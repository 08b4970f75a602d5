/**
 * One virtual-timer queue for host code and tests: the firmware's Timers port over virtual time
 * that moves only when asked. Timers due together run in the order they were made; an interval's
 * next run is its previous due time + its period (at least 1 ms). Nothing here sleeps or reads the
 * real clock. Used by the unit-test fakes (test/support/fake-ports.ts fakeTime, test/nfc/fake-timers.ts),
 * the fuzzers and the benches.
 * Not here: the simulated board's own timers, which follow Espruino's quirks (sim/engine/clock.ts).
 */
import type { Timers } from '../../firmware/ports';

export interface TimerQueue extends Timers {
  /** Virtual ms since the queue was made. */
  now(): number;
  /** Runs every timer due within `ms` of virtual time, in order; time then stands at now + ms. */
  tick(ms: number): void;
  /** Advances until `done()` is true (checked after each timer) or `maxMs` passes; returns whether it was. */
  until(done: () => boolean, maxMs: number): boolean;
  /** Timers waiting. */
  pending(): number;
}

interface Entry { id: number; at: number; every: number; fn: () => void }

export function timerQueue(): TimerQueue {
  let now = 0;
  let seq = 0;
  let q: Entry[] = [];
  const next = () => q.reduce<Entry | undefined>((b, e) => (!b || e.at < b.at || (e.at === b.at && e.id < b.id) ? e : b), undefined);
  const runOne = (limit: number) => {
    const e = next();
    if (!e || e.at > limit) return false;
    now = e.at;
    if (e.every > 0) e.at += e.every;
    else q = q.filter((x) => x !== e);
    e.fn();
    return true;
  };
  return {
    after: (ms, fn) => { const id = ++seq; q.push({ id, at: now + Math.max(0, ms), every: 0, fn }); return id; },
    every: (ms, fn) => { const id = ++seq; q.push({ id, at: now + ms, every: Math.max(1, ms), fn }); return id; },
    cancel: (id) => { if (id) q = q.filter((e) => e.id !== id); },
    now: () => now,
    pending: () => q.length,
    tick(ms) {
      const end = now + ms;
      while (runOne(end)) { /* run */ }
      now = end;
    },
    until(done, maxMs) {
      const end = now + maxMs;
      while (!done()) { if (!runOne(end)) { now = end; return done(); } }
      return true;
    },
  };
}
