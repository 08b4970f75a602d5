/**
 * Summary figures of a set of measured times (count, min, median, p95, max, mean), for the relay
 * bench's report on the command line and on the web bench page alike. Node and browser.
 */
export interface Stats { n: number; min: number; median: number; p95: number; max: number; mean: number }

export function stats(xs: number[]): Stats {
  const s = xs.slice().sort((a, b) => a - b);
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN);
  return { n: s.length, min: s[0] ?? NaN, median: q(0.5), p95: q(0.95), max: s[s.length - 1] ?? NaN, mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN };
}
