/**
 * tools/benchmarks/timeline.ts: how a bench timeline of native calls becomes phases and board estimates.
 * Synthetic marks, so the arithmetic and the cuts are checked, never a timing.
 */
import { strict as assert } from 'node:assert';
import { NATIVE_BOARD_MS, bestRun, describePath, ratioOf, ratiosOf, splitPath } from '../../tools/benchmarks/timeline';
import type { Mark } from '../../tools/benchmarks/board';

describe('bench timeline (board-time estimates by phase)', () => {
  // An accepted UNLOCK: key secret and MAC (4 SHA-256), relay, two log writes, answer MAC, send.
  const accepted: Mark[] = [
    ['read', 1, 1.5], ['sha', 2, 2.1], ['sha', 2.5, 2.6], ['sha', 3, 3.1], ['sha', 3.5, 3.6],
    ['relay', 4, 4.1], ['write', 5, 5.5], ['read', 5.6, 5.7], ['write', 6, 6.5],
    ['sha', 7, 7.1], ['sha', 7.2, 7.3], ['send', 8, 8.5],
  ];

  it('cuts an accepted command at its last proof SHA-256, the relay, the answer\'s first SHA-256 and the send', () => {
    const p = splitPath(accepted, 9, 100, 0);
    assert.deepEqual(p.segments.map((s) => s.phase), ['proof: reassembly, key lookup, key secret, MAC check', 'decision, relay switched', 'after the relay, up to the answer (timers, LEDs, log entries unless held)', 'answer MAC and send', 'after the answer (and log entries held for it)']);
    assert.ok(Math.abs(p.segments[0].hostMs - 3.6) < 1e-9 && Math.abs(p.segments[2].hostMs - 2.9) < 1e-9);
    assert.deepEqual(p.segments[0].native, { read: 1, sha: 4 });
    assert.deepEqual(p.segments[2].native, { write: 2, read: 1 });
    // Interpreted = host - native; board = interpreted x ratio + each native call's board cost.
    const s0 = p.segments[0];
    assert.ok(Math.abs(s0.interpretedMs - (3.6 - 0.5 - 0.4)) < 1e-9);
    assert.ok(Math.abs(s0.boardMs - (s0.interpretedMs * 100 + NATIVE_BOARD_MS.read + 4 * NATIVE_BOARD_MS.sha)) < 1e-9);
    assert.equal(p.relay!.hostMs, 4.1);
    assert.ok(Math.abs(p.relay!.boardMs - (p.segments[0].boardMs + p.segments[1].boardMs)) < 1e-9);
    assert.equal(p.answer!.hostMs, 8.5);
  });

  it('gives a second estimate with the Storage-calibrated ratio: interpreted time scaled by it, natives at their board cost as before', () => {
    const p = splitPath(accepted, 9, 100, 0, 25);
    assert.equal(p.ratioStorage, 25);
    for (const s of p.segments) {
      const natives = s.boardMs - s.interpretedMs * 100;
      assert.ok(Math.abs(s.boardMsStorage - (s.interpretedMs * 25 + natives)) < 1e-9);
    }
    assert.ok(Math.abs(p.relay!.boardMsStorage - (p.segments[0].boardMsStorage + p.segments[1].boardMsStorage)) < 1e-9);
    assert.ok(p.answer!.boardMsStorage < p.answer!.boardMs);
    // Without a Storage ratio both estimates are the console one.
    assert.equal(splitPath(accepted, 9, 100, 0).segments[0].boardMsStorage, splitPath(accepted, 9, 100, 0).segments[0].boardMs);
    // The ratios of a run: 280 ms over the least disturbed of each way's loops.
    assert.deepEqual(ratiosOf([{ console: 2.8, storage: 22.4, ram: 2.8 }, { console: 3.5, storage: 11.2, ram: 2.9 }]), { ratio: 100, ratioStorage: 25 });
  });

  it('a refusal has no relay phase, and the marks\' own cost comes off the interpreted time', () => {
    const refused: Mark[] = [['sha', 1, 1.1], ['sha', 2, 2.1], ['send', 3, 3.2]];
    const p = splitPath(refused, 4, 50, 0.1);
    assert.deepEqual(p.segments.map((s) => s.phase), ['proof: reassembly, key lookup, key secret, MAC check', 'refusal and send', 'after the answer (and log entries held for it)']);
    assert.equal(p.relay, undefined);
    assert.ok(Math.abs(p.segments[0].interpretedMs - (2.1 - 0.2 - 2 * 0.1)) < 1e-9);
  });

  it('takes the ratio from the reference loop, keeps the least disturbed run, and prints one line per phase', () => {
    assert.equal(ratioOf(2.8), 100);
    const slow = splitPath(accepted.map(([w, a, b]) => [w, a * 2, b * 2] as Mark), 18, 100, 0);
    const fast = splitPath(accepted, 9, 100, 0);
    assert.equal(bestRun([slow, fast, slow]), fast);
    const lines = describePath('owner UNLOCK', fast);
    assert.equal(lines.length, 1 + fast.segments.length);
    assert.match(lines[0], /^owner UNLOCK \(ratios: Storage 100, console 100\): relay on 4\.10 ms host -> ~\d+ ms \(Storage ratio\) \/ ~\d+ ms \(console ratio\); answer sent 8\.50 ms host/);
    assert.match(lines[1], /^  proof: .* = ~\d+ ms \(Storage ratio\) \/ ~\d+ ms \(console ratio\)$/);
  });
});
