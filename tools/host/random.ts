/**
 * The host's one seeded generator (mulberry32), so a run with the same seed is the same run: the
 * simulator's E.hwRand, Math.random and radio addresses, the fuzzers and soaks. Never the board's
 * randomness (E.hwRand on the board; firmware never seeds anything). Node and browser.
 */

export interface Rng {
  /** Uniform uint32. */
  u32(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Float in [0, 1). */
  float(): number;
  chance(p: number): boolean;
  bytes(n: number): Uint8Array;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, fast, deterministic for a seed; uniform uint32s. */
export function prng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The same generator with the draws a fuzzer or a soak wants. */
export function rng(seed: number): Rng {
  const u32 = prng(seed);
  const r: Rng = {
    u32,
    int: (n) => (n <= 0 ? 0 : Math.floor((u32() / 4294967296) * n)),
    float: () => u32() / 4294967296,
    chance: (p) => u32() / 4294967296 < p,
    bytes: (n) => { const o = new Uint8Array(n); for (let i = 0; i < n; i++) o[i] = u32() & 255; return o; },
    pick: (items) => items[r.int(items.length)],
  };
  return r;
}
