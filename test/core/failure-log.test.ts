/**
 * The audit log under failures (firmware/failures.ts, firmware/auditlog.ts) over fake ports:
 * unproven failures become one entry per burst, at most one entry per BURST_MS, in a ring of their
 * own, so a day of attempts evicts no grant, key change or boot; READ_LOG's order (seq ascending
 * over both rings) holds; a power cut at any write never loses a grant reported written.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { type Core, coreStart, manageKey, request, setTime } from '../../firmware/core';
import { isFailureEvent, logAppend, logOpen, logRead, type LogEntry } from '../../firmware/auditlog';
import { BURST_MS, failBit, failureSeen, failuresDue } from '../../firmware/failures';
import { ksLookup } from '../../firmware/keystore';
import { PowerCut, fakeBoard, fakeFlash, nodeCrypto, type FakeBoard } from '../support/fake-ports';
import { key } from '../support/keys';
import { rng } from '../../tools/host/random';

const OPTS = { keyCapacity: 50, logSegments: 3, logPerSegment: 32 };
const OK = () => C.R_OK;
const BAD = () => C.R_BAD_MAC;

function withOwner(): { b: FakeBoard; core: Core } {
  const b = fakeBoard();
  const core = coreStart(b.ports, OPTS);
  assert.equal(manageKey(core, undefined, 'add', key(1)), C.R_OK);
  return { b, core };
}

function entries(core: Core, from = 0): LogEntry[] {
  const out: LogEntry[] = [];
  logRead(core.log, from, 100000, (e) => out.push(e));
  return out;
}

/** Entries an unproven failure writes (DENIED by authenticate without proof, or a burst). */
const unproven = (e: LogEntry) => e.event === C.LOG_FAILURES || (e.event === C.LOG_DENIED && (e.reason === C.R_BAD_MAC || e.reason === C.R_UNKNOWN_KEY
  || e.reason === C.R_REPLAY || e.reason === C.R_EXPIRED_COMMAND || e.reason === C.R_LOCKED_OUT));

/** A hostile peer's attempt: bad MAC under the owner's id, an unknown id, a replay or a stale command. */
function attack(core: Core, i: number): void {
  const k = i % 4;
  if (k === 0) request(core, 1, C.PERM_UNLOCK, BAD);
  else if (k === 1) request(core, 5000 + i, C.PERM_UNLOCK, OK);
  else if (k === 2) request(core, 1, C.PERM_UNLOCK, () => C.R_REPLAY);
  else request(core, 1, C.PERM_UNLOCK, () => C.R_EXPIRED_COMMAND);
}

describe('audit log under failures: bursts, a ring of their own, a write cap', () => {
  it('the first failure after a quiet spell is written at once; the rest of its window is one burst entry', () => {
    const { b, core } = withOwner();
    const from = entries(core).pop()!.seq + 1;
    assert.equal(request(core, 77, C.PERM_UNLOCK, OK), C.R_UNKNOWN_KEY);
    const first = entries(core, from);
    assert.equal(first.length, 1);
    assert.deepEqual([first[0].event, first[0].reason, first[0].keyId], [C.LOG_DENIED, C.R_UNKNOWN_KEY, 77], 'written at once, with its key id');
    const t0 = b.time.now;
    let last = 0;
    for (let i = 1; i <= 59; i++) {
      b.time.advance(10000);
      if (i % 3 === 0) last = request(core, 1, C.PERM_UNLOCK, BAD);
      else if (i % 3 === 1) last = request(core, 900 + i, C.PERM_UNLOCK, OK);
      else last = request(core, 1, C.PERM_UNLOCK, () => C.R_REPLAY);
    }
    assert.equal(entries(core, from).filter(unproven).length, 1, 'nothing more written during the window');
    b.time.advance(BURST_MS - (b.time.now - t0) + 1000);
    const burst = entries(core, from).filter((e) => e.event === C.LOG_FAILURES);
    assert.equal(burst.length, 1, 'one entry for the burst');
    const e = burst[0];
    assert.equal(e.keyId >>> 16, 59, 'count');
    assert.equal(e.keyId & 0xffff, 580, 'span: first to last counted failure, seconds');
    assert.equal(e.time, Math.floor((t0 + 10000) / 1000), 'time of the first counted failure');
    for (const r of [C.R_BAD_MAC, C.R_UNKNOWN_KEY, C.R_REPLAY]) assert.ok(e.result & failBit(r), 'reasons seen include ' + r);
    assert.equal(e.reason, last, 'last reason');
  });

  it('burst time base: a window that saw the clock set reports its first failure in real time', () => {
    const { b, core } = withOwner();
    request(core, 77, C.PERM_UNLOCK, OK); // written at once, opens the window
    b.time.advance(5000);
    request(core, 78, C.PERM_UNLOCK, OK); // counted
    b.time.advance(5000);
    assert.equal(setTime(core, ksLookup(core.ks, 1), 1767225600), C.R_OK);
    b.time.advance(BURST_MS);
    const e = entries(core).filter((x) => x.event === C.LOG_FAILURES)[0];
    assert.ok(e.trusted);
    assert.ok(Math.abs(e.time - (1767225600 - 5)) <= 1, String(e.time));
  });

  it('unproven entries are always at least 10 minutes apart, however the failures are spaced (≤ 6 an hour)', () => {
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const { b, core } = withOwner();
      // When each unproven entry reaches the flash: every write to the failure ring, decoded.
      const writtenAt: number[] = [];
      const written: string[] = [];
      const write = b.flash.write;
      b.flash.write = (name, data, offset, size) => {
        if (name.startsWith('ck.log.f') && data.length === 16) {
          const e = { event: data.charCodeAt(8) & 127, reason: data.charCodeAt(10) } as LogEntry;
          if (unproven(e)) { writtenAt.push(b.time.now); written.push(JSON.stringify(e)); }
        }
        return write(name, data, offset, size);
      };
      const end = b.time.now + 6 * 3600000;
      let i = 0;
      while (b.time.now < end) {
        attack(core, i++);
        // Gaps from a burst (1 s) to a trickle (up to 15 min), changing as an attacker would.
        b.time.advance(1000 + r.int(seed === 1 ? 30000 : seed === 2 ? 700000 : 1000000));
      }
      for (let k = 1; k < writtenAt.length; k++) assert.ok(writtenAt[k] - writtenAt[k - 1] >= BURST_MS, `seed ${seed}: entries ${writtenAt[k - 1]} and ${writtenAt[k]} closer than 10 min: ${JSON.stringify(written.slice(k - 1, k + 1))}`);
      assert.ok(writtenAt.length <= 6 * 6 + 1, `seed ${seed}: ${writtenAt.length} entries in 6 h`);
      assert.ok(writtenAt.length >= 3, 'and it did write');
    }
  });

  it('a day of failures evicts no grant, key change or boot (failures evict only failures)', () => {
    const { b, core } = withOwner();
    const owner = ksLookup(core.ks, 1)!;
    manageKey(core, owner, 'add', key(2, C.ROLE_DRIVER));
    request(core, 1, C.PERM_UNLOCK, OK);
    b.time.advance(15000);
    const important = entries(core).filter((e) => !isFailureEvent(e.event));
    assert.ok(important.some((e) => e.event === C.LOG_GRANTED) && important.some((e) => e.event === C.LOG_KEY_ADDED) && important.some((e) => e.event === C.EV_BOOT));
    // Proven denials (a driver outside its rights) go to the failure ring too, written one by one.
    for (let i = 0; i < 200; i++) { request(core, 2, C.PERM_DRIVE, OK); b.time.advance(1000); }
    const r = rng(9);
    for (let i = 0; b.time.now < 24 * 3600000; i++) { attack(core, i); b.time.advance(1000 + r.int(20000)); }
    const after = entries(core);
    for (const e of important) assert.ok(after.some((a) => a.seq === e.seq && a.event === e.event), 'kept: ' + JSON.stringify(e));
    for (let k = 1; k < after.length; k++) assert.ok(after[k].seq > after[k - 1].seq, 'seq order over both rings');
    assert.ok(after.some((e) => e.event === C.LOG_FAILURES), 'the failures are there, as bursts');
  });

  it('logRead merges both rings in seq order from any seq, at most max entries', () => {
    const flash = fakeFlash();
    const log = logOpen(flash, nodeCrypto(), 3, 8);
    const kinds: number[] = [];
    const r = rng(4);
    for (let i = 1; i <= 40; i++) {
      const ev = r.chance(0.5) ? C.LOG_DENIED : C.LOG_GRANTED;
      kinds.push(ev);
      assert.equal(logAppend(log, i, false, ev, 0, 0, i), true);
    }
    const all: LogEntry[] = [];
    logRead(logOpen(flash, nodeCrypto(), 3, 8), 0, 1000, (e) => all.push(e));
    for (let k = 1; k < all.length; k++) assert.ok(all[k].seq > all[k - 1].seq);
    assert.equal(all[all.length - 1].seq, 40);
    for (const e of all) assert.equal(e.event, kinds[e.seq - 1]);
    for (const from of [0, 10, 25, 33, 40, 41]) {
      const got: number[] = [];
      const n = logRead(log, from, 5, (e) => got.push(e.seq));
      assert.equal(n, got.length);
      assert.deepEqual(got, all.filter((e) => e.seq >= from).slice(0, 5).map((e) => e.seq), 'from ' + from);
    }
    // Reopening finds the next seq over both rings.
    const again = logOpen(flash, nodeCrypto(), 3, 8);
    assert.equal(again.nextSeq, 41);
  });

  it('a power cut at any write of a mix of grants and failure bursts never loses a grant reported written', () => {
    for (let cut = 1; cut <= 40; cut++) {
      for (const keep of [0, 0.5, 1]) {
        const flash = fakeFlash();
        const log = logOpen(flash, nodeCrypto(), 3, 8);
        const grants: number[] = [];
        let now = 0;
        flash.cutAtWrite(cut, keep);
        try {
          for (let i = 1; i <= 60; i++) {
            now += 61000;
            // As firmware/core.ts does: the policy decides, the log writes.
            if (i % 3 === 0) { if (logAppend(log, now / 1000, false, C.LOG_GRANTED, 1, 0, i)) grants.push(i); }
            else if (failureSeen(log, now, C.R_BAD_MAC)) logAppend(log, now / 1000, false, C.LOG_DENIED, C.PERM_UNLOCK, C.R_BAD_MAC, 1);
            const due = failuresDue(log, now);
            if (due) logAppend(log, log.bf / 1000, false, C.LOG_FAILURES, log.bk, log.br, due);
          }
        } catch (e) {
          assert.ok(e instanceof PowerCut);
        }
        flash.cutAtWrite(0);
        flash.dead = false;
        const seen: LogEntry[] = [];
        const reopened = logOpen(flash, nodeCrypto(), 3, 8);
        logRead(reopened, 0, 1000, (e) => seen.push(e));
        const keptGrants = seen.filter((e) => e.event === C.LOG_GRANTED).map((e) => e.keyId);
        // The main ring holds 8..16 entries: every grant reported written since its oldest is there.
        const oldest = keptGrants.length ? keptGrants[0] : Infinity;
        assert.ok(grants.filter((g) => g >= oldest).every((g) => keptGrants.includes(g)), `cut ${cut}/${keep}: lost a grant`);
        assert.ok(grants.length === 0 || keptGrants.includes(grants[grants.length - 1]), `cut ${cut}/${keep}: newest grant kept`);
        assert.ok(seen.every((e) => e.event === C.LOG_GRANTED || e.event === C.LOG_DENIED || e.event === C.LOG_FAILURES), 'nothing torn reads as an entry');
        for (let k = 1; k < seen.length; k++) assert.ok(seen[k].seq > seen[k - 1].seq);
        assert.equal(logAppend(reopened, 9999, false, C.LOG_GRANTED, 1, 0, 999), true, 'and it keeps working');
      }
    }
  });
});
