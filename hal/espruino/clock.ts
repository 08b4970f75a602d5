/** Clock port on Espruino: time since boot from getTime(). Nothing here calls setTime(). */
import type { Clock } from '../ports';

export function espruinoClock(): Clock {
  const boot = getTime();
  return { uptimeMs: () => (getTime() - boot) * 1000 };
}
