/**
 * The board image: the exact Storage files a board needs for a site — ck.site.a (site secrets),
 * ck.keys (the key table, a slot file), ck.cfg.a (settings) — produced by the firmware's own modules
 * (site.ts, keystore.ts, config.ts over genfile.ts and slotfile.ts) writing into the host's in-memory flash
 * (tools/host/flash.ts, Espruino's Storage semantics), so the
 * bytes are what the board itself would have written. Also writes/reads an image directory.
 *
 * Not here: getting the files onto a board (upload.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BoardConfig } from '../../hal/boards/types';
import { defaultKeySlots } from '../../firmware/keystore';
import { keyStoreOf } from '../host/provision/keystores';
import { kslOpen } from '../../firmware/keyslots';
import { siteSave } from '../../firmware/site';
import { type Config, sanitizeConfig, saveConfig } from '../../firmware/config';
import * as C from '../../firmware/codes';
import { hostCrypto } from '../host/crypto';
import { memoryFlash } from '../host/flash';
import { crc32 } from '../host/bytes';
import { recordOf } from '../host/provision/keys';
import { ProvisionError, type SiteData } from '../host/provision/sitefile';

export interface ImageFile {
  name: string;
  /** Raw bytes, one char per byte (latin1), as Storage holds them. */
  data: string;
  crc32: number;
}

export interface BoardImage {
  board: string;
  files: ImageFile[];
  keys: number;
  config: Config;
}

/** A scratch flash large enough for any image: only the firmware's own writes fill it. */
const IMAGE_FLASH_BYTES = 1 << 20;

/**
 * `layout`: the key file's slots and data bytes in the planned Storage layout (tiledLayout's
 * keySlots and keysFileBytes); without it the firmware's default (capacity + a quarter, no padding).
 */
export function boardImage(site: SiteData, board: BoardConfig, configInput?: unknown, layout?: { keySlots: number; keysFileBytes: number }): BoardImage {
  const count = site.keys.length;
  if (count > board.keyCapacity) {
    throw new ProvisionError(count + ' keys do not fit ' + board.name + ' (' + board.id + '), which holds ' + board.keyCapacity + '; remove keys or use a bigger board');
  }
  const flash = memoryFlash(IMAGE_FLASH_BYTES);
  if (!siteSave(flash, hostCrypto, { secret: site.secret, cardMaster: site.cardMaster, setupCode: site.setupCode, boardId: site.boardId, gen: undefined })) throw new ProvisionError('could not build the site file');
  // The key store checks the records and writes them into its slot file, one slot each. The file
  // has `layout.keySlots` slots and `layout.keysFileBytes` bytes when the caller plans the Storage
  // layout (tools/benchmarks/storage-budget.ts tiledLayout: the file ends on a page boundary).
  if (!kslOpen(flash, layout && layout.keySlots || defaultKeySlots(board.keyCapacity), layout && layout.keysFileBytes)) throw new ProvisionError('could not build the key file');
  const m = keyStoreOf(flash);
  const ks = m.ksOpen(flash, hostCrypto, board.keyCapacity);
  for (const k of site.keys) {
    const r = m.ksAdd(ks, undefined, recordOf(k));
    if (r !== C.R_OK) throw new ProvisionError('key ' + k.id + ' (' + k.label + ') was refused by the key store: reason ' + r);
  }
  const config = sanitizeConfig(configInput);
  // On a tiled board the settings are a tile (docs/ESPRUINO.md "Flash"): written after the pad,
  // never before the bundle, where the firmware's next settings save would leave trash.
  if (board.tile) flash.tile = board.tile;
  if (!saveConfig(flash, hostCrypto, undefined, config)) throw new ProvisionError('could not build the config file');
  const files = flash.list('ck.').sort().map((name) => {
    const data = flash.read(name)!;
    return { name, data, crc32: crc32(data) };
  });
  const total = files.reduce((n, f) => n + f.data.length, 0);
  // A rough bound: the firmware and log need most of Storage; never hand over an image that alone fills it.
  if (total > board.storageBytes / 2) throw new ProvisionError('the image (' + total + ' bytes) is too big for ' + board.id + "'s Storage");
  return { board: board.id, files, keys: count, config };
}

const MANIFEST = 'manifest.json';

/** Writes one file per Storage file (its exact bytes) and a manifest with sizes and CRC32s. */
export function writeImageDir(dir: string, img: BoardImage): string[] {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const f of img.files) {
    const p = path.join(dir, f.name);
    fs.writeFileSync(p, Buffer.from(f.data, 'latin1'), { mode: 0o600 });
    written.push(p);
  }
  const manifest = { board: img.board, keys: img.keys, config: img.config, files: img.files.map((f) => ({ name: f.name, bytes: f.data.length, crc32: f.crc32 })) };
  fs.writeFileSync(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  written.push(path.join(dir, MANIFEST));
  return written;
}
