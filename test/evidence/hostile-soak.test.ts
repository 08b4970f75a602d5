/**
 * Hostile soak at CI size (the day is `npx tsx tools/evidence/hostile-soak.ts --hours 24`): six
 * simulated hours of a hostile peer in range (bad MACs under the owner's id, unknown ids, replays,
 * garbage, one attempt about every 10 s) while the owner unlocks every 10 minutes, on the phone-only
 * puckjs bundle. The bounds: the failure policy writes at most 7 entries in any hour (they are at
 * least 10 minutes apart), the log as a whole at most that plus the owner's own entries, nothing
 * important is pushed out of the log by failures, no Storage compaction, the hostile peer never
 * gets OK, the relay never stays on past its hold. With ESPRUINO_BIN, two hours in the real
 * interpreter must not grow its memory (process.memory() after a collection, each hour).
 */
import { strict as assert } from 'node:assert';
import { runHostileSoak, type HostileReport } from '../../tools/evidence/hostile-soak';
import { espruinoBinary } from '../../tools/host/espruino-binary';

describe('evidence: hostile soak (6 simulated hours in CI; --hours 24 for a day)', function () {
  this.timeout(300000);
  let rep: HostileReport;
  before(async () => { rep = await runHostileSoak({ hours: 6, seed: 5 }); });

  it('the hostile peer ran throughout: every kind of attempt, thousands in all, never an OK', () => {
    for (const k of ['bad MAC under the owner\'s id', 'unknown key id', 'recorded owner command, new link', 'replay on the owner\'s link', 'garbage'])
      assert.ok((rep.attempts[k] || 0) > 0, 'no ' + k + ': ' + JSON.stringify(rep.attempts));
    // About one every 10 s for 6 hours; the board's link rules turn some away before they are made.
    assert.ok(Object.values(rep.attempts).reduce((a, b) => a + b, 0) > 1500, JSON.stringify(rep.attempts));
    assert.ok((rep.refusals.replay || 0) > 0, 'replays were seen as such: ' + JSON.stringify(rep.refusals));
    assert.ok(!rep.problems.some((p) => p.includes('got OK')), JSON.stringify(rep.problems));
    assert.ok(rep.ownerTries >= 30);
  });

  it('failure entries are bounded: at most 7 an hour from the failure policy, and the log grows by the owner\'s use, not the attack', () => {
    assert.equal(rep.hoursLog.length, 6);
    assert.ok(rep.maxPolicyEntriesPerHour <= 7, JSON.stringify(rep.hoursLog));
    assert.ok(rep.maxPolicyEntriesPerHour >= 1, 'the attack was logged');
    // Owner: 6 unlocks an hour, each at most GRANTED + UNLOCK + RELOCK (+ a relay rest): 24 entries.
    for (const h of rep.hoursLog) assert.ok(h.logEntries - h.lockoutEntries <= 7 + 24, JSON.stringify(h));
    assert.equal(rep.compactions, 0, 'no Storage compaction');
  });

  it('no grant, key change, clock change or boot was pushed out of the log by failures', () => {
    assert.deepEqual(rep.evictedByFailures, []);
  });

  it('nothing else went wrong: no reset, no uncaught error, relay within its hold', () => {
    assert.deepEqual(rep.problems, []);
    assert.ok(rep.maxRelayOnMs <= 4000, String(rep.maxRelayOnMs));
  });

  it('inside the real interpreter: two hostile hours do not grow process.memory()', async function () {
    const bin = espruinoBinary();
    if (!bin) { console.log('      (skipped: set ESPRUINO_BIN, docs/ESPRUINO.md)'); this.skip(); }
    const r = await runHostileSoak({ hours: 2, seed: 6, engine: 'espruino' });
    assert.equal(r.hoursLog.length, 2);
    assert.ok(r.usageFirst !== undefined && r.usageLast !== undefined);
    assert.ok(r.usageLast! - r.usageFirst! <= 5, `usage hour 1 ${r.usageFirst}, hour 2 ${r.usageLast}`);
    assert.deepEqual(r.evictedByFailures, []);
    assert.ok(r.maxPolicyEntriesPerHour <= 7);
  });
});
