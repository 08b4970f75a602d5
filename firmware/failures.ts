/**
 * Unproven failures in the audit log: what a peer that proved nothing (bad MAC, unknown key,
 * replay, expired command, a failed card, ...) may cost the flash. Not one entry per attempt:
 *
 * - After a quiet spell (no failure for BURST_MS since the last burst ended, or since boot) the
 *   first failure is written at once, as a DENIED entry with its key id and reason.
 * - Every further failure is counted in RAM in a burst window of BURST_MS from its first failure;
 *   when the window ends (the 1 Hz main loop calls failuresTick) the burst is written as one
 *   LOG_FAILURES entry: count, first and last time, reasons seen (layout: firmware/auditlog.ts).
 *
 * So two unproven entries are always at least BURST_MS apart: at most one per 10 minutes, six an
 * hour, however fast or slow the failures come. They go to the log's failure ring, so they never
 * push out a grant, a key change or a boot. A power cut loses the count of the window still open
 * (at most BURST_MS of failures), never an entry already written.
 */
import { type AuditLog, logAppend } from './auditlog';
import { LOG_DENIED, LOG_FAILURES, R_BAD_INPUT, R_BAD_MAC, R_EXPIRED_COMMAND, R_REPLAY, R_TIMEOUT, R_UNKNOWN_KEY } from './codes';

export const BURST_MS = 600000;

/** The bit a reason sets in a burst's reasons-seen byte (bit 7: any other reason). */
export function failBit(reason: number): number {
  return reason === R_BAD_MAC ? 1 : reason === R_UNKNOWN_KEY ? 2 : reason === R_REPLAY ? 4 : reason === R_EXPIRED_COMMAND ? 8
    : reason === R_TIMEOUT ? 16 : reason === R_BAD_INPUT ? 32 : 128;
}

/**
 * One unproven failure at uptime `nowMs` (`time`/`trusted` as for logAppend): written at once
 * after a quiet spell, else counted into the burst.
 */
export function failureSeen(log: AuditLog, nowMs: number, time: number, trusted: boolean, perm: number, reason: number, keyId: number): void {
  if (log.bStart < 0) {
    log.bStart = nowMs;
    if (log.bClosed < 0 || nowMs - log.bClosed >= BURST_MS) {
      logAppend(log, time, trusted, LOG_DENIED, perm, reason, keyId);
      return;
    }
  }
  if (log.bCount === 0) { log.bFirst = nowMs; log.bKinds = 0; }
  if (log.bCount < 65535) log.bCount++;
  log.bLast = nowMs;
  log.bKinds |= failBit(reason);
  log.bReason = reason;
}

/** From the main loop: ends the burst window once BURST_MS old, writing its entry if it counted any. */
export function failuresTick(log: AuditLog, nowMs: number, time: number, trusted: boolean): void {
  if (log.bStart < 0 || nowMs - log.bStart < BURST_MS) return;
  if (log.bCount > 0) {
    const span = Math.floor((log.bLast - log.bFirst) / 1000);
    logAppend(log, time - Math.floor((nowMs - log.bFirst) / 1000), trusted, LOG_FAILURES, log.bKinds, log.bReason, ((log.bCount << 16) | (span > 65535 ? 65535 : span)) >>> 0);
  }
  log.bStart = -1;
  log.bCount = 0;
  log.bClosed = nowMs;
}
