/** FlashStorage port on Espruino's Storage module. Turns its throws (full flash, bad rewrite) into false. */
import type { FlashStorage } from '../ports';

export function espruinoStorage(): FlashStorage {
  const s = require('Storage');
  return {
    read: (name, offset, length) => s.read(name, offset, length),
    write: (name, data, offset, size) => {
      try {
        return s.write(name, data, offset, size) !== false;
      } catch (e) {
        return false;
      }
    },
    erase: (name) => s.erase(name),
    list: (prefix) => {
      const all = s.list();
      const out: string[] = [];
      for (let i = 0; i < all.length; i++) if (all[i].indexOf(prefix) === 0) out.push(all[i]);
      return out;
    },
    free: () => s.getFree(),
  };
}
