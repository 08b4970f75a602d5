/** FlashStorage port on Espruino's Storage module. Turns its throws (full flash, bad rewrite) into false. */
import type { FlashStorage } from '../../firmware/ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array per method. read, erase and free are
// Storage's own functions (static methods in Espruino's jswrap_storage.c, `this` unused), not arrows
// that forward: a stored native function costs the board 2 variables, an arrow about 8.
const Store = require('Storage');
export const storage: FlashStorage = {
  read: Store.read,
  write: (name, data, offset, size) => {
    try {
      return Store.write(name, data, offset, size) !== false;
    } catch (e) {
      return false;
    }
  },
  erase: Store.erase,
  list: (prefix) => {
    const all = Store.list();
    const out: string[] = [];
    for (let i = 0; i < all.length; i++) if (all[i].indexOf(prefix) === 0) out.push(all[i]);
    return out;
  },
  free: Store.getFree,
  // Espruino compacts nothing when it finds no RAM for its buffer: report whether room was gained.
  compact: () => {
    const before = Store.getFree();
    Store.compact();
    return Store.getFree() > before;
  },
};

export function espruinoStorage(): FlashStorage {
  return storage;
}
