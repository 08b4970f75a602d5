/**
 * Every state x event pair, table-driven: the expected row is written here independently of
 * firmware/machine.ts, then checked both in the table and through the running core (state,
 * relay, audit log entry).
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { coreStart, dispatch } from '../../firmware/core';
import { A_ENROL_END, A_ENROL_START, A_FAULT, A_LOCK, A_UNLOCK, TRANSITIONS, transition } from '../../firmware/machine';
import { logRead, type LogEntry } from '../../firmware/auditlog';
import { fakeBoard } from '../support/fake-ports';

const STATES: Record<number, string> = { [C.S_LOCKED]: 'LOCKED', [C.S_UNLOCKED]: 'UNLOCKED', [C.S_ENROLLING]: 'ENROLLING', [C.S_FAULT]: 'FAULT' };
const EVENTS: Record<number, string> = {
  [C.EV_BOOT]: 'BOOT', [C.EV_UNLOCK]: 'UNLOCK', [C.EV_LOCK]: 'LOCK', [C.EV_RELOCK_TIMER]: 'RELOCK_TIMER',
  [C.EV_DOOR_OPEN]: 'DOOR_OPEN', [C.EV_DOOR_CLOSE]: 'DOOR_CLOSE', [C.EV_ENROL_OPEN]: 'ENROL_OPEN',
  [C.EV_ENROL_DONE]: 'ENROL_DONE', [C.EV_ENROL_TIMEOUT]: 'ENROL_TIMEOUT', [C.EV_ERROR]: 'ERROR', [C.EV_FAULT_RECOVER]: 'FAULT_RECOVER',
};

/** state -> event -> [next state, relay energised afterwards]; absent = ignored. */
const EXPECTED: Record<string, Record<string, [string, boolean]>> = {
  LOCKED: { BOOT: ['LOCKED', false], UNLOCK: ['UNLOCKED', true], LOCK: ['LOCKED', false], DOOR_OPEN: ['LOCKED', false],
    DOOR_CLOSE: ['LOCKED', false], ENROL_OPEN: ['ENROLLING', false], ERROR: ['FAULT', false] },
  UNLOCKED: { UNLOCK: ['UNLOCKED', true], LOCK: ['LOCKED', false], RELOCK_TIMER: ['LOCKED', false], DOOR_OPEN: ['UNLOCKED', true],
    DOOR_CLOSE: ['LOCKED', false], ENROL_OPEN: ['ENROLLING', false], ERROR: ['FAULT', false] },
  ENROLLING: { UNLOCK: ['UNLOCKED', true], LOCK: ['ENROLLING', false], DOOR_OPEN: ['ENROLLING', false], DOOR_CLOSE: ['ENROLLING', false],
    ENROL_DONE: ['LOCKED', false], ENROL_TIMEOUT: ['LOCKED', false], ERROR: ['FAULT', false] },
  FAULT: { FAULT_RECOVER: ['LOCKED', false], ERROR: ['FAULT', false] },
};

const byName = (rec: Record<number, string>, name: string) => Number(Object.keys(rec).find((k) => rec[Number(k)] === name));

function lastEntry(core: ReturnType<typeof coreStart>): LogEntry {
  let last: LogEntry | undefined;
  logRead(core.log, 0, 1000, (e) => { last = e; });
  return last!;
}

describe('state machine: every state x event pair', () => {
  for (const s of Object.keys(STATES).map(Number)) {
    for (const e of Object.keys(EVENTS).map(Number)) {
      const exp = EXPECTED[STATES[s]][EVENTS[e]];
      it(`${STATES[s]} + ${EVENTS[e]} -> ${exp ? exp[0] : 'ignored'}`, () => {
        const t = transition(s, e);
        if (!exp) assert.equal(t, -1); else assert.equal(t >> 8, byName(STATES, exp[0]));

        const b = fakeBoard();
        const core = coreStart(b.ports, { keyCapacity: 10, logSegments: 3, logPerSegment: 32 });
        // Bring the core into state s the way it would get there.
        if (s === C.S_UNLOCKED) dispatch(core, C.EV_UNLOCK, C.R_OK, 1);
        if (s === C.S_ENROLLING) dispatch(core, C.EV_ENROL_OPEN, C.R_OK, 0);
        if (s === C.S_FAULT) dispatch(core, C.EV_ERROR, C.R_ERROR, 0);
        assert.equal(core.state, s);
        const handled = dispatch(core, e, C.R_OK, 42);
        const entry = lastEntry(core);
        assert.equal(entry.event, e, 'the event is logged');
        assert.equal(entry.keyId, 42);
        if (!exp) {
          assert.equal(handled, false);
          assert.equal(core.state, s, 'an ignored event changes nothing');
          assert.equal(entry.reason, C.R_IGNORED);
        } else {
          assert.equal(handled, true);
          assert.equal(core.state, byName(STATES, exp[0]));
          assert.equal(entry.result, core.state, 'the log records the new state');
          assert.equal(b.relay.on, exp[1], 'relay level');
        }
      });
    }
  }

  it('each handled pair carries the actions its row names (the table is a string of bytes)', () => {
    const U = A_UNLOCK, L = A_LOCK, ES = A_ENROL_START, EE = A_ENROL_END, F = A_FAULT;
    const ACTIONS: Record<string, Record<string, number>> = {
      LOCKED: { BOOT: L, UNLOCK: U, LOCK: L, DOOR_OPEN: 0, DOOR_CLOSE: 0, ENROL_OPEN: ES, ERROR: F },
      UNLOCKED: { UNLOCK: U, LOCK: L, RELOCK_TIMER: L, DOOR_OPEN: 0, DOOR_CLOSE: L, ENROL_OPEN: L | ES, ERROR: F },
      ENROLLING: { UNLOCK: EE | U, LOCK: L, DOOR_OPEN: 0, DOOR_CLOSE: 0, ENROL_DONE: EE, ENROL_TIMEOUT: EE, ERROR: EE | F },
      FAULT: { FAULT_RECOVER: L, ERROR: F },
    };
    for (const st of Object.keys(ACTIONS)) {
      for (const ev of Object.keys(ACTIONS[st])) assert.equal(transition(byName(STATES, st), byName(EVENTS, ev)) & 0xff, ACTIONS[st][ev], st + ' + ' + ev);
    }
    assert.equal(TRANSITIONS.length, 4 * 23, 'no other row');
  });

  it('an event number outside the table is ignored and logged, never thrown', () => {
    const b = fakeBoard();
    const core = coreStart(b.ports, { keyCapacity: 10, logSegments: 3, logPerSegment: 32 });
    assert.equal(dispatch(core, 99, C.R_OK, 0), false);
    assert.equal(lastEntry(core).reason, C.R_IGNORED);
  });
});
