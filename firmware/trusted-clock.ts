/**
 * Trusted time. The board only knows time since boot; real time comes from an authenticated
 * owner command and is lost at every reset. Until it is set again, time-bounded keys are refused
 * (fail closed) while keys without bounds keep working. The last known time is saved on every set
 * and hourly while Storage has room above its reserve (firmware/flashroom.ts), as a floor for
 * diagnostics and for the log.
 *
 * Protocol v2 (firmware/timebound.ts, docs/KEYS-THAT-TRAVEL.md "Time"): while the time is not
 * trusted the board keeps a LOWER BOUND on it, from the last saved time and from the made-at time
 * of any ticket or list an owner made that this board verified (clockLearn; the caller checked
 * the owner's tag). The bound is saved in the same file, like the hourly save, once it is an hour
 * or more past the last saved time, so it outlives a reset. SET_TIME (the owner's word) replaces it.
 */
import type { Clock, Crypto, FlashStorage } from './ports';
import { str32, u32 } from './binstr';
import { type Generation, genData, genLoad, genWriteSmall } from './genfile';
import { type TimeBound, tbLearn, tbNow } from './timebound';
import { TRAVEL } from './build-flags';
import { type Journal, K_CLK, REC, jAppend, jIdle, jRec } from './journal';

const CLOCK_FILE = 'ck.clk.';
const CLOCK_SAVE_MS = 3600000;

export interface TrustedClock {
  clock: Clock;
  /** The older layout's generation file of saves (none in the journal layout: the board keeps no field it does not use). */
  storage?: FlashStorage;
  crypto?: Crypto;
  gen?: Generation;
  /** Real time (seconds) at uptime `baseUptime`, when trusted. */
  baseSeconds: number;
  baseUptime: number;
  trusted: boolean;
  /** Last real time saved before this boot (0 if never). */
  lastSaved: number;
  savedAtUptime: number;
  /** Protocol v2 builds: real time is at least this (from the last save and owners' data); undefined in v1 builds. */
  bound?: TimeBound;
  /** Journal layout (firmware/journal.ts): saves are clock records there, not a generation file. */
  j?: Journal;
}

export function clockOpen(clock: Clock, storage: FlashStorage, crypto: Crypto, j?: Journal): TrustedClock {
  const tc: TrustedClock = { clock, baseSeconds: 0, baseUptime: 0, trusted: false, lastSaved: 0, savedAtUptime: 0, j };
  if (typeof __TILED__ !== 'undefined' && __TILED__) { if (j && j.cl >= 0) tc.lastSaved = u32(j.f.read(j.cl, REC), 4); } else {
    const gen = tc.gen = genLoad(storage, crypto, CLOCK_FILE);
    const data = gen ? genData(storage, gen) : '';
    tc.storage = storage;
    tc.crypto = crypto;
    tc.lastSaved = data.length >= 4 ? u32(data, 0) : 0;
  }
  if (TRAVEL) tc.bound = { seconds: tc.lastSaved, atMs: clock.uptimeMs() };
  return tc;
}

/** The lower bound on real time (seconds) while it is not trusted; 0 when nothing is known (or a v1 build). */
export function clockLower(tc: TrustedClock): number {
  return TRAVEL && tc.bound ? tbNow(tc.bound, tc.clock.uptimeMs()) : 0;
}

/** Raises the lower bound to `seconds`, the made-at time of a datum an owner made (checked by the caller). */
export function clockLearn(tc: TrustedClock, seconds: number): void {
  if (TRAVEL && tc.bound) tbLearn(tc.bound, seconds, tc.clock.uptimeMs());
}

/** Real time in whole seconds, or -1 when it is not known. */
export function clockNow(tc: TrustedClock): number {
  if (!tc.trusted) return -1;
  return tc.baseSeconds + Math.floor((tc.clock.uptimeMs() - tc.baseUptime) / 1000);
}

/** Sets real time (the caller has checked the command came from an owner). */
export function clockSet(tc: TrustedClock, seconds: number): boolean {
  if (!(seconds > 1500000000 && seconds < 4294967295)) return false;
  tc.baseSeconds = Math.floor(seconds);
  tc.baseUptime = tc.clock.uptimeMs();
  tc.trusted = true;
  // The owner's word replaces the bound (a wrong clock on an owner's phone may have raised it too high).
  if (TRAVEL && tc.bound) { tc.bound.seconds = tc.baseSeconds; tc.bound.atMs = tc.baseUptime; }
  clockSave(tc, tc.baseSeconds);
  return true;
}

function clockSave(tc: TrustedClock, now: number): void {
  const j = tc.j;
  if (typeof __TILED__ !== 'undefined' && __TILED__) {
    const at = j ? jAppend(j, jRec(0, now, K_CLK, 0, 0, 0)) : -1;
    if (at >= 0) { j!.cl = at; tc.lastSaved = now; }
  } else {
    const gen = genWriteSmall(tc.storage!, tc.crypto!, CLOCK_FILE, tc.gen, str32(now));
    if (gen) { tc.gen = gen; tc.lastSaved = now; }
  }
  tc.savedAtUptime = tc.clock.uptimeMs();
}

/**
 * Called from the main loop: saves the time once an hour while it is trusted, but only while at
 * least `minFree` bytes of Storage are free: the hourly save never eats into the reserve that
 * keeps updates from compacting (firmware/flashroom.ts), so on a full board it alone never causes
 * a compaction; it waits for the next one. (Saves on SET_TIME are not held back.)
 */
export function clockTick(tc: TrustedClock, minFree: number): void {
  const up = tc.clock.uptimeMs();
  // Untrusted: the lower bound is saved once it is an hour past the saved time, on the same terms.
  const lower = TRAVEL && !tc.trusted ? clockLower(tc) : 0;
  // In the journal, a save after a save with nothing between waits a day, not an hour: an idle car's
  // clock records would otherwise push its last log entries out (254 hours a page).
  const j = (typeof __TILED__ !== 'undefined' && __TILED__) && tc.j;
  const every = j && jIdle(j) ? 24 * CLOCK_SAVE_MS : CLOCK_SAVE_MS;
  if (tc.trusted ? up - tc.savedAtUptime < every : !TRAVEL || lower - tc.lastSaved < every / 1000) return;
  if ((typeof __TILED__ !== 'undefined' && __TILED__) || tc.storage!.free() >= minFree) clockSave(tc, tc.trusted ? clockNow(tc) : lower);
  else tc.savedAtUptime = up; // no room above the reserve: try again in an hour
}
