/**
 * Cards for the card-side targets (desfire, pn532-driver, cards): genuine, cloned and lying
 * DESFire cards for one site key, and a wrapper that mutates, drops or delays their answers.
 */
import { hostCipher } from '../../host/crypto';
import { type SimCard } from '../../../sim/pn532/pn532';
import { SimDesfireCard } from '../../../sim/cards/desfire';
import { diversifyAes128 } from '../../../firmware/desfire';
import { aesDecryptBlock, aesEncryptBlock } from '../../../firmware/aes';
import type { BlockCipher } from '../../../firmware/cmac';
import { mutate, sameBytes } from '../common';
import { type Rng } from '../../host/random';

export const SITE_KEY = new Uint8Array(Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex'));
export const AID = new Uint8Array([0x31, 0x4b, 0x43]);
export const SYS = new Uint8Array([0x63, 0x61, 0x72, 0x6b, 0x65, 0x79]);
export const softAes: BlockCipher = { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock };

export function cardFor(r: Rng, uid: Uint8Array, kind: 'genuine' | 'clone' | 'liar'): SimDesfireCard {
  const key = kind === 'genuine' ? diversifyAes128(hostCipher, SITE_KEY, uid, AID, SYS) : r.bytes(16);
  return new SimDesfireCard(uid, [{ aid: AID, keys: [key] }], { random: (n) => r.bytes(n), liar: kind === 'liar' });
}

/** Wraps a card: each answer may be mutated, dropped or delayed into an error; records whether any was. */
export interface MutatingCard extends SimCard { changed: boolean; p: number; inner: SimCard }

export function mutatingCard(r: Rng, inner: SimCard, p: number): MutatingCard {
  const m: MutatingCard = {
    inner, p, changed: false,
    get uid() { return m.inner.uid; }, get atqa() { return m.inner.atqa; }, get sak() { return m.inner.sak; }, get ats() { return m.inner.ats; },
    apdu(cmd) {
      const a = m.inner.apdu(cmd);
      if (!r.chance(m.p)) return a;
      const b = r.chance(0.1) ? undefined : mutate(r, a || new Uint8Array(0), 64);
      if (!sameBytes(a, b)) m.changed = true;
      return b;
    },
  } as MutatingCard;
  return m;
}
