/**
 * The access core end to end over fake ports: fail-safe outputs, decisions and their reasons,
 * no lockout, trusted time, enrolment window, watchdog, audit log and its power cuts.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { type Core, TICK_MS, authenticate, buttonHeld, coreStart, enrolKey, realTime, manageKey, request, retireKey, setConfig, setTime } from '../../firmware/core';
import { logAppend, logOpen, logRead, type LogEntry } from '../../firmware/auditlog';
import { FLAG_UNCONFIRMED, ksLookup } from '../../firmware/keystore';
import { HARD_MAX_HOLD_MS } from '../../firmware/config';
import { PowerCut, fakeBoard, fakeFlash, nodeCrypto, type FakeBoard, type FakeFlash } from '../support/fake-ports';
import { key } from '../support/keys';

const OPTS = { keyCapacity: 50, logSegments: 3, logPerSegment: 32 };
const OK = () => C.R_OK;
const BAD = () => C.R_BAD_MAC;
const NOW = 1767225600; // 2026-01-01T00:00:00Z, a Thursday

function boot(flash?: FakeFlash): { b: FakeBoard; core: Core } {
  const b = fakeBoard(flash);
  return { b, core: coreStart(b.ports, OPTS) };
}

function withOwner(): { b: FakeBoard; core: Core } {
  const t = boot();
  assert.equal(manageKey(t.core, undefined, 'add', key(1)), C.R_OK);
  return t;
}

function entries(core: Core): LogEntry[] {
  const out: LogEntry[] = [];
  logRead(core.log, 0, 10000, (e) => out.push(e));
  return out;
}

describe('access core', () => {
  it('boots locked and never energises an output while booting', () => {
    const { b, core } = boot();
    assert.equal(core.state, C.S_LOCKED);
    assert.ok(b.relay.history.every(([, on]) => !on), 'relay never on at boot');
    assert.ok(b.drive.history.every(([, on]) => !on), 'drive never on at boot');
    assert.equal(entries(core)[0].event, C.EV_BOOT);
  });

  it('a valid unlock energises the relay for holdMs, then relocks after relockMs', () => {
    const { b, core } = withOwner();
    assert.equal(request(core, 1, C.PERM_UNLOCK, OK), C.R_OK);
    assert.equal(b.relay.on, true);
    assert.equal(core.state, C.S_UNLOCKED);
    b.time.advance(core.config.holdMs);
    assert.equal(b.relay.on, false, 'relay released after holdMs');
    assert.equal(core.state, C.S_UNLOCKED);
    b.time.advance(core.config.relockMs - core.config.holdMs);
    assert.equal(core.state, C.S_LOCKED);
    const log = entries(core);
    assert.ok(log.some((e) => e.event === C.LOG_GRANTED && e.keyId === 1), 'decision logged');
    assert.ok(log.some((e) => e.event === C.EV_RELOCK_TIMER && e.result === C.S_LOCKED), 'relock logged');
  });

  it('an unlock switches the relay before any flash write, and logs the grant before the transition', () => {
    const { b, core } = withOwner();
    const order: string[] = [];
    const write = core.p.storage.write, set = b.relay.set;
    core.p.storage.write = (n, d, o, z) => { order.push('write ' + n); return write(n, d, o, z); };
    b.relay.set = (on) => { order.push('relay ' + on); set(on); };
    const before = entries(core).length;
    assert.equal(request(core, 1, C.PERM_UNLOCK, OK), C.R_OK);
    assert.equal(order[0], 'relay true', order.join(', '));
    assert.ok(order.slice(1).some((w) => w.startsWith('write ck.log')), 'the log written after the relay, before request returns');
    const added = entries(core).slice(before).map((e) => e.event);
    assert.deepEqual(added, [C.LOG_GRANTED, C.EV_UNLOCK]);
    // A grant the state machine ignores (already unlocked: LOCK is what changes state; a second
    // UNLOCK re-triggers) is still logged, once.
    assert.equal(request(core, 1, C.PERM_UNLOCK, OK), C.R_OK);
    assert.equal(entries(core).filter((e) => e.event === C.LOG_GRANTED).length, 2);
  });

  it('a relay timer that never fires cannot leave the relay on: the main loop forces it off', () => {
    const { b, core } = withOwner();
    const after = b.ports.timers.after;
    b.ports.timers.after = (ms, fn) => (ms === core.config.holdMs ? 999 : after(ms, fn)); // the relay timer is lost
    request(core, 1, C.PERM_UNLOCK, OK);
    assert.equal(b.relay.on, true);
    b.time.advance(core.config.holdMs + 2 * TICK_MS);
    assert.equal(b.relay.on, false);
    assert.ok(entries(core).some((e) => e.event === C.LOG_OUTPUT_GUARD));
    b.time.advance(5000);
    assert.equal(core.state, C.S_LOCKED, 'recovered from the fault');
  });

  it('no setting can hold the relay past the hard maximum', () => {
    const { b, core } = withOwner();
    assert.equal(setConfig(core, ksLookup(core.ks, 1), { holdMs: 1e9, relockMs: 1e9 }), C.R_OK);
    assert.equal(core.config.holdMs, HARD_MAX_HOLD_MS);
    request(core, 1, C.PERM_UNLOCK, OK);
    b.time.advance(HARD_MAX_HOLD_MS);
    assert.equal(b.relay.on, false);
  });

  it('an internal error turns outputs off, enters FAULT and recovers to LOCKED', () => {
    const { b, core } = withOwner();
    request(core, 1, C.PERM_UNLOCK, OK);
    assert.equal(b.relay.on, true);
    const r = request(core, 1, C.PERM_LOCK, () => { throw new Error('boom'); });
    assert.equal(r, C.R_ERROR);
    assert.equal(b.relay.on, false);
    assert.equal(core.state, C.S_FAULT);
    b.time.advance(2000);
    assert.equal(core.state, C.S_LOCKED);
  });

  it('refuses with the right reason and never unlocks: unknown, bad MAC, revoked, disabled, not permitted', () => {
    const { b, core } = withOwner();
    const owner = ksLookup(core.ks, 1);
    manageKey(core, owner, 'add', key(2, C.ROLE_GUEST, { perms: C.PERM_LOCK }));
    manageKey(core, owner, 'add', key(3, C.ROLE_DRIVER, { flags: 1 }));
    manageKey(core, owner, 'add', key(4, C.ROLE_DRIVER));
    retireKey(core, owner, 4, false);
    assert.equal(request(core, 77, C.PERM_UNLOCK, OK), C.R_UNKNOWN_KEY);
    assert.equal(request(core, 1, C.PERM_UNLOCK, BAD), C.R_BAD_MAC);
    assert.equal(request(core, 4, C.PERM_UNLOCK, OK), C.R_REVOKED);
    assert.equal(request(core, 3, C.PERM_UNLOCK, OK), C.R_DISABLED);
    assert.equal(request(core, 2, C.PERM_UNLOCK, OK), C.R_NOT_PERMITTED);
    assert.equal(request(core, 2, C.PERM_DRIVE, OK), C.R_NOT_PERMITTED);
    assert.ok(b.relay.history.every(([, on]) => !on));
    assert.equal(core.state, C.S_LOCKED);
  });

  it('time-bounded keys fail closed until an owner sets the time; then validity, weekdays and hours apply', () => {
    const { core } = withOwner();
    const owner = ksLookup(core.ks, 1)!;
    manageKey(core, owner, 'add', key(10, C.ROLE_GUEST, { notBefore: NOW - 10, notAfter: NOW + 3600 }));
    manageKey(core, owner, 'add', key(11, C.ROLE_GUEST, { notBefore: NOW + 86400 }));
    manageKey(core, owner, 'add', key(12, C.ROLE_GUEST, { notAfter: NOW - 1 }));
    manageKey(core, owner, 'add', key(13, C.ROLE_GUEST, { weekdays: 1 /* Monday */ }));
    manageKey(core, owner, 'add', key(14, C.ROLE_GUEST, { winStart: 9 * 60, winEnd: 17 * 60 }));
    manageKey(core, owner, 'add', key(15, C.ROLE_GUEST));
    assert.equal(request(core, 10, C.PERM_UNLOCK, OK), C.R_TIME_UNKNOWN);
    assert.equal(request(core, 15, C.PERM_UNLOCK, OK), C.R_OK, 'an unbounded key still works without time');
    assert.equal(setTime(core, ksLookup(core.ks, 15), NOW), C.R_NOT_PERMITTED, 'only an owner sets the clock');
    assert.equal(setTime(core, owner, NOW), C.R_OK);
    assert.equal(request(core, 10, C.PERM_UNLOCK, OK), C.R_OK);
    assert.equal(request(core, 11, C.PERM_UNLOCK, OK), C.R_NOT_YET_VALID);
    assert.equal(request(core, 12, C.PERM_UNLOCK, OK), C.R_EXPIRED);
    assert.equal(request(core, 13, C.PERM_UNLOCK, OK), C.R_OUTSIDE_WINDOW, 'Thursday is not Monday');
    assert.equal(request(core, 14, C.PERM_UNLOCK, OK), C.R_OUTSIDE_WINDOW, 'midnight is outside 09:00-17:00');
    setTime(core, owner, NOW + 10 * 3600);
    assert.equal(request(core, 14, C.PERM_UNLOCK, OK), C.R_OK, '10:00 is inside');
  });

  it('after a reboot the time is unknown again: only the saved time\'s lower bound settles a bounded key (fail closed otherwise)', () => {
    const { b, core } = withOwner();
    const owner = ksLookup(core.ks, 1)!;
    manageKey(core, owner, 'add', key(10, C.ROLE_GUEST, { notAfter: NOW + 3600 }));
    manageKey(core, owner, 'add', key(11, C.ROLE_GUEST, { notAfter: NOW - 60 }));
    manageKey(core, owner, 'add', key(12, C.ROLE_GUEST, { winStart: 0, winEnd: 1439 }));
    manageKey(core, owner, 'add', key(13, C.ROLE_GUEST, { notBefore: NOW + 60, notAfter: NOW + 7200 }));
    setTime(core, owner, NOW);
    assert.equal(request(core, 10, C.PERM_UNLOCK, OK), C.R_OK);
    const again = boot(b.flash);
    assert.equal(again.core.tc.lastSaved, NOW, 'the last known time was saved');
    assert.equal(realTime(again.core), -1, 'no trusted time after a reboot');
    // The board knows it is no earlier than NOW (docs/KEYS-THAT-TRAVEL.md "Time"), nothing more.
    assert.equal(request(again.core, 10, C.PERM_UNLOCK, OK), C.R_OK, 'started and not provably ended: accepted (strictTime off)');
    assert.equal(request(again.core, 11, C.PERM_UNLOCK, OK), C.R_EXPIRED, 'ended before the saved time: expired for certain');
    assert.equal(request(again.core, 12, C.PERM_UNLOCK, OK), C.R_TIME_UNKNOWN, 'hours need the time of day');
    assert.equal(request(again.core, 13, C.PERM_UNLOCK, OK), C.R_TIME_UNKNOWN, 'may not have started yet');
    assert.equal(setConfig(again.core, undefined, { strictTime: true }), C.R_OK);
    assert.equal(request(again.core, 10, C.PERM_UNLOCK, OK), C.R_TIME_UNKNOWN, 'strictTime: every bounded key waits for trusted time');
    assert.equal(request(again.core, 11, C.PERM_UNLOCK, OK), C.R_EXPIRED);
  });

  it('no lockout: a key\'s valid proof is honoured after any number of failures under its id, also after a reboot', () => {
    const { b, core } = withOwner();
    manageKey(core, ksLookup(core.ks, 1), 'add', key(2, C.ROLE_DRIVER));
    for (let i = 0; i < 50; i++) {
      assert.equal(request(core, 2, C.PERM_UNLOCK, BAD), C.R_BAD_MAC);
      assert.equal(request(core, 1, C.PERM_UNLOCK, () => C.R_REPLAY), C.R_REPLAY);
      assert.equal(request(core, 1000 + i, C.PERM_UNLOCK, OK), C.R_UNKNOWN_KEY);
    }
    assert.equal(request(core, 2, C.PERM_UNLOCK, OK), C.R_OK, 'the driver whose id was attacked gets in at once');
    request(core, 2, C.PERM_LOCK, OK);
    assert.equal(request(core, 1, C.PERM_UNLOCK, OK), C.R_OK, 'the owner whose command was replayed gets in at once');
    assert.ok(!entries(core).some((e) => e.event === C.LOG_LOCKOUT), 'no lockout is ever logged');
    const again = boot(b.flash);
    assert.equal(request(again.core, 2, C.PERM_UNLOCK, OK), C.R_OK, 'nothing comes back at a boot');
    assert.equal(again.b.flash.list('ck.lck.').length, 0, 'no lockout file is written');
  });

  it('a lockout file left by earlier firmware is erased at boot and refuses nobody', () => {
    const { b, core } = withOwner();
    manageKey(core, ksLookup(core.ks, 1), 'add', key(2, C.ROLE_DRIVER));
    // Earlier firmware's ck.lck.a: key 2 locked out for 900 s (id | level | remaining ms).
    const be = (n: number) => String.fromCharCode((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    b.flash.write('ck.lck.a', 'CKG1' + be(1) + be(12) + be(0) + be(2) + be(3) + be(900000));
    b.flash.write('ck.lck.b', 'garbage');
    const again = boot(b.flash);
    assert.deepEqual(again.b.flash.list('ck.lck.'), [], 'both generations erased');
    assert.equal(request(again.core, 2, C.PERM_UNLOCK, OK), C.R_OK);
    assert.equal(request(again.core, 2, C.PERM_LOCK, OK), C.R_OK);
    void core;
  });

  it('settings of earlier firmware\'s lockout are ignored, not kept', () => {
    const { core } = withOwner();
    assert.equal(setConfig(core, ksLookup(core.ks, 1), { lockoutThreshold: 1, lockoutMaxMs: 3600000, holdMs: 4000 }), C.R_OK);
    assert.equal(core.config.holdMs, 4000);
    assert.ok(!('lockoutThreshold' in core.config) && !('lockoutMaxMs' in core.config));
  });

  it('a correctly signed command on a stale nonce is refused as such, and the next valid one is honoured', () => {
    const { core } = withOwner();
    for (let i = 0; i < 5; i++) assert.equal(request(core, 1, C.PERM_UNLOCK, () => C.R_EXPIRED_COMMAND), C.R_EXPIRED_COMMAND);
    assert.equal(request(core, 1, C.PERM_UNLOCK, OK), C.R_OK);
  });

  it('a guest cannot add keys through the core either', () => {
    const { core } = withOwner();
    manageKey(core, ksLookup(core.ks, 1), 'add', key(2, C.ROLE_GUEST));
    assert.equal(authenticate(core, 2, C.PERM_LOCK, OK), C.R_OK);
    assert.equal(manageKey(core, core.actor, 'add', key(3, C.ROLE_GUEST)), C.R_NOT_PERMITTED);
    assert.equal(manageKey(core, core.actor, 'update', key(2, C.ROLE_OWNER)), C.R_NOT_PERMITTED);
  });

  describe('enrolment window', () => {
    it('a button hold opens it only while there is no owner; it admits one key as owner', () => {
      const { b, core } = boot();
      assert.equal(enrolKey(core, key(5)), C.R_NO_WINDOW, 'refused outside the window');
      b.button.change(true);
      b.time.advance(core.config.buttonHoldMs + 100);
      assert.equal(core.state, C.S_ENROLLING);
      assert.equal(enrolKey(core, key(5, C.ROLE_GUEST)), C.R_OK);
      assert.equal(ksLookup(core.ks, 5)!.role, C.ROLE_OWNER, 'the window decides the role, not the enrolee');
      assert.equal(core.state, C.S_LOCKED, 'closed after one key');
      assert.equal(enrolKey(core, key(6)), C.R_NO_WINDOW);
    });

    it('with an owner enrolled, a button hold does not open it (unless the owner allowed that)', () => {
      const { core } = withOwner();
      buttonHeld(core);
      assert.equal(core.state, C.S_LOCKED);
      assert.ok(entries(core).some((e) => e.event === C.LOG_DENIED && e.reason === C.R_NOT_PERMITTED));
      setConfig(core, ksLookup(core.ks, 1), { buttonEnrol: true });
      buttonHeld(core);
      assert.equal(core.state, C.S_ENROLLING);
      assert.equal(enrolKey(core, key(9)), C.R_OK);
      assert.equal(ksLookup(core.ks, 9)!.role, C.ROLE_DRIVER);
    });

    it('an owner enrolled through the window stays unconfirmed until first used, and does not keep the window shut meanwhile', () => {
      const { core } = boot();
      buttonHeld(core);
      assert.equal(enrolKey(core, key(5)), C.R_OK);
      assert.ok(ksLookup(core.ks, 5)!.flags & FLAG_UNCONFIRMED, 'unconfirmed');
      // Its phone never got the secret (say, a power cut): the button opens the window again.
      buttonHeld(core);
      assert.equal(core.state, C.S_ENROLLING);
      assert.equal(enrolKey(core, key(6)), C.R_OK);
      // The new owner uses its key: confirmed, and from now on the button no longer opens the window.
      assert.equal(request(core, 6, C.PERM_UNLOCK, OK), C.R_OK);
      assert.equal(ksLookup(core.ks, 6)!.flags & FLAG_UNCONFIRMED, 0);
      request(core, 6, C.PERM_LOCK, OK);
      buttonHeld(core);
      assert.equal(core.state, C.S_LOCKED);
    });

    it('closes by itself after the window time, and an ordinary unlock never opens it', () => {
      const { b, core } = boot();
      buttonHeld(core);
      b.time.advance(core.config.enrolWindowMs);
      assert.equal(core.state, C.S_LOCKED);
      manageKey(core, undefined, 'add', key(1));
      request(core, 1, C.PERM_UNLOCK, OK);
      assert.notEqual(core.state, C.S_ENROLLING);
      assert.equal(enrolKey(core, key(2)), C.R_NO_WINDOW);
    });
  });

  it('relocks when the door closes after an unlock', () => {
    const { b, core } = withOwner();
    request(core, 1, C.PERM_UNLOCK, OK);
    b.door.change(true);
    b.time.advance(100);
    assert.equal(core.state, C.S_UNLOCKED);
    b.door.change(false);
    b.time.advance(100);
    assert.equal(core.state, C.S_LOCKED);
    assert.equal(b.relay.on, false);
  });

  it('debounces the door: a bounce shorter than debounceMs is not an event', () => {
    const { b, core } = withOwner();
    const before = entries(core).length;
    b.door.change(true);
    b.time.advance(10);
    b.door.change(false);
    b.time.advance(200);
    assert.equal(entries(core).length, before);
  });

  it('the drive output is bounded and needs the drive permission', () => {
    const { b, core } = withOwner();
    assert.equal(request(core, 1, C.PERM_DRIVE, OK), C.R_OK);
    assert.equal(b.drive.on, true);
    b.time.advance(core.config.driveMs);
    assert.equal(b.drive.on, false);
  });

  it('the watchdog is started and kicked by each healthy pass of the main loop only', () => {
    const { b, core } = withOwner();
    assert.equal(b.watchdog.started, core.config.watchdogSeconds);
    b.time.advance(5 * TICK_MS);
    assert.equal(b.watchdog.kicks, 5);
    const up = b.ports.clock.uptimeMs;
    b.ports.clock.uptimeMs = () => { throw new Error('clock dead'); };
    const kicks = b.watchdog.kicks;
    b.time.advance(3 * TICK_MS);
    assert.equal(b.watchdog.kicks, kicks, 'a failing loop does not kick');
    b.ports.clock.uptimeMs = up;
  });

  describe('audit log', () => {
    it('a full log drops the oldest entries and keeps the newest', () => {
      const flash = fakeFlash();
      const log = logOpen(flash, nodeCrypto(), 3, 8);
      for (let i = 1; i <= 100; i++) assert.equal(logAppend(log, i, false, C.LOG_GRANTED, 0, 0, i), true);
      const seen: number[] = [];
      logRead(logOpen(flash, nodeCrypto(), 3, 8), 0, 1000, (e) => seen.push(e.keyId));
      assert.equal(seen[seen.length - 1], 100);
      // The main ring is 2 of the 3 segments (the third is the failure ring's): 8 to 16 entries.
      assert.ok(seen.length >= 8 && seen.length <= 16, String(seen.length));
      assert.deepEqual(seen, seen.slice().sort((a, b) => a - b), 'oldest first, in order');
    });

    it('a power cut at any append never loses an entry that was reported written', () => {
      for (let cut = 1; cut <= 30; cut++) {
        for (const keep of [0, 0.3, 1]) {
          const flash = fakeFlash();
          const log = logOpen(flash, nodeCrypto(), 3, 8);
          const written: number[] = [];
          flash.cutAtWrite(cut, keep);
          try {
            for (let i = 1; i <= 40; i++) if (logAppend(log, i, false, C.LOG_GRANTED, 0, 0, i)) written.push(i);
          } catch (e) {
            assert.ok(e instanceof PowerCut);
          }
          flash.dead = false;
          const reopened = logOpen(flash, nodeCrypto(), 3, 8);
          const seen: number[] = [];
          logRead(reopened, 0, 1000, (e) => seen.push(e.keyId));
          const lost = written.filter((k) => !seen.includes(k));
          // Only entries dropped by rotation (the oldest) may be missing: none newer than the oldest seen.
          assert.ok(lost.every((k) => k < (seen[0] ?? Infinity)), `cut ${cut}/${keep}: lost ${lost}`);
          assert.ok(written.length === 0 || seen.includes(written[written.length - 1]), `cut ${cut}: newest reported entry present`);
          // And the log keeps working after the cut.
          assert.equal(logAppend(reopened, 99, false, C.LOG_GRANTED, 0, 0, 999), true);
          const after: number[] = [];
          logRead(reopened, 0, 1000, (e) => after.push(e.keyId));
          assert.equal(after[after.length - 1], 999);
        }
      }
    });
  });
});
