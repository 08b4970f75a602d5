/**
 * The firmware's single entry: given the ports and the board's storage budget, it starts the
 * access core. Everything here is plain logic over hal/ports.ts; no Espruino global and no pin
 * number may appear in firmware/.
 */
import type { Ports } from '../hal/ports';
import { type Core, type CoreOptions, coreStart } from './core';

import { FIRMWARE_VERSION } from './version';

export { FIRMWARE_VERSION };

export function startFirmware(ports: Ports, boardId: string, opts: CoreOptions): Core {
  // Fail safe first: whatever state the pins were left in, the outputs start off.
  ports.relay.set(false);
  if (ports.drive) ports.drive.set(false);
  const core = coreStart(ports, opts);
  ports.console.log('carkey ' + FIRMWARE_VERSION + ' on ' + boardId + ': locked');
  return core;
}

/**
 * No site secrets (firmware/site.ts siteLoad): nothing starts. Outputs off, no radio, no reader,
 * no unlocks; the console says why and the red LED blinks twice every 2 s until the owner writes
 * the site back over USB (`npm run provision -- write`) and the board restarts.
 */
export function startWithoutSite(ports: Ports, boardId: string): void {
  ports.relay.set(false);
  if (ports.drive) ports.drive.set(false);
  ports.console.log('carkey on ' + boardId + ': NO SITE FILE, all unlocks refused: write it back over USB');
  const red = ports.leds.red;
  let n = 0;
  // The watchdog may still run from before a soft reset: keep kicking it, this loop is all there is.
  ports.watchdog.start(30);
  ports.timers.every(250, () => {
    n = (n + 1) & 7;
    if (red) red.set(n === 1 || n === 3);
    ports.watchdog.kick();
  });
}
