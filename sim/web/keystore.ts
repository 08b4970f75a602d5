/**
 * Where the web phone key keeps its key: one record in IndexedDB holding the non-extractable
 * CryptoKey (browsers store it without ever exposing its bytes) and what the key file said about
 * the key (a v2 key: one CryptoKey per board, its ticket and revocation list). The raw secret is never stored.
 * Not here: parsing key files (tools/host/keyfile.ts), crypto (keycrypto.ts).
 */

export type { StoredBoard, StoredKey } from './storedkey';
import type { StoredKey } from './storedkey';

const DB = 'carkey-phonekey';
const STORE = 'keys';
const ID = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const loadKey = () => withStore<StoredKey | undefined>('readonly', (s) => s.get(ID));
export const saveKey = (k: StoredKey) => withStore<unknown>('readwrite', (s) => s.put(k, ID));
export const forgetKey = () => withStore<unknown>('readwrite', (s) => s.delete(ID));
