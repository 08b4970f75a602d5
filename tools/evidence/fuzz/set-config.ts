/**
 * Target `set-config`: SET_CONFIG through the protocol with random JSON / bytes, from the owner;
 * and what must hold for any configuration the board could end up with.
 */
import { performance } from 'node:perf_hooks';
import { storedConfig } from '../../../sim/provision';
import { DEFAULTS, HARD_MAX_DRIVE_MS, HARD_MAX_HOLD_MS, sanitizeConfig } from '../../../firmware/config';
import * as C from '../../../firmware/codes';
import { OP } from '../../host/protocol';
import { rng } from '../../host/random';
import { type FuzzResult, result, add, MAX_VIOLATIONS } from './result';
import { randomConfigText, radioRig, checkCase, finalCheck, RELAY_LIMIT_MS } from './radio-rig';

/** Limits as sanitizeConfig applies them, found by asking it (not copied from the source). */
export function configLimits(): Record<string, [number, number]> {
  const lo = sanitizeConfig(Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, -1e308])));
  const hi = sanitizeConfig(Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, 1e308])));
  const out: Record<string, [number, number]> = {};
  for (const k of Object.keys(DEFAULTS)) if (typeof (DEFAULTS as any)[k] === 'number') out[k] = [(lo as any)[k], (hi as any)[k]];
  // relockMs is raised to holdMs and lockoutMaxMs to lockoutBaseMs: the floor seen with all at minimum is the true floor.
  return out;
}

/** What must hold for any configuration the board could end up with. */
export function configProblems(c: any, limits = configLimits()): string[] {
  const out: string[] = [];
  const keys = Object.keys(c || {}).sort().join(','), want = Object.keys(DEFAULTS).sort().join(',');
  if (keys !== want) out.push('keys ' + keys);
  for (const k of Object.keys(DEFAULTS)) {
    const d = (DEFAULTS as any)[k], x = c ? c[k] : undefined;
    if (typeof x !== typeof d) { out.push(k + ' has type ' + typeof x); continue; }
    if (typeof d === 'number') {
      const [a, b] = limits[k];
      if (!Number.isInteger(x) || x < a || x > b) out.push(`${k}=${x} outside [${a}, ${b}]`);
    }
  }
  if (c && c.holdMs > HARD_MAX_HOLD_MS) out.push('holdMs above the hard maximum');
  if (c && c.driveMs > HARD_MAX_DRIVE_MS) out.push('driveMs above the hard maximum');
  if (c && c.relockMs < c.holdMs) out.push('relockMs < holdMs');
  return out;
}

export async function fuzzSetConfig(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0x5c);
  const g = await radioRig(seed);
  const car = g.car;
  const v: string[] = [];
  const stats: Record<string, number> = { ok: 0, badInput: 0, other: 0, unlocks: 0, legit: 0, privileged: 0, faults: 0 };
  const limits = configLimits();
  for (let c = 0; c < cases; c++) {
    const text = randomConfigText(r).slice(0, 200);
    const args = r.chance(0.1) ? r.bytes(r.int(200)) : new Uint8Array(Buffer.from(text, 'latin1'));
    const rises = { relay: g.out.relayRises, drive: g.out.driveRises };
    let a;
    try { a = g.phone.run(OP.SET_CONFIG, args); } catch (e) { add(v, 'SET_CONFIG got no answer: ' + (e as Error).message); break; }
    stats.legit++;
    if (a.status === C.R_OK) stats.ok++; else if (a.status === C.R_BAD_INPUT) stats.badInput++; else stats.other++;
    if (a.status === C.R_ERROR) {
      // No free tile for the new settings generation (docs/ESPRUINO.md "Flash": each save writes a
      // tile and erases the old one): the owner tries again once the board has had an idle second
      // (no link, locked), in which it compacts. Counted; the next case comes after that second.
      stats.noTile = (stats.noTile || 0) + 1;
      g.phone.disconnect();
      car.advance(2000);
      g.phone.connect();
    }
    if (a.type === 'response' && !a.authentic) add(v, 'SET_CONFIG answer not authentic');
    if (a.type !== 'response' && a.status !== C.R_LOCKED_OUT) add(v, `the owner's SET_CONFIG was refused: ${a.reason}`);
    if (a.status === C.R_LOCKED_OUT) stats.ownerLockedOut = (stats.ownerLockedOut || 0) + 1;
    const stored = storedConfig(car.board);
    for (const p of configProblems(stored, limits)) add(v, `stored config after ${JSON.stringify(text)}: ${p}`);
    if (c % 10 === 9) {
      // Whatever the settings say, an unlock holds the relay no longer than the hard limit.
      const u = g.phone.unlock();
      if (u.status === C.R_OK) stats.unlocks++;
      car.advance(RELAY_LIMIT_MS + 1000);
      // Reconnect as an app does after a long pause: a command on the stale nonce would count as a
      // failure towards lockout (see the set-config note in docs/PERFORMANCE.md).
      g.phone.connect();
    }
    checkCase(g, v, () => `set-config case ${c} ${JSON.stringify(text)}`, [OP.SET_CONFIG, OP.UNLOCK], rises, stats);
    if (v.length >= MAX_VIOLATIONS) break;
  }
  finalCheck(g, v, stats);
  return result('set-config', cases, seed, t0, v, stats);
}
