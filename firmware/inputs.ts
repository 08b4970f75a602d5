/**
 * Debounced inputs: the door sensor and the button. A change is reported only once the level has
 * been stable for `debounceMs`; the button reports a long hold instead (it opens the enrolment
 * window when that is allowed). One closure per input, over one scope: each closure made inside a
 * function costs a Puck.js about ten variables and keeps that function's scope (docs/ARCHITECTURE.md
 * "Memory rules"), and these stay for as long as the board runs.
 */
import type { Input, Timers } from './ports';

/**
 * Calls `onChange(level)` when `input` settles at a new level, and, with `onHold`, `onHold()` once
 * the settled level has been true for `holdMs` (counted from the edge, so the debounce is part of it).
 */
export function watchInput(input: Input, timers: Timers, debounceMs: number, onChange?: (level: boolean) => void, holdMs?: number, onHold?: () => void): void {
  let stable = input.read();
  let timer: number | undefined;
  let held: number | undefined;
  input.watch(() => {
    timers.cancel(timer);
    timer = timers.after(debounceMs, () => {
      timer = undefined;
      const level = input.read();
      if (level === stable) return;
      stable = level;
      if (onChange) onChange(level);
      if (onHold) {
        timers.cancel(held);
        held = level ? timers.after(holdMs! - debounceMs, () => { held = undefined; if (input.read()) onHold(); }) : undefined;
      }
    });
  });
}
