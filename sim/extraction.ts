/**
 * A board's flash read out, and everything it holds tried against other boards (issue 17,
 * scenario `three-cars-one-extracted`; docs/THREAT-MODEL.md "An extracted board").
 *
 * `readOut` takes every file the simulated flash holds (and on the VM engine the raw flash image
 * too, so erased generations count). `tryEverything` treats every 16- and 32-byte window of it as a
 * site secret, a board secret, a phone key secret (with every key id and salt in the extracted
 * table) and a card master key; for each guess it derives, as the provisioning tools and the board
 * do, the phone key secret a target board would accept, MACs an UNLOCK with it for the target's
 * nonce, and the card key of each card UID given. `Target.accepts` says what the target would take:
 * computed from the target's OWN flash (its site file and key table, read with the firmware's
 * formats and derivations), i.e. the board's own check, without the radio's cost per try. The
 * scenario then sends the likeliest guesses over the air as well.
 */
import type { SimCar } from './car';
import { flashOf } from './provision';
import { hostCipher, hostCrypto } from '../tools/host/crypto';
import { boardSecretsFor } from '../tools/host/travel';
import { OP, command, nodeMac } from '../tools/host/protocol';
import { CARD_AID, CARD_SYSTEM_ID } from '../tools/host/provision/site';
import { diversifyAes128 } from '../firmware/desfire';
import { type Site, keySecret, siteLoad } from '../firmware/site';
import { FLAG_DISABLED, FLAG_REVOKED } from '../firmware/keystore';
import { keyStoreOf } from '../tools/host/provision/keystores';
import * as C from '../firmware/codes';
import * as st from './engine/storage';

/** What reading a board's flash gives: each file by name, plus `(raw flash)` where the engine has it. */
export type ReadOut = Map<string, Uint8Array>;

export function readOut(car: SimCar): ReadOut {
  const out: ReadOut = new Map();
  // The bundle (.bootcde) is the same public code on every board: no secret in it, so its bytes are
  // left out of the search (they would only slow it down).
  for (const name of car.board.storage.list()) {
    const b = name === '.bootcde' ? undefined : car.board.storage.bytes(name);
    if (b) out.set(name, b);
  }
  // The VM engine models the flash itself (erased generations included); the real interpreter keeps it in its file.
  if (car.board.engine === 'vm') {
    const raw = new Uint8Array(car.board.storage.flash.mem);
    const code = st.find(car.board.storage.flash, '.bootcde');
    if (code) raw.fill(0xff, code.addr, code.addr + code.data.length);
    out.set('(raw flash)', raw);
  }
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Every distinct `size`-byte window of every file. */
export function windows(files: ReadOut, sizes: number[] = [16, 32]): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  for (const data of files.values()) {
    for (const n of sizes) for (let i = 0; i + n <= data.length; i++) {
      const w = data.subarray(i, i + n);
      const k = hex(w);
      if (!seen.has(k)) seen.set(k, new Uint8Array(w));
    }
  }
  return [...seen.values()];
}

const noRandom = { bytes: (): Uint8Array => { throw new Error('the board has no site file'); } };

/** A car's site and key table as its flash holds them (the firmware's formats). */
function flashSecrets(car: SimCar): { site: Site; keys: { id: number; salt: number; kind: number; active: boolean }[] } {
  const flash = flashOf(car.board);
  const site = siteLoad(flash, hostCrypto, noRandom);
  if (!site) throw new Error('no readable site file on ' + car.config.id);
  const m = keyStoreOf(flash);
  const ks = m.ksOpen(flash, hostCrypto, car.config.keyCapacity);
  const keys = [];
  for (let i = 0; i < m.ksCount(ks); i++) {
    const r = m.ksGet(ks, i);
    keys.push({ id: r.id, salt: r.salt, kind: r.kind, active: !(r.flags & (FLAG_DISABLED | FLAG_REVOKED)) });
  }
  return { site, keys };
}

/** The key ids and salts an attacker reads from the extracted key table. */
export function keyTableOf(car: SimCar): { ids: number[]; salts: number[] } {
  const { keys } = flashSecrets(car);
  return { ids: [...new Set(keys.map((k) => k.id))], salts: [...new Set(keys.map((k) => k.salt))] };
}

/** A board to attack: its identity (public: a v2 board says it in its CHALLENGE) and what it accepts. */
export interface Target {
  name: string;
  boardId: Uint8Array;
  nonce: Uint8Array;
  /** keyId -> the UNLOCK this board would accept for `nonce`, from its own flash. */
  unlocks: Map<number, string>;
  /** card UID (hex) -> the AES key this board's card check would accept. */
  cardKeys: Map<string, string>;
}

/** What `car` accepts for an UNLOCK at `nonce`, and from cards with these UIDs, per its own flash. */
export function targetOf(name: string, car: SimCar, boardId: Uint8Array, nonce: Uint8Array, cardUids: Uint8Array[] = []): Target {
  const { site, keys } = flashSecrets(car);
  const unlocks = new Map<number, string>();
  for (const k of keys) if (k.active && k.kind === C.KIND_PHONE) unlocks.set(k.id, hex(unlockFor(k.id, keySecret(hostCrypto, site, k.id, k.salt), nonce)));
  const cardKeys = new Map(cardUids.map((u) => [hex(u), hex(cardKey(site.cardMaster, u))]));
  return { name, boardId, nonce, unlocks, cardKeys };
}

const unlockFor = (keyId: number, secret: Uint8Array, nonce: Uint8Array) => command(nodeMac, { keyId, secret }, nonce, OP.UNLOCK);
const cardKey = (master: Uint8Array, uid: Uint8Array) => diversifyAes128(hostCipher, master, uid, CARD_AID, CARD_SYSTEM_ID);
const asSite = (secret: Uint8Array): Site => ({ secret, cardMaster: new Uint8Array(16), setupCode: '', gen: undefined });

/** One guess that a target accepts: how it was made. */
export interface Opening {
  target: string;
  role: 'site secret' | 'board secret' | 'phone key secret' | 'card master';
  window: string;
  keyId?: number;
  salt?: number;
  uid?: string;
}

/** The phone key an opening makes for board `boardId`: the same guess, derived for that board. */
export function guessedKey(o: Opening, boardId: Uint8Array): { keyId: number; secret: Uint8Array } {
  const w = Buffer.from(o.window, 'hex');
  if (o.keyId === undefined) throw new Error('not a phone key guess');
  const boardSecret = o.role === 'site secret' ? boardSecretsFor(w, boardId).secret : w;
  const secret = o.role === 'phone key secret' ? w : keySecret(hostCrypto, asSite(boardSecret), o.keyId, o.salt!);
  return { keyId: o.keyId, secret: new Uint8Array(secret) };
}

/** The card key an opening makes for a card with `uid` on board `boardId`. */
export function guessedCardKey(o: Opening, boardId: Uint8Array, uid: Uint8Array): Uint8Array {
  const w = Buffer.from(o.window, 'hex');
  return cardKey(o.role === 'site secret' ? boardSecretsFor(w, boardId).cardMaster : w, uid);
}

export interface Attempt {
  windows: number;
  /** MACed UNLOCKs and card keys tried, over all targets. */
  tries: number;
  openings: Opening[];
}

/**
 * Tries every window of `files` in every role against every target (see the header). Returns each
 * guess a target accepts: none means the read-out opens none of them.
 */
export function tryEverything(files: ReadOut, table: { ids: number[]; salts: number[] }, targets: Target[]): Attempt {
  const ws = windows(files);
  const openings: Opening[] = [];
  let tries = 0;
  const combos: { id: number; salt: number }[] = [];
  for (const id of table.ids) for (const salt of table.salts) combos.push({ id, salt });
  const uids = [...new Set(targets.flatMap((t) => [...t.cardKeys.keys()]))];
  for (const w of ws) {
    const window = hex(w);
    const asBoard = asSite(w);
    // What does not depend on the target, derived once: w as a board secret, as a card master.
    const keysAsBoard = combos.map((c) => keySecret(hostCrypto, asBoard, c.id, c.salt));
    const cardsAsMaster = w.length === 16 ? new Map(uids.map((u) => [u, hex(cardKey(w, Buffer.from(u, 'hex')))])) : undefined;
    for (const t of targets) {
      const tryKey = (role: Opening['role'], keyId: number, secret: Uint8Array, salt?: number) => {
        tries++;
        if (t.unlocks.get(keyId) === hex(unlockFor(keyId, secret, t.nonce))) openings.push({ target: t.name, role, window, keyId, salt });
      };
      const tryCard = (role: Opening['role'], uid: string, key: string) => {
        tries++;
        if (t.cardKeys.get(uid) === key) openings.push({ target: t.name, role, window, uid });
      };
      // As the site secret: derive the target's board secret and card master, then its keys.
      const derived = boardSecretsFor(w, t.boardId);
      const derivedSite = asSite(derived.secret);
      combos.forEach((c) => tryKey('site secret', c.id, keySecret(hostCrypto, derivedSite, c.id, c.salt), c.salt));
      for (const uid of t.cardKeys.keys()) tryCard('site secret', uid, hex(cardKey(derived.cardMaster, Buffer.from(uid, 'hex'))));
      // As the target's board secret (what v1 boards kept as the site secret).
      combos.forEach((c, i) => tryKey('board secret', c.id, keysAsBoard[i], c.salt));
      // As a phone key's secret, under every key id of the table.
      for (const id of table.ids) tryKey('phone key secret', id, w);
      // As the target's card master (AES-128).
      if (cardsAsMaster) for (const uid of t.cardKeys.keys()) tryCard('card master', uid, cardsAsMaster.get(uid)!);
    }
  }
  return { windows: ws.length, tries, openings };
}
