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
  list: (prefix) => Store.list().filter((n: string) => n.indexOf(prefix) === 0),
  free: Store.getFree,
  // Espruino compacts nothing when it finds no RAM for its buffer: report whether room was gained.
  // Every board build is on the journal layout, which without protocol v2 makes no file at run time
  // and never compacts (firmware/core.ts): no function for it to keep.
  compact: !__TRAVEL__ ? undefined as never : () => {
    const before = Store.getFree();
    Store.compact();
    return Store.getFree() > before;
  },
};

export function espruinoStorage(): FlashStorage {
  return storage;
}
