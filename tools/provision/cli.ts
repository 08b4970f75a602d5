/**
 * `npm run provision -- <command>`: the site file, issuing keys, and getting them onto a board.
 *
 *   init        --site site.json [--force]
 *   issue       --site site.json --role owner|driver|guest --label NAME [--perms unlock,lock,drive]
 *               [--not-before ISO] [--not-after ISO] [--out FILE.key.json] [--card-uid HEX]
 *               [--link-base URL] [--show-secret] [--link-file FILE] [--qr-file FILE.svg|.png]
 *   list        --site site.json
 *   export      --site site.json --out keys.json
 *   import      --site site.json --in keys.json
 *   board-image --site site.json --board ID --out DIR [--config config.json]
 *   write       --site site.json --board ID --port SERIAL|tcp://host:port [--config config.json] [--no-load]
 *   show        --board ID --port SERIAL|tcp://host:port [--site site.json]
 *
 * The passphrase comes from CARKEY_PASSPHRASE or a prompt without echo. No secret is printed
 * unless --show-secret is given. Here: argument handling and output; the work is in the modules
 * beside this file, one concern each.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { boardById, boards } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { DEFAULTS, sanitizeConfig } from '../../firmware/config';
import { type IssuedKey, exportTable, importTable, issueKey, keyFileOf, keyLink, parsePerms, parseRole, parseTime, LABEL_BYTES } from './keys';
import { type KdfParams, DEFAULT_KDF, ProvisionError, newSiteData, readSiteFile, writeSiteFile } from './sitefile';
import { getNewPassphrase, getPassphrase } from './passphrase';
import { boardImage, writeImageDir } from './image';
import { type ConsoleLink, openEspruinoLink } from './link';
import { showBoard, siteFingerprint, writeImage } from './upload';
import { qrFile, qrTerminal } from './qr';

export const DEFAULT_LINK_BASE = 'http://localhost:8080/phonekey';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Opens a board's console (default: the espruino package). */
  openLink?(port: string): Promise<ConsoleLink>;
  /** KDF parameters for new site files (tests use cheaper ones). */
  kdf?: KdfParams;
}

const USAGE = `usage: npm run provision -- <command> [options]
  init        --site site.json [--force]
  issue       --site site.json --role owner|driver|guest --label NAME [--perms unlock,lock,drive]
              [--not-before ISO] [--not-after ISO] [--out FILE] [--card-uid HEX]
              [--link-base URL] [--show-secret] [--link-file FILE] [--qr-file FILE.svg|.png]
  list        --site site.json
  export      --site site.json --out keys.json
  import      --site site.json --in keys.json
  board-image --site site.json --board ID --out DIR [--config config.json]
  write       --site site.json --board ID --port SERIAL|tcp://host:port [--config config.json] [--no-load]
  show        --board ID --port SERIAL|tcp://host:port [--site site.json]
The passphrase comes from CARKEY_PASSPHRASE, or is asked for without echo.`;

type Flags = Record<string, string | boolean | undefined>;

const STR = { type: 'string' as const };
const BOOL = { type: 'boolean' as const };
const OPTIONS: Record<string, Record<string, typeof STR | typeof BOOL>> = {
  init: { site: STR, force: BOOL },
  issue: {
    site: STR, role: STR, label: STR, perms: STR, 'not-before': STR, 'not-after': STR, out: STR, 'card-uid': STR,
    'link-base': STR, 'show-secret': BOOL, 'link-file': STR, 'qr-file': STR,
  },
  list: { site: STR },
  export: { site: STR, out: STR },
  import: { site: STR, in: STR },
  'board-image': { site: STR, board: STR, out: STR, config: STR },
  write: { site: STR, board: STR, port: STR, config: STR, 'no-load': BOOL },
  show: { board: STR, port: STR, site: STR },
};

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

function readJson(file: string, what: string): unknown {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new ProvisionError('cannot read ' + what + ' ' + file + ': ' + (e as Error).message); }
  try { return JSON.parse(text); } catch (e) { throw new ProvisionError(what + ' ' + file + ' is not JSON: ' + (e as Error).message); }
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

async function withLink<T>(io: Io, port: string, fn: (link: ConsoleLink) => Promise<T>): Promise<T> {
  const link = await (io.openLink || ((p: string) => openEspruinoLink(p)))(port);
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
    const site = await openSite(f, io);
    const key = issueKey(site.data, { role, label, perms, notBefore, notAfter, cardUid });
    const keyPath = cardUid ? undefined : typeof f.out === 'string' ? f.out : slug(label) + '-' + key.id + '.key.json';
    if (keyPath && fs.existsSync(keyPath)) throw new ProvisionError(keyPath + ' exists; choose another --out');
    // Record the key as issued first: a key file whose key the site does not know could never be re-derived or exported.
    writeSiteFile(site.file, site.data, site.pass, site.kdf);
    io.out('issued ' + key.kind + ' key ' + key.id + ' ' + JSON.stringify(label) + ': ' + role + ', ' + key.perms.join(',') + ', valid ' + when(notBefore) + ' .. ' + when(notAfter) + '\n');
    if (notBefore || notAfter) io.out('(a time-bounded key opens only once an owner has set the board clock from a phone: the board fails closed without it)\n');
    if (label.length > LABEL_BYTES) io.out('(the board keeps the first ' + LABEL_BYTES + ' characters of the label: ' + JSON.stringify(label.slice(0, LABEL_BYTES)) + ')\n');
    if (!keyPath) {
      io.out('card UID ' + key.cardUid + ': write it to the board (write/board-image); the card itself is personalised with the site card master key\n');
      return;
    }
    const keyFile = keyFileOf(site.data, key);
    fs.writeFileSync(keyPath, JSON.stringify(keyFile, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    io.out('phone key file: ' + keyPath + ' (it holds the secret: hand it over privately)\n');
    const link = keyLink(typeof f['link-base'] === 'string' ? f['link-base'] : DEFAULT_LINK_BASE, keyFile);
    if (typeof f['link-file'] === 'string') {
      fs.writeFileSync(f['link-file'], link + '\n', { mode: 0o600 });
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
    io.out('site ' + site.file + ' (fingerprint ' + siteFingerprint(site.data.secret) + '), ' + site.data.keys.length + ' keys\n');
    for (const k of site.data.keys) io.out(describe(k) + '\n');
  },

  async export(f, io) {
    const out = need(f, 'out');
    const site = await openSite(f, io);
    fs.writeFileSync(out, JSON.stringify(exportTable(site.data), null, 2) + '\n');
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
    const site = await openSite(f, io);
    const img = boardImage(site.data, board, config);
    writeImageDir(out, img);
    io.out('board image for ' + board.id + ' in ' + out + ': ' + img.keys + ' of ' + board.keyCapacity + ' keys\n');
    for (const file of img.files) io.out('  ' + file.name + '  ' + file.data.length + ' bytes  crc32 ' + file.crc32 + '\n');
    io.out('(' + path.join(out, 'ck.site.a') + ' holds the site secrets)\n');
  },

  async write(f, io) {
    const board = boardOf(f);
    const port = need(f, 'port');
    const config = configOf(f, io);
    const site = await openSite(f, io);
    const img = boardImage(site.data, board, config);
    const report = await withLink(io, port, (link) => writeImage(link, img, { load: !f['no-load'], progress: (s) => io.err(s + '\n') }));
    io.out('wrote ' + img.keys + ' keys, site ' + siteFingerprint(site.data.secret) + ' and settings to the ' + board.name + ' on ' + port + '\n');
    for (const file of report.files) io.out('  ' + file.name + '  ' + file.bytes + ' bytes  crc32 ' + file.crc32 + ' verified\n');
    if (f['no-load']) io.out('not rebooted (--no-load): the firmware reads them at its next boot\n');
  },

  async show(f, io) {
    const board = boardOf(f);
    const port = need(f, 'port');
    const mine = typeof f.site === 'string' ? await openSite(f, io) : undefined;
    const c = await withLink(io, port, (link) => showBoard(link, board));
    io.out('Storage on ' + port + ':\n');
    for (const file of c.files) io.out('  ' + file.name + '  ' + file.bytes + ' bytes\n');
    io.out('site: ' + (c.site.present ? 'fingerprint ' + c.site.fingerprint : 'none (the firmware makes a random one at boot)'));
    if (mine) io.out(c.site.fingerprint === siteFingerprint(mine.data.secret) ? ' = ' + mine.file : ' (NOT ' + mine.file + ')');
    if (c.site.present) io.out(c.site.setupCode ? ', setup code ' + c.site.setupCode : ', no setup code (no enrolment over the air: write the site again with this tool)');
    io.out('\nkeys: ' + c.keys.length + ' of ' + board.keyCapacity + (c.keysFile ? ' in ' + c.keysFile : '') + '\n');
    const ROLE = ['owner', 'driver', 'guest'];
    const KIND = ['phone', 'card', 'uid-card'];
    for (const r of c.keys) {
      const perms = ['unlock', 'lock', 'drive'].filter((_, i) => r.perms & (1 << i)).join(',');
      const flags = (r.flags & 1 ? ' disabled' : '') + (r.flags & 2 ? ' revoked' : '');
      io.out('  ' + r.id + '  ' + (KIND[r.kind] || r.kind) + '  ' + (ROLE[r.role] || r.role) + '  ' + perms + '  ' + when(r.notBefore) + ' .. ' + when(r.notAfter) + '  ' + JSON.stringify(r.label) + flags + '\n');
    }
    io.out('config' + (c.configStored ? '' : ' (defaults: none stored)') + ': ' + JSON.stringify(c.config) + '\n');
  },
};

/** Runs one command; resolves with the exit code. */
export async function runProvision(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') { io.out(USAGE + '\n'); return cmd ? 0 : 2; }
  const run = COMMANDS[cmd];
  if (!run) { io.err('unknown command ' + cmd + '\n' + USAGE + '\n'); return 2; }
  let flags: Flags;
  try {
    flags = parseArgs({ args: rest, options: OPTIONS[cmd], strict: true, allowPositionals: false }).values as Flags;
  } catch (e) {
    io.err((e as Error).message + '\n' + USAGE + '\n');
    return 2;
  }
  try {
    await run(flags, io);
    return 0;
  } catch (e) {
    if (e instanceof ProvisionError) { io.err('error: ' + e.message + '\n'); return 1; }
    throw e;
  }
}

if (require.main === module) {
  runProvision(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env })
    .then((code) => { process.exitCode = code; }, (e) => { process.stderr.write('error: ' + ((e as Error).stack || e) + '\n'); process.exitCode = 1; });
}
