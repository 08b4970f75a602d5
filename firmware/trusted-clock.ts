/**
 * Trusted time. The board only knows time since boot; real time comes from an authenticated
 * owner command and is lost at every reset. Until it is set again, time-bounded keys are refused
 * (fail closed) while keys without bounds keep working. The last known time is saved on every set
 * and hourly while Storage has room above its reserve (firmware/flashroom.ts), as a floor for
 * diagnostics and for the log.
 */
import type { Clock, Crypto, FlashStorage } from './ports';
import { str32, u32 } from './binstr';
import { type Generation, genData, genLoad, genWriteSmall } from './genfile';

const CLOCK_FILE = 'ck.clk.';
const CLOCK_SAVE_MS = 3600000;

export interface TrustedClock {
  clock: Clock;
  storage: FlashStorage;
  crypto: Crypto;
  gen: Generation | undefined;
  /** Real time (seconds) at uptime `baseUptime`, when trusted. */
  baseSeconds: number;
  baseUptime: number;
  trusted: boolean;
  /** Last real time saved before this boot (0 if never). */
  lastSaved: number;
  savedAtUptime: number;
}

export function clockOpen(clock: Clock, storage: FlashStorage, crypto: Crypto): TrustedClock {
  const gen = genLoad(storage, crypto, CLOCK_FILE);
  const data = gen ? genData(storage, gen) : '';
  return { clock, storage, crypto, gen, baseSeconds: 0, baseUptime: 0, trusted: false, lastSaved: data.length >= 4 ? u32(data, 0) : 0, savedAtUptime: 0 };
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
  clockSave(tc);
  return true;
}

function clockSave(tc: TrustedClock): void {
  const now = clockNow(tc);
  if (now < 0) return;
  const gen = genWriteSmall(tc.storage, tc.crypto, CLOCK_FILE, tc.gen, str32(now));
  if (gen) { tc.gen = gen; tc.lastSaved = now; }
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
  if (!tc.trusted || up - tc.savedAtUptime < CLOCK_SAVE_MS) return;
  if (tc.storage.free() >= minFree) clockSave(tc);
  else tc.savedAtUptime = up; // no room above the reserve: try again in an hour
}
