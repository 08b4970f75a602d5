/**
 * Target `config`: sanitizeConfig + save/load with random JSON-like values (firmware/config.ts).
 */
import { performance } from 'node:perf_hooks';
import { hostCrypto } from '../../host/crypto';
import { DEFAULTS, type Config, loadConfig, sanitizeConfig, saveConfig } from '../../../firmware/config';
import { memoryFlash } from '../../host/flash';
import { type Rng, rng } from '../../host/random';
import { type FuzzResult, result, add, MAX_VIOLATIONS } from './result';
import { configLimits, configProblems } from './set-config';

function randomValue(r: Rng, depth: number): unknown {
  const k = r.int(depth > 2 ? 9 : 12);
  switch (k) {
    case 0: return r.int(100000) - 50000;
    case 1: return r.pick([NaN, Infinity, -Infinity, -0, 1e308, -1e308, 0.4999, 2.5, Number.MAX_SAFE_INTEGER, 4294967296, Number.MIN_VALUE]);
    case 2: return r.float() * 1e7;
    case 3: return r.chance(0.5);
    case 4: return null;
    case 5: return undefined;
    case 6: return String(r.int(1000));
    case 7: return Buffer.from(r.bytes(r.int(8))).toString('latin1');
    case 8: return r.pick(['', 'true', '30000', '1e9']);
    case 9: return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: return randomObject(r, depth + 1);
  }
}

function randomObject(r: Rng, depth: number): Record<string, unknown> {
  const keys = Object.keys(DEFAULTS).concat(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x']);
  const o: Record<string, unknown> = {};
  for (let i = 0, n = r.int(8); i < n; i++) Object.defineProperty(o, r.pick(keys), { value: randomValue(r, depth), enumerable: true, configurable: true, writable: true });
  return o;
}

export async function fuzzConfig(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0xcf);
  const v: string[] = [];
  const stats: Record<string, number> = { roundTrips: 0, json: 0 };
  const limits = configLimits();
  for (let c = 0; c < cases; c++) {
    let input: unknown = r.chance(0.7) ? randomObject(r, 0) : randomValue(r, 0);
    if (r.chance(0.3)) {
      // As it arrives over the air or from flash: through JSON text.
      try { input = JSON.parse(JSON.stringify(input) ?? 'null'); stats.json++; } catch { /* not representable */ }
    }
    let out: Config;
    try { out = sanitizeConfig(input); } catch (e) { add(v, 'sanitizeConfig threw ' + e + ' on ' + String(input)); continue; }
    for (const p of configProblems(out, limits)) add(v, `sanitizeConfig(${safeString(input)}): ${p}`);
    const again = sanitizeConfig(out);
    if (JSON.stringify(again) !== JSON.stringify(out)) add(v, 'not idempotent on ' + safeString(input));
    if (({} as any).holdMs !== undefined) add(v, 'Object.prototype polluted by ' + safeString(input));
    if (c % 20 === 0) {
      const flash = memoryFlash();
      const gen = saveConfig(flash, hostCrypto, undefined, out);
      const back = loadConfig(flash, hostCrypto);
      if (!gen || JSON.stringify(back.config) !== JSON.stringify(out)) add(v, 'config did not survive save/load: ' + JSON.stringify(out));
      stats.roundTrips++;
    }
    if (v.length >= MAX_VIOLATIONS) break;
  }
  return result('config', cases, seed, t0, v, stats);
}

function safeString(x: unknown): string {
  try { return JSON.stringify(x) ?? String(x); } catch { return String(x); }
}
