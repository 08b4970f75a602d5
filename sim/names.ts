/**
 * Human names for the firmware's numeric codes (firmware/codes.ts), for timelines, the CLI and the
 * web view (bundled for the browser too), and one line of text per audit log entry.
 * Not here: reading the log or talking to a board.
 */
import * as C from '../firmware/codes';
import type { LogEntry } from '../firmware/auditlog';
import { failBit } from '../firmware/failures';

function namesWith(prefix: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(C)) if (k.startsWith(prefix) && typeof v === 'number') out[v] = k.slice(prefix.length).toLowerCase().replace(/_/g, ' ');
  return out;
}

const EVENTS = { ...namesWith('EV_'), ...namesWith('LOG_') };
const REASONS = namesWith('R_');
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
  if (e.event === C.LOG_DENIED || e.event === C.LOG_GRANTED || e.event === C.LOG_INSECURE_CARD) text += ' (' + asked(e.result) + ')';
  else if (isStateEvent(e.event) || e.event === C.LOG_OUTPUT_GUARD || e.event === C.LOG_DRIVE_ON || e.event === C.LOG_RELAY_REST) text += ' \u2192 ' + stateName(e.result);
  else if (e.event === C.LOG_LOCKOUT) text += ' (' + e.result + ' min)';
  else if ((e.event === C.LOG_KEY_ADDED || e.event === C.LOG_KEY_CHANGED || e.event === C.LOG_KEY_REVOKED) && e.result !== 255) text += ' (' + roleName(e.result) + ')';
  if (e.reason !== C.R_OK) text += ': ' + reasonName(e.reason);
  if (e.keyId) text += ', key ' + keyName(e.keyId);
  return text;
}
