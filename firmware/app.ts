/**
 * The firmware's single entry: given the ports, it starts the access core. Everything here is
 * plain logic over hal/ports.ts; no Espruino global and no pin number may appear in firmware/.
 */
import type { Ports } from '../hal/ports';

export const FIRMWARE_VERSION = '0.1.0';

export function startFirmware(ports: Ports, boardId: string): void {
  // Fail safe first: whatever state the pins were left in, the outputs start off.
  ports.relay.set(false);
  if (ports.drive) ports.drive.set(false);
  ports.console.log('carkey ' + FIRMWARE_VERSION + ' on ' + boardId + ': locked');
}
