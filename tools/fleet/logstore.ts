/**
 * Audit entries collected from boards, in the registry's log table: stored in one transaction per
 * batch with INSERT OR IGNORE on (board, seq), so a second collection of the same entries adds
 * nothing, and queried with filters (board, time range, event, key) using the (board, time) index.
 * Not here: reading a board (collect.ts), CSV (csv.ts).
 */
import type { LogEntry } from '../../firmware/auditlog';
import type { Registry } from './registry';

export interface LogRow {
  board: number;
  seq: number;
  time: number;
  trusted: number;
  event: number;
  result: number;
  reason: number;
  key_id: number;
  collected: number;
}

/** Stores entries of one board; returns how many were new. One transaction: all or none. */
export function storeEntries(r: Registry, board: number, entries: LogEntry[], collected = Math.floor(Date.now() / 1000)): number {
  const ins = r.db.prepare(`INSERT OR IGNORE INTO log (board, seq, time, trusted, event, result, reason, key_id, collected)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return r.db.transaction(() => {
    let added = 0;
    for (const e of entries) added += ins.run(board, e.seq >>> 0, e.time >>> 0, e.trusted ? 1 : 0, e.event, e.result, e.reason, e.keyId >>> 0, collected).changes;
    return added;
  })();
}

/** The highest seq stored for a board (0 when none): the next collection starts after it. */
export function lastSeq(r: Registry, board: number): number {
  const row = r.db.prepare('SELECT max(seq) AS m FROM log WHERE board = ?').get(board) as { m: number | null };
  return row.m ?? 0;
}

export interface LogFilter {
  board?: number;
  /** Unix seconds, inclusive. */
  from?: number;
  /** Unix seconds, exclusive. */
  to?: number;
  event?: number;
  keyId?: number;
  limit?: number;
}

/** Entries matching the filter, by board then seq. */
export function queryLog(r: Registry, f: LogFilter): LogRow[] {
  const where: string[] = [];
  const args: number[] = [];
  if (f.board !== undefined) { where.push('board = ?'); args.push(f.board); }
  if (f.from !== undefined) { where.push('time >= ?'); args.push(f.from); }
  if (f.to !== undefined) { where.push('time < ?'); args.push(f.to); }
  if (f.event !== undefined) { where.push('event = ?'); args.push(f.event); }
  if (f.keyId !== undefined) { where.push('key_id = ?'); args.push(f.keyId); }
  const sql = 'SELECT * FROM log' + (where.length ? ' WHERE ' + where.join(' AND ') : '') + ' ORDER BY board, seq' + (f.limit ? ' LIMIT ' + (f.limit | 0) : '');
  return r.db.prepare(sql).all(...args) as LogRow[];
}
