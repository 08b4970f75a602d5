/** Timers port on Espruino. Guards the interpreter's clearTimeout(undefined) trap. */
import type { Timers } from '../../firmware/ports';

// A module-level object: closures made at the bundle's top level carry no scope-chain array
// (3 variables each on Espruino), unlike closures made inside a function such as boot().
export const timers: Timers = {
  after: (ms, fn) => setTimeout(fn, ms),
  every: (ms, fn) => setInterval(fn, ms),
  // clearTimeout(undefined) throws and clearTimeout() cancels every timer: never pass either.
  cancel: (id) => { if (typeof id === 'number' && id > 0) clearTimeout(id); },
};

export function espruinoTimers(): Timers {
  return timers;
}
