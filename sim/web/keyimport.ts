/**
 * Importing a key file into the browser, shared by the web phone key and the bench console: the
 * text (a v1 key file JSON or #k= link, or a v2 key file or #v=2 link: one secret per board, a
 * ticket) is parsed, each secret becomes a non-extractable WebCrypto key (the bytes are wiped),
 * and the record replaces the one key kept in IndexedDB.
 * Not here: the pages' UI (phonekey.ts, relay-bench.ts), crypto (keycrypto.ts), storage (keystore.ts).
 */
import { unhex } from '../../tools/host/bytes';
import { parseKeyText } from '../../tools/host/keyfile';
import { parseTravelFragment, parseTravelKeyJson } from '../../tools/host/travelkey';
import { importSecret } from './keycrypto';
import { importTravelKey } from './travel';
import { type StoredKey, saveKey } from './keystore';
import { simUrl } from './sim-token';

/** A v2 key text (a `#v=2` link or a `"version": 2` key file), parsed; undefined for anything else. */
function travelText(text: string) {
  const t = text.trim();
  if (t.startsWith('{')) {
    let j: any;
    try { j = JSON.parse(t); } catch (e) { return undefined; }
    return j && j.version === 2 ? parseTravelKeyJson(j) : undefined;
  }
  return /(^|[#&?])v=2(&|$)/.test(t) ? parseTravelFragment(t) : undefined;
}

export async function importKeyText(text: string): Promise<StoredKey> {
  const v2 = travelText(text);
  if (v2) {
    const k = await importTravelKey(v2);
    await saveKey(k);
    return k;
  }
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
