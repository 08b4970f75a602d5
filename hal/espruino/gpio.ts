/** Output and Input ports on Espruino pins. Outputs are driven to their off level before anything else. */
import type { Input, Output } from '../ports';

export function espruinoOutput(pin: number, activeHigh: boolean): Output {
  const off = activeHigh ? 0 : 1;
  digitalWrite(pin, off);
  return { set: (on) => digitalWrite(pin, on ? 1 - off : off) };
}

export function espruinoInput(pin: number, activeHigh: boolean, pull: 'input_pullup' | 'input_pulldown' | 'input'): Input {
  pinMode(pin, pull);
  const level = () => (digitalRead(pin) === 1) === activeHigh;
  return {
    read: level,
    // Debouncing is the firmware's job; the watch reports every edge as the logical state.
    watch: (onChange) => { setWatch((e) => onChange(e.state === activeHigh), pin, { repeat: true, edge: 'both' }); },
  };
}
