/**
 * The access decision for one key and one action: may this record do this now? Pure: no state,
 * no I/O. Lockout and authentication are checked by the caller (firmware/core.ts) around it.
 */
import { KIND_UID_CARD, PERM_DRIVE, PERM_LOCK, PERM_MANAGE, PERM_UNLOCK, R_DISABLED, R_EXPIRED, R_INSECURE_CARD, R_NOT_PERMITTED,
  R_NOT_YET_VALID, R_OK, R_OUTSIDE_WINDOW, R_REVOKED, R_TIME_UNKNOWN, R_UNKNOWN_KEY, ROLE_OWNER } from './codes';
import { FLAG_DISABLED, FLAG_REVOKED, type KeyRecord } from './keystore';

export const ALL_PERMS = PERM_UNLOCK | PERM_LOCK | PERM_DRIVE | PERM_MANAGE;

/** Does the key's validity depend on knowing the real time? */
export function isTimeBounded(r: KeyRecord): boolean {
  return r.notBefore !== 0 || r.notAfter !== 0 || r.weekdays !== 0 || r.winStart !== r.winEnd;
}

/**
 * R_OK if `r` may perform `perm` (0: merely be a valid key now) at real time `now` (seconds; -1 when the board does not know it),
 * else the reason it may not. `tzOffsetMin` places weekday and time-of-day windows in local time.
 */
export function checkAccess(r: KeyRecord | undefined, perm: number, now: number, tzOffsetMin: number, insecureUidCards: boolean): number {
  if (!r) return R_UNKNOWN_KEY;
  if (r.flags & FLAG_REVOKED) return R_REVOKED;
  if (r.flags & FLAG_DISABLED) return R_DISABLED;
  if (r.kind === KIND_UID_CARD && !insecureUidCards) return R_INSECURE_CARD;
  const perms = r.role === ROLE_OWNER ? ALL_PERMS : r.perms & ~PERM_MANAGE;
  if ((perms & perm) !== perm) return R_NOT_PERMITTED;
  if (!isTimeBounded(r)) return R_OK;
  if (now < 0) return R_TIME_UNKNOWN; // fail closed: a time-bounded key needs trusted time
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
