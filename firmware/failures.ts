/**
 * Unproven failures in the audit log: what a peer that proved nothing (bad MAC, unknown key,
 * replay, expired command, a failed card, ...) may cost the flash. Not one entry per attempt:
 *
 * - After a quiet spell (no failure for BURST_MS since the last burst ended, or since boot) the
 *   first failure is written at once, as a DENIED entry with its key id and reason.
 * - Every further failure is counted in RAM in a burst window of BURST_MS from its first failure;
 *   when the window ends (the 1 Hz main loop asks failuresDue) the burst is written as one
 *   LOG_FAILURES entry: count, first and last time, reasons seen (layout: firmware/auditlog.ts).
 *
 * This module decides; firmware/core.ts writes (through its one `audit`), so the log's writer and
 * the clock's reading stay single functions on the board.
 *
 * So two unproven entries are always at least BURST_MS apart: at most one per 10 minutes, six an
 * hour, however fast or slow the failures come. They go to the log's failure ring, so they never
 * push out a grant, a key change or a boot. A power cut loses the count of the window still open
 * (at most BURST_MS of failures), never an entry already written.
 */
import type { AuditLog } from './auditlog';
import { R_BAD_INPUT, R_BAD_MAC, R_EXPIRED_COMMAND, R_REPLAY, R_TIMEOUT, R_UNKNOWN_KEY } from './codes';

export const BURST_MS = 600000;

/** The bit a reason sets in a burst's reasons-seen byte (bit 7: any other reason). */
export function failBit(reason: number): number {
  return reason === R_BAD_MAC ? 1 : reason === R_UNKNOWN_KEY ? 2 : reason === R_REPLAY ? 4 : reason === R_EXPIRED_COMMAND ? 8
    : reason === R_TIMEOUT ? 16 : reason === R_BAD_INPUT ? 32 : 128;
}

/**
 * One unproven failure at uptime `nowMs`: true when it is to be written now (after a quiet spell;
 * the caller writes it as DENIED), else it is counted into the burst and false.
 */
export function failureSeen(log: AuditLog, nowMs: number, reason: number): boolean {
  if (log.bs < 0) {
    log.bs = nowMs;
    if (log.bc < 0 || nowMs - log.bc >= BURST_MS) return true;
  }
  if (log.bn === 0) { log.bf = nowMs; log.bk = 0; }
  if (log.bn < 65535) log.bn++;
  log.bl = nowMs;
  log.bk |= failBit(reason);
  log.br = reason;
  return false;
}

/**
 * From the main loop: once the burst window is BURST_MS old, closes it and returns its entry's last
 * four bytes (count u16 | span u16), or 0 when there is nothing to write. The caller then writes
 * LOG_FAILURES with result `log.bk`, reason `log.br`, dated `log.bf` (uptime of the first failure).
 */
export function failuresDue(log: AuditLog, nowMs: number): number {
  if (log.bs < 0 || nowMs - log.bs < BURST_MS) return 0;
  const span = Math.floor((log.bl - log.bf) / 1000);
  const due = log.bn > 0 ? ((log.bn << 16) | (span > 65535 ? 65535 : span)) >>> 0 : 0;
  log.bs = -1;
  log.bn = 0;
  log.bc = nowMs;
  return due;
}
