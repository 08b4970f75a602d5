/**
 * The firmware's single entry: given the ports and the board's storage budget, it starts the
 * access core. Everything here is plain logic over hal/ports.ts; no Espruino global and no pin
 * number may appear in firmware/.
 */
import type { Ports } from '../hal/ports';
import { type Core, type CoreOptions, coreStart } from './core';

/** The release version, put in by the build (package.json's); 'source' when run unbuilt in a test. */
export const FIRMWARE_VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : 'source';

export function startFirmware(ports: Ports, boardId: string, opts: CoreOptions): Core {
  // Fail safe first: whatever state the pins were left in, the outputs start off.
  ports.relay.set(false);
  if (ports.drive) ports.drive.set(false);
  const core = coreStart(ports, opts);
  ports.console.log('carkey ' + FIRMWARE_VERSION + ' on ' + boardId + ': locked');
  return core;
}
