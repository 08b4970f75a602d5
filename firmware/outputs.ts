/**
 * The outputs that can move a car: the lock relay and the drive-enable output. Every "on" is
 * bounded twice: by its own off-timer, and by outputsGuard(), which the main loop runs every
 * second and which forces off anything on longer than its limit (a timer that never fires cannot
 * leave the relay on). Nothing here turns an output on at boot.
 *
 * The relay is also bounded across successive unlocks: each one restarts its hold, but a run of
 * continuous energising ends at HARD_MAX_HOLD_MS from its start whatever comes in meanwhile; then
 * the relay rests RELAY_REST_MS, and an unlock during the rest energises it when the rest is over.
 */
import type { Clock, Output, Timers } from './ports';
import { HARD_MAX_DRIVE_MS, HARD_MAX_HOLD_MS } from './config';

/** Off time forced after a run reached HARD_MAX_HOLD_MS of continuous energising. */
export const RELAY_REST_MS = 5000;

export interface Outputs {
  relay: Output;
  drive: Output | undefined;
  timers: Timers;
  clock: Clock;
  /** Uptime when switched on (-1 when off: allOff sets it first) and the limit it was given. */
  relayOnAt: number;
  relayLimit?: number;
  relayTimer?: number;
  /** Uptime when the current continuous run started (set as it starts), and until when the relay rests after a capped run (short names: see firmware/auditlog.ts). */
  run?: number;
  rest: number;
  driveOnAt: number;
  driveLimit?: number;
  driveTimer?: number;
}

export function outputsInit(relay: Output, drive: Output | undefined, timers: Timers, clock: Clock): Outputs {
  // The rest is set as it is used: allOff marks both outputs off (onAt -1).
  const o = { relay, drive, timers, clock, rest: 0 } as Outputs;
  allOff(o);
  return o;
}

/**
 * Energises the relay for `ms` (at most HARD_MAX_HOLD_MS), continuing a run already on. True when
 * this hold is the first to reach the run's cap: the relay goes off at the cap and then rests (the
 * caller logs it once). During a rest it energises only when the rest is over (relayOff cancels that).
 */
export function relayOn(o: Outputs, ms: number): boolean {
  const now = o.clock.uptimeMs();
  o.timers.cancel(o.relayTimer);
  if (o.relayOnAt < 0 && now < o.rest) {
    o.relayTimer = o.timers.after(o.rest - now, () => { o.relayTimer = undefined; relayOn(o, ms); });
    return false;
  }
  // Already capped: this run's end and rest are set (a re-trigger in its last seconds).
  const wasCapped = now < o.rest;
  if (o.relayOnAt < 0) o.run = now;
  const left = o.run! + HARD_MAX_HOLD_MS - now;
  let limit = ms < HARD_MAX_HOLD_MS ? ms : HARD_MAX_HOLD_MS;
  const capped = left <= limit;
  if (capped) {
    limit = left > 0 ? left : 0;
    o.rest = now + limit + RELAY_REST_MS;
  }
  o.relayOnAt = now;
  o.relayLimit = limit;
  o.relay.set(true);
  o.relayTimer = o.timers.after(limit, () => { o.relayTimer = undefined; relayOff(o); });
  return capped && !wasCapped;
}

export function relayOff(o: Outputs): void {
  o.timers.cancel(o.relayTimer);
  o.relayTimer = undefined;
  o.relayOnAt = -1;
  o.relay.set(false);
}

export function driveOn(o: Outputs, ms: number): boolean {
  if (!o.drive) return false;
  const limit = ms < HARD_MAX_DRIVE_MS ? ms : HARD_MAX_DRIVE_MS;
  o.timers.cancel(o.driveTimer);
  o.driveOnAt = o.clock.uptimeMs();
  o.driveLimit = limit;
  o.drive.set(true);
  o.driveTimer = o.timers.after(limit, () => { o.driveTimer = undefined; driveOff(o); });
  return true;
}

export function driveOff(o: Outputs): void {
  o.timers.cancel(o.driveTimer);
  o.driveTimer = undefined;
  o.driveOnAt = -1;
  if (o.drive) o.drive.set(false);
}

export function allOff(o: Outputs): void {
  relayOff(o);
  driveOff(o);
}

export function relayIsOn(o: Outputs): boolean {
  return o.relayOnAt >= 0;
}

/** The second guard: forces off any output on past its limit (+1 s slack). True if it had to. */
export function outputsGuard(o: Outputs): boolean {
  const now = o.clock.uptimeMs();
  let forced = false;
  if (o.relayOnAt >= 0 && now - o.relayOnAt > o.relayLimit! + 1000) { relayOff(o); forced = true; }
  if (o.driveOnAt >= 0 && now - o.driveOnAt > o.driveLimit! + 1000) { driveOff(o); forced = true; }
  return forced;
}
