/**
 * The site file: a site's secrets (32-byte site secret, 16-byte card master key) and the list of
 * keys issued from it, sealed with a passphrase: scrypt (random salt) -> AES-256-GCM. The header
 * (format, version, KDF parameters, salt) is authenticated as GCM's additional data, so changing
 * any byte of the file — or using the wrong passphrase — fails authentication.
 *
 * Not here: where the passphrase comes from (passphrase.ts), what a key entry means (keys.ts).
 * Secrets never leave this module except inside the returned SiteData.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import * as fs from 'node:fs';
import type { IssuedKey } from './keys';
import { ProvisionError } from './errors';
import { writeFileSafe } from '../cli-files';

const FORMAT = 'carkey-site';
export const VERSION = 1;

export interface KdfParams {
  name: 'scrypt';
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** 2^17 x 8 x 128 B = 128 MB, about a third of a second on a laptop: OWASP's scrypt recommendation. */
export const DEFAULT_KDF: KdfParams = { name: 'scrypt', N: 1 << 17, r: 8, p: 1 };
/** The weakest parameters a file may ask for (a file is refused below them). */
const MIN_N = 1 << 14;
const MAX_N = 1 << 22;

export interface SiteData {
  secret: Uint8Array;
  cardMaster: Uint8Array;
  /**
   * The board setup code: 6 digits, the static passkey phones type to pair with MITM protection
   * (enrolment needs it; docs/THREAT-MODEL.md). Print it for a label on the board. '' in a site
   * file made before it existed: boards written from it have none (no enrolment over the air).
   */
  setupCode: string;
  keys: IssuedKey[];
  created: string;
  /**
   * The site's boards provisioned with their own secrets (protocol v2, docs/KEYS-THAT-TRAVEL.md
   * section 2): identity (slot, serial) and a label, one per slot. Key files are issued with one
   * secret per listed board. Empty in a site file made before the list existed (and for v1 boards).
   */
  boards: SiteBoard[];
  /** Only on the copy made for one board (tools/provision/cli.ts siteForBoard): its identity, written into its v2 site file; never in the site file. */
  boardId?: Uint8Array;
}

/** A board of the site: its 8-byte identity in hex (slot first) and a label. */
export interface SiteBoard {
  boardId: string;
  label: string;
}

/** Checks a board list read from a file; throws on a damaged one. */
function boardsOf(v: unknown): SiteBoard[] {
  if (v === undefined) return [];
  const ok = Array.isArray(v) && v.every((b) => b && typeof b.boardId === 'string' && /^[0-9a-f]{16}$/.test(b.boardId)
    && parseInt(b.boardId.slice(0, 2), 16) >= 1 && parseInt(b.boardId.slice(0, 2), 16) <= 32 && typeof b.label === 'string');
  if (!ok) throw new ProvisionError('the site file is damaged (boards)');
  return (v as SiteBoard[]).map((b) => ({ boardId: b.boardId, label: b.label }));
}

/**
 * Puts board `boardId` (hex) in the site's list, in place of whatever board held its slot: a board
 * re-provisioned or replaced in a slot gets a new identity. Returns the board it replaced, if any.
 */
export function recordBoard(data: SiteData, boardId: string, label: string): SiteBoard | undefined {
  const slot = boardId.slice(0, 2);
  const at = data.boards.findIndex((b) => b.boardId.slice(0, 2) === slot);
  const old = at >= 0 ? data.boards[at] : undefined;
  if (old && old.boardId === boardId && !label) return undefined;
  const entry = { boardId, label: label || (old && old.boardId === boardId ? old.label : 'slot ' + parseInt(slot, 16)) };
  if (at >= 0) data.boards[at] = entry; else data.boards.push(entry);
  data.boards.sort((a, b) => a.boardId.localeCompare(b.boardId));
  return old && old.boardId !== boardId ? old : undefined;
}

export { ProvisionError };

interface SealedFile {
  format: string;
  version: number;
  kdf: KdfParams;
  salt: string;
  cipher: 'aes-256-gcm';
  iv: string;
  ciphertext: string;
  tag: string;
}

/** The authenticated header: every field but iv, ciphertext and tag, in a fixed order. */
function aad(f: Pick<SealedFile, 'format' | 'version' | 'kdf' | 'salt' | 'cipher'>): Buffer {
  return Buffer.from(JSON.stringify([f.format, f.version, f.kdf.name, f.kdf.N, f.kdf.r, f.kdf.p, f.salt, f.cipher]), 'utf8');
}

export function deriveKey(passphrase: string, salt: Buffer, kdf: KdfParams): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + (1 << 20) });
}

export function checkKdf(kdf: unknown): KdfParams {
  const k = kdf as KdfParams;
  const ok = !!k && k.name === 'scrypt' && Number.isInteger(k.N) && k.N >= MIN_N && k.N <= MAX_N && (k.N & (k.N - 1)) === 0
    && Number.isInteger(k.r) && k.r >= 1 && k.r <= 32 && Number.isInteger(k.p) && k.p >= 1 && k.p <= 16;
  if (!ok) throw new ProvisionError('the site file has unsupported or too weak KDF parameters: ' + JSON.stringify(kdf));
  return { name: 'scrypt', N: k.N, r: k.r, p: k.p };
}

/** The sealed file's text. A fresh salt and IV on every call. */
export function sealSite(data: SiteData, passphrase: string, kdf: KdfParams = DEFAULT_KDF): string {
  if (!passphrase) throw new ProvisionError('an empty passphrase is not allowed');
  const params = checkKdf(kdf);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const head = { format: FORMAT, version: VERSION, kdf: params, salt: salt.toString('hex'), cipher: 'aes-256-gcm' as const };
  const key = deriveKey(passphrase, salt, params);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(head));
  const plain = Buffer.from(JSON.stringify({
    secret: Buffer.from(data.secret).toString('hex'), cardMaster: Buffer.from(data.cardMaster).toString('hex'), setupCode: data.setupCode, keys: data.keys, created: data.created,
    boards: data.boards || [],
  }), 'utf8');
  const ct = Buffer.concat([c.update(plain), c.final()]);
  plain.fill(0);
  key.fill(0);
  const file: SealedFile = { ...head, iv: iv.toString('hex'), ciphertext: ct.toString('base64'), tag: c.getAuthTag().toString('hex') };
  return JSON.stringify(file, null, 2) + '\n';
}

function hexField(v: unknown, bytes: number, what: string): Buffer {
  if (typeof v !== 'string' || v.length !== bytes * 2 || !/^[0-9a-f]*$/i.test(v)) throw new ProvisionError('the site file is damaged (' + what + ')');
  return Buffer.from(v, 'hex');
}

/** Opens a sealed file's text. Throws ProvisionError on a wrong passphrase, tampering or a damaged file. */
export function openSite(text: string, passphrase: string): { data: SiteData; kdf: KdfParams } {
  let f: SealedFile;
  try { f = JSON.parse(text); } catch (e) { throw new ProvisionError('not a site file (not JSON)'); }
  if (!f || f.format !== FORMAT) throw new ProvisionError('not a site file (format is not ' + FORMAT + ')');
  if (f.version !== VERSION) throw new ProvisionError('site file version ' + f.version + ' is not supported (this tool reads version ' + VERSION + ')');
  if (f.cipher !== 'aes-256-gcm') throw new ProvisionError('unsupported cipher ' + f.cipher);
  const kdf = checkKdf(f.kdf);
  const salt = hexField(f.salt, 16, 'salt');
  const iv = hexField(f.iv, 12, 'iv');
  const tag = hexField(f.tag, 16, 'tag');
  if (typeof f.ciphertext !== 'string') throw new ProvisionError('the site file is damaged (ciphertext)');
  const key = deriveKey(passphrase, salt, kdf);
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad({ format: f.format, version: f.version, kdf: f.kdf, salt: f.salt, cipher: f.cipher }));
    d.setAuthTag(tag);
    plain = Buffer.concat([d.update(Buffer.from(f.ciphertext, 'base64')), d.final()]);
  } catch (e) {
    throw new ProvisionError('cannot open the site file: wrong passphrase, or the file was modified (authentication failed)');
  } finally {
    key.fill(0);
  }
  const j = JSON.parse(plain.toString('utf8'));
  plain.fill(0);
  const data: SiteData = {
    secret: new Uint8Array(hexField(j.secret, 32, 'secret')), cardMaster: new Uint8Array(hexField(j.cardMaster, 16, 'card master key')),
    setupCode: typeof j.setupCode === 'string' && /^[0-9]{6}$/.test(j.setupCode) ? j.setupCode : '',
    keys: Array.isArray(j.keys) ? j.keys : [], created: String(j.created || ''), boards: boardsOf(j.boards),
  };
  return { data, kdf };
}

export function newSiteData(random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): SiteData {
  return { secret: random(32), cardMaster: random(16), setupCode: newSetupCode(random), keys: [], created: new Date().toISOString(), boards: [] };
}

/** Six decimal digits, uniform (rejection sampling over 20 random bits). */
export function newSetupCode(random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): string {
  for (;;) {
    const b = random(3);
    const v = ((b[0] << 16) | (b[1] << 8) | b[2]) & 0xfffff;
    if (v < 1000000) return String(v).padStart(6, '0');
  }
}

/** Writes the file readable by its owner only, through a temporary file and a rename (never half-written). */
export function writeSiteFile(file: string, data: SiteData, passphrase: string, kdf: KdfParams = DEFAULT_KDF): void {
  writeFileSafe(file, sealSite(data, passphrase, kdf), 'site file', { mode: 0o600 });
}

export function readSiteFile(file: string, passphrase: string): { data: SiteData; kdf: KdfParams } {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new ProvisionError('cannot read the site file ' + file + ': ' + (e as Error).message); }
  return openSite(text, passphrase);
}
