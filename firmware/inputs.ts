/**
 * Debounced inputs: the door sensor and the button. An edge is reported only once the level has
 * been stable for `debounceMs`. The button also reports a long hold (used to open the enrolment
 * window when that is allowed).
 */
import type { Input, Timers } from './ports';

/** Calls `onChange(level)` when `input` settles at a new level. */
export function watchDebounced(input: Input, timers: Timers, debounceMs: number, onChange: (level: boolean) => void): void {
  let stable = input.read();
  let timer: number | undefined;
  input.watch(() => {
    timers.cancel(timer);
    timer = timers.after(debounceMs, () => {
      timer = undefined;
      const level = input.read();
      if (level !== stable) { stable = level; onChange(level); }
    });
  });
}

/** Reports `onHold()` once the (debounced) button has been held for `holdMs`. */
export function watchHold(input: Input, timers: Timers, debounceMs: number, holdMs: number, onHold: () => void): void {
  let timer: number | undefined;
  watchDebounced(input, timers, debounceMs, (pressed) => {
    timers.cancel(timer);
    timer = pressed ? timers.after(holdMs - debounceMs, () => { timer = undefined; if (input.read()) onHold(); }) : undefined;
  });
}
