/**
 * Simulated UID-only tag (MIFARE Classic-like: SAK 0x08, 4-byte UID, no ATS, no ISO-DEP): it
 * answers anticollision and nothing else, the kind of card that must never open a door. Host-only.
 */
import type { SimCard } from '../pn532/pn532';

export class SimUidOnlyCard implements SimCard {
  atqa = 0x0004;
  sak = 0x08;
  apdus = 0;
  constructor(readonly uid: Uint8Array) {}
  apdu(): Uint8Array | undefined {
    this.apdus++;
    return undefined;
  }
}
