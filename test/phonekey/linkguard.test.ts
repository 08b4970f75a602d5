/**
 * Link discipline (firmware/linkguard.ts) through the phone-key protocol: every rule in
 * docs/THREAT-MODEL.md "Link rules" — first message, proof, idle, hard cap, unproven commands per
 * link, the board-wide budget (drop at the first failure, a shorter first-message deadline), the address penalty, the
 * enrolment window's longer deadlines — and that a valid proof is honoured at once whatever came before.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { openEnrolWindow } from '../../firmware/core';
import { BUDGET, FIRST_MS, FIRST_SPENT_MS, HOLD_MS, IDLE_MS, PENALTY_MS, PROVE_MS, REFILL_MS, UNPROVEN_PER_LINK } from '../../firmware/linkguard';
import { M, OP, command, nodeMac, parseAnswer } from '../../tools/host/protocol';
import { DROP_GRACE_MS } from '../../firmware/phonekey';
import { keyFileOf, phoneRig } from '../support/phone-rig';

function rig() {
  const r = phoneRig();
  const { b, core, radio, pk } = r;
  const owner = keyFileOf(r, 1);
  const last = () => parseAnswer(nodeMac, owner, radio.inbox[radio.inbox.length - 1]);
  // A phone asks for its first challenge with HELLO (the board sends nothing unasked), then uses
  // the nonce each answer carries.
  let fresh = false;
  const connect = radio.connect.bind(radio);
  radio.connect = (addr?: string) => { fresh = true; connect(addr); };
  const nonce = () => {
    if (fresh && radio.up) { fresh = false; radio.write(new Uint8Array([M.HELLO])); }
    return last().nonce!;
  };
  const bad = () => { const n = nonce(); radio.write(command(nodeMac, { keyId: 1, secret: new Uint8Array(16) }, n, OP.STATUS)); };
  const good = (op: number = OP.STATUS) => { const n = nonce(); radio.write(command(nodeMac, owner, n, op)); return last(); };
  return { b, core, radio, pk, owner, last, nonce, bad, good };
}

describe('link discipline (firmware/linkguard.ts)', () => {
  it('drops a silent central FIRST_MS after it connected', () => {
    const r = rig();
    r.radio.connect();
    r.b.time.advance(FIRST_MS - 1);
    assert.equal(r.radio.up, true);
    r.b.time.advance(1);
    assert.equal(r.radio.up, false);
  });

  it('drops a central that speaks but proves no key PROVE_MS after it connected (HELLO does not renew it)', () => {
    const r = rig();
    r.radio.connect();
    for (let t = 500; t < PROVE_MS; t += 500) { r.b.time.advance(500); if (r.radio.up) r.radio.write(new Uint8Array([M.HELLO])); }
    assert.equal(r.radio.up, true, 'up until the deadline');
    r.b.time.advance(500);
    assert.equal(r.radio.up, false);
  });

  it('after a proof the link stays IDLE_MS after the last one, and never beyond HOLD_MS', () => {
    const r = rig();
    r.radio.connect();
    assert.equal(r.good().status, C.R_OK);
    r.b.time.advance(IDLE_MS - 1);
    assert.equal(r.radio.up, true);
    r.b.time.advance(1);
    assert.equal(r.radio.up, false, 'idle after its last proof');
    r.radio.connect();
    let t = 0;
    while (r.radio.up && t < 2 * HOLD_MS) { assert.equal(r.good().status, C.R_OK); r.b.time.advance(1000); t += 1000; }
    assert.equal(t, HOLD_MS, 'a link that keeps proving is still dropped at the hard cap');
  });

  it(`drops a link after ${UNPROVEN_PER_LINK} unproven commands, and its address is dropped at once for PENALTY_MS`, () => {
    const r = rig();
    r.radio.connect('aa:aa');
    for (let i = 1; i <= UNPROVEN_PER_LINK; i++) {
      r.bad();
      assert.equal(r.last().status, C.R_BAD_MAC);
      assert.equal(r.radio.up, true, 'the refusal can still be PULLed');
      r.b.time.advance(DROP_GRACE_MS);
      assert.equal(r.radio.up, i < UNPROVEN_PER_LINK, 'after failure ' + i);
    }
    const before = r.radio.inbox.length;
    r.radio.connect('aa:aa');
    assert.equal(r.radio.up, false, 'the same address again: dropped at once');
    assert.equal(r.radio.inbox.length, before, 'without a challenge');
    r.radio.connect('bb:bb');
    assert.equal(r.radio.up, true, 'another address is a new peer');
    assert.equal(r.good().status, C.R_OK);
    r.b.time.advance(PENALTY_MS);
    r.radio.drop();
    r.radio.connect('aa:aa');
    assert.equal(r.radio.up, true, 'the penalty is short');
  });

  it('when the board-wide budget is spent, a link drops at its first failure and has FIRST_SPENT_MS to speak; a valid proof is honoured at once', () => {
    const r = rig();
    for (let i = 0; i < BUDGET; i++) { r.radio.connect(); r.bad(); r.radio.drop(); }
    r.radio.connect();
    r.nonce(); // HELLO: the challenge
    const before = r.radio.inbox.length;
    r.bad();
    assert.equal(r.radio.inbox.length, before + 1, 'answered at once');
    assert.equal(r.last().status, C.R_BAD_MAC);
    r.b.time.advance(DROP_GRACE_MS);
    assert.equal(r.radio.up, false, 'dropped at the first failure');
    r.radio.connect();
    r.b.time.advance(FIRST_SPENT_MS);
    assert.equal(r.radio.up, false, 'silent: dropped after FIRST_SPENT_MS');
    r.radio.connect();
    const a = r.good(OP.UNLOCK);
    assert.equal(a.status, C.R_OK, 'the owner, at once, budget or not');
    assert.equal(r.b.relay.on, true);
    // The budget comes back with time (RAM only: a reboot starts it full).
    r.b.time.advance(REFILL_MS * BUDGET);
    r.radio.drop();
    r.radio.connect();
    r.bad();
    assert.equal(r.last().status, C.R_BAD_MAC);
    assert.equal(r.radio.up, true, 'refilled: one failure no longer drops the link');
  });

  it('a silent link that is dropped spends the budget too', () => {
    const r = rig();
    // One silent link every FIRST_MS outspends the refill (one every REFILL_MS) within a minute or so.
    for (let i = 0; i < 3 * BUDGET; i++) { r.radio.connect(); r.b.time.advance(FIRST_MS); }
    r.radio.connect();
    r.bad();
    r.b.time.advance(DROP_GRACE_MS);
    assert.equal(r.radio.up, false, 'the budget is spent: dropped at the first failure');
  });

  it('while the enrolment window is open, a connected phone may take until the hard cap to pair and enrol', () => {
    const r = rig();
    openEnrolWindow(r.core, C.ROLE_DRIVER);
    r.radio.connect();
    r.b.time.advance(PROVE_MS + 20000);
    assert.equal(r.radio.up, true);
    r.radio.encrypted = true;
    r.radio.write(new Uint8Array([M.ENROL, 80]));
    assert.equal(parseAnswer(nodeMac, undefined, r.radio.inbox[r.radio.inbox.length - 1]).type, 'enrolled');
  });
});
