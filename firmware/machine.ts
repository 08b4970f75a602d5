/**
 * The unlock state machine as data: a transition table of (state, event) -> (next state, actions)
 * and one dispatch function. A pair not in the table is ignored (and logged by the caller), never
 * thrown. Actions are bits the caller carries out (firmware/core.ts); the table says nothing about
 * how. Kept as a string of bytes, four per row (the codes' numbers, named in each row's comment;
 * test/core/machine.test.ts checks every pair by name): in a pretokenised bundle Espruino keeps it in
 * flash (a raw string), not a variable per cell, and it is about 150 bytes shorter than an array.
 */
// Action bits
export const A_UNLOCK = 1; // energise the relay (bounded) and start the relock timer
export const A_LOCK = 2; // relay off, relock timer cancelled
export const A_ENROL_START = 4; // open the enrolment window (timer, LED)
export const A_ENROL_END = 8; // close it
export const A_FAULT = 16; // every output off, schedule recovery

export const TRANSITIONS =
  // state        event               next          actions
  '\x00\x01\x00\x02' + // S_LOCKED, EV_BOOT, S_LOCKED, A_LOCK
  '\x00\x02\x01\x01' + // S_LOCKED, EV_UNLOCK, S_UNLOCKED, A_UNLOCK
  '\x00\x03\x00\x02' + // S_LOCKED, EV_LOCK, S_LOCKED, A_LOCK
  '\x00\x05\x00\x00' + // S_LOCKED, EV_DOOR_OPEN, S_LOCKED, 0
  '\x00\x06\x00\x00' + // S_LOCKED, EV_DOOR_CLOSE, S_LOCKED, 0
  '\x00\x07\x02\x04' + // S_LOCKED, EV_ENROL_OPEN, S_ENROLLING, A_ENROL_START
  '\x00\x0a\x03\x10' + // S_LOCKED, EV_ERROR, S_FAULT, A_FAULT
  '\x01\x02\x01\x01' + // S_UNLOCKED, EV_UNLOCK, S_UNLOCKED, A_UNLOCK
  '\x01\x03\x00\x02' + // S_UNLOCKED, EV_LOCK, S_LOCKED, A_LOCK
  '\x01\x04\x00\x02' + // S_UNLOCKED, EV_RELOCK_TIMER, S_LOCKED, A_LOCK
  '\x01\x05\x01\x00' + // S_UNLOCKED, EV_DOOR_OPEN, S_UNLOCKED, 0
  '\x01\x06\x00\x02' + // S_UNLOCKED, EV_DOOR_CLOSE, S_LOCKED, A_LOCK
  '\x01\x07\x02\x06' + // S_UNLOCKED, EV_ENROL_OPEN, S_ENROLLING, A_LOCK | A_ENROL_START
  '\x01\x0a\x03\x10' + // S_UNLOCKED, EV_ERROR, S_FAULT, A_FAULT
  '\x02\x02\x01\x09' + // S_ENROLLING, EV_UNLOCK, S_UNLOCKED, A_ENROL_END | A_UNLOCK
  '\x02\x03\x02\x02' + // S_ENROLLING, EV_LOCK, S_ENROLLING, A_LOCK
  '\x02\x05\x02\x00' + // S_ENROLLING, EV_DOOR_OPEN, S_ENROLLING, 0
  '\x02\x06\x02\x00' + // S_ENROLLING, EV_DOOR_CLOSE, S_ENROLLING, 0
  '\x02\x08\x00\x08' + // S_ENROLLING, EV_ENROL_DONE, S_LOCKED, A_ENROL_END
  '\x02\x09\x00\x08' + // S_ENROLLING, EV_ENROL_TIMEOUT, S_LOCKED, A_ENROL_END
  '\x02\x0a\x03\x18' + // S_ENROLLING, EV_ERROR, S_FAULT, A_ENROL_END | A_FAULT
  '\x03\x0b\x00\x02' + // S_FAULT, EV_FAULT_RECOVER, S_LOCKED, A_LOCK
  '\x03\x0a\x03\x10'; // S_FAULT, EV_ERROR, S_FAULT, A_FAULT

/**
 * Looks up (state, event). Returns the next state and the actions as `next * 256 + actions`,
 * or -1 when the event is ignored in this state.
 */
export function transition(state: number, event: number): number {
  for (let i = 0; i < TRANSITIONS.length; i += 4) {
    if (TRANSITIONS.charCodeAt(i) === state && TRANSITIONS.charCodeAt(i + 1) === event) return TRANSITIONS.charCodeAt(i + 2) * 256 + TRANSITIONS.charCodeAt(i + 3);
  }
  return -1;
}
