/** Watchdog port on Espruino: manual kick only (isAuto false), so a hung main loop resets the board. */
import type { Watchdog } from '../ports';

export function espruinoWatchdog(): Watchdog {
  return {
    start: (seconds) => E.enableWatchdog(seconds, false),
    kick: () => E.kickWatchdog(),
  };
}
