/**
 * Who may do what, in one place (test/core/access-table.test.ts has every rule as a table row):
 * - the key decision: may this record do this now (checkAccess);
 * - what each phone-key operation needs (opPermission);
 * - the owner-only rules: only an active owner, or someone at the board, changes keys, time and
 *   settings (mayManage); the last active owner is never revoked, removed, disabled or demoted
 *   (leavesNoOwner);
 * - the enrolment defaults and the button policy: what the window grants and who opens it.
 * Pure: no state, no I/O. Authentication is checked by the caller (firmware/core.ts) around it;
 * the key store (firmware/keystore.ts) and the core apply these rules, no caller can bypass them.
 */
import { FLAG_DISABLED, FLAG_REVOKED, KIND_UID_CARD, OP_DRIVE, OP_GET_LIST, OP_LOCK, OP_STATUS, OP_UNLOCK, PERM_DRIVE, PERM_LOCK, PERM_MANAGE,
  PERM_UNLOCK, R_DISABLED, R_EXPIRED, R_INSECURE_CARD, R_NOT_PERMITTED, R_NOT_YET_VALID, R_OK, R_OUTSIDE_WINDOW, R_REVOKED,
  R_TIME_UNKNOWN, R_UNKNOWN_KEY, ROLE_DRIVER, ROLE_OWNER } from './codes';
import type { KeyRecord } from './keystore';
import { verdictOnBound } from './timebound';
import { TRAVEL } from './build-flags';

export const ALL_PERMS = PERM_UNLOCK | PERM_LOCK | PERM_DRIVE | PERM_MANAGE;

/**
 * R_OK if `r` may perform `perm` (0: merely be a valid key now) at real time `now` (seconds; -1 when the board does not know it),
 * else the reason it may not. `tzOffsetMin` places weekday and time-of-day windows in local time.
 * Without trusted time (protocol v2 builds): `lower`, the board's lower bound on the time (0 =
 * none), refuses what provably expired and admits what provably started unless `strict` (the
 * owner's strictTime setting) keeps every bounded key waiting (firmware/timebound.ts verdictOnBound).
 */
export function checkAccess(r: KeyRecord | undefined, perm: number, now: number, tzOffsetMin: number, insecureUidCards: boolean, lower?: number, strict?: boolean): number {
  if (!r) return R_UNKNOWN_KEY;
  if (r.flags & FLAG_REVOKED) return R_REVOKED;
  if (r.flags & FLAG_DISABLED) return R_DISABLED;
  if (r.kind === KIND_UID_CARD && !insecureUidCards) return R_INSECURE_CARD;
  const perms = r.role === ROLE_OWNER ? ALL_PERMS : r.perms & ~PERM_MANAGE;
  if ((perms & perm) !== perm) return R_NOT_PERMITTED;
  // A key without dates, weekdays or hours needs no time.
  if (r.notBefore === 0 && r.notAfter === 0 && r.weekdays === 0 && r.winStart === r.winEnd) return R_OK;
  // Fail closed: a time-bounded key needs trusted time, or (v2) a lower bound that settles it.
  if (now < 0) return TRAVEL ? verdictOnBound(lower || 0, r.notBefore, r.notAfter, r.weekdays !== 0 || r.winStart !== r.winEnd, !!strict) : R_TIME_UNKNOWN;
  if (r.notBefore && now < r.notBefore) return R_NOT_YET_VALID;
  if (r.notAfter && now > r.notAfter) return R_EXPIRED;
  const local = now + tzOffsetMin * 60;
  const day = Math.floor(local / 86400);
  const weekday = (day + 3) % 7; // 1970-01-01 was a Thursday; 0 = Monday
  if (r.weekdays && !(r.weekdays & (1 << weekday))) return R_OUTSIDE_WINDOW;
  if (r.winStart !== r.winEnd) {
    const minute = Math.floor((local - day * 86400) / 60);
    const inside = r.winStart < r.winEnd ? minute >= r.winStart && minute < r.winEnd : minute >= r.winStart || minute < r.winEnd;
    if (!inside) return R_OUTSIDE_WINDOW;
  }
  return R_OK;
}

/**
 * The permission a phone-key operation needs: unlock, lock and drive their own; status and (v2)
 * get list only a valid key (0); every other operation (keys, log, time, settings, card enrolment) PERM_MANAGE,
 * which only an owner holds (checkAccess).
 */
export function opPermission(op: number): number {
  return op === OP_UNLOCK ? PERM_UNLOCK : op === OP_LOCK ? PERM_LOCK : op === OP_DRIVE ? PERM_DRIVE : op === OP_STATUS || op === OP_GET_LIST ? 0 : PERM_MANAGE;
}

/** An owner that can still act: present, enabled, not revoked. */
export function isActiveOwner(r: KeyRecord | undefined): boolean {
  return !!r && r.role === ROLE_OWNER && !(r.flags & (FLAG_DISABLED | FLAG_REVOKED));
}

/**
 * May `actor` change keys, the time or the settings? Only an active owner; `undefined` is
 * someone at the board (the enrolment window) or the USB tool, which the caller checked.
 */
export function mayManage(actor: KeyRecord | undefined): boolean {
  return actor === undefined || isActiveOwner(actor);
}

/**
 * The last-owner rule: true when a change would take away the last active owner, so it is
 * refused (R_LAST_OWNER). `was` and `stays`: the key is an active owner before and after the
 * change; `owners(store)` counts the active owners now, asked only when the key stops being one
 * (a count reads the whole key table).
 */
export function leavesNoOwner<S>(was: boolean, stays: boolean, owners: (store: S) => number, store: S): boolean {
  return was && !stays && owners(store) <= 1;
}

/** What a key enrolled through the window may do; its role is the window's (never the enrolee's). */
export const ENROL_PERMS = PERM_UNLOCK | PERM_LOCK | PERM_DRIVE;

/** The role of the window an owner's card opens when tapped with the button held. */
export const CARD_WINDOW_ROLE = ROLE_DRIVER;

/**
 * The button policy: the role a long hold opens the enrolment window for, or -1 when it may not.
 * With no active owner (`owners`, not counting unconfirmed ones: a power cut may have kept their
 * secret from their phone) it makes the first owner; otherwise a driver, and only when the owner
 * has allowed button enrolment. Never an unlock.
 */
export function buttonWindowRole(owners: number, buttonEnrol: boolean): number {
  return owners === 0 ? ROLE_OWNER : buttonEnrol ? ROLE_DRIVER : -1;
}
