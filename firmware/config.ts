/**
 * Settings with their defaults and hard limits. A stored or requested value is clamped into its
 * limits, so no setting can hold the relay on longer than HARD_MAX_HOLD_MS. Unknown stored keys
 * (such as the lockout* settings of earlier firmware) are ignored. Stored as JSON in a two-generation file (firmware/genfile.ts).
 */
import type { Crypto, FlashStorage } from './ports';
import { type Generation, genData, genLoad, genWriteSmall } from './genfile';
import { TRAVEL } from './build-flags';
import { type Journal, K_CFG, REC, SLOTS, jAppend, jRec } from './journal';
import { u32, u8 } from './binstr';

/** The relay is never energised longer than this, whatever the settings say. */
export const HARD_MAX_HOLD_MS = 30000;
export const HARD_MAX_DRIVE_MS = 600000;
const CONFIG_FILE = 'ck.cfg.';

export interface Config {
  /** How long the relay stays energised after an unlock. */
  holdMs: number;
  /** How long the board counts as unlocked before it relocks by itself (>= holdMs). */
  relockMs: number;
  /** How long the drive-enable output stays on after a `drive` command. */
  driveMs: number;
  relockOnDoorClose: boolean;
  debounceMs: number;
  /** Button held this long opens the enrolment window (when allowed). */
  buttonHoldMs: number;
  enrolWindowMs: number;
  /** Button hold may open the enrolment window even when an owner exists. Off by default. */
  buttonEnrol: boolean;
  /** Local time offset from UTC for weekday and time-of-day windows. */
  tzOffsetMin: number;
  /** Accept UID-only cards (cloneable). Off by default, logged on every use. */
  insecureUidCards: boolean;
  watchdogSeconds: number;
  /** Protocol v2: live tickets this board accepts (firmware/ticketbook.ts; 0 = none, at most MAX_TICKETS). */
  maxTickets: number;
  /** Protocol v2: without trusted time, every time-bounded key waits for it, even one the lower bound admits (firmware/timebound.ts). */
  strictTime: boolean;
}

/** Defaults overridden by whatever in `input` is a known setting of the right type, clamped to its limits. */
export function sanitizeConfig(input: any): Config {
  // One table, one line per setting: [default, lowest, highest] for numbers, [default] for
  // switches (each name spelled once in the bundle). Built per call, not held at module level:
  // as a constant it would keep about 100 of a Puck.js's 2630 variables for good.
  const SETTINGS: { [K in keyof Config]: Config[K] extends number ? [number, number, number] : [boolean] } = {
    holdMs: [3000, 100, HARD_MAX_HOLD_MS],
    relockMs: [10000, 100, 3600000],
    driveMs: [120000, 1000, HARD_MAX_DRIVE_MS],
    relockOnDoorClose: [true],
    debounceMs: [50, 5, 1000],
    buttonHoldMs: [5000, 2000, 20000],
    enrolWindowMs: [60000, 10000, 60000],
    buttonEnrol: [false],
    tzOffsetMin: [0, -840, 840],
    insecureUidCards: [false],
    watchdogSeconds: [10, 5, 60],
  } as any;
  // Protocol v2's settings, only in builds with it (firmware/build-flags.ts).
  if (TRAVEL) {
    SETTINGS.maxTickets = [4, 0, 8];
    SETTINGS.strictTime = [false];
  }
  const out: any = {};
  for (const k in SETTINGS) {
    const row = (SETTINGS as any)[k];
    const def = row[0];
    const v = input && typeof input === 'object' ? input[k] : undefined;
    if (typeof def === 'number') {
      const n = typeof v === 'number' && v === v ? v : def;
      out[k] = Math.min(row[2], Math.max(row[1], Math.round(n)));
    } else {
      out[k] = typeof v === 'boolean' ? v : def;
    }
  }
  if (out.relockMs < out.holdMs) out.relockMs = out.holdMs;
  return out;
}

/** The defaults (host tools; dropped from bundles that do not use it). */
export const DEFAULTS: Config = /* @__PURE__ */ sanitizeConfig(undefined);

/** The settings in the journal: its newest whole settings group over the defaults (host tools read a board's with it too). */
export function configOfJournal(j: Journal | undefined): Config {
  const def: any = sanitizeConfig(undefined), o: any = {};
  const s = !j || j.cg < 0 ? '' : j.f.read(j.cg, j.cn * REC);
  let i = 0, at;
  for (const k in def) {
    at = i * REC;
    if (at < s.length && u8(s, at + 9) === i) o[k] = typeof def[k] === 'boolean' ? u32(s, at + 4) !== 0 : u32(s, at + 4) | 0;
    i++;
  }
  return sanitizeConfig(o);
}

/**
 * The settings and, in the old layout, the generation they came from. In the journal layout
 * (firmware/journal.ts) they are its newest whole settings group: one record per setting, in the
 * table's order (value in b, its index in x).
 */
export function loadConfig(storage: FlashStorage, crypto: Crypto, j?: Journal): { config: Config; gen?: Generation } {
  // In the journal layout its settings group, once the owner has saved one; before that a board
  // image's settings file (ck.cfg.a, written by provisioning), read and left where it is.
  if (typeof __TILED__ !== 'undefined' && __TILED__ && j && j.cg >= 0) return { config: configOfJournal(j) };
  const gen = genLoad(storage, crypto, CONFIG_FILE);
  let parsed: any;
  try { parsed = gen ? JSON.parse(genData(storage, gen)) : undefined; } catch (e) { parsed = undefined; }
  return { config: sanitizeConfig(parsed), gen };
}

/**
 * The settings as one journal group (firmware/journal.ts K_CFG): a record per setting in the
 * table's order, each with the group's id (no other group on its page has it) and size, so that a
 * group cut short is never read. Host tools make a board's journal with it too.
 */
export function configRecords(config: Config, id: number): string {
  let n = 0, i = 0, out = '', k;
  for (k in config) n++;
  for (k in config) out += jRec(id, +(config as any)[k], K_CFG, i++, n, 0);
  return out;
}

/** Saves the settings; falsy when they did not reach the flash (the old ones stay current). */
export function saveConfig(storage: FlashStorage, crypto: Crypto, gen: Generation | undefined, config: Config, j?: Journal): Generation | boolean | undefined {
  if (typeof __TILED__ !== 'undefined' && __TILED__) {
    if (!j) return false;
    // One group, written in one go (configRecords).
    const out = configRecords(config, j.ps * SLOTS + j.slot);
    const at = jAppend(j, out);
    if (at < 0) return false;
    j.cg = at;
    j.cn = out.length / REC;
    return true;
  }
  return genWriteSmall(storage, crypto, CONFIG_FILE, gen, JSON.stringify(config));
}
