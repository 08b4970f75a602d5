/**
 * A lower bound on real time, for a board that lost its clock (protocol v2,
 * docs/KEYS-THAT-TRAVEL.md "Time"). Real time is at least the moment any owner-made datum was
 * made: a ticket or revocation list whose tag this board verified, the last time it saved while
 * its clock was trusted (firmware/trusted-clock.ts lastSaved). From the uptime at which it learnt a
 * bound the board adds the seconds it has counted since. It never learns an upper bound, so it can
 * tell that a credential HAS expired, never that it has not: what it then accepts is the owner's
 * setting (`strict` below). Nothing a non-owner says (a guest's command, a phone's clock, a ticket
 * or list whose tag failed) raises the bound. Pure functions over a two-number record.
 */
import { R_EXPIRED, R_OK, R_TIME_UNKNOWN } from './codes';

/** Times before this (2017-07-14) are no real clock reading; firmware/trusted-clock.ts refuses them too. */
export const TIME_FLOOR = 1500000000;

export interface TimeBound {
  /** Real time was at least this (seconds since 1970) at uptime `atMs`; 0 = nothing known. */
  seconds: number;
  atMs: number;
}

/** The bound now: 0 when nothing is known. */
export function tbNow(tb: TimeBound, uptimeMs: number): number {
  return tb.seconds ? tb.seconds + Math.floor((uptimeMs - tb.atMs) / 1000) : 0;
}

/**
 * Raises the bound to `seconds` (an owner-made datum's made-at time, checked by the caller) if
 * that is later than what the board already knows; returns whether it rose. Nonsense times (before
 * TIME_FLOOR, past u32) are ignored.
 */
export function tbLearn(tb: TimeBound, seconds: number, uptimeMs: number): boolean {
  if (!(seconds > TIME_FLOOR && seconds < 4294967295) || seconds <= tbNow(tb, uptimeMs)) return false;
  tb.seconds = Math.floor(seconds);
  tb.atMs = uptimeMs;
  return true;
}

/**
 * The time verdict for a credential valid from `notBefore` to `notAfter` (seconds, 0 = unbounded)
 * on a board WITHOUT trusted time whose lower bound is `lower` (0 = none). `hasWindow`: the
 * credential has weekday or hour limits, which need the real time of day. Certain only when it
 * refuses as expired (lower > notAfter). Otherwise, with `strict` (today's rule) every bounded
 * credential waits for trusted time (R_TIME_UNKNOWN); without it, one whose validity started by
 * the lower bound and has not provably ended is accepted.
 */
export function verdictOnBound(lower: number, notBefore: number, notAfter: number, hasWindow: boolean, strict: boolean): number {
  if (!notBefore && !notAfter && !hasWindow) return R_OK;
  if (notAfter && lower > notAfter) return R_EXPIRED;
  if (strict || hasWindow || !lower || (notBefore && lower < notBefore)) return R_TIME_UNKNOWN;
  return R_OK;
}
