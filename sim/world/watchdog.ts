/**
 * The nRF52's watchdog on the virtual clock, shared by both engines (the world keeps it: it counts
 * through the bundle's soft resets, which the engines carry out).
 */
import * as clk from '../engine/clock';

/**
 * The nRF52 watchdog on the virtual clock: once enabled, a reset unless kicked within its timeout.
 * As the chip's WDT (targets/nrf5x/jshardware.c jshEnableWatchDog): once running, its timeout
 * (CRV) is locked, so enabling it again changes only Espruino's auto-kick flag and reloads
 * nothing; only a power-on, a pin reset (the reset button) or its own reset stops it. A soft reset
 * (E.reboot) and reset()/load() leave it counting.
 */
export interface SimWatchdog {
  enabled: boolean;
  timeoutMs: number;
  auto: boolean;
  enable(seconds: number, auto: boolean): void;
  kick(): void;
  /** Power-on, pin reset or watchdog reset: the chip's WDT stops (the code starts it again if it does). */
  stop(): void;
}

export function simWatchdog(clock: clk.Clock, expired: (timeoutMs: number) => void): SimWatchdog {
  let timer: clk.Timer | undefined;
  const w: SimWatchdog = {
    enabled: false, timeoutMs: 0, auto: false,
    enable: (seconds, auto) => {
      w.auto = auto;
      if (w.enabled) return; // running: CRV is write-protected and TASKS_START reloads nothing
      w.enabled = true; w.timeoutMs = seconds * 1000; w.kick();
    },
    kick: () => {
      if (!w.enabled) return;
      if (timer) clk.removeTimer(clock, timer);
      timer = clk.addHostTimer(clock, w.timeoutMs, () => { timer = undefined; expired(w.timeoutMs); });
    },
    stop: () => {
      if (timer) clk.removeTimer(clock, timer);
      timer = undefined;
      w.enabled = false;
    },
  };
  return w;
}

