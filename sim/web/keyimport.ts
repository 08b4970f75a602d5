/**
 * Importing a key file into the browser, shared by the web phone key and the bench console: the
 * text (key file JSON or a #k= link) is parsed, its secret becomes a non-extractable WebCrypto key
 * (the bytes are wiped), and the record replaces the one key kept in IndexedDB.
 * Not here: the pages' UI (phonekey.ts, relay-bench.ts), crypto (keycrypto.ts), storage (keystore.ts).
 */
import { unhex } from '../../tools/host/bytes';
import { parseKeyText } from '../../tools/host/keyfile';
import { importSecret } from './keycrypto';
import { type StoredKey, saveKey } from './keystore';
import { simUrl } from './sim-token';

export async function importKeyText(text: string): Promise<StoredKey> {
  const f = parseKeyText(text);
  const key = await importSecret(unhex(f.secret)); // wipes the bytes it is given
  const k: StoredKey = { keyId: f.keyId, key, label: f.label, role: f.role, perms: f.perms, notBefore: f.notBefore, notAfter: f.notAfter, importedAt: Date.now() };
  await saveKey(k);
  return k;
}

/** The simulator's demo keys ({name, link}), or undefined when this server has none (a static host). */
export async function demoKeyLinks(): Promise<{ name: string; link: string }[] | undefined> {
  try {
    const r = await fetch(simUrl('/api/demo-keys'));
    return r.ok ? await r.json() : undefined;
  } catch (e) {
    return undefined;
  }
}
