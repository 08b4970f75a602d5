/**
 * Your own site in the simulator (`npm start -- --site mycar.site`): the site file that
 * `npm run provision` keeps, opened with its passphrase, as the secrets and key records the
 * simulated car's flash gets (sim/car.ts `site`). The key files and links `provision issue` wrote
 * then unlock the simulated car as they would the real one.
 * Not here: the site file format (tools/host/provision/sitefile.ts).
 */
import { boardById } from '../hal/boards/index';
import type { KeyRecord } from '../firmware/keystore';
import { recordOf } from '../tools/host/provision/keys';
import { ProvisionError, readSiteFile } from '../tools/host/provision/sitefile';
import type { SiteSecrets } from '../tools/host/provision/site';

export function ownSite(file: string, passphrase: string, boardId: string): { secrets: SiteSecrets; records: KeyRecord[] } {
  const { data } = readSiteFile(file, passphrase);
  const board = boardById(boardId);
  if (board && data.keys.length > board.keyCapacity) {
    throw new ProvisionError(file + ' has ' + data.keys.length + ' keys; ' + board.id + ' holds ' + board.keyCapacity + ' (choose a bigger board with --board)');
  }
  return { secrets: { secret: data.secret, cardMaster: data.cardMaster, setupCode: data.setupCode }, records: data.keys.map(recordOf) };
}
