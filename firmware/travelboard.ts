/**
 * Protocol v2 on the board (docs/KEYS-THAT-TRAVEL.md sections 5 and 6): the rules the core and
 * the phone-key protocol apply over the v2 files (firmware/travelfiles.ts), built on the pure
 * checks of ticket.ts, revlist.ts and ticketbook.ts:
 * - an id in the board's revocation list is revoked, for every kind of key (phone, card, ticket)
 *   and for a ticket whose issuer is listed (travelRevoked, called by core.ts authenticate);
 * - a ticket is recorded in the ticket book at its first use, under the owner's cap, before the
 *   unlock (ticketUse); an owner's REVOKE marks a ticket id there (ticketRevoke);
 * - a newer list is adopted only when its own tag verifies under an active owner here and it
 *   leaves the board an active owner (listAdopt).
 * Every write is a two-generation file: a power cut leaves the old or the new, never neither; a
 * write that finds no room fails (R_STORAGE) and the old one stays current.
 * Takes the pieces (files, key table, site), not the core, so core.ts can call it.
 */
import type { Crypto } from './ports';
import { readU32, strOf } from './bytes';
import { KIND_PHONE, R_FULL, R_LAST_OWNER, R_OK, R_STORAGE } from './codes';
import { type KeyRecord, type KeyStore, isActiveOwner, ksCount, ksGet, ksLookup } from './keystore';
import { LIST_HEAD, listAdmit, listHasId } from './revlist';
import type { Site } from './site';
import type { Ticket } from './ticket';
import { bookAdmit, bookRevoke } from './ticketbook';
import { type TravelFiles, bookTable, bookWrite, listWrite, storedList } from './travelfiles';

/**
 * The record a checked ticket stands for while its command runs: the ticket's role, permissions
 * and validity, kind phone, no flags. A ticket has no salt (its secret comes from its body), so
 * `salt` carries its issuer's id, for travelRevoked.
 */
export function ticketRecord(t: Ticket): KeyRecord {
  return { id: t.id, kind: KIND_PHONE, flags: 0, role: t.role, perms: t.perms, weekdays: t.weekdays, notBefore: t.notBefore,
    notAfter: t.notAfter, winStart: t.winStart, winEnd: t.winEnd, salt: t.issuer, label: t.label };
}

/** Is `id` (or, for a ticket's record, its issuer) in the board's revocation list? */
export function travelRevoked(tf: TravelFiles, id: number, ticket: KeyRecord | undefined): boolean {
  const list = storedList(tf);
  return listHasId(list, id) || (!!ticket && listHasId(list, ticket.salt));
}

/**
 * A proven, currently valid ticket is used at `now` (trusted time, else the lower bound, else 0):
 * R_OK when the book knows it or has just recorded it (written before the caller unlocks),
 * R_REVOKED when revoked here, R_TOO_MANY_TICKETS past the owner's cap, R_STORAGE when the write failed.
 */
export function ticketUse(tf: TravelFiles, t: KeyRecord, now: number, cap: number): number {
  const plan = bookAdmit(bookTable(tf), t.id, t.notAfter, now, cap);
  return plan.table !== undefined && !bookWrite(tf, plan.table) ? R_STORAGE : plan.reason;
}

/** An owner's REVOKE of `id`, which is not in the key table: marks the ticket in the book (or a revoked record before its first use). */
export function ticketRevoke(tf: TravelFiles, id: number, now: number): number {
  const table = bookRevoke(bookTable(tf), id, 0, now);
  return table === undefined ? R_FULL : bookWrite(tf, table) ? R_OK : R_STORAGE;
}

/**
 * LIST: adopts `list` if revlist.ts listAdmit says so and it leaves an active owner here that it
 * does not name (the last-owner rule, as for REVOKE). Returns the LISTED status: R_OK once the new
 * list is in flash (the caller then learns its made-at time), else why not.
 */
export function listAdopt(crypto: Crypto, tf: TravelFiles, ks: KeyStore, site: Site, list: Uint8Array): number {
  const signer = list.length >= LIST_HEAD ? ksLookup(ks, readU32(list, 9)) : undefined;
  const r = listAdmit(crypto, site, site.boardId!, list, storedList(tf), signer);
  if (r !== R_OK) return r;
  const s = strOf(list);
  let owners = 0;
  for (let i = 0, n = ksCount(ks); i < n && !owners; i++) {
    const k = ksGet(ks, i);
    if (isActiveOwner(k) && !listHasId(s, k.id)) owners++;
  }
  if (!owners) return R_LAST_OWNER;
  return listWrite(tf, list) ? R_OK : R_STORAGE;
}
