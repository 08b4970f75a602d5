/**
 * The unlock state machine as data: a transition table of (state, event) -> (next state, actions)
 * and one dispatch function. A pair not in the table is ignored (and logged by the caller), never
 * thrown. Actions are bits the caller carries out (firmware/core.ts); the table says nothing about
 * how. Kept in a Uint8Array: on Espruino that is one flat block, not a variable per cell.
 */
import { EV_BOOT, EV_DOOR_CLOSE, EV_DOOR_OPEN, EV_ENROL_DONE, EV_ENROL_OPEN, EV_ENROL_TIMEOUT, EV_ERROR, EV_FAULT_RECOVER,
  EV_LOCK, EV_RELOCK_TIMER, EV_UNLOCK, S_ENROLLING, S_FAULT, S_LOCKED, S_UNLOCKED } from './codes';

// Action bits
export const A_UNLOCK = 1; // energise the relay (bounded) and start the relock timer
export const A_LOCK = 2; // relay off, relock timer cancelled
export const A_ENROL_START = 4; // open the enrolment window (timer, LED)
export const A_ENROL_END = 8; // close it
export const A_FAULT = 16; // every output off, schedule recovery

export const TRANSITIONS = new Uint8Array([
  // state       event              next         actions
  S_LOCKED, EV_BOOT, S_LOCKED, A_LOCK,
  S_LOCKED, EV_UNLOCK, S_UNLOCKED, A_UNLOCK,
  S_LOCKED, EV_LOCK, S_LOCKED, A_LOCK,
  S_LOCKED, EV_DOOR_OPEN, S_LOCKED, 0,
  S_LOCKED, EV_DOOR_CLOSE, S_LOCKED, 0,
  S_LOCKED, EV_ENROL_OPEN, S_ENROLLING, A_ENROL_START,
  S_LOCKED, EV_ERROR, S_FAULT, A_FAULT,

  S_UNLOCKED, EV_UNLOCK, S_UNLOCKED, A_UNLOCK,
  S_UNLOCKED, EV_LOCK, S_LOCKED, A_LOCK,
  S_UNLOCKED, EV_RELOCK_TIMER, S_LOCKED, A_LOCK,
  S_UNLOCKED, EV_DOOR_OPEN, S_UNLOCKED, 0,
  S_UNLOCKED, EV_DOOR_CLOSE, S_LOCKED, A_LOCK,
  S_UNLOCKED, EV_ENROL_OPEN, S_ENROLLING, A_LOCK | A_ENROL_START,
  S_UNLOCKED, EV_ERROR, S_FAULT, A_FAULT,

  S_ENROLLING, EV_UNLOCK, S_UNLOCKED, A_ENROL_END | A_UNLOCK,
  S_ENROLLING, EV_LOCK, S_ENROLLING, A_LOCK,
  S_ENROLLING, EV_DOOR_OPEN, S_ENROLLING, 0,
  S_ENROLLING, EV_DOOR_CLOSE, S_ENROLLING, 0,
  S_ENROLLING, EV_ENROL_DONE, S_LOCKED, A_ENROL_END,
  S_ENROLLING, EV_ENROL_TIMEOUT, S_LOCKED, A_ENROL_END,
  S_ENROLLING, EV_ERROR, S_FAULT, A_ENROL_END | A_FAULT,

  S_FAULT, EV_FAULT_RECOVER, S_LOCKED, A_LOCK,
  S_FAULT, EV_ERROR, S_FAULT, A_FAULT,
]);

/** Row index of (state, event) in TRANSITIONS, or -1 when the pair is not handled. */
export function findTransition(state: number, event: number): number {
  for (let i = 0; i < TRANSITIONS.length; i += 4) if (TRANSITIONS[i] === state && TRANSITIONS[i + 1] === event) return i;
  return -1;
}

/**
 * Looks up (state, event). Returns the next state and the actions as `next * 256 + actions`,
 * or -1 when the event is ignored in this state.
 */
export function transition(state: number, event: number): number {
  const i = findTransition(state, event);
  return i < 0 ? -1 : TRANSITIONS[i + 2] * 256 + TRANSITIONS[i + 3];
}
