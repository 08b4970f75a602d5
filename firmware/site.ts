/**
 * The board's site secrets: a 32-byte secret from which every phone key's secret is derived, and
 * the 16-byte card master key from which every card's key is diversified. Set by USB provisioning
 * (tools/provision); on a factory-fresh board, generated from the hardware RNG at first boot so
 * that an owner enrolled through the pairing window still has a unique secret.
 *
 * Factory-fresh means no file of ours in Storage but the site's own (a first boot cut short while
 * writing it). A board with keys, a log, settings or a clock but no readable site file has LOST
 * it: new secrets would silently invalidate every key, so siteLoad refuses (returns undefined)
 * and the board stays shut until the owner writes the site back over USB (docs/THREAT-MODEL.md).
 *
 * Phone key secret = first 16 bytes of HMAC-SHA256(siteSecret, 'CK1K' | id u32 | salt u32): the
 * table holds no secrets itself, and a provisioning tool holding the site file can issue keys.
 * Anyone holding the board can read its flash (docs/THREAT-MODEL.md): these secrets included.
 *
 * The setup code: 6 digits made when the site is provisioned (kept in the site file, printed for a
 * label), the static passkey a phone types to pair with MITM protection, which enrolment needs
 * (docs/THREAT-MODEL.md). Stored after the secrets. A board never provisioned makes its own at
 * first boot (read it over USB with `provision show`); a site written by tools older than the
 * code has none, and then no link is MITM-protected: no enrolment over the air.
 *
 * Protocol v2 (docs/KEYS-THAT-TRAVEL.md "Board identity"): a v2 site file is 62 bytes, board secret
 * (in `secret`) | card master | setup code (6 digits, or 6 NUL bytes) | board id (8: slot, serial).
 * A 48- or 54-byte file is a v1 site: no board id, so no tickets and no lists on this board. A
 * factory-fresh board of a build with v2 (firmware/build-flags.ts TRAVEL) makes its own identity:
 * slot 1 and a random serial, a site of one.
 */
import type { Crypto, FlashStorage, Random } from './ports';
import { strOf, writeU32 } from './bytes';
import { type Generation, genData, genLoad, genWriteSmall } from './genfile';
import { type HmacPads, hmacPads, hmacWithPads } from './hmac';
import { BOARD_ID_BYTES, boardSlot } from './boardkeys';
import { TRAVEL } from './build-flags';

const SITE_FILE = 'ck.site.';
export const SITE_BYTES = 48;
export const SETUP_CODE_DIGITS = 6;
/** A v2 site file: the v1 fields, the setup code at a fixed place (NULs when none), the board id. */
export const SITE_V2_BYTES = SITE_BYTES + SETUP_CODE_DIGITS + BOARD_ID_BYTES;

export interface Site {
  secret: Uint8Array;
  cardMaster: Uint8Array;
  /** Six ASCII digits, or '' when the site has none. */
  setupCode: string;
  /** The board's identity (slot 1..32, serial 7): a v2 site; undefined for a v1 site. */
  boardId?: Uint8Array;
  gen: Generation | undefined;
  /** The secret's HMAC pads, made at the first keySecret and kept: each derivation then runs no interpreted loop. */
  pads?: HmacPads;
}

/** True for exactly six ASCII digits. */
function validSetupCode(c: string): boolean {
  if (c.length !== SETUP_CODE_DIGITS) return false;
  for (let i = 0; i < c.length; i++) if (c.charCodeAt(i) < 48 || c.charCodeAt(i) > 57) return false;
  return true;
}

function bytesOf(s: string, from: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = s.charCodeAt(from + i) & 255;
  return out;
}

/** The site, made on a factory-fresh board; undefined when it is lost (refuse: see the header). */
export function siteLoad(storage: FlashStorage, crypto: Crypto, random: Random): Site | undefined {
  const gen = genLoad(storage, crypto, SITE_FILE);
  // 48 bytes (v1), 54 (v1 with a setup code), 62 (v2); a committed generation is whole (genfile.ts).
  if (gen && gen.length >= SITE_BYTES) {
    const s = genData(storage, gen);
    const code = s.substr(SITE_BYTES, SETUP_CODE_DIGITS);
    const site: Site = { secret: bytesOf(s, 0, 32), cardMaster: bytesOf(s, 32, 16), setupCode: validSetupCode(code) ? code : '', gen };
    // A v2 file: its board id; one with a slot out of range keeps loading, as a v1 site (no
    // identity to claim). A v1-only build reads it as a v1 site.
    if (TRAVEL && gen.length === SITE_V2_BYTES) {
      const id = bytesOf(s, SITE_BYTES + SETUP_CODE_DIGITS, BOARD_ID_BYTES);
      if (boardSlot(id)) site.boardId = id;
    }
    return site;
  }
  const ours = storage.list('ck.');
  for (let i = 0; i < ours.length; i++) if (ours[i].indexOf(SITE_FILE) !== 0) return undefined;
  // Six digits from 3 random bytes (24 bits mod 10^6: a bias under 6 %, immaterial for a pairing code).
  const r = random.bytes(3);
  const code = '' + (1000000 + ((r[0] << 16) | (r[1] << 8) | r[2]) % 1000000);
  const site: Site = { secret: random.bytes(32), cardMaster: random.bytes(16), setupCode: code.substr(1), gen: undefined };
  if (TRAVEL) {
    site.boardId = random.bytes(BOARD_ID_BYTES);
    site.boardId[0] = 1; // slot 1 of a site of one
  }
  // Kept only if it reached the flash: a site that would be gone after the next reset is refused now.
  return siteSave(storage, crypto, site) ? site : undefined;
}

/** Replaces the site secrets (USB provisioning only): a v2 file when the site has a board id. */
export function siteSave(storage: FlashStorage, crypto: Crypto, site: Site): boolean {
  const code = validSetupCode(site.setupCode) ? site.setupCode : '';
  const v2 = TRAVEL && site.boardId && boardSlot(site.boardId) ? (code || '\0\0\0\0\0\0') + strOf(site.boardId) : code;
  const gen = genWriteSmall(storage, crypto, SITE_FILE, site.gen, strOf(site.secret) + strOf(site.cardMaster) + v2);
  if (gen) site.gen = gen;
  return !!gen;
}

/** The 16-byte secret of phone key (id, salt). */
export function keySecret(crypto: Crypto, site: Site, id: number, salt: number): Uint8Array {
  const msg = new Uint8Array(12);
  msg.set([67, 75, 49, 75]); // 'CK1K'
  writeU32(msg, 4, id);
  writeU32(msg, 8, salt);
  if (!site.pads) site.pads = hmacPads(site.secret);
  return hmacWithPads(crypto.sha256, site.pads, msg).subarray(0, 16);
}
