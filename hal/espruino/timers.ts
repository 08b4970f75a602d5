/** Timers port on Espruino. Guards the interpreter's clearTimeout(undefined) trap. */
import type { Timers } from '../ports';

export function espruinoTimers(): Timers {
  return {
    after: (ms, fn) => setTimeout(fn, ms),
    every: (ms, fn) => setInterval(fn, ms),
    // clearTimeout(undefined) throws and clearTimeout() cancels every timer: never pass either.
    cancel: (id) => { if (typeof id === 'number' && id > 0) clearTimeout(id); },
  };
}
