/**
 * The ticket book (protocol v2, docs/KEYS-THAT-TRAVEL.md): the tickets a board has accepted, so
 * that its owner's cap on live tickets holds and a ticket can be revoked here. A ticket is checked
 * in full on every use (it travels with each command); the book keeps only what the checks cannot
 * recompute: 9 bytes per ticket, id u32 | notAfter u32 | flags u8 (1 = revoked here), at most
 * MAX_TICKETS records. A record is live while its ticket has not provably expired (notAfter >= the
 * time, or no time known); expired records are dropped at the next write. Pure: each function
 * returns the new table, which the caller writes as a two-generation file (firmware/travelfiles.ts).
 */
import { str32, u32, u8 } from './binstr';
import { R_OK, R_REVOKED, R_TOO_MANY_TICKETS } from './codes';

export const TICKET_RECORD = 9;
/** Hard limit of the owner's `maxTickets` setting (Storage: 9 bytes each). */
export const MAX_TICKETS = 8;
export const TICKET_REVOKED = 1;

export interface BookPlan {
  reason: number;
  /** The table to write, or undefined when nothing changes. */
  table: string | undefined;
}

function live(table: string, at: number, now: number): boolean {
  return !now || u32(table, at + 4) >= now;
}

/** Records in `table`. */
export function bookCount(table: string): number {
  return (table.length / TICKET_RECORD) | 0;
}

/** Live records in `table` at time `now` (0 = unknown: every record is live). */
export function bookLive(table: string, now: number): number {
  let n = 0;
  for (let at = 0; at + TICKET_RECORD <= table.length; at += TICKET_RECORD) if (live(table, at, now)) n++;
  return n;
}

function find(table: string, id: number): number {
  for (let at = 0; at + TICKET_RECORD <= table.length; at += TICKET_RECORD) if (u32(table, at) === id >>> 0) return at;
  return -1;
}

/** The live records of `table`, plus `extra`. */
function kept(table: string, now: number, extra: string): string {
  let out = '';
  for (let at = 0; at + TICKET_RECORD <= table.length; at += TICKET_RECORD) if (live(table, at, now)) out += table.substr(at, TICKET_RECORD);
  return out + extra;
}

/**
 * A checked ticket (id, notAfter) is used at time `now` (trusted time, else the lower bound; 0
 * when neither is known). Known and not revoked here: R_OK, nothing to write. Revoked here:
 * R_REVOKED. New: R_OK with the table to write (the ticket added, expired records dropped) while
 * fewer than `cap` (at most MAX_TICKETS) are live; else R_TOO_MANY_TICKETS.
 */
export function bookAdmit(table: string, id: number, notAfter: number, now: number, cap: number): BookPlan {
  const at = find(table, id);
  if (at >= 0) return { reason: u8(table, at + 8) & TICKET_REVOKED ? R_REVOKED : R_OK, table: undefined };
  if (bookLive(table, now) >= (cap < MAX_TICKETS ? cap : MAX_TICKETS)) return { reason: R_TOO_MANY_TICKETS, table: undefined };
  return { reason: R_OK, table: kept(table, now, str32(id) + str32(notAfter) + String.fromCharCode(0)) };
}

/**
 * Revokes ticket `id` here (an owner's REVOKE naming a ticket id). A ticket never seen gets a
 * revoked record carrying `notAfter` (0: for good), so it is refused on
 * first use. Returns the table to write, or undefined when the book is full of live records.
 */
export function bookRevoke(table: string, id: number, notAfter: number, now: number): string | undefined {
  const at = find(table, id);
  if (at >= 0) return table.substr(0, at + 8) + String.fromCharCode(u8(table, at + 8) | TICKET_REVOKED) + table.substr(at + TICKET_RECORD);
  if (bookLive(table, now) >= MAX_TICKETS) return undefined;
  return kept(table, now, str32(id) + str32(notAfter || 0xffffffff) + String.fromCharCode(TICKET_REVOKED));
}
