/** Deterministic Timers port for tests: virtual time that only moves when the test says so. */
import type { Timers } from '../../firmware/ports';

interface Entry { id: number; at: number; every: number; fn: () => void }

export interface FakeTimers extends Timers {
  now(): number;
  /** Runs every timer due within `ms` of virtual time, in order. */
  tick(ms: number): void;
  /** Advances until `done()` is true (checked after each timer) or `maxMs` passes; returns whether it was. */
  until(done: () => boolean, maxMs: number): boolean;
  pending(): number;
}

export function fakeTimers(): FakeTimers {
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
