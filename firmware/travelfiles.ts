/**
 * The flash files of protocol v2 (docs/KEYS-THAT-TRAVEL.md): the ticket book
 * (firmware/ticketbook.ts) and the adopted revocation list (firmware/revlist.ts), each a
 * two-generation file (firmware/genfile.ts), so a power cut while recording a ticket or adopting a
 * list leaves the old or the new one, never neither; a write that finds too little room fails and
 * leaves the old one current (firmware/flashroom.ts).
 */
import type { Crypto, FlashStorage } from './ports';
import { type Generation, genData, genLoad, genWriteSmall } from './genfile';

export const TICKETS_FILE = 'ck.tkt.';
export const LIST_FILE = 'ck.rvl.';

export interface TravelFiles {
  storage: FlashStorage;
  crypto: Crypto;
  book: Generation | undefined;
  list: Generation | undefined;
}

export function travelOpen(storage: FlashStorage, crypto: Crypto): TravelFiles {
  return { storage, crypto, book: genLoad(storage, crypto, TICKETS_FILE), list: genLoad(storage, crypto, LIST_FILE) };
}

/** The ticket book as a flash-backed string ('' when empty). */
export function bookTable(tf: TravelFiles): string {
  return tf.book ? genData(tf.storage, tf.book) : '';
}

/** The adopted list as a flash-backed string ('' when none). */
export function storedList(tf: TravelFiles): string {
  return tf.list ? genData(tf.storage, tf.list) : '';
}

/** Writes a new ticket book; false (the old one still current) when the flash refused it. */
export function bookWrite(tf: TravelFiles, table: string): boolean {
  const g = genWriteSmall(tf.storage, tf.crypto, TICKETS_FILE, tf.book, table);
  if (g) tf.book = g;
  return !!g;
}

/** Writes an adopted list (checked by listAdmit); false (the old one still current) when the flash refused it. */
export function listWrite(tf: TravelFiles, list: Uint8Array): boolean {
  let s = '';
  for (let i = 0; i < list.length; i++) s += String.fromCharCode(list[i]);
  const g = genWriteSmall(tf.storage, tf.crypto, LIST_FILE, tf.list, s);
  if (g) tf.list = g;
  return !!g;
}
