/**
 * Writing a board image to a board, and reading back what a board holds, through its JavaScript
 * console (link.ts). Writes follow firmware/genfile.ts: header first with the CRC left unwritten,
 * data in chunks, the CRC last — a cut link leaves a file the firmware rejects, never a wrong one.
 * Bytes go as printable-ASCII string literals (tools/espruino/interpreter.ts byteLiteral), reads
 * come back as base64 in chunks so nothing large is built in the board's RAM.
 *
 * Not here: computing the image (image.ts).
 */
import { createHash } from 'node:crypto';
import type { BoardConfig } from '../../hal/boards/types';
import { KEY_SLOTS_FILE, type KeyRecord } from '../../firmware/keystore';
import { keyStoreOf } from '../host/provision/keystores';
import { type Config, loadConfig } from '../../firmware/config';
import { genData, genLoad } from '../../firmware/genfile';
import { SITE_V2_BYTES } from '../../firmware/site';
import { hostCrypto } from '../host/crypto';
import { readRemoteFile as readRemote, replaceImageFiles } from '../host/console-upload';
import type { BoardImage } from './image';
import { memoryFlash } from '../host/flash';
import type { ConsoleLink } from './link';
import { ProvisionError } from '../host/provision/sitefile';

const S = 'require("Storage")';

export interface WriteReport {
  files: { name: string; bytes: number; crc32: number }[];
  erased: string[];
}

/**
 * Why the image must not be written through Storage onto this board, or undefined. A board in the
 * layout (docs/ESPRUINO.md "Flash": its journal `ck.jrnl`, or the pad before it) keeps nothing
 * before the journal that Storage may turn into trash: replacing the site or key file there leaves
 * trash that a later compaction answers by moving the journal off its page boundary (the firmware
 * then finds no journal and logs nothing). Such a board is written by `npm run flash -- --install`.
 */
export async function layoutRefusal(link: ConsoleLink, img: BoardImage): Promise<string | undefined> {
  const out = (await link.run(`print(JSON.stringify(${S}.list().filter(function(n){return n=="ck.jrnl"||n=="ck.pad";})))`)).trim();
  let held: string[];
  try { held = JSON.parse(out); } catch (e) { throw new ProvisionError('unexpected answer listing Storage: ' + JSON.stringify(out.slice(0, 200))); }
  if (!held.length) return undefined;
  return `refused: the board's Storage is in the flash layout (it holds ${held.join(' and ')}), where files written through Storage leave trash before the log; `
    + `nothing was written. Make a board image (npm run provision -- board-image --site FILE --board ${img.board} --out DIR) and install it `
    + `(npm run flash -- --board ${img.board} --port PORT --install --image DIR: it erases the board, then writes the site, the keys, the code and a fresh journal; the log starts over, settings at their defaults)`;
}

/**
 * Replaces the board's site, keys and config with the image: erases both generations of each
 * (a newer generation left behind would win over ours), writes the files, checks each file's
 * CRC32 as the board reads it, then load()s so the firmware boots with them. A board in the
 * journal layout is refused before anything is written (layoutRefusal).
 */
export async function writeImage(link: ConsoleLink, img: BoardImage, opts: { load?: boolean; progress?: (s: string) => void } = {}): Promise<WriteReport> {
  const progress = opts.progress || (() => {});
  const refused = await layoutRefusal(link, img);
  if (refused) throw new ProvisionError(refused, 2);
  const files: WriteReport['files'] = [];
  const erased = await replaceImageFiles(link, img.files, (name, bytes) => {
    const f = img.files.find((x) => x.name === name)!;
    files.push({ name, bytes, crc32: f.crc32 });
    progress('wrote ' + name + ' (' + bytes + ' bytes)');
  });
  if (opts.load !== false) {
    progress('load(): rebooting into the firmware');
    await link.run('load();print("ok")');
  }
  return { files, erased };
}

export interface BoardContents {
  files: { name: string; bytes: number }[];
  /** Site secrets present, and their fingerprint (never the secrets). */
  site: { present: boolean; fingerprint?: string; setupCode?: string; boardId?: string };
  keys: KeyRecord[];
  /** Which generation holds the table. */
  keysFile?: string;
  config: Config;
  configStored: boolean;
}

/** A short public fingerprint of a site secret, to tell which site a board belongs to. */
export function siteFingerprint(secret: Uint8Array): string {
  return createHash('sha256').update('carkey site fingerprint').update(secret).digest('hex').slice(0, 16);
}

/** What a board holds: its Storage files, its key records and settings, decoded by the firmware's own code. */
export async function showBoard(link: ConsoleLink, board: BoardConfig): Promise<BoardContents> {
  const listed = (await link.run(`var S=${S};print(JSON.stringify(S.list().map(function(n){var f=S.read(n);return [n,f===undefined?0:f.length];})))`)).trim();
  let entries: [string, number][];
  try { entries = JSON.parse(listed); } catch (e) { throw new ProvisionError('unexpected answer listing Storage: ' + JSON.stringify(listed.slice(0, 200))); }
  const flash = memoryFlash(1 << 20);
  for (const [name, len] of entries) {
    if (!/^ck\.(site|keys|cfg)(\.[ab])?$/.test(name)) continue;
    flash.write(name, await readRemote(link, name, len), 0, len);
  }
  const siteGen = genLoad(flash, hostCrypto, 'ck.site.');
  // 48 bytes of secrets, then the 6-digit setup code (absent from sites written before it existed;
  // NUL bytes in a v2 site without one), then in a v2 site the 8-byte board id (firmware/site.ts).
  const site: BoardContents['site'] = { present: !!siteGen && (siteGen.length === 48 || siteGen.length === 54 || siteGen.length === SITE_V2_BYTES) };
  if (site.present) {
    const data = genData(flash, siteGen!);
    site.fingerprint = siteFingerprint(Buffer.from(data.slice(0, 32), 'latin1'));
    site.setupCode = /^[0-9]{6}$/.test(data.slice(48, 54)) ? data.slice(48, 54) : '';
    if (data.length === SITE_V2_BYTES) site.boardId = Buffer.from(data.slice(54, 62), 'latin1').toString('hex');
  }
  const m = keyStoreOf(flash);
  const gens = flash.list('ck.keys.');
  const ks = m.ksOpen(flash, hostCrypto, board.keyCapacity);
  const keys: KeyRecord[] = [];
  for (let i = 0; i < m.ksCount(ks); i++) keys.push(m.ksGet(ks, i));
  const cfg = loadConfig(flash, hostCrypto);
  return {
    files: entries.map(([name, bytes]) => ({ name, bytes })).sort((a, b) => (a.name < b.name ? -1 : 1)),
    site, keys, keysFile: gens.length ? (ks as { gen?: { name: string } }).gen?.name : ks.sf ? KEY_SLOTS_FILE : undefined, config: cfg.config, configStored: !!cfg.gen,
  };
}
