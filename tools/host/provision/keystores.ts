/**
 * The key store host code reads and writes on a board's flash: the slot file (firmware/keystore.ts,
 * `ck.keys`) on every board (docs/ESPRUINO.md "Flash"). The two-generation table (`ck.keys.a|b`)
 * that earlier puckjs-nfc firmware kept is only read, to move such a board into the journal layout
 * (tools/host/relayout.ts keyTableRecords, its one decoder).
 */
import type { FlashStorage } from '../../../firmware/ports';
import * as slots from '../../../firmware/keystore';
import { hostCrypto } from '../crypto';

/** The key store module for a board's flash (one store on every board; kept as the callers' one entry). */
export function keyStoreOf(_flash: FlashStorage): typeof slots {
  return slots;
}

/** What a board's key table says: every live record (flags as its marks make them), hex, in id order; '' when empty. */
export function keyTableOf(flash: FlashStorage, capacity = 1000): string {
  // Opened on a copy of what is read: never create a file on the board being inspected.
  const ks = slots.ksOpen(readOnly(flash), hostCrypto, capacity);
  const out: string[] = [];
  for (let i = 0; i < slots.ksCount(ks); i++) out.push(Buffer.from(slots.encodeRecord(slots.ksGet(ks, i)), 'latin1').toString('hex'));
  return out.sort().join('');
}

/** `flash` for reading: writes and erases do nothing and fail. */
function readOnly(flash: FlashStorage): FlashStorage {
  return { ...flash, write: () => false, erase: () => undefined, compact: () => false };
}
