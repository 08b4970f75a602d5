/** Clock port on Espruino: time since boot from getTime(). Nothing here calls setTime(). */
import type { Clock } from '../../firmware/ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array. `boot` is when the bundle ran.
const boot = getTime();
export const clock: Clock = { uptimeMs: () => (getTime() - boot) * 1000 };

export function espruinoClock(): Clock {
  return clock;
}
