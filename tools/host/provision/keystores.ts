/**
 * Which key store a board's firmware keeps, for host code that reads or writes a board's flash:
 * the slot file (firmware/keystore.ts, `ck.keys`) on every board whose bundle leaves room for it,
 * the two-generation table (firmware/keystore-gen.ts, `ck.keys.a|b`) on `puckjs-nfc`, whose build
 * resolves './keystore' to keystore-gen.ts (tools/host/build/bundle.ts). Host code picks the module
 * by what the flash holds, so one provisioning path serves both (docs/ESPRUINO.md "Flash").
 */
import type { FlashStorage } from '../../../firmware/ports';
import * as slots from '../../../firmware/keystore';
import * as gens from '../../../firmware/keystore-gen';
import { genWrite } from '../../../firmware/genfile';
import { hostCrypto } from '../crypto';
import { usesKeyGenerations } from '../../../hal/boards/index';

export { usesKeyGenerations };

/** The key store module for what `flash` holds: the two-generation table when one is there, else the slot file. */
export function keyStoreOf(flash: FlashStorage): typeof slots {
  return (flash.list(gens.KEYS_FILE).length ? gens : slots) as unknown as typeof slots;
}

/** Makes the empty key table a board of this kind reads (a first generation of no records on keystore-gen boards; nothing otherwise). */
export function prepareKeyTable(flash: FlashStorage, board: { nfc: boolean; storageBytes: number }): void {
  if (usesKeyGenerations(board) && !flash.list(gens.KEYS_FILE).length && !genWrite(flash, hostCrypto, gens.KEYS_FILE, undefined, 0, () => '')) throw new Error('could not write the key table');
}

/** What a board's key table says, whichever store holds it: every live record (flags as its marks make them), hex, in id order; '' when empty. */
export function keyTableOf(flash: FlashStorage, capacity = 1000): string {
  const m = keyStoreOf(flash);
  // Opened on a copy of what is read: never create a file on the board being inspected.
  const ks = m.ksOpen(readOnly(flash), hostCrypto, capacity);
  const out: string[] = [];
  for (let i = 0; i < m.ksCount(ks); i++) out.push(Buffer.from(slots.encodeRecord(m.ksGet(ks, i)), 'latin1').toString('hex'));
  return out.sort().join('');
}

/** `flash` for reading: writes and erases do nothing and fail. */
function readOnly(flash: FlashStorage): FlashStorage {
  return { ...flash, write: () => false, erase: () => undefined, compact: () => false };
}
