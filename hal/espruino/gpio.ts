/**
 * Output and Input ports on Espruino pins. Outputs are driven to their off level before anything
 * else. Each port is plain data with shared methods, called as methods: a closure per port cost
 * ~10 variables more, and (the minifier inlines these factories into boot) kept boot's scope.
 */
import type { Input, Output } from '../../firmware/ports';

/** An output as plain data with a shared method: a closure per output would cost ~10 more variables each. */
interface PinOutput extends Output {
  pin: number;
  off: number;
}

function pinOutputSet(this: PinOutput, on: boolean): void {
  digitalWrite(this.pin, on ? 1 - this.off : this.off);
}

export function espruinoOutput(pin: number, activeHigh: boolean): Output {
  const out: PinOutput = { pin: pin, off: activeHigh ? 0 : 1, set: pinOutputSet };
  digitalWrite(pin, out.off);
  return out;
}

interface PinInput extends Input {
  pin: number;
  activeHigh: boolean;
}

function pinInputRead(this: PinInput): boolean {
  return (digitalRead(this.pin) === 1) === this.activeHigh;
}

function pinInputWatch(this: PinInput, onEdge: () => void): void {
  // Debouncing is the firmware's job (firmware/inputs.ts, the same on every input and in every
  // test): the firmware's own callback is the watch's, called on every edge; it reads the level
  // with pinInputRead once it has settled. debounce: 0 because Espruino debounces a board's
  // built-in button (BTN1, our button) by 25 ms unless told otherwise, which would delay every
  // press and the hold timing by that much on top of the firmware's own.
  setWatch(onEdge, this.pin, { repeat: true, edge: 'both', debounce: 0 });
}

export function espruinoInput(pin: number, activeHigh: boolean, pull: 'input_pullup' | 'input_pulldown' | 'input'): Input {
  pinMode(pin, pull);
  const input: PinInput = { pin: pin, activeHigh: activeHigh, read: pinInputRead, watch: pinInputWatch };
  return input;
}
