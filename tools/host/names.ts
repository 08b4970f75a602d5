/**
 * Human names for the firmware's numeric codes (firmware/codes.ts), made from the constants' own
 * names (EV_RELOCK_TIMER is "relock timer"), and one line of text per audit log entry: the one
 * decoder the web pages (bundled for the browser), the REPL, the scenarios and `phonekey log`
 * print with, so they say the same words.
 * Not here: reading the log or talking to a board.
 */
import * as C from '../../firmware/codes';
import type { LogEntry } from '../../firmware/auditlog';
import { failBit } from '../../firmware/failures';

/** Words that read as capitals: R_BAD_MAC is "bad MAC". */
const ACRONYMS = /\b(mac|uid|nfc|usb)\b/g;

function namesWith(prefix: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(C)) if (k.startsWith(prefix) && typeof v === 'number') out[v] = k.slice(prefix.length).toLowerCase().replace(/_/g, ' ').replace(ACRONYMS, (w) => w.toUpperCase());
  return out;
}

const EVENTS = { ...namesWith('EV_'), ...namesWith('LOG_') };
/**
 * Reasons whose constant's name reads too short: the words docs/PROTOCOL.md uses for them. Every
 * other reason is its constant's name (R_NOT_YET_VALID is "not yet valid").
 */
const REASONS: Record<number, string> = {
  ...namesWith('R_'),
  [C.R_OUTSIDE_WINDOW]: 'outside its hours or days',
  [C.R_FULL]: 'store full',
  [C.R_STORAGE]: 'storage error',
  [C.R_INSECURE_CARD]: 'insecure card refused',
  [C.R_ERROR]: 'internal error',
  [C.R_NO_WINDOW]: 'no enrolment window',
};
const STATES = namesWith('S_');
const ROLES = namesWith('ROLE_');

export const eventName = (n: number) => EVENTS[n] || 'event ' + n;
export const reasonName = (n: number) => REASONS[n] || 'reason ' + n;
export const stateName = (n: number) => STATES[n] || 'state ' + n;
export const roleName = (n: number) => ROLES[n] || 'role ' + n;

/** Permission bits as words: "unlock, lock, drive". */
export function permNames(perms: number): string {
  const out: string[] = [];
  if (perms & C.PERM_UNLOCK) out.push('unlock');
  if (perms & C.PERM_LOCK) out.push('lock');
  if (perms & C.PERM_DRIVE) out.push('drive');
  if (perms & C.PERM_MANAGE) out.push('manage');
  return out.join(', ') || 'none';
}

/** Entries the state machine writes: their `result` is the state after the event. */
export const isStateEvent = (event: number) => event > 0 && event < C.EVENT_COUNT;

/** What a denied / granted entry asked for: a permission bit, or the record of what it wanted. */
function asked(result: number): string {
  if (result === 0) return 'status';
  if (result === C.EV_ENROL_OPEN || result >= C.LOG_DENIED) return eventName(result);
  return permNames(result);
}

const inParens = (f: (r: number) => string) => (r: number) => ' (' + f(r) + ')';
const toState = (r: number) => ' \u2192 ' + stateName(r);

/**
 * How each log-only event's `result` byte reads (state machine events: the state after them).
 * An event not listed here shows no result. A new log code is one line here; its name comes
 * from firmware/codes.ts by itself.
 */
const RESULT_AS: Record<number, (result: number) => string> = {
  [C.LOG_DENIED]: inParens(asked),
  [C.LOG_GRANTED]: inParens(asked),
  [C.LOG_INSECURE_CARD]: inParens(asked),
  [C.LOG_OUTPUT_GUARD]: toState,
  [C.LOG_DRIVE_ON]: toState,
  [C.LOG_RELAY_REST]: toState,
  [C.LOG_LOCKOUT]: (r) => ' (' + r + ' min)',
  [C.LOG_KEY_ADDED]: (r) => (r === 255 ? '' : ' (' + roleName(r) + ')'),
  [C.LOG_KEY_CHANGED]: (r) => (r === 255 ? '' : ' (' + roleName(r) + ')'),
  [C.LOG_KEY_REVOKED]: (r) => (r === 255 ? '' : ' (' + roleName(r) + ')'),
};

/**
 * A burst of unproven failures (event LOG_FAILURES; layout in firmware/auditlog.ts): how many, over
 * how many seconds from the entry's time, and which reasons (from the reasons-seen bits).
 */
export function burstOf(e: LogEntry): { count: number; span: number; reasons: string[] } {
  const reasons: string[] = [];
  for (let r = 0; r < 64; r++) { const bit = failBit(r); if (bit !== 128 && e.result & bit) reasons.push(reasonName(r)); }
  if (e.result & 128) reasons.push('other');
  return { count: e.keyId >>> 16, span: e.keyId & 0xffff, reasons };
}

/** One line for an audit log entry, without its time; `keyName` turns key ids into names. */
export function describeEntry(e: LogEntry, keyName: (id: number) => string = (id) => '#' + id): string {
  if (e.event === C.LOG_FAILURES) {
    const b = burstOf(e);
    return `failures: ${b.count} unproven attempt${b.count === 1 ? '' : 's'} over ${b.span} s (${b.reasons.join(', ')}), last: ${reasonName(e.reason)}`;
  }
  let text = eventName(e.event);
  const result = RESULT_AS[e.event] || (isStateEvent(e.event) ? toState : undefined);
  if (result) text += result(e.result);
  if (e.reason !== C.R_OK) text += ': ' + reasonName(e.reason);
  if (e.keyId) text += ', key ' + keyName(e.keyId);
  return text;
}

/** An entry with its time: real time (UTC) when the board trusted its clock, else time since its boot. */
export function describeEntryAt(e: LogEntry, keyName?: (id: number) => string): string {
  const t = e.trusted ? new Date(e.time * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '+' + e.time + ' s since boot';
  return '#' + e.seq + ' ' + t + '  ' + describeEntry(e, keyName);
}

/**
 * What a card tap or a command under `keyId` came to, from the entries the board wrote meanwhile:
 * "refused (bad MAC)", "granted: unlock \u2192 unlocked", or undefined when it wrote nothing about it.
 */
export function outcomeOf(entries: LogEntry[], keyId: number): string | undefined {
  const mine = entries.filter((e) => e.keyId === keyId);
  const denied = mine.find((e) => e.event === C.LOG_DENIED);
  if (denied) return 'refused (' + reasonName(denied.reason) + ')';
  const done = mine.filter((e) => e.event !== C.LOG_GRANTED);
  if (done.length) return (mine.some((e) => e.event === C.LOG_GRANTED) ? 'granted: ' : '') + done.map((e) => describeEntry(e).replace(/, key .*$/, '')).join('; ');
  const granted = mine.find((e) => e.event === C.LOG_GRANTED);
  return granted ? 'granted (' + asked(granted.result) + ')' : undefined;
}
