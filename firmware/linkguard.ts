/**
 * Link discipline for the phone key: what an unproven peer costs, so that nobody in radio range can
 * keep a key's holder out (docs/THREAT-MODEL.md, "the principle" and "link rules"). The board has
 * one BLE connection; whoever holds it without proving a key pays with it:
 *
 * - the first message must come within FIRST_MS of connecting (FIRST_SPENT_MS while the budget
 *   below is spent), a proof within PROVE_MS;
 * - after a proof the link stays up IDLE_MS after the last one, and never beyond HOLD_MS in all;
 * - UNPROVEN_PER_LINK unproven commands (bad MAC, unknown key, replay, malformed) drop the link;
 * - a board-wide budget of unproven attempts (BUDGET, one back every REFILL_MS, in RAM only):
 *   when it is spent, the link drops at the first failure, right after its answer, and a new link
 *   has FIRST_SPENT_MS for its first message. (Answers are not held back: a late answer would
 *   hold the board's one link, and that costs the owner: the hostile-car-park scenario measured a
 *   worst case of 27.6 s with answers 500 ms late and 3 s for a first message.)
 * - a link that ends unproven marks its address: a reconnect from it within PENALTY_MS is dropped
 *   at once (an attacker may rotate addresses; this only makes a lazy one cheap).
 * A valid proof is never held up by any of this: it is checked and honoured at once.
 * While the enrolment window is open (a physical act at the board) the first-message and proof
 * deadlines stretch to the hard cap: pairing with the setup code takes a person some seconds.
 *
 * The numbers, from what a real phone needs (docs/THREAT-MODEL.md "Link rules"): connecting,
 * GATT discovery and subscribing take 0.2-1 s (cached discovery, 7.5-50 ms connection
 * intervals; an uncached first discovery up to about 1.5 s), HELLO and its CHALLENGE one
 * round trip more; the board's unlock decision is about 1.7 s on an nRF52 (docs/PERFORMANCE.md).
 * Everything here is plain data and one timer: no flash, so nothing wears and nothing survives a
 * boot.
 */
import type { Clock, Timers } from '../hal/ports';

export const FIRST_MS = 2000;
/** The first-message deadline while the budget is spent (under attack): still twice a cached phone's setup. */
export const FIRST_SPENT_MS = 1200;
export const PROVE_MS = 8000;
export const IDLE_MS = 10000;
export const HOLD_MS = 60000;
export const UNPROVEN_PER_LINK = 2;
export const BUDGET = 10;
export const REFILL_MS = 6000;
export const PENALTY_MS = 5000;

export interface LinkGuard {
  timers: Timers;
  clock: Clock;
  /** Drops the current link (NRF.disconnect through the Radio port). */
  drop: () => void;
  /** True while the enrolment window is open. */
  relaxed: () => boolean;
  /** The one timer's callback, made once. */
  fire: () => void;
  timer: number | undefined;
  up: boolean;
  /** Counts links, so a late answer knows whether its link is still the one up. */
  link: number;
  at: number;
  heard: boolean;
  /** Uptime of the last proof on this link, or -1. */
  proved: number;
  unproven: number;
  tokens: number;
  tokensAt: number;
  addr: string;
  badAddr: string;
  badUntil: number;
}

export function guardStart(timers: Timers, clock: Clock, drop: () => void, relaxed: () => boolean): LinkGuard {
  const g: LinkGuard = {
    timers, clock, drop, relaxed, fire: () => undefined, timer: undefined, up: false, link: 0, at: 0, heard: false, proved: -1, unproven: 0,
    tokens: BUDGET, tokensAt: clock.uptimeMs(), addr: '', badAddr: '', badUntil: 0,
  };
  g.fire = () => { g.timer = undefined; deadline(g); };
  return g;
}

function arm(g: LinkGuard, at: number): void {
  g.timers.cancel(g.timer);
  const now = g.clock.uptimeMs();
  g.timer = g.timers.after(at > now ? at - now : 0, g.fire);
}

/** When the current link must next have done something, or be dropped. */
function due(g: LinkGuard): number {
  const cap = g.at + HOLD_MS;
  let t = g.proved >= 0 ? g.proved + IDLE_MS : g.relaxed() ? cap : g.at + (g.heard ? PROVE_MS : g.tokens > 0 ? FIRST_MS : FIRST_SPENT_MS);
  return t < cap ? t : cap;
}

function deadline(g: LinkGuard): void {
  if (!g.up) return;
  if (g.clock.uptimeMs() < due(g)) { arm(g, due(g)); return; } // the window opened meanwhile
  end(g);
}

/** Ends the link now; one that never proved a key costs the budget and marks its address. */
function end(g: LinkGuard): void {
  if (g.proved < 0) { spend(g); mark(g); }
  g.up = false;
  g.timers.cancel(g.timer);
  g.timer = undefined;
  g.drop();
}

function mark(g: LinkGuard): void {
  g.badAddr = g.addr;
  g.badUntil = g.clock.uptimeMs() + PENALTY_MS;
}

function refill(g: LinkGuard): void {
  const now = g.clock.uptimeMs();
  const n = Math.floor((now - g.tokensAt) / REFILL_MS);
  if (n > 0) { g.tokens = Math.min(BUDGET, g.tokens + n); g.tokensAt += n * REFILL_MS; }
  if (g.tokens >= BUDGET) g.tokensAt = now;
}

function spend(g: LinkGuard): void {
  refill(g);
  if (g.tokens > 0) g.tokens--;
}

/** True while the board-wide budget of unproven attempts is spent. */
export function guardSpent(g: LinkGuard): boolean {
  refill(g);
  return g.tokens <= 0;
}

/** A central connected from `addr`. False when it was dropped at once (its address failed just now). */
export function guardConnect(g: LinkGuard, addr: string): boolean {
  g.up = true; g.link++; g.at = g.clock.uptimeMs(); g.heard = false; g.proved = -1; g.unproven = 0; g.addr = addr;
  refill(g);
  if (addr && addr === g.badAddr && g.at < g.badUntil) { g.proved = 0; end(g); return false; }
  arm(g, due(g));
  return true;
}

export function guardDisconnect(g: LinkGuard): void {
  g.up = false;
  g.timers.cancel(g.timer);
  g.timer = undefined;
}

/** A whole message arrived. */
export function guardMessage(g: LinkGuard): void {
  if (!g.up || g.heard) return;
  g.heard = true;
  arm(g, due(g));
}

/** The link proved a key (a command with a valid MAC, or an admitted ENROL). */
export function guardProof(g: LinkGuard): void {
  if (!g.up) return;
  g.proved = g.clock.uptimeMs();
  arm(g, due(g));
}

/** The link made an unproven attempt. True when it is to be dropped after its answer (guardDrop). */
export function guardFailure(g: LinkGuard): boolean {
  const spent = guardSpent(g);
  spend(g);
  g.unproven++;
  return spent || g.unproven >= UNPROVEN_PER_LINK;
}

/** Drops link number `link` after an unproven attempt's answer, if it is still up. */
export function guardDrop(g: LinkGuard, link: number): void {
  if (g.up && g.link === link) end(g);
}
