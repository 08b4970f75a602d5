/**
 * Site secrets and keys written into a board's flash (any FlashStorage: a simulated board's, the
 * benches' images) before it boots, the way the USB tool provisions a real one, in the firmware's
 * own file formats (firmware/genfile, keystore and site write them; the board reads them with the
 * same code). Also a card's key id and AES key, computed as the firmware computes them.
 * Not here: the passphrase-sealed site file (sitefile.ts), issuing keys for people (keys.ts).
 */
import { randomBytes } from 'node:crypto';
import type { FlashStorage } from '../../../firmware/ports';
import { hostCipher, hostCrypto } from '../crypto';
import { diversifyAes128 } from '../../../firmware/desfire';
import { CARD_AID, CARD_SYSTEM_ID, cardKeyId } from '../../../firmware/cards';
import type { KeyRecord } from '../../../firmware/keystore';
import { keyStoreOf } from './keystores';
import { type Site, keySecret, siteSave } from '../../../firmware/site';
import * as C from '../../../firmware/codes';
import type { PhoneKeyFile } from '../protocol';
import { newSetupCode } from './sitefile';
import { boardSecretsFor } from '../travel';

export interface SiteSecrets {
  secret: Uint8Array;
  cardMaster: Uint8Array;
  /** The board setup code: the 6-digit passkey for MITM-protected pairing (enrolment), printed for a label. */
  setupCode: string;
  /** The board's identity (protocol v2): written with the secrets as a v2 site file (firmware/site.ts). */
  boardId?: Uint8Array;
}

export function newSite(random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): SiteSecrets {
  return { secret: random(32), cardMaster: random(16), setupCode: newSetupCode(random) };
}

/**
 * What board `boardId` of `site` keeps in its flash (docs/KEYS-THAT-TRAVEL.md "Per-board secrets"):
 * its own board secret where v1 kept the site secret, its own card master, the site's setup code,
 * and its board id (a v2 site file: the board says it in its CHALLENGE and checks tickets and lists
 * against its slot). The firmware derives keys and checks MACs from them unchanged; the site
 * secret stays off the board.
 */
export function boardSite(site: SiteSecrets, boardId: Uint8Array): SiteSecrets {
  return { ...boardSecretsFor(site.secret, boardId), setupCode: site.setupCode, boardId };
}

/** Writes the site secrets into the board's flash. */
export function writeSite(flash: FlashStorage, site: SiteSecrets): void {
  const s: Site = { secret: site.secret, cardMaster: site.cardMaster, setupCode: site.setupCode, boardId: site.boardId, gen: undefined };
  if (!siteSave(flash, hostCrypto, s)) throw new Error('could not write the site secrets');
}

/** Adds a key record (as USB provisioning does, no actor) and returns its phone key file. */
export function addKey(flash: FlashStorage, site: SiteSecrets, capacity: number, rec: KeyRecord): PhoneKeyFile {
  // The board's key store, as its flash holds it (tools/host/provision/keystores.ts).
  const m = keyStoreOf(flash);
  const ks = m.ksOpen(flash, hostCrypto, capacity);
  const owners = m.ksLookup(ks, rec.id);
  if (owners) throw new Error('key ' + rec.id + ' exists');
  let r = m.ksAdd(ks, undefined, rec);
  // The firmware never lets an update compact (firmware/flashroom.ts); provisioning, with nothing
  // pending and the owner at hand, compacts when it needs room, as the USB tool's Storage.write would.
  if (r === C.R_STORAGE && flash.compact()) r = m.ksAdd(ks, undefined, rec);
  if (r !== C.R_OK) throw new Error('could not add key ' + rec.id + ': reason ' + r);
  return { keyId: rec.id, secret: phoneKeySecret(site, rec.id, rec.salt), label: rec.label };
}

/** A phone key's 16-byte secret, derived from the site secret as the board derives it (firmware/site.ts). */
export function phoneKeySecret(site: { secret: Uint8Array; cardMaster: Uint8Array }, id: number, salt: number): Uint8Array {
  return keySecret(hostCrypto, { secret: site.secret, cardMaster: site.cardMaster, setupCode: '', gen: undefined }, id >>> 0, salt >>> 0);
}

export function keyRecord(id: number, role: number, extra: Partial<KeyRecord> = {}): KeyRecord {
  return { id, kind: C.KIND_PHONE, flags: 0, role, perms: C.PERM_UNLOCK | C.PERM_LOCK | (role === C.ROLE_OWNER ? C.PERM_DRIVE : 0),
    weekdays: 0, notBefore: 0, notAfter: 0, winStart: 0, winEnd: 0, salt: (id * 2654435761) >>> 0, label: '', ...extra };
}

/** Key id of a card: the firmware's own computation (firmware/cards.ts). */
export function cardKeyIdOf(uid: Uint8Array): number {
  return cardKeyId(hostCrypto.sha256, uid);
}

/** The AES key a card of ours holds: diversified from the site's card master key (AN10922). */
export function cardKeyOf(site: SiteSecrets, uid: Uint8Array): Uint8Array {
  return diversifyAes128(hostCipher, site.cardMaster, uid, CARD_AID, CARD_SYSTEM_ID);
}

export { CARD_AID, CARD_SYSTEM_ID };
