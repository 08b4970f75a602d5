/**
 * The relay's continuous-on cap across successive unlocks (firmware/outputs.ts, dispatch in
 * firmware/core.ts): valid unlocks every few seconds restart the hold, but a run of continuous
 * energising ends at HARD_MAX_HOLD_MS; then the relay rests RELAY_REST_MS, logged as
 * LOG_RELAY_REST, and an unlock during the rest energises the relay when the rest is over.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { type Core, coreStart, manageKey, request, setConfig } from '../../firmware/core';
import { logRead, type LogEntry } from '../../firmware/auditlog';
import { HARD_MAX_HOLD_MS } from '../../firmware/config';
import { RELAY_REST_MS } from '../../firmware/outputs';
import { ksLookup } from '../../firmware/keystore';
import { fakeBoard, type FakeBoard } from '../support/fake-ports';
import { key } from '../support/keys';

const OK = () => C.R_OK;

function withOwner(): { b: FakeBoard; core: Core } {
  const b = fakeBoard();
  const core = coreStart(b.ports, { keyCapacity: 50, logSegments: 3, logPerSegment: 256 });
  assert.equal(manageKey(core, undefined, 'add', key(1)), C.R_OK);
  return { b, core };
}

function entries(core: Core): LogEntry[] {
  const out: LogEntry[] = [];
  logRead(core.log, 0, 100000, (e) => out.push(e));
  return out;
}

/** Continuous on-periods of the relay from its recorded edges, and the off gaps between them. */
function periods(b: FakeBoard): { on: number[]; gaps: number[] } {
  const on: number[] = [], gaps: number[] = [];
  let since = -1, offAt = -1;
  for (const [t, v] of b.relay.history) {
    if (v && since < 0) { since = t; if (offAt >= 0) gaps.push(t - offAt); }
    else if (!v && since >= 0) { on.push(t - since); since = -1; offAt = t; }
  }
  if (since >= 0) on.push(b.time.now - since);
  return { on, gaps };
}

describe('relay: a hard cap on continuous energising across successive unlocks', () => {
  it('valid unlocks every 2 s for 3 minutes: never on more than 30 s at a stretch, rests 5 s, logged', () => {
    const { b, core } = withOwner();
    let refused = 0;
    for (let t = 0; t < 180000; t += 2000) {
      if (request(core, 1, C.PERM_UNLOCK, OK) !== C.R_OK) refused++;
      b.time.advance(2000);
    }
    assert.equal(refused, 0, 'every unlock is granted');
    const p = periods(b);
    assert.ok(p.on.length >= 4, 'it was forced off and came back: ' + JSON.stringify(p));
    assert.ok(Math.max(...p.on) <= HARD_MAX_HOLD_MS, 'longest stretch ' + Math.max(...p.on));
    assert.ok(p.gaps.every((g) => g >= RELAY_REST_MS), 'rests at least RELAY_REST_MS: ' + JSON.stringify(p.gaps));
    const rests = entries(core).filter((e) => e.event === C.LOG_RELAY_REST);
    assert.equal(rests.length, p.on.length - 1, 'each forced rest is logged, once');
    assert.ok(rests.every((e) => e.keyId === 1 && e.reason === C.R_TIMEOUT));
  });

  it('an unlock during the rest energises the relay when the rest is over; a lock cancels that', () => {
    const { b, core } = withOwner();
    setConfig(core, ksLookup(core.ks, 1), { holdMs: HARD_MAX_HOLD_MS, relockMs: 120000 });
    request(core, 1, C.PERM_UNLOCK, OK);
    b.time.advance(HARD_MAX_HOLD_MS);
    assert.equal(b.relay.on, false, 'off at the cap');
    request(core, 1, C.PERM_UNLOCK, OK);
    assert.equal(b.relay.on, false, 'resting');
    b.time.advance(RELAY_REST_MS);
    assert.equal(b.relay.on, true, 'energised once the rest is over');
    b.time.advance(HARD_MAX_HOLD_MS);
    assert.equal(b.relay.on, false);
    request(core, 1, C.PERM_UNLOCK, OK); // deferred by the rest
    request(core, 1, C.PERM_LOCK, OK);
    b.time.advance(RELAY_REST_MS + 1000);
    assert.equal(b.relay.on, false, 'the lock cancelled the deferred pulse');
    assert.equal(core.state, C.S_LOCKED);
  });

  it('ordinary use (3 s holds, unlocks a minute apart) never meets the cap', () => {
    const { b, core } = withOwner();
    for (let i = 0; i < 10; i++) { request(core, 1, C.PERM_UNLOCK, OK); b.time.advance(60000); }
    assert.equal(periods(b).on.length, 10);
    assert.ok(!entries(core).some((e) => e.event === C.LOG_RELAY_REST));
  });
});
