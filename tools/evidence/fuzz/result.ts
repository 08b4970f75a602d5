/**
 * What every fuzz target returns, and how it collects violations (never thrown: a run reports them all).
 */
import { performance } from 'node:perf_hooks';

export interface FuzzResult {
  target: string;
  cases: number;
  seed: number;
  ms: number;
  violations: string[];
  stats: Record<string, number>;
}

export const MAX_VIOLATIONS = 20;

export function result(target: string, cases: number, seed: number, t0: number, violations: string[], stats: Record<string, number>): FuzzResult {
  return { target, cases, seed, ms: Math.round(performance.now() - t0), violations, stats };
}

export function add(v: string[], msg: string): void {
  if (v.length < MAX_VIOLATIONS) v.push(msg);
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
