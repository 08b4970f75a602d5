/**
 * Virtual time and the timer queue. Nothing here sleeps or reads the real clock: `advance(ms)` jumps
 * from one due timer to the next, so hours of board time take milliseconds.
 * Board timers follow Espruino (src/jswrap_interactive.c, src/jsinteractive.c): the id is the last
 * timer's id + 1 (1 when none), so ids are small and reused; intervals under 0.1 ms run at 0.1 ms;
 * an interval's next run is its previous due time + interval; timers due together run in id order. Host timers (watchdog, ...) have no id.
 * Not here: what a callback does or how its errors are reported (the `run` hook in board.ts).
 */

export interface Timer {
  /** Espruino id for board timers; 0 for host timers. */
  id: number;
  due: number;
  seq: number;
  interval?: number;
  fn: () => void;
  /** A debounce timer made by setWatch: clearTimeout() with no argument keeps it (as Espruino). */
  watch?: boolean;
}

export interface Clock {
  /** Virtual milliseconds since the simulation started. */
  now: number;
  /** `now` at the last boot: getTime() counts from here. */
  bootAt: number;
  /** Seconds added to time since boot by setTime(). */
  offset: number;
  timers: Timer[];
  seq: number;
  /** Runs one due timer; set by the board to route callbacks through its error handling. */
  run: (t: Timer) => void;
}

export const TIMER_MIN_MS = 0.1;

export function createClock(): Clock {
  return { now: 0, bootAt: 0, offset: 0, timers: [], seq: 0, run: (t) => t.fn() };
}

/** Board time in seconds, as getTime() returns it. */
export function getTime(c: Clock): number {
  return (c.now - c.bootAt) / 1000 + c.offset;
}

export function setTime(c: Clock, seconds: number): void {
  c.offset = Number(seconds) - (c.now - c.bootAt) / 1000;
}

/** A board reboot: time since boot starts again from 0 and every board timer is gone. */
export function rebootClock(c: Clock): void {
  c.bootAt = c.now;
  c.offset = 0;
  c.timers = c.timers.filter((t) => t.id === 0);
}

function nextId(c: Clock): number {
  let last = 0;
  for (const t of c.timers) if (t.id > last) last = t.id;
  return last + 1;
}

/** setTimeout / setInterval (and setWatch's debounce timers): returns the new board timer. */
export function addBoardTimer(c: Clock, ms: number, fn: () => void, repeat: boolean, watch?: boolean): Timer {
  let d = Number(ms);
  if (!(d >= TIMER_MIN_MS)) d = TIMER_MIN_MS;
  const t: Timer = { id: nextId(c), due: c.now + d, seq: ++c.seq, fn, watch };
  if (repeat) t.interval = d;
  c.timers.push(t);
  return t;
}

/** A timer of the simulator itself (not visible to the board, survives reboots). */
export function addHostTimer(c: Clock, ms: number, fn: () => void): Timer {
  const t: Timer = { id: 0, due: c.now + Math.max(0, ms), seq: ++c.seq, fn };
  c.timers.push(t);
  return t;
}

export function removeTimer(c: Clock, t: Timer): void {
  const i = c.timers.indexOf(t);
  if (i >= 0) c.timers.splice(i, 1);
}

export function findBoardTimer(c: Clock, id: number): Timer | undefined {
  for (const t of c.timers) if (t.id !== 0 && t.id === id) return t;
  return undefined;
}

/** clearTimeout() with no argument: every board timer except watch debounce timers. */
export function clearBoardTimers(c: Clock, keepWatch: boolean): void {
  c.timers = c.timers.filter((t) => t.id === 0 || (keepWatch && t.watch));
}

/** Same due time: board timers in id order (Espruino walks its timer array), host timers after. */
function order(t: Timer): number {
  return t.id === 0 ? 1e9 + t.seq : t.id;
}

function nextDue(c: Clock, limit: number): Timer | undefined {
  let best: Timer | undefined;
  for (const t of c.timers) {
    if (t.due > limit) continue;
    if (!best || t.due < best.due || (t.due === best.due && order(t) < order(best))) best = t;
  }
  return best;
}

/** Moves time forward by `ms`, running every timer that falls due, in time order. */
export function advance(c: Clock, ms: number): void {
  const target = c.now + Math.max(0, ms);
  for (;;) {
    const t = nextDue(c, target);
    if (!t) break;
    if (t.due > c.now) c.now = t.due;
    if (t.interval !== undefined) { t.due += t.interval; t.seq = ++c.seq; }
    else removeTimer(c, t);
    c.run(t);
  }
  c.now = target;
}

/** Runs until no board timer is pending or `maxMs` have passed; returns the virtual ms spent. */
export function runUntilIdle(c: Clock, maxMs: number): number {
  const start = c.now;
  const end = start + Math.max(0, maxMs);
  for (;;) {
    let next: Timer | undefined;
    for (const t of c.timers) if (t.id !== 0 && (!next || t.due < next.due)) next = t;
    if (!next || next.due > end) break;
    advance(c, next.due - c.now);
  }
  if (c.timers.some((t) => t.id !== 0)) advance(c, end - c.now);
  return c.now - start;
}
