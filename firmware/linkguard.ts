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
 * boot. Memory (a Puck.js has 2630 variables): the numbers live in one typed array (slots below),
 * the address as its CRC, and the timer's callback is the only closure.
 */
import type { Ports, Radio } from './ports';
import { S_ENROLLING } from './codes';
import { type Core, STATE_BITS, coreStatus, safely } from './core';

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

// Slots of LinkGuard.s
const UP = 0; // 1 while a link is up
const LINK = 1; // counts links
const AT = 2; // uptime the link came up
const HEARD = 3; // 1 once it sent a whole message
const PROVED = 4; // uptime of its last proof, or -1
const UNPROVEN = 5; // unproven attempts on it
const TOKENS = 6; // the board-wide budget left
const TOKENS_AT = 7; // uptime the budget was last topped up to
const ADDR = 8; // CRC-32 of its address
const BAD = 9; // CRC-32 of the address whose link last ended unproven
const BAD_UNTIL = 10; // until when that address is dropped at once

export interface LinkGuard {
  /** The core, for its state (the deadlines stretch while the enrolment window is open) and `safely`. */
  k: Core;
  /** The core's ports (firmware/core.ts corePorts), handed over at start. */
  p: Ports;
  radio: Radio;
  /** The timer's callback, made once. */
  f: () => void;
  t?: number;
  s: Float64Array;
}

export function guardStart(k: Core, p: Ports, radio: Radio): LinkGuard {
  const g = { k, p, radio, s: new Float64Array(11) } as LinkGuard; // `f` is set below, `t` when armed
  g.s[TOKENS] = BUDGET;
  g.s[TOKENS_AT] = p.clock.uptimeMs();
  g.f = () => safely(g.k, () => { g.t = undefined; if (g.s[UP]) { if (g.p.clock.uptimeMs() < due(g)) arm(g); else end(g); } });
  return g;
}

/** The link number now up (0 when none): a late callback checks its link is still the one. */
export function guardLink(g: LinkGuard): number {
  return g.s[UP] ? g.s[LINK] : 0;
}

/** When the current link must next have done something, or be dropped. */
function due(g: LinkGuard): number {
  const s = g.s, cap = s[AT] + HOLD_MS;
  const t = s[PROVED] >= 0 ? s[PROVED] + IDLE_MS : (coreStatus(g.k) & STATE_BITS) === S_ENROLLING ? cap : s[AT] + (s[HEARD] ? PROVE_MS : s[TOKENS] > 0 ? FIRST_MS : FIRST_SPENT_MS);
  return t < cap ? t : cap;
}

function arm(g: LinkGuard): void {
  const timers = g.p.timers, now = g.p.clock.uptimeMs(), at = due(g);
  timers.cancel(g.t);
  g.t = timers.after(at > now ? at - now : 0, g.f);
}

/** The budget topped up for the time passed, less `spend`; returns what is left before spending. */
function budget(g: LinkGuard, spend: number): number {
  const s = g.s, now = g.p.clock.uptimeMs();
  const n = Math.floor((now - s[TOKENS_AT]) / REFILL_MS);
  if (n > 0) { s[TOKENS] = Math.min(BUDGET, s[TOKENS] + n); s[TOKENS_AT] += n * REFILL_MS; }
  if (s[TOKENS] >= BUDGET) s[TOKENS_AT] = now;
  const left = s[TOKENS];
  if (spend && left > 0) s[TOKENS] = left - 1;
  return left;
}

/** Ends the link now; one that never proved a key costs the budget and marks its address. */
function end(g: LinkGuard): void {
  const s = g.s;
  if (s[PROVED] < 0) { budget(g, 1); s[BAD] = s[ADDR]; s[BAD_UNTIL] = g.p.clock.uptimeMs() + PENALTY_MS; }
  guardDisconnect(g);
  g.radio.disconnect();
}

/** A central connected from `addr`. False when it was dropped at once (its address failed just now). */
export function guardConnect(g: LinkGuard, addr: string): boolean {
  const s = g.s, now = g.p.clock.uptimeMs();
  s[UP] = 1; s[LINK]++; s[AT] = now; s[HEARD] = 0; s[PROVED] = -1; s[UNPROVEN] = 0; s[ADDR] = g.p.crypto.crc32(addr);
  budget(g, 0);
  if (s[ADDR] === s[BAD] && now < s[BAD_UNTIL]) { s[PROVED] = 0; end(g); return false; }
  arm(g);
  return true;
}

export function guardDisconnect(g: LinkGuard): void {
  g.s[UP] = 0;
  g.p.timers.cancel(g.t);
  g.t = undefined;
}

/** A whole message arrived on the link; `proof` when it proved a key (a valid MAC, an admitted ENROL). */
export function guardHeard(g: LinkGuard, proof: boolean): void {
  const s = g.s;
  if (!s[UP] || (!proof && s[HEARD])) return;
  s[HEARD] = 1;
  if (proof) s[PROVED] = g.p.clock.uptimeMs();
  arm(g);
}

/**
 * The link made an unproven attempt: true when it is to be dropped after its answer
 * (guardDrop): its second, or its first while the budget is spent.
 */
export function guardFailure(g: LinkGuard): boolean {
  const spent = budget(g, 1) <= 0;
  return ++g.s[UNPROVEN] >= UNPROVEN_PER_LINK || spent;
}

/** Drops link number `link` after an unproven attempt's answer, if it is still up. */
export function guardDrop(g: LinkGuard, link: number): void {
  if (link && guardLink(g) === link) end(g);
}
