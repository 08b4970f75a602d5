/**
 * The permanent files of a fresh install of the compaction-safe layout (tools/host/layout.ts), from
 * a board image (tools/provision/image.ts): the site generation file as is and a key slot file
 * sized by tiledLayout (to end on the page the bundle starts, where the bundle leaves room for
 * that), holding the image's keys in order, whether the image carries them as a key slot file
 * (`ck.keys`) or as the earlier generation file's table (`ck.keys.a`). Settings are tiles the
 * firmware writes when they change: an install leaves the firmware's defaults.
 * Host only (the image's files are checked with the host CRC). Used by `npm run flash -- --install`.
 */
import type { BoardConfig } from '../../hal/boards/types';
import { genData, genLoad } from '../../firmware/genfile';
import { RECORD_SIZE } from '../../firmware/keystore';
import { slotShape } from '../../firmware/slotfile';
import { hostCrypto } from './crypto';
import { memoryFlash } from './flash';
import { KEYS_FILE, SITE_FILE, tiledLayout } from './layout';
import { RelayoutError, type FileData, freshKeyFile, liveRecords } from './relayout';

/** Site and key files for `board` with a bundle of `bundleBytes`; `keys` the image's key file (slot file or generation file), if any. */
export function installFiles(board: BoardConfig, bundleBytes: number, site: string, keys?: string): FileData[] {
  const lay = tiledLayout(board, bundleBytes);
  if (lay.short > 0) throw new RelayoutError(`${board.id}: the layout does not fit this bundle (${lay.short} bytes too many for ${board.keyCapacity} keys)`, 2);
  const src = memoryFlash(1 << 20);
  src.write(SITE_FILE, site, 0, site.length);
  if (!genLoad(src, hostCrypto, 'ck.site.')) throw new RelayoutError('the image\'s ck.site.a is not an intact site file', 2);
  let records: string[] = [];
  if (keys !== undefined && slotShape(keys)) records = liveRecords(keys);
  else if (keys !== undefined) {
    src.write('ck.keys.a', keys, 0, keys.length);
    const gen = genLoad(src, hostCrypto, 'ck.keys.');
    if (!gen) throw new RelayoutError('the image\'s key file is neither a key slot file nor an intact key table', 2);
    const table = genData(src, gen);
    for (let at = 0; at + RECORD_SIZE <= table.length; at += RECORD_SIZE) records.push(table.substr(at, RECORD_SIZE));
  }
  return [{ name: SITE_FILE, data: site }, { name: KEYS_FILE, data: freshKeyFile(board, bundleBytes, records).data }];
}
