/** FlashStorage port on Espruino's Storage module. Turns its throws (full flash, bad rewrite) into false. */
import type { FlashStorage } from '../../firmware/ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
const S = require('Storage');
export const storage: FlashStorage = {
  read: (name, offset, length) => S.read(name, offset, length),
  write: (name, data, offset, size) => {
    try {
      return S.write(name, data, offset, size) !== false;
    } catch (e) {
      return false;
    }
  },
  erase: (name) => S.erase(name),
  list: (prefix) => {
    const all = S.list();
    const out: string[] = [];
    for (let i = 0; i < all.length; i++) if (all[i].indexOf(prefix) === 0) out.push(all[i]);
    return out;
  },
  free: () => S.getFree(),
  // Espruino compacts nothing when it finds no RAM for its buffer: report whether room was gained.
  compact: () => {
    const before = S.getFree();
    S.compact();
    return S.getFree() > before;
  },
};

export function espruinoStorage(): FlashStorage {
  return storage;
}
