/**
 * `npm run provision -- <command>`: the site file, issuing keys, and getting them onto a board.
 *
 *   init        --site site.json [--force]
 *   issue       --site site.json --role owner|driver|guest --label NAME [--perms unlock,lock,drive]
 *               [--not-before ISO] [--not-after ISO] [--out FILE.key.json] [--card-uid HEX]
 *               [--link-base URL] [--show-secret] [--link-file FILE] [--qr-file FILE.svg|.png] [--board-id HEX]
 *   list        --site site.json
 *   export      --site site.json --out keys.json
 *   import      --site site.json --in keys.json
 *   board-image --site site.json --board ID --out DIR [--config config.json] [--board-id HEX|new:SLOT] [--board-label NAME]
 *   write       --site site.json --board ID --port SERIAL|tcp://host:port [--config config.json] [--no-load]
 *               [--board-id HEX|new:SLOT] [--board-label NAME]
 *
 * With --board-id a board gets its own secrets (protocol v2) and the site file lists it (slot,
 * serial, label); `issue` then writes v2 key files holding the key's secret on every listed board
 * (or on the one --board-id names).
 *   show        --board ID --port SERIAL|tcp://host:port [--site site.json]
 *
 * The passphrase comes from CARKEY_PASSPHRASE or a prompt without echo. No secret is printed
 * unless --show-secret is given. Here: argument handling and output; the work is in the modules
 * beside this file, one concern each.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boardById, boards } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { DEFAULTS, sanitizeConfig } from '../../firmware/config';
import { type IssuedKey, exportTable, importTable, issueKey, keyFileOf, keyLink, parsePerms, parseRole, parseTime, LABEL_BYTES } from '../host/provision/keys';
import { roleName } from '../host/names';
import { type KdfParams, type SiteData, DEFAULT_KDF, ProvisionError, newSiteData, readSiteFile, recordBoard, writeSiteFile } from '../host/provision/sitefile';
import { boardSite } from '../host/provision/site';
import { TravelError, newBoardId, phoneKeyParts } from '../host/travel';
import { type TravelKey, travelFragment, travelKeyJson } from '../host/travelkey';
import { MAX_SLOT, boardSlot } from '../../firmware/boardkeys';
import { getNewPassphrase, getPassphrase } from '../host/provision/passphrase';
import { boardImage, writeImageDir } from './image';
import { type ConsoleLink, openEspruinoLink } from './link';
import { showBoard, siteFingerprint, writeImage } from './upload';
import { qrFile, qrTerminal } from './qr';
import { type Opt, type Spec, type Values, duration, errorLine, help, parse, runMain } from '../host/cli-args';
import { checkWritableDir, readJson, userPath, writeFileSafe } from '../host/cli-files';
import { checkPort } from '../host/ports';

const DEFAULT_LINK_BASE = 'http://localhost:8080/phonekey';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Opens a board's console (default: the espruino package). */
  openLink?(port: string): Promise<ConsoleLink>;
  /** KDF parameters for new site files (tests use cheaper ones). */
  kdf?: KdfParams;
}

type Flags = Values;

const SITE: Opt = { type: 'string', arg: 'FILE', help: 'the site file (required)' };
const BOARD: Opt = { type: 'string', arg: 'ID', help: 'the board: ' + boards.map((b) => b.id).join(', ') + ' (required)' };
const PORT: Opt = { type: 'string', arg: 'PORT', help: "the board's console: a serial port, a Bluetooth address or tcp://host:port (required)" };
const CONFIG: Opt = { type: 'string', arg: 'FILE', help: 'settings as JSON (firmware/config.ts); unknown or out-of-range ones are reported' };
const BOARD_ID: Opt = { type: 'string', arg: 'HEX', help: "this board's identity, 16 hex digits (slot 01..20, then 7 bytes), or new:SLOT to draw one: the board gets its own secrets, never the site secret (docs/KEYS-THAT-TRAVEL.md); issue its keys with the same --board-id" };
const BOARD_LABEL: Opt = { type: 'string', arg: 'NAME', help: "with --board-id: the board's name in the site file's board list (default: slot N)" };
const TIMEOUT: Opt = { type: 'string', arg: 'DURATION', help: 'longest wait for the board to answer one step: 30, 30s, 2m (plain number: seconds; default 30s)' };

/** Every command, its options and what they mean: `<command> --help` prints one, `help` all. */
const COMMANDS_SPEC: Record<string, { what: string; options: Record<string, Opt> }> = {
  init: { what: 'create a new site file (its secrets and an empty key table)', options: { site: SITE, force: { type: 'boolean', help: 'replace an existing site file (orphans every key issued from it)' } } },
  issue: {
    what: 'issue a phone key (a key file, and on request its link and QR code) or a card',
    options: {
      site: SITE,
      role: { type: 'string', arg: 'ROLE', help: 'owner, driver or guest (required)' },
      label: { type: 'string', arg: 'NAME', help: 'who holds it (required; the board keeps the first ' + LABEL_BYTES + ' characters)' },
      perms: { type: 'string', arg: 'LIST', help: "comma-separated unlock,lock,drive (default: the role's)" },
      'not-before': { type: 'string', arg: 'ISO', help: 'valid from, e.g. 2025-06-01T08:00:00Z' },
      'not-after': { type: 'string', arg: 'ISO', help: 'valid until, e.g. 2025-06-02T08:00:00Z' },
      out: { type: 'string', arg: 'FILE', help: 'the phone key file to write (default <label>-<id>.key.json; never overwritten)' },
      'card-uid': { type: 'string', arg: 'HEX', help: 'issue a card with this UID (4 to 10 bytes of hex) instead of a phone key' },
      'link-base': { type: 'string', arg: 'URL', help: 'base of the web phone key link (default ' + DEFAULT_LINK_BASE + ')' },
      'show-secret': { type: 'boolean', help: 'print the link and its QR code (they hold the secret)' },
      'link-file': { type: 'string', arg: 'FILE', help: 'write the link (holds the secret) to FILE' },
      'qr-file': { type: 'string', arg: 'FILE', help: 'write the QR code of the link to FILE.svg or FILE.png' },
      'board-id': { ...BOARD_ID, help: "the key file holds its secret on this board only (16 hex digits, as given to write/board-image); default: a secret for every board in the site's list (a v2 key file), or the site's (v1) when it lists none" },
    },
  },
  list: { what: "list the site's boards and keys", options: { site: SITE } },
  export: { what: 'write the key table without secrets', options: { site: SITE, out: { type: 'string', arg: 'FILE', help: 'the table to write (required)' } } },
  import: { what: 'merge a key table into the site', options: { site: SITE, in: { type: 'string', arg: 'FILE', help: 'the table to read (required)' } } },
  'board-image': { what: "write a board's Storage files to a directory", options: { site: SITE, board: BOARD, out: { type: 'string', arg: 'DIR', help: 'the directory (required; made if missing)' }, config: CONFIG, 'board-id': BOARD_ID, 'board-label': BOARD_LABEL } },
  write: { what: "write the site's secrets, keys and settings to a board through its console (a board flashed but not yet provisioned; one in the flash layout is refused: board-image, then npm run flash -- --install)", options: { site: SITE, board: BOARD, port: PORT, config: CONFIG, 'no-load': { type: 'boolean', help: 'do not reboot the board afterwards' }, timeout: TIMEOUT, 'board-id': BOARD_ID, 'board-label': BOARD_LABEL } },
  show: { what: "show what a board holds (and whether it is this site's)", options: { board: BOARD, port: PORT, site: { type: 'string', arg: 'FILE', help: 'compare with this site file' }, timeout: TIMEOUT } },
};

const PASS_NOTE = 'The passphrase comes from CARKEY_PASSPHRASE, or is asked for without echo. Relative paths are from the directory npm was run in.';

function specOf(cmd: string): Spec {
  return { usage: 'npm run provision -- ' + cmd, options: COMMANDS_SPEC[cmd].options, notes: COMMANDS_SPEC[cmd].what + '. ' + PASS_NOTE };
}

function usage(): string {
  const lines = ['usage: npm run provision -- <command> [options]   (<command> --help lists its options)'];
  for (const [cmd, c] of Object.entries(COMMANDS_SPEC)) lines.push('  ' + cmd.padEnd(12) + c.what);
  lines.push(PASS_NOTE);
  return lines.join('\n') + '\n';
}

function need(f: Flags, name: string): string {
  const v = f[name];
  if (typeof v !== 'string' || !v) throw new ProvisionError('--' + name + ' is required');
  return v;
}

function boardOf(f: Flags): BoardConfig {
  const id = need(f, 'board');
  const b = boardById(id);
  if (!b) throw new ProvisionError('unknown board ' + id + ' (known: ' + boards.map((x) => x.id).join(', ') + ')');
  return b;
}

/** --board-id: an existing identity (hex), or with `allowNew` new:SLOT; undefined when not given. */
function boardIdOf(f: Flags, allowNew: boolean): Uint8Array | undefined {
  const v = f['board-id'];
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const fresh = /^new:(\d+)$/i.exec(s);
  try {
    if (fresh && allowNew) return newBoardId(Number(fresh[1]));
  } catch (e) {
    if (e instanceof TravelError) throw new ProvisionError('--board-id: ' + e.message);
    throw e;
  }
  if (fresh) throw new ProvisionError('--board-id: give the identity the board was written with (16 hex digits), not new:SLOT');
  const id = /^[0-9a-f]{16}$/i.test(s) ? new Uint8Array(Buffer.from(s, 'hex')) : undefined;
  if (!id || !boardSlot(id)) throw new ProvisionError('--board-id: expected 16 hex digits starting with the slot 01..' + MAX_SLOT.toString(16) + (allowNew ? ', or new:SLOT' : '') + ', got ' + JSON.stringify(s.slice(0, 40)));
  return id;
}

/** The site as board `boardId` holds it (its own secrets), or the site itself without one. */
function siteForBoard(data: SiteData, boardId: Uint8Array | undefined): SiteData {
  return boardId ? { ...data, ...boardSite(data, boardId) } : data;
}

function boardIdNote(boardId: Uint8Array | undefined): string {
  if (!boardId) return '';
  const h = Buffer.from(boardId).toString('hex');
  return 'board id ' + h + ' (slot ' + boardSlot(boardId) + '): this board holds its own secrets, not the site secret; the site file lists it, and `issue` gives keys a secret on it\n';
}

/** --board-label, checked before anything is written. */
function boardLabelOf(f: Flags): string {
  const l = f['board-label'];
  if (l === undefined) return '';
  if (f['board-id'] === undefined) throw new ProvisionError('--board-label goes with --board-id');
  if (typeof l !== 'string' || !/^[\x20-\x7e]{1,32}$/.test(l)) throw new ProvisionError('--board-label: 1 to 32 printable ASCII characters');
  return l;
}

/**
 * After a board was written with its own identity: the site file lists it (replacing the board
 * that held its slot). A site file that cannot be written is one line saying how to list it again.
 */
function listBoard(site: { file: string; pass: string; data: SiteData; kdf: KdfParams }, boardId: Uint8Array | undefined, label: string, io: Io): void {
  if (!boardId) return;
  const h = Buffer.from(boardId).toString('hex');
  const known = site.data.boards.find((b) => b.boardId === h);
  if (known && (!label || known.label === label)) return;
  const old = recordBoard(site.data, h, label);
  try {
    writeSiteFile(site.file, site.data, site.pass, site.kdf);
  } catch (e) {
    throw new ProvisionError('the board was written with id ' + h + ' but the site file could not list it (' + (e as Error).message + '); list it again with --board-id ' + h);
  }
  if (old) io.out('it replaces board ' + old.boardId + ' (' + old.label + ') in slot ' + boardSlot(boardId) + ': keys issued from now open this one; re-issue the keys of the old one\n');
}

/** The boards `issue` gives a key a secret on: --board-id's, else every listed board (none: a v1 key file). */
function issueBoards(data: SiteData, boardId: Uint8Array | undefined): Uint8Array[] {
  if (boardId) return [boardId];
  return data.boards.map((b) => new Uint8Array(Buffer.from(b.boardId, 'hex')));
}

function when(sec: number): string {
  return sec ? new Date(sec * 1000).toISOString().replace('.000Z', 'Z') : '-';
}

function describe(k: IssuedKey): string {
  return k.id + '  ' + k.kind + '  ' + k.role + '  ' + k.perms.join(',') + '  ' + when(k.notBefore) + ' .. ' + when(k.notAfter) + '  ' + JSON.stringify(k.label)
    + (k.cardUid ? '  uid ' + k.cardUid : '');
}

function slug(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'key';
}

/** Reads --config, warns about what sanitizeConfig dropped or clamped. */
function configOf(f: Flags, io: Io): unknown {
  if (typeof f.config !== 'string') return undefined;
  const input = readJson(f.config, 'config');
  const clean = sanitizeConfig(input) as unknown as Record<string, unknown>;
  if (input && typeof input === 'object') {
    for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
      if (!(k in DEFAULTS)) io.err('warning: unknown setting ' + k + ' ignored\n');
      else if (clean[k] !== v) io.err('warning: ' + k + ' ' + JSON.stringify(v) + ' is outside its limits or of the wrong type; using ' + JSON.stringify(clean[k]) + '\n');
    }
  }
  return input;
}

async function openSite(f: Flags, io: Io) {
  const file = need(f, 'site');
  if (!fs.existsSync(file)) throw new ProvisionError('no site file ' + file + ' (create one with: init --site ' + file + ')');
  const pass = await getPassphrase(io.env);
  const { data, kdf } = readSiteFile(file, pass);
  return { file, pass, data, kdf };
}

/** --port and --timeout, checked before the passphrase is asked: something must be listening there. */
async function portOf(f: Flags, io: Io): Promise<{ port: string; timeoutS: number }> {
  const port = need(f, 'port');
  const timeoutS = duration(f.timeout as string | undefined, '--timeout', { unit: 's', maxMs: 3600000, defMs: 30000 }) / 1000;
  if (!io.openLink) await checkPort(port);
  return { port, timeoutS };
}

/** Opens the board's console, waiting at most timeoutS for each answer. */
async function withLink<T>(io: Io, { port, timeoutS }: { port: string; timeoutS: number }, fn: (link: ConsoleLink) => Promise<T>): Promise<T> {
  const link = await (io.openLink || ((p: string) => openEspruinoLink(p, { timeoutS })))(port);
  try {
    return await fn(link);
  } finally {
    await link.close();
  }
}

const COMMANDS: Record<string, (f: Flags, io: Io) => Promise<void>> = {
  async init(f, io) {
    const file = need(f, 'site');
    if (fs.existsSync(file) && !f.force) throw new ProvisionError(file + ' exists; a new site would orphan every key issued from it (use --force to replace it)');
    checkWritableDir(file, 'site file');
    const pass = await getNewPassphrase(io.env);
    const data = newSiteData();
    writeSiteFile(file, data, pass, io.kdf || DEFAULT_KDF);
    io.out('created site ' + file + ' (fingerprint ' + siteFingerprint(data.secret) + ')\n');
    io.out('board setup code ' + data.setupCode + ': print it on a label on the board; a phone types it to pair when it enrols\n');
    io.out('keep it and its passphrase safe: whoever holds both can issue keys for every board of this site\n');
  },

  async issue(f, io) {
    const role = parseRole(f.role as string | undefined);
    const label = need(f, 'label');
    const perms = typeof f.perms === 'string' ? parsePerms(f.perms) : undefined;
    const notBefore = typeof f['not-before'] === 'string' ? parseTime(f['not-before'], '--not-before') : 0;
    const notAfter = typeof f['not-after'] === 'string' ? parseTime(f['not-after'], '--not-after') : 0;
    let cardUid: Uint8Array | undefined;
    if (typeof f['card-uid'] === 'string') {
      const h = f['card-uid'].replace(/[:\s]/g, '');
      if (!/^([0-9a-f]{2}){4,10}$/i.test(h)) throw new ProvisionError('--card-uid needs 4 to 10 bytes of hex');
      cardUid = new Uint8Array(Buffer.from(h, 'hex'));
    }
    const secretOut = !cardUid && (f['show-secret'] || typeof f['link-file'] === 'string' || typeof f['qr-file'] === 'string');
    if (cardUid && (f['show-secret'] || f['link-file'] || f['qr-file'] || f.out)) throw new ProvisionError('a card has no phone key file, link or QR code');
    const keyPath = cardUid ? undefined : typeof f.out === 'string' ? f.out : undefined;
    // Every output's directory before the passphrase is asked or anything is written.
    for (const [flag, what] of [['out', 'key file'], ['link-file', 'link file'], ['qr-file', 'QR code']]) {
      if (typeof f[flag] === 'string') checkWritableDir(f[flag] as string, what);
    }
    if (keyPath && fs.existsSync(keyPath)) throw new ProvisionError(keyPath + ' exists; choose another --out');
    const boardId = boardIdOf(f, false);
    const site = await openSite(f, io);
    const key = issueKey(site.data, { role, label, perms, notBefore, notAfter, cardUid });
    const keyFilePath = cardUid ? undefined : keyPath || userPath(slug(label) + '-' + key.id + '.key.json', io.env);
    const onBoards = cardUid ? [] : issueBoards(site.data, boardId);
    // A v2 key file: the key's secret on each board (docs/PROTOCOL.md "Key files and links").
    const travel: TravelKey | undefined = onBoards.length ? { keyId: key.id, label, boards: phoneKeyParts(site.data.secret, onBoards, key.id, key.salt) } : undefined;
    // The key file first, whole or not at all and never over another; then the site records the
    // key. If the site cannot be written, the key file goes again: no key exists that the site
    // does not know, and nothing is recorded that was not handed out.
    if (keyFilePath) writeFileSafe(keyFilePath, travel ? travelKeyJson(travel) : JSON.stringify(keyFileOf(site.data, key), null, 2) + '\n', 'key file', { mode: 0o600, exclusive: true });
    try {
      writeSiteFile(site.file, site.data, site.pass, site.kdf);
    } catch (e) {
      if (keyFilePath) fs.rmSync(keyFilePath, { force: true });
      throw e;
    }
    io.out('issued ' + key.kind + ' key ' + key.id + ' ' + JSON.stringify(label) + ': ' + role + ', ' + key.perms.join(',') + ', valid ' + when(notBefore) + ' .. ' + when(notAfter) + '\n');
    if (notBefore || notAfter) io.out('(a time-bounded key opens only once an owner has set the board clock from a phone: the board fails closed without it)\n');
    if (label.length > LABEL_BYTES) io.out('(the board keeps the first ' + LABEL_BYTES + ' characters of the label: ' + JSON.stringify(label.slice(0, LABEL_BYTES)) + ')\n');
    if (!keyFilePath) {
      io.out('card UID ' + key.cardUid + ': write it to the board (write/board-image); the card itself is personalised with the ' + (boardId ? "board's" : 'site') + ' card master key\n');
      return;
    }
    if (boardId) io.out('this key file opens board ' + Buffer.from(boardId).toString('hex') + ' only (its secret there)\n');
    else if (travel) io.out('this key file holds a secret for each of the site\'s ' + onBoards.length + ' board(s): slot ' + onBoards.map((b) => boardSlot(b)).join(', ') + '\n');
    io.out('phone key file: ' + keyFilePath + ' (it holds the secret: hand it over privately)\n');
    const base = typeof f['link-base'] === 'string' ? f['link-base'] : DEFAULT_LINK_BASE;
    const link = travel ? base.replace(/#.*$/, '') + travelFragment(travel) : keyLink(base, keyFileOf(site.data, key));
    if (typeof f['link-file'] === 'string') {
      writeFileSafe(f['link-file'], link + '\n', 'link file', { mode: 0o600 });
      io.out('web phone key link written to ' + f['link-file'] + '\n');
    }
    if (typeof f['qr-file'] === 'string') {
      await qrFile(f['qr-file'], link);
      io.out('QR code of the link written to ' + f['qr-file'] + '\n');
    }
    if (f['show-secret']) {
      io.out('web phone key link (holds the secret):\n' + link + '\n');
      io.out(await qrTerminal(link));
    } else if (!secretOut) {
      io.out('the link and QR code hold the secret: --show-secret prints them, --link-file/--qr-file write them\n');
    }
  },

  async list(f, io) {
    const site = await openSite(f, io);
    io.out('site ' + site.file + ' (fingerprint ' + siteFingerprint(site.data.secret) + '), ' + site.data.boards.length + ' boards with their own secrets, ' + site.data.keys.length + ' keys\n');
    for (const b of site.data.boards) io.out('board ' + b.boardId + '  slot ' + parseInt(b.boardId.slice(0, 2), 16) + '  ' + JSON.stringify(b.label) + '\n');
    for (const k of site.data.keys) io.out(describe(k) + '\n');
  },

  async export(f, io) {
    const out = need(f, 'out');
    checkWritableDir(out, 'key table');
    const site = await openSite(f, io);
    writeFileSafe(out, JSON.stringify(exportTable(site.data), null, 2) + '\n', 'key table');
    io.out('exported ' + site.data.keys.length + ' keys (no secrets) to ' + out + '\n');
  },

  async import(f, io) {
    const table = readJson(need(f, 'in'), 'key table');
    const site = await openSite(f, io);
    const r = importTable(site.data, table);
    if (r.added) writeSiteFile(site.file, site.data, site.pass, site.kdf);
    io.out('imported ' + r.added + ' keys' + (r.skipped ? ', ' + r.skipped + ' already there' : '') + '; the site has ' + site.data.keys.length + '\n');
  },

  async 'board-image'(f, io) {
    const board = boardOf(f);
    const out = need(f, 'out');
    const config = configOf(f, io);
    const boardId = boardIdOf(f, true);
    const boardLabel = boardLabelOf(f);
    const site = await openSite(f, io);
    const img = boardImage(siteForBoard(site.data, boardId), board, config);
    writeImageDir(out, img);
    listBoard(site, boardId, boardLabel, io);
    io.out('board image for ' + board.id + ' in ' + out + ': ' + img.keys + ' of ' + board.keyCapacity + ' keys\n');
    for (const file of img.files) io.out('  ' + file.name + '  ' + file.data.length + ' bytes  crc32 ' + file.crc32 + '\n');
    io.out('(' + path.join(out, 'ck.site.a') + (boardId ? " holds this board's secrets)\n" : ' holds the site secrets)\n'));
    io.out(boardIdNote(boardId));
  },

  async write(f, io) {
    const board = boardOf(f);
    const config = configOf(f, io);
    const boardId = boardIdOf(f, true);
    const boardLabel = boardLabelOf(f);
    const to = await portOf(f, io);
    const port = to.port;
    const site = await openSite(f, io);
    const img = boardImage(siteForBoard(site.data, boardId), board, config);
    const report = await withLink(io, to, (link) => writeImage(link, img, { load: !f['no-load'], progress: (s) => io.err(s + '\n') }));
    listBoard(site, boardId, boardLabel, io);
    io.out('wrote ' + img.keys + ' keys, site ' + siteFingerprint(site.data.secret) + ' and settings to the ' + board.name + ' on ' + port + '\n');
    for (const file of report.files) io.out('  ' + file.name + '  ' + file.bytes + ' bytes  crc32 ' + file.crc32 + ' verified\n');
    if (f['no-load']) io.out('not rebooted (--no-load): the firmware reads them at its next boot\n');
    io.out(boardIdNote(boardId));
  },

  async show(f, io) {
    const board = boardOf(f);
    const to = await portOf(f, io);
    const port = to.port;
    const mine = typeof f.site === 'string' ? await openSite(f, io) : undefined;
    const c = await withLink(io, to, (link) => showBoard(link, board));
    io.out('Storage on ' + port + ':\n');
    for (const file of c.files) io.out('  ' + file.name + '  ' + file.bytes + ' bytes\n');
    io.out('site: ' + (c.site.present ? 'fingerprint ' + c.site.fingerprint : 'none (the firmware makes a random one at boot)'));
    if (mine) io.out(c.site.fingerprint === siteFingerprint(mine.data.secret) ? ' = ' + mine.file : ' (NOT ' + mine.file + ')');
    if (c.site.present) io.out(c.site.setupCode ? ', setup code ' + c.site.setupCode : ', no setup code (no enrolment over the air: write the site again with this tool)');
    if (c.site.boardId) io.out(', board id ' + c.site.boardId + ' (its own secrets: the fingerprint is of its board secret)');
    io.out('\nkeys: ' + c.keys.length + ' of ' + board.keyCapacity + (c.keysFile ? ' in ' + c.keysFile : '') + '\n');
    const KIND = ['phone', 'card', 'uid-card'];
    for (const r of c.keys) {
      const perms = ['unlock', 'lock', 'drive'].filter((_, i) => r.perms & (1 << i)).join(',');
      const flags = (r.flags & 1 ? ' disabled' : '') + (r.flags & 2 ? ' revoked' : '');
      io.out('  ' + r.id + '  ' + (KIND[r.kind] || r.kind) + '  ' + roleName(r.role) + '  ' + perms + '  ' + when(r.notBefore) + ' .. ' + when(r.notAfter) + '  ' + JSON.stringify(r.label) + flags + '\n');
    }
    io.out('config' + (c.configStored ? '' : ' (defaults: none stored)') + ': ' + JSON.stringify(c.config) + '\n');
  },
};

/** Options that name files: resolved against the directory npm was run from (INIT_CWD). */
const PATH_FLAGS = ['site', 'out', 'in', 'config', 'link-file', 'qr-file'];

/** Runs one command; resolves with the exit code (0 done, 1 failed, 2 bad arguments). Never throws. */
export async function runProvision(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') { io.out(usage()); return 0; }
  if (!cmd) { io.err('provision: no command given (try: npm run provision -- help)\n'); return 2; }
  const run = COMMANDS[cmd];
  if (!run) { io.err('provision: unknown command ' + JSON.stringify(cmd) + ' (try: npm run provision -- help)\n'); return 2; }
  try {
    const a = parse(rest, specOf(cmd));
    if (a.help) { io.out(help(specOf(cmd))); return 0; }
    const flags = a.values;
    for (const k of PATH_FLAGS) if (typeof flags[k] === 'string') flags[k] = userPath(flags[k] as string, io.env);
    await run(flags, io);
    return 0;
  } catch (e) {
    io.err('error: ' + errorLine(e) + '\n');
    return e && typeof (e as ProvisionError).exitCode === 'number' ? (e as ProvisionError).exitCode : 1;
  }
}

if (require.main === module) {
  runMain('provision', () => runProvision(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env }), { exit: true });
}
