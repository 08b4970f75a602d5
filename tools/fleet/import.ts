/**
 * Importing a v1 site file (tools/host/provision/sitefile.ts) into the registry: the site's secrets
 * (a new registry takes them; an existing one must hold the same site secret — one registry is one
 * site), and one board that holds the site secret itself (secrets = 'site': boards provisioned
 * from a site file do) with the file's setup code and every key of its table. One transaction.
 */
import { timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import { readSiteFile, type KdfParams } from '../host/provision/sitefile';
import { CliError } from '../host/cli-error';
import { type Registry, createRegistry, openRegistry } from './registry';
import { type BoardRow, addBoard, addKey } from './boards';

export function importSite(registryFile: string, siteFile: string, passphrase: string, board: { label: string; type: string }, kdf?: KdfParams): { registry: Registry; board: BoardRow; keys: number } {
  if (!fs.existsSync(siteFile)) throw new CliError('no site file ' + siteFile + ' (no such file)');
  let data;
  try { data = readSiteFile(siteFile, passphrase).data; } catch (e) { throw new CliError((e as Error).message); }
  const fresh = !fs.existsSync(registryFile);
  const r = fresh ? createRegistry(registryFile, passphrase, { secret: data.secret, cardMaster: data.cardMaster }, kdf) : openRegistry(registryFile, passphrase);
  try {
    if (!timingSafeEqual(Buffer.from(r.site.secret), Buffer.from(data.secret))) throw new CliError(siteFile + ' is another site than the registry ' + registryFile + ' (one registry holds one site)');
    const out = r.db.transaction(() => {
      const b = addBoard(r, { type: board.type, label: board.label, secrets: 'site', setupCode: data.setupCode });
      for (const k of data.keys) {
        addKey(r, [b], { keyId: k.id >>> 0, salt: k.salt >>> 0, kind: k.kind, role: k.role, perms: k.perms.join(','), notBefore: k.notBefore, notAfter: k.notAfter, label: k.label, cardUid: k.cardUid });
      }
      return { board: b, keys: data.keys.length };
    })();
    return { registry: r, ...out };
  } catch (e) {
    r.close();
    if (fresh) for (const f of [registryFile, registryFile + '-wal', registryFile + '-shm']) { try { fs.unlinkSync(f); } catch { /* none */ } }
    throw e;
  }
}
