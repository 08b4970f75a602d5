/** Deterministic Timers port for tests: the host layer's virtual-timer queue (tools/host/timer-queue.ts). */
import { type TimerQueue, timerQueue } from '../../tools/host/timer-queue';

export type FakeTimers = TimerQueue;

export const fakeTimers = (): FakeTimers => timerQueue();
