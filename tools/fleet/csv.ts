/**
 * CSV export of collected audit entries (RFC 4180: comma separated, CRLF line ends, a field with a
 * comma, quote or line break quoted with its quotes doubled). One header line, then one line per
 * entry, in the order given; event and reason also in words (sim/names.ts, the one log decoder).
 */
import { eventName, reasonName } from '../host/names';
import type { LogRow } from './logstore';

export const CSV_HEADER = ['board', 'board_id', 'seq', 'time', 'time_utc', 'trusted', 'event', 'event_name', 'result', 'reason', 'reason_name', 'key_id', 'collected_utc'];

export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

/** The CSV text of rows; `boards` maps a board's row id to its label and identity. */
export function logCsv(rows: LogRow[], boards: Map<number, { label: string; board_id: string }>): string {
  const out = [CSV_HEADER.join(',')];
  for (const e of rows) {
    const b = boards.get(e.board);
    out.push([b ? b.label : e.board, b ? b.board_id : '', e.seq, e.time, iso(e.time), e.trusted, e.event, eventName(e.event), e.result, e.reason, e.reason ? reasonName(e.reason) : '', e.key_id, iso(e.collected)]
      .map(csvField).join(','));
  }
  return out.join('\r\n') + '\r\n';
}
