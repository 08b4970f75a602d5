/**
 * The firmware's single entry: given the ports and the board's storage budget, it starts the
 * access core. Everything here is plain logic over hal/ports.ts; no Espruino global and no pin
 * number may appear in firmware/.
 */
import type { Ports } from '../hal/ports';
import { type Core, type CoreOptions, coreStart } from './core';

export const FIRMWARE_VERSION = '0.2.0';

export function startFirmware(ports: Ports, boardId: string, opts: CoreOptions): Core {
  // Fail safe first: whatever state the pins were left in, the outputs start off.
  ports.relay.set(false);
  if (ports.drive) ports.drive.set(false);
  const core = coreStart(ports, opts);
  ports.console.log('carkey ' + FIRMWARE_VERSION + ' on ' + boardId + ': locked');
  return core;
}
