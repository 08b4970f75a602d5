/**
 * The permanent files of a fresh install of the compaction-safe layout (tools/host/layout.ts), from
 * a board image (tools/provision/image.ts: the site generation file and the key table): the site
 * file as is, the settings slot file blank (the firmware's defaults), and a key slot file sized to
 * end on the page boundary the bundle starts at, holding the image's keys in slot order.
 * Host only (the image's files are checked with the host CRC). Used by `npm run flash -- --install`.
 */
import type { BoardConfig } from '../../hal/boards/types';
import { genData, genLoad } from '../../firmware/genfile';
import { kslAdd, kslOpen } from '../../firmware/keyslots';
import { RECORD_SIZE, decodeRecord } from '../../firmware/keystore';
import { slotOpen } from '../../firmware/slotfile';
import { hostCrypto } from './crypto';
import { memoryFlash } from './flash';
import { CONFIG_FILE, CONFIG_SLOTS, CONFIG_SLOT_BYTES, KEYS_FILE, SITE_FILE, configFileBytes, tiledLayout } from './layout';
import { RelayoutError, type FileData } from './relayout';

/** Site, settings and key files for `board` with a bundle of `bundleBytes`; `keysGen` the image's ck.keys.a (a generation file), if any. */
export function installFiles(board: BoardConfig, bundleBytes: number, site: string, keysGen?: string): FileData[] {
  const lay = tiledLayout(board, bundleBytes);
  if (lay.short > 0) throw new RelayoutError(`${board.id}: the layout does not fit this bundle (${lay.short} bytes too many for ${board.keyCapacity} keys)`, 2);
  const src = memoryFlash(1 << 20);
  src.write(SITE_FILE, site, 0, site.length);
  if (!genLoad(src, hostCrypto, 'ck.site.')) throw new RelayoutError('the image\'s ck.site.a is not an intact site file', 2);
  const records: string[] = [];
  if (keysGen !== undefined) {
    src.write('ck.keys.a', keysGen, 0, keysGen.length);
    const gen = genLoad(src, hostCrypto, 'ck.keys.');
    if (!gen) throw new RelayoutError('the image\'s ck.keys.a is not an intact key table', 2);
    const table = genData(src, gen);
    for (let at = 0; at + RECORD_SIZE <= table.length; at += RECORD_SIZE) records.push(table.substr(at, RECORD_SIZE));
  }
  if (records.length > lay.keySlots) throw new RelayoutError(`${records.length} keys do not fit the key file's ${lay.keySlots} slots`, 2);
  const out = memoryFlash(1 << 20);
  slotOpen(out, CONFIG_FILE, CONFIG_SLOT_BYTES, CONFIG_SLOTS, 0, configFileBytes());
  const ks = kslOpen(out, lay.keySlots, lay.keysFileBytes)!;
  for (const r of records) if (kslAdd(ks, decodeRecord(r, 0)) < 0) throw new RelayoutError('could not build the key file', 2);
  return [{ name: SITE_FILE, data: site }, { name: CONFIG_FILE, data: out.read(CONFIG_FILE)! }, { name: KEYS_FILE, data: out.read(KEYS_FILE)! }];
}
