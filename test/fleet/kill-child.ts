/**
 * The child of kill.test.ts: opens the registry and loops collecting a synthetic board log page by
 * page and revoking keys, printing "ready" once, until the parent SIGKILLs it at a random moment.
 * argv: registry file, passphrase.
 */
import { openRegistry } from '../../tools/fleet/registry';
import { boardByName, listKeys, revoke } from '../../tools/fleet/boards';
import { lastSeq, storeEntries } from '../../tools/fleet/logstore';

const r = openRegistry(process.argv[2], process.argv[3]);
const b = boardByName(r, 'van-1');
process.stdout.write('ready\n');
for (;;) {
  const from = lastSeq(r, b.id) + 1;
  const page = Array.from({ length: 8 }, (_, i) => ({ seq: from + i, time: 1700000000 + from + i, trusted: true, event: 21, result: 1, reason: 0, keyId: 42 }));
  storeEntries(r, b.id, page);
  const active = listKeys(r, b, 'active').filter((k) => k.role !== 'owner');
  if (active.length) revoke(r, active[0].key_id);
}
