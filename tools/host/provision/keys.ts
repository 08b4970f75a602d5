/**
 * The site's key table on the host: what each issued key is (id, salt, role, permissions,
 * validity, label, kind, card UID), issuing new ones, their firmware records
 * (firmware/keystore.ts), phone key files and links, and export/import of the table.
 *
 * A phone key's secret is never stored: it is derived from the site secret, id and salt
 * (site.ts phoneKeySecret over firmware/site.ts keySecret), exactly as the board derives it. Exported tables hold no secrets.
 */
import { randomBytes } from 'node:crypto';
import type { KeyRecord } from '../../../firmware/keystore';
import * as C from '../../../firmware/codes';
import type { KeyFile } from '../keyfile';
import { cardKeyIdOf, phoneKeySecret } from './site';
import { ProvisionError, type SiteData } from './sitefile';

export type Role = 'owner' | 'driver' | 'guest';
export type Perm = 'unlock' | 'lock' | 'drive';
export type Kind = 'phone' | 'card' | 'uid-card';

export interface IssuedKey {
  id: number;
  salt: number;
  kind: Kind;
  role: Role;
  perms: Perm[];
  /** Unix seconds; 0 = no bound. */
  notBefore: number;
  notAfter: number;
  label: string;
  /** Hex, for cards. */
  cardUid?: string;
  issued: string;
}

export const ROLES: Record<Role, number> = { owner: C.ROLE_OWNER, driver: C.ROLE_DRIVER, guest: C.ROLE_GUEST };
export const PERMS: Record<Perm, number> = { unlock: C.PERM_UNLOCK, lock: C.PERM_LOCK, drive: C.PERM_DRIVE };
export const KINDS: Record<Kind, number> = { phone: C.KIND_PHONE, card: C.KIND_CARD, 'uid-card': C.KIND_UID_CARD };
const DEFAULT_PERMS: Record<Role, Perm[]> = { owner: ['unlock', 'lock', 'drive'], driver: ['unlock', 'lock', 'drive'], guest: ['unlock', 'lock'] };
/** The board keeps 6 bytes of label (firmware/keystore.ts); the site file keeps it whole. */
export const LABEL_BYTES = 6;

export function parseRole(s: string | undefined): Role {
  if (s === 'owner' || s === 'driver' || s === 'guest') return s;
  throw new ProvisionError('--role must be owner, driver or guest' + (s ? ' (got ' + s + ')' : ''));
}

export function parsePerms(s: string): Perm[] {
  const out: Perm[] = [];
  for (const p of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(p in PERMS)) throw new ProvisionError('unknown permission ' + p + ' (use unlock, lock, drive)');
    if (out.indexOf(p as Perm) < 0) out.push(p as Perm);
  }
  if (!out.length) throw new ProvisionError('--perms needs at least one of unlock, lock, drive');
  return out;
}

/** An ISO date/time as the board's unix seconds. */
export function parseTime(s: string, flag: string): number {
  const ms = Date.parse(s);
  if (!/^\d{4}-\d\d-\d\d/.test(s) || !Number.isFinite(ms)) throw new ProvisionError(flag + ' needs an ISO date or date-time, e.g. 2025-06-01T08:00:00Z (got ' + s + ')');
  const sec = Math.floor(ms / 1000);
  if (sec <= 0 || sec > 0xffffffff) throw new ProvisionError(flag + ' is out of range');
  return sec;
}

function randomU32(random: (n: number) => Uint8Array): number {
  const b = random(4);
  return (((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3])) >>> 0;
}

export interface IssueRequest {
  role: Role;
  label: string;
  perms?: Perm[];
  notBefore?: number;
  notAfter?: number;
  /** A DESFire card of ours (kind card) instead of a phone key: its id comes from its UID. */
  cardUid?: Uint8Array;
  now?: Date;
  random?: (n: number) => Uint8Array;
}

/** Adds a key to the site's table: a random id (never one already issued) and salt. */
export function issueKey(site: SiteData, req: IssueRequest): IssuedKey {
  const random = req.random || ((n: number) => new Uint8Array(randomBytes(n)));
  const label = req.label.trim();
  if (!label) throw new ProvisionError('--label is required');
  const notBefore = req.notBefore || 0;
  const notAfter = req.notAfter || 0;
  if (notAfter && notAfter < notBefore) throw new ProvisionError('--not-after is before --not-before');
  const taken = (id: number) => site.keys.some((k) => k.id === id);
  let id: number;
  if (req.cardUid) {
    id = cardKeyIdOf(req.cardUid);
    if (taken(id)) throw new ProvisionError('this card (id ' + id + ') is already issued');
  } else {
    let tries = 0;
    do {
      id = randomU32(random);
      if (++tries > 64) throw new ProvisionError('could not find a free key id');
    } while (id === 0 || taken(id));
  }
  const key: IssuedKey = {
    id, salt: randomU32(random), kind: req.cardUid ? 'card' : 'phone', role: req.role, perms: (req.perms || DEFAULT_PERMS[req.role]).slice(),
    notBefore, notAfter, label, issued: (req.now || new Date()).toISOString(),
  };
  if (req.cardUid) key.cardUid = Buffer.from(req.cardUid).toString('hex');
  site.keys.push(key);
  return key;
}

/** The firmware's 32-byte record of an issued key. */
export function recordOf(k: IssuedKey): KeyRecord {
  let perms = 0;
  for (const p of k.perms) perms |= PERMS[p];
  return {
    id: k.id >>> 0, kind: KINDS[k.kind], flags: 0, role: ROLES[k.role], perms, weekdays: 0, notBefore: k.notBefore >>> 0,
    notAfter: k.notAfter >>> 0, winStart: 0, winEnd: 0, salt: k.salt >>> 0, label: k.label.slice(0, LABEL_BYTES),
  };
}

/** The phone key's 16-byte secret, derived as the board derives it. */
export function secretOf(site: SiteData, k: IssuedKey): Uint8Array {
  if (k.kind !== 'phone') throw new ProvisionError('key ' + k.id + ' is a card, not a phone key');
  return phoneKeySecret(site, k.id, k.salt);
}

/** The phone key file (tools/host/keyfile.ts format, which the web phone key imports). Holds the secret. */
export function keyFileOf(site: SiteData, k: IssuedKey): KeyFile {
  const r = recordOf(k);
  return { keyId: k.id, secret: Buffer.from(secretOf(site, k)).toString('hex'), label: k.label, role: r.role, perms: r.perms, notBefore: k.notBefore, notAfter: k.notAfter };
}

/** The web phone key link: `<base>#k=<keyId decimal>.<secret hex>`. Holds the secret. */
export function keyLink(base: string, f: KeyFile): string {
  return base.replace(/#.*$/, '') + '#k=' + f.keyId + '.' + f.secret.toLowerCase();
}

// ---- export / import -------------------------------------------------------------------------

const TABLE_FORMAT = 'carkey-keys';

export interface KeyTable {
  format: string;
  version: number;
  keys: IssuedKey[];
}

export function exportTable(site: SiteData): KeyTable {
  return { format: TABLE_FORMAT, version: 1, keys: site.keys.map((k) => ({ ...k, perms: k.perms.slice() })) };
}

function checkEntry(e: any, i: number): IssuedKey {
  const bad = (what: string) => new ProvisionError('key table entry ' + i + ': ' + what);
  if (!e || typeof e !== 'object') throw bad('not an object');
  if (!(Number.isInteger(e.id) && e.id > 0 && e.id <= 0xffffffff)) throw bad('bad id');
  if (!(Number.isInteger(e.salt) && e.salt >= 0 && e.salt <= 0xffffffff)) throw bad('bad salt');
  if (!(e.kind in KINDS)) throw bad('bad kind');
  if (!(e.role in ROLES)) throw bad('bad role');
  if (!Array.isArray(e.perms) || e.perms.some((p: unknown) => typeof p !== 'string' || !(p in PERMS))) throw bad('bad perms');
  for (const t of ['notBefore', 'notAfter']) if (!(Number.isInteger(e[t]) && e[t] >= 0 && e[t] <= 0xffffffff)) throw bad('bad ' + t);
  if (e.notAfter && e.notAfter < e.notBefore) throw bad('notAfter before notBefore');
  if (typeof e.label !== 'string') throw bad('bad label');
  if (e.cardUid !== undefined && !(typeof e.cardUid === 'string' && /^([0-9a-f]{2}){4,10}$/i.test(e.cardUid))) throw bad('bad cardUid');
  for (const k of Object.keys(e)) if (/secret/i.test(k)) throw bad('a key table never holds secrets (field ' + k + ')');
  const out: IssuedKey = { id: e.id, salt: e.salt, kind: e.kind, role: e.role, perms: e.perms.slice(), notBefore: e.notBefore, notAfter: e.notAfter, label: e.label, issued: String(e.issued || '') };
  if (e.cardUid) out.cardUid = e.cardUid.toLowerCase();
  return out;
}

/**
 * Merges a table into the site's. An entry identical to one already there is skipped; an entry
 * whose id is already used by a different key refuses the whole import (nothing is changed).
 */
export function importTable(site: SiteData, table: unknown): { added: number; skipped: number } {
  const t = table as KeyTable;
  if (!t || t.format !== TABLE_FORMAT || !Array.isArray(t.keys)) throw new ProvisionError('not a key table (format ' + TABLE_FORMAT + ')');
  if (t.version !== 1) throw new ProvisionError('key table version ' + t.version + ' is not supported');
  const entries = t.keys.map(checkEntry);
  const fresh: IssuedKey[] = [];
  let skipped = 0;
  for (const e of entries) {
    const have = site.keys.find((k) => k.id === e.id) || fresh.find((k) => k.id === e.id);
    if (have) {
      if (JSON.stringify(recordOf(have)) === JSON.stringify(recordOf(e)) && have.cardUid === e.cardUid) { skipped++; continue; }
      throw new ProvisionError('key id ' + e.id + ' (' + e.label + ') collides with an issued key (' + have.label + '); nothing imported');
    }
    fresh.push(e);
  }
  site.keys.push(...fresh);
  return { added: fresh.length, skipped };
}
