/**
 * Soak at CI size: two simulated hours of mixed traffic on the puckjs-nfc car (the 24-hour run is
 * `npx tsx tools/evidence/soak.ts --hours 24`). With ESPRUINO_BIN, a shorter mixed loop also runs
 * inside the real interpreter and must not grow process.memory(); without it that test is skipped.
 */
import { strict as assert } from 'node:assert';
import { runSoak, soakOnEspruino, type SoakReport } from '../../tools/evidence/soak';
import { espruinoBinary } from '../../tools/host/espruino-binary';

describe('evidence: soak (2 simulated hours in CI; --hours 24 for a day)', function () {
  this.timeout(120000);
  let rep: SoakReport;
  before(async () => { rep = await runSoak({ hours: Number(process.env.SOAK_HOURS || 2), seed: 11 }); });

  it('mixed traffic ran: unlocks, bad attempts, taps of every card, keys added, revoked and removed, clock changes', () => {
    for (const e of ['phone unlock', 'bad attempt', 'tap owner-card', 'tap cloned-card', 'owner adds a key', 'owner revokes a key', 'clock change', 'door', 'drive'])
      assert.ok((rep.events[e] || 0) > 0, 'no ' + e + ': ' + JSON.stringify(rep.events));
    assert.ok((rep.outcomes['unlock:ok'] || 0) > 100 && (rep.outcomes['tap unlocked:owner-card'] || 0) > 20, JSON.stringify(rep.outcomes));
  });

  it('no problem: no uncaught error or reset, no clone/revoked unlock, log mirrored without a gap and matching the unlocks seen', () => {
    assert.deepEqual(rep.problems, []);
    assert.ok(rep.logEntries > 500);
  });

  it('the relay was never on longer than its 3 s hold', () => {
    assert.ok(rep.relayRises > 100);
    assert.ok(rep.maxRelayOnMs <= 4000, String(rep.maxRelayOnMs));
  });

  it('nothing grows: pending board timers and flash in files stay flat across the run', () => {
    assert.ok(rep.samples.length >= 12);
    const timers = rep.samples.map((s) => s.pendingBoardTimers);
    assert.ok(Math.max(...timers) <= 12, JSON.stringify(timers));
    // The journal layout (docs/ESPRUINO.md "Flash"): its files fill Storage from provisioning on, and the firmware makes none.
    const files = rep.samples.map((s) => s.fileBytes);
    assert.equal(Math.max(...files), Math.min(...files), 'live files never change: ' + JSON.stringify(files));
  });

  it('inside the real interpreter: a mixed loop does not grow process.memory()', async function () {
    const bin = espruinoBinary();
    if (!bin) this.skip();
    const r = await soakOnEspruino(bin!, 120);
    assert.equal(r.grows, false, JSON.stringify(r));
    assert.ok((r.unlocksOk as number) > 20);
  });
});
