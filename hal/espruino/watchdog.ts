/** Watchdog port on Espruino: manual kick only (isAuto false), so a hung main loop resets the board. */
import type { Watchdog } from '../../firmware/ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
export const watchdog: Watchdog = {
  start: (seconds) => E.enableWatchdog(seconds, false),
  // E's own function (a static method, `this` unused): 2 variables where a forwarding arrow costs ~6.
  kick: E.kickWatchdog,
};

export function espruinoWatchdog(): Watchdog {
  return watchdog;
}
