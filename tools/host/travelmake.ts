/**
 * What an owner's phone key makes offline (protocol v2, docs/KEYS-THAT-TRAVEL.md sections 5 and 6),
 * without the MACs: the checked ticket body and the boards it is for, the checked revocation-list
 * body and its boards in tag order, the ids a list holds, the fields of a shared ticket, and the
 * exact bytes each tag and guest secret is the HMAC of. The MAC is the caller's: the CLI and the
 * simulator's phone compute it from secret bytes (tools/host/travel.ts makeTicket / makeList, over
 * the firmware's ticketTag / listTag), the web phone key with a non-extractable WebCrypto key
 * (sim/web/share.ts); test/web/share.test.ts checks both give the same bytes.
 * Browser-safe (no Node imports). Throws TravelError with one clear line.
 */
import { hex } from './bytes';
import { reasonName } from './names';
import { boardSlot, ck2Input } from '../../firmware/boardkeys';
import { type Ticket, TICKET_BODY, TICKET_GUEST_DOMAIN, TICKET_TAG_DOMAIN, ticketEncode, ticketParse } from '../../firmware/ticket';
import { LIST_HEAD, LIST_MAX_BOARDS, LIST_MAX_IDS, listEncodeBody, listParse, listTagInput } from '../../firmware/revlist';
import { readU32 } from '../../firmware/bytes';
import { TravelError } from './travelkey';

/** How far back a shared ticket's validity starts: the clocks of the owner's phone and the car differ. */
export const SHARE_SKEW_S = 300;
/** The longest a shared ticket lasts: a year (it cannot be taken back but by a list). */
export const MAX_TICKET_S = 366 * 86400;

/** What the maker of a ticket chooses; the issuer and the board set come from the owner's key. */
export type TicketFields = Omit<Ticket, 'issuer' | 'boards' | 'label'> & { label?: string };

/** The owner key as each client holds it: its id, whether it is a ticket, one part per board (secret bytes or a CryptoKey). */
export interface OwnerParts<P extends { boardId: Uint8Array }> {
  keyId: number;
  ticket?: Uint8Array;
  boards: P[];
}

function slotsOf(parts: { boardId: Uint8Array }[]): number {
  let mask = 0;
  for (const p of parts) mask = (mask | (1 << (boardSlot(p.boardId) - 1))) >>> 0;
  return mask;
}

/** The owner's part for board `boardId`, or one clear line. */
export function partFor<P extends { boardId: Uint8Array }>(key: OwnerParts<P>, boardId: Uint8Array): P {
  const p = key.boards.find((b) => hex(b.boardId) === hex(boardId));
  if (!p) throw new TravelError('key ' + key.keyId + ' has no secret for board ' + hex(boardId));
  return p;
}

/**
 * The fields of a ticket shared now (`now`, seconds) for `validForS` seconds: valid from
 * SHARE_SKEW_S before now (a car whose clock runs a little behind the phone's must not refuse a
 * ticket made this minute as "not yet valid"), every day and hour, made at `now`.
 */
export function sharedTicketFields(id: number, role: number, perms: number, validForS: number, now: number, label: string): TicketFields {
  return { id, role, perms, weekdays: 0, notBefore: now - SHARE_SKEW_S, notAfter: now + Math.max(1, Math.round(validForS)), winStart: 0, winEnd: 0, madeAt: now, label };
}

/**
 * The body of a ticket `owner` makes for the boards of `boardIds` (all of its boards when absent),
 * and the owner's parts for those boards. Refuses what a board would refuse.
 */
export function ticketPlan<P extends { boardId: Uint8Array }>(owner: OwnerParts<P>, fields: TicketFields, boardIds?: Uint8Array[]): { body: Uint8Array; parts: P[] } {
  if (owner.ticket) throw new TravelError('a ticket cannot issue tickets');
  const parts = boardIds ? boardIds.map((b) => partFor(owner, b)) : owner.boards;
  if (!parts.length) throw new TravelError('a ticket must open at least one board');
  const t: Ticket = { ...fields, issuer: owner.keyId, boards: slotsOf(parts), label: fields.label ?? '' };
  if (!/^[\x20-\x7e]{0,6}$/.test(t.label)) throw new TravelError('ticket label: at most 6 printable ASCII characters');
  const body = ticketEncode(t);
  const checked = ticketParse(body);
  if (typeof checked === 'number') throw new TravelError('a board would refuse this ticket: ' + reasonName(checked) + ' (role driver or guest, permissions unlock/lock/drive, an end after its start and its making)');
  return { body, parts };
}

/** What tag_b and the guest's secret_b are the HMACs of, under the owner's secret on board b (firmware/ticket.ts). */
export function ticketMacInputs(body: Uint8Array): { tag: Uint8Array; guest: Uint8Array } {
  const b = body.subarray(0, TICKET_BODY);
  return { tag: ck2Input(TICKET_TAG_DOMAIN, b), guest: ck2Input(TICKET_GUEST_DOMAIN, b) };
}

/** What a list's tag_b is the HMAC of, under the signer's secret on board b (firmware/revlist.ts). */
export const listMacInput = listTagInput;

/**
 * The body of a revocation list signed by `owner` for all its boards (version, made-at seconds,
 * the revoked ids sorted with duplicates dropped), and the owner's parts in tag order (ascending
 * slot). Bounded: 24 ids, 8 boards. The caller appends one tag per part.
 */
export function listPlan<P extends { boardId: Uint8Array }>(owner: OwnerParts<P>, version: number, madeAt: number, ids: number[]): { body: Uint8Array; parts: P[] } {
  if (owner.ticket) throw new TravelError('only an owner key can sign a revocation list');
  const sorted = [...new Set(ids.map((i) => i >>> 0))].sort((a, b) => a - b);
  if (sorted.length > LIST_MAX_IDS) throw new TravelError(`a revocation list holds at most ${LIST_MAX_IDS} ids, got ${sorted.length}: drop expired tickets and keys removed from every board`);
  if (sorted.includes(0) || sorted.includes(owner.keyId)) throw new TravelError('a revocation list cannot name id 0 or its own signer');
  const parts = [...owner.boards].sort((a, b) => boardSlot(a.boardId) - boardSlot(b.boardId));
  if (parts.length > LIST_MAX_BOARDS) throw new TravelError(`a revocation list covers at most ${LIST_MAX_BOARDS} boards, this key has ${parts.length}`);
  if (!(Number.isInteger(version) && version >= 1 && version <= 0xffffffff) || !(Number.isInteger(madeAt) && madeAt >= 1 && madeAt <= 0xffffffff)) {
    throw new TravelError('a board would refuse this list: bad input (version >= 1, a made-at time)');
  }
  return { body: listEncodeBody(version, madeAt, owner.keyId, slotsOf(parts), sorted), parts };
}

/** Checks a whole list (body and tags) as a board would read it; returns it. */
export function checkedList(list: Uint8Array): Uint8Array {
  const l = listParse(list);
  if (typeof l === 'number') throw new TravelError('a board would refuse this list: ' + reasonName(l) + ' (version >= 1, a made-at time)');
  return list;
}

/** The ids a list revokes (none for no list or a malformed one). */
export function listIds(list: Uint8Array | undefined): number[] {
  const l = list ? listParse(list) : undefined;
  if (!l || typeof l === 'number') return [];
  const ids: number[] = [];
  for (let i = 0; i < l.count; i++) ids.push(readU32(list!, LIST_HEAD + 4 * i));
  return ids;
}
