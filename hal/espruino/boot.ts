/**
 * Board entry point: builds the ports from a board file. The build's entry (tools/build.ts) hands
 * them to the firmware's startFirmware (firmware/app.ts), which does all the wiring:
 * `startFirmware(boot(board), { id, keyCapacity, logSegments, logPerSegment })`.
 * The build (tools/build.ts) bundles this with one board file per dist/<board>/firmware.js.
 * Outputs are created first, so the relay is driven off before any other code runs.
 */
import type { BoardConfig } from '../boards/types';
import type { Ports } from '../../firmware/ports';
import { espruinoOutput, espruinoInput } from './gpio';
import { timers as timersPort } from './timers';
import { clock as clockPort } from './clock';
import { random as randomPort } from './random';
import { espruinoCrypto } from './crypto';
import { storage as storagePort } from './storage';
import { espruinoJournal } from './journal';
import { watchdog as watchdogPort } from './watchdog';
import { espruinoRadio } from './radio';
import { createPn532, pn532Reader } from '../pn532';
import { espruinoI2C } from './i2c';
import { benchOutput, benchRadio } from './relay-bench-hook';

// Module level, like hal/espruino/timers.ts: a closure made in boot() would keep boot()'s scope.
// console.log itself (a static method in Espruino): 2 variables where a forwarding arrow costs ~6.
const consolePort = { log: console.log };

/** The part of a board file the boot reads (tools/build.ts puts only this into the bundle). */
export type BootBoard = Pick<BoardConfig, 'pins' | 'relayActiveHigh' | 'buttonActiveHigh'> & { crypto: { aes: boolean } };

export function boot(board: BootBoard): Ports {
  let p = board.pins;
  let relay = espruinoOutput(p.relay, board.relayActiveHigh);
  let drive = p.drive === undefined ? undefined : espruinoOutput(p.drive, board.relayActiveHigh);
  if (__DEV__) { relay = benchOutput(relay, 0); if (drive) drive = benchOutput(drive, 1); }
  const led = (pin: number | undefined) => (pin === undefined ? undefined : espruinoOutput(pin, true));
  const timers = timersPort;
  // Called outside the literal below: the minifier substitutes a single-use function at its call
  // only outside object literals, so these factories do not stay resident functions.
  const crypto = espruinoCrypto(board.crypto.aes);
  const radio = __DEV__ ? benchRadio(espruinoRadio(true), p.benchContact, p.door) : espruinoRadio(false);
  const ports: Ports = {
    timers,
    clock: clockPort,
    random: randomPort,
    crypto,
    storage: storagePort,
    relay,
    drive,
    leds: { red: led(p.ledRed), green: led(p.ledGreen), blue: led(p.ledBlue) },
    door: p.door === undefined ? undefined : espruinoInput(p.door, true, 'input_pullup'),
    button: p.button === undefined ? undefined : espruinoInput(p.button, board.buttonActiveHigh, board.buttonActiveHigh ? 'input_pulldown' : 'input_pullup'),
    watchdog: watchdogPort,
    console: consolePort,
    radio,
  };
  // The journal layout (every board is tiled): log, clock and settings on pages Storage never moves.
  ports.journal = espruinoJournal;
  if (__NFC__) ports.reader = pn532Reader(createPn532(espruinoI2C(p.i2cSda, p.i2cScl, 400000, ports), timers, p.pn532Reset === undefined ? undefined : espruinoOutput(p.pn532Reset, false), E.sum));
  if (__DEV__) console.log('DEV BUILD: the JavaScript console is open over Bluetooth. Never put this in a car.');
  // The minifier inlines the single-use port factories above into this function, so the port
  // closures keep this scope for good: drop the board table from it (about 40 variables).
  board = p = undefined as never;
  return ports;
}
