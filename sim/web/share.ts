/**
 * The web phone key's owner side (docs/KEYS-THAT-TRAVEL.md sections 5 and 6), without the DOM:
 * the share form read into a ticket request (one clear line for anything a board would refuse, and
 * nothing made), a ticket made from the owner's non-extractable per-board CryptoKeys, and the next
 * version of the owner's revocation list with one more id. The bodies, checks and MAC inputs are
 * tools/host/travelmake.ts's (the CLI's makeTicket / makeList use the same); only the HMAC is
 * WebCrypto's here. The guest's per-board secrets are HMAC outputs of the owner's key: their bytes
 * exist only in the returned TravelKey, for the link (they are the guest's key: the link must be
 * handed over privately). Runs in browsers and in Node (tests).
 * Not here: the page (phonekey.ts), storage (keystore.ts), the visit (travel.ts).
 */
import { boardSlot } from '../../firmware/boardkeys';
import { LIST_TAG } from '../../firmware/revlist';
import { PERM_DRIVE, PERM_LOCK, PERM_UNLOCK, ROLE_DRIVER, ROLE_GUEST } from '../../firmware/codes';
import { hex, unhex } from '../../tools/host/bytes';
import { type TravelKey, TravelError } from '../../tools/host/travelkey';
import { MAX_TICKET_S, type OwnerParts, checkedList, listIds, listMacInput, listPlan, sharedTicketFields, ticketMacInputs, ticketPlan } from '../../tools/host/travelmake';
import { listVersion } from '../../tools/host/visit';
import { hmac16 } from './keycrypto';
import type { SharedTicket, StoredBoard, StoredKey } from './storedkey';

/** The share form as the page reads it: every field as typed or ticked. */
export interface ShareForm {
  role: string;
  /** Ticked permissions: 'unlock', 'lock', 'drive'. */
  perms: string[];
  /** Validity in hours, as typed (a decimal number). */
  hours: string;
  label: string;
  /** Ticked cars: board ids in hex. */
  boards: string[];
}

export interface ShareRequest {
  role: number;
  perms: number;
  validForS: number;
  label: string;
  boardIds: Uint8Array[];
}

const PERMS: Record<string, number> = { unlock: PERM_UNLOCK, lock: PERM_LOCK, drive: PERM_DRIVE };

/** The owner's key as a ticket maker, or one clear line why this key cannot make tickets or lists. */
export function ownerParts(k: StoredKey | undefined, what: 'share' | 'sign a revocation list'): OwnerParts<StoredBoard> {
  if (!k) throw new TravelError('no key on this device');
  if (!k.boards) throw new TravelError((what === 'share' ? 'sharing' : 'signing a revocation list') + ' needs a v2 owner key (a secret for each car: a #v=2 link or a version 2 key file); this is a v1 key');
  if (k.ticket) throw new TravelError('a ticket cannot ' + what + ': only an owner key can');
  return { keyId: k.keyId, ticket: k.ticket, boards: k.boards };
}

/** Reads the share form; throws TravelError with one line for a role above driver, no validity, no car, no permission. */
export function shareRequest(f: ShareForm): ShareRequest {
  const role = f.role === 'driver' ? ROLE_DRIVER : f.role === 'guest' ? ROLE_GUEST : -1;
  if (role < 0) throw new TravelError('a ticket is never an owner: choose driver or guest (an owner key is added at the car)');
  let perms = 0;
  for (const p of f.perms) {
    if (PERMS[p] === undefined) throw new TravelError('permissions: unlock, lock and drive only, got ' + JSON.stringify(p));
    perms |= PERMS[p];
  }
  if (!perms) throw new TravelError('choose at least one permission (unlock, lock, drive)');
  const h = f.hours.trim();
  if (!h) throw new TravelError('validity: how many hours the ticket lasts (every ticket ends)');
  if (!/^\d+(\.\d+)?$/.test(h)) throw new TravelError('validity: a number of hours such as 24 or 1.5, got ' + JSON.stringify(f.hours));
  const validForS = Math.round(Number(h) * 3600);
  if (!(validForS > 0)) throw new TravelError('validity must be longer than zero, got ' + h + ' hours');
  if (validForS > MAX_TICKET_S) throw new TravelError('validity: at most ' + MAX_TICKET_S / 3600 + ' hours (a year), got ' + h);
  if (!f.boards.length) throw new TravelError('choose at least one car the ticket opens');
  const boardIds = f.boards.map((b) => {
    if (!/^[0-9a-f]{16}$/i.test(b)) throw new TravelError('not a board id: ' + JSON.stringify(b));
    return unhex(b);
  });
  if (!/^[\x20-\x7e]{0,6}$/.test(f.label)) throw new TravelError('label: at most 6 plain characters (letters, digits, punctuation), got ' + JSON.stringify(f.label));
  return { role, perms, validForS, label: f.label, boardIds };
}

/** A random ticket id: nonzero and not the owner's id. */
export function newTicketId(ownerId: number, random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): number {
  let id = 0;
  while (!id || id === ownerId) {
    const b = random(4);
    id = ((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3]);
  }
  return id;
}

/**
 * The guest's key for a ticket made by `owner` now (`now`, seconds) from request `r`: the body
 * (tools/host/travelmake.ts ticketPlan), and per chosen car the tag and the guest's secret, each
 * the first 16 bytes of WebCrypto HMAC under the owner's non-extractable key for that car. The
 * guest carries the owner's revocation list. Throws TravelError; makes nothing then.
 */
export async function webTicket(owner: StoredKey, r: ShareRequest, now: number, id: number): Promise<TravelKey> {
  const { body, parts } = ticketPlan(ownerParts(owner, 'share'), sharedTicketFields(id, r.role, r.perms, r.validForS, now, r.label), r.boardIds);
  const input = ticketMacInputs(body);
  const boards = [];
  for (const p of parts) boards.push({ boardId: p.boardId.slice(), tag: await hmac16(p.key, input.tag), secret: await hmac16(p.key, input.guest) });
  const guest: TravelKey = { keyId: id, ticket: body, boards };
  if (r.label) guest.label = r.label;
  if (owner.list) guest.list = owner.list.slice();
  return guest;
}

/** Reads a key or ticket id as typed (decimal, or hex with 0x); throws TravelError. */
export function parseKeyId(text: string): number {
  const t = text.trim();
  const id = /^\d+$/.test(t) ? Number(t) : /^0x[0-9a-f]{1,8}$/i.test(t) ? parseInt(t.slice(2), 16) : NaN;
  if (!(Number.isInteger(id) && id >= 1 && id <= 0xffffffff)) throw new TravelError('revoke: a key or ticket id (1..4294967295, or 0x and hex), got ' + JSON.stringify(text));
  return id;
}

/**
 * The owner's next revocation list: every id of its current one and `id`, version one higher,
 * made at `now`, one WebCrypto tag per car of the key (ascending slot). `list` undefined: `id` is
 * already in the current list (nothing to do). Throws TravelError (a full list, its own id).
 */
export async function webRevokeList(owner: StoredKey, id: number, now: number): Promise<{ list?: Uint8Array; version: number; count: number }> {
  const o = ownerParts(owner, 'sign a revocation list');
  const ids = listIds(owner.list);
  const current = listVersion(owner.list);
  if (ids.includes(id)) return { version: current, count: ids.length };
  const { body, parts } = listPlan(o, current + 1, now, [...ids, id]);
  const out = new Uint8Array(body.length + LIST_TAG * parts.length);
  out.set(body);
  const input = listMacInput(body);
  for (let i = 0; i < parts.length; i++) out.set(await hmac16(parts[i].key, input), body.length + LIST_TAG * i);
  return { list: checkedList(out), version: current + 1, count: ids.length + 1 };
}

/** The cars of a key as the share form lists them: slot and board id. */
export function carsOf(k: StoredKey): { slot: number; boardId: string }[] {
  return (k.boards || []).map((b) => ({ slot: boardSlot(b.boardId), boardId: hex(b.boardId) })).sort((a, b) => a.slot - b.slot);
}

/** How many of the tickets it made an owner's key remembers on this device. */
export const SHARED_KEPT = 20;

/** `shared` with ticket `t` first, the ones ended before `now` dropped, at most SHARED_KEPT. */
export function rememberShared(shared: SharedTicket[] | undefined, t: SharedTicket, now: number): SharedTicket[] {
  return [t, ...(shared || []).filter((s) => s.id !== t.id && s.notAfter >= now)].slice(0, SHARED_KEPT);
}
