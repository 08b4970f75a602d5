/**
 * Keycards: what a tap means. A card's key id is the first 4 bytes of SHA-256 of its UID. A
 * DESFire card must prove its per-card AES key (diversified from the site's card master key, see
 * firmware/desfire.ts) before the core even looks at its rights; a UID-only card is cloneable and
 * works only with the `insecureUidCards` setting, logged on every use. A tap unlocks a locked car
 * and locks an unlocked one. An owner card tapped while the board's button is held opens the
 * phone-key enrolment window instead (a physical act, never an ordinary unlock). An owner's phone
 * can ask to enrol the next new card tapped within 30 s.
 *
 * Must not: unlock on anything but core.request's verdict, or keep the reader's field on.
 */
import type { CardReader, Ports } from './ports';
import type { BlockCipher } from './cmac';
import * as C from './codes';
import { type Core, audit, STATE_BITS, coreConfig, corePorts, coreStatus, lookupKey, manageKey, openEnrolWindow, request, safely } from './core';
import { INTERNAL, authenticateDesfire, type DesfireConfig } from './desfire';
import type { KeyRecord } from './keystore';
import { CARD_WINDOW_ROLE, isActiveOwner } from './access';
import type { Site } from './site';
import { readU32 } from './bytes';

const CARD_ENROL_MS = 30000;
/** A card still on the reader is reported at every poll: one decision per tap, not per poll. */
const SAME_TAP_MS = 2000;
/** Our application on the card (wire order) and the AN10922 system identifier. */
export const CARD_AID = /* @__PURE__ */ new Uint8Array([0x31, 0x4b, 0x43]);
export const CARD_SYSTEM_ID = /* @__PURE__ */ new Uint8Array([0x63, 0x61, 0x72, 0x6b, 0x65, 0x79]); // 'carkey'
const SAK_ISO14443_4 = 0x20;
/** Card personalisation in this build (hal/boards `personaliseCards`; host tests run every feature): without it, no code for it. */
const PERSONALISE = typeof __PERSONALISE__ === 'undefined' || __PERSONALISE__;

/** Turns a blank card into one of ours (DESFire personalisation), when the build has it. */
export type Personalise = (cfg: DesfireConfig, reader: CardReader, uid: Uint8Array, sak: number, cb: (ok: boolean, reason: string) => void) => void;

export interface Cards {
  core: Core;
  /** The core's ports (corePorts), read once at start. */
  p: Ports;
  reader: CardReader;
  cfg: DesfireConfig;
  personalise: Personalise | undefined;
  busy: boolean;
  /** A pending card enrolment asked for by an owner: the record to add and until when. */
  enrol: KeyRecord | undefined;
  enrolActor: KeyRecord | undefined;
  enrolUntil: number;
  /** The card decided last and when it was last seen, to ignore it while it stays on the reader. */
  lastId: number;
  lastSeen: number;
}

export function cardsStart(core: Core, reader: CardReader, site: Site, cipher: BlockCipher, personalise?: Personalise): Cards {
  const p = corePorts(core);
  // The rest (busy, an enrolment asked for, the last card's id) is set when it happens.
  const cards = {
    core, p, reader, lastSeen: -SAME_TAP_MS,
    cfg: { siteKey: site.cardMaster, aid: CARD_AID, keyNo: 0, systemId: CARD_SYSTEM_ID, cipher, random: p.random },
  } as Cards;
  if (PERSONALISE) cards.personalise = personalise;
  reader.start(
    (uid, sak) => safely(core, () => onCard(cards, uid, sak)),
    (reason) => safely(core, () => p.console.log('reader: ' + reason)),
  );
  return cards;
}

/** Key id of a card: first 4 bytes of SHA-256(UID), never 0. Host tools compute it with this too. */
export function cardKeyId(sha256: (d: Uint8Array) => Uint8Array, uid: Uint8Array): number {
  return readU32(sha256(uid), 0) || 1;
}

/** An owner asks (authenticated, by phone) to enrol the next new card tapped within 30 s as `rec`. */
export function expectCard(cards: Cards, actor: KeyRecord, rec: KeyRecord): number {
  if (!isActiveOwner(actor)) return C.R_NOT_PERMITTED;
  cards.enrol = rec;
  cards.enrolActor = actor;
  cards.enrolUntil = cards.p.clock.uptimeMs() + CARD_ENROL_MS;
  return C.R_OK;
}

/** The tap is decided: the reader may look for the next card (a reader that throws is handled as `safely` does). */
function done(cards: Cards): void {
  cards.busy = false;
  safely(cards.core, () => cards.reader.release());
}

function onCard(cards: Cards, uid: Uint8Array, sak: number): void {
  if (cards.busy) return;
  const core = cards.core;
  const p = cards.p;
  const id = cardKeyId(p.crypto.sha256, uid);
  const now = p.clock.uptimeMs();
  const same = id === cards.lastId && now - cards.lastSeen < SAME_TAP_MS;
  cards.lastId = id;
  cards.lastSeen = now;
  if (same) { cards.reader.release(); return; }
  // Looked up once a tap: the decision (core.request) takes this record, unless a key changed meanwhile.
  let rec = lookupKey(core, id);
  const desfire = (sak & SAK_ISO14443_4) !== 0;
  if (!rec && cards.enrol && now < cards.enrolUntil) { enrolCard(cards, id, uid, sak, desfire); return; }
  const perm = (coreStatus(core) & STATE_BITS) === C.S_UNLOCKED ? C.PERM_LOCK : C.PERM_UNLOCK;
  cards.busy = true;
  // The closures below keep this scope until the decision: a boolean, not a second reference to
  // the record (the core keeps it for the decision, lookupKey).
  let owner = false;
  // The verdict on the card (`ok`, or why not) is decided on a fresh stack: the authentication's
  // call frames and buffers are gone by then, so they do not sit under the decision's flash writes
  // (every frame costs variables).
  const verdict = (ok: boolean, reason: string) => {
    p.timers.after(0, () => {
      safely(core, () => {
        // Every refused tap is said on the console: failures reach the log only as bursts (failures.ts).
        if (!ok) p.console.log('card ' + id + ': ' + reason);
        const button = p.button;
        if (ok && owner && button && button.read()) {
          // Owner card + button held: the physical act that opens the phone-key enrolment window.
          openEnrolWindow(core, CARD_WINDOW_ROLE);
        } else {
          // The board's own failure (its crypto threw) is an internal error, as on the phone
          // path: request's `safely` turns it into R_ERROR, logged, counted against nobody.
          request(core, id, perm, () => {
            if (reason === INTERNAL) throw new Error('card ' + id + ': ' + reason);
            return ok ? C.R_OK : reason === 'card-removed' ? C.R_TIMEOUT : C.R_BAD_MAC;
          });
        }
      });
      done(cards);
    });
  };
  if (!rec || rec.kind !== C.KIND_CARD || !desfire) {
    // Decided without card I/O: a UID-only card has nothing to prove (the core refuses it unless
    // cloneable cards are allowed, and logs each use); an unknown card, a phone key's id, or a
    // card key on a card that is not DESFire is refused.
    verdict(!!rec && rec.kind === C.KIND_UID_CARD, rec ? 'not a card key' : 'unknown key');
    return;
  }
  owner = isActiveOwner(rec);
  rec = undefined;
  authenticateDesfire(cards.cfg, cards.reader.transceive, uid, sak, verdict);
}

function enrolCard(cards: Cards, id: number, uid: Uint8Array, sak: number, desfire: boolean): void {
  const core = cards.core;
  const rec = cards.enrol!;
  const actor = cards.enrolActor;
  cards.enrol = undefined;
  rec.id = id;
  const finish = (kind: number, ok: boolean, reason: number) => {
    safely(core, () => {
      if (ok) { rec.kind = kind; manageKey(core, actor, 'add', rec); } else audit(core, C.LOG_DENIED, C.LOG_KEY_ADDED, reason, id);
    });
    done(cards);
  };
  if (!desfire) {
    // A UID-only card can be enrolled only where the owner accepted cloneable cards.
    finish(C.KIND_UID_CARD, coreConfig(core).insecureUidCards, C.R_INSECURE_CARD);
    return;
  }
  cards.busy = true;
  authenticateDesfire(cards.cfg, cards.reader.transceive, uid, sak, (ok, reason) => {
    // The board's own failure is not the card's: no personalisation attempt, logged as internal.
    if (ok || !PERSONALISE || !cards.personalise || reason === INTERNAL) { finish(C.KIND_CARD, ok, reason === INTERNAL ? C.R_ERROR : C.R_BAD_MAC); return; }
    cards.personalise(cards.cfg, cards.reader, uid, sak, (done2) => finish(C.KIND_CARD, done2, C.R_BAD_MAC));
  });
}
