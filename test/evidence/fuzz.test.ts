/**
 * Fuzzing at CI size (tools/evidence/fuzz.ts runs the same targets for as long as asked): every
 * parser that takes bytes from outside, through the simulated car where there is one. Seeds are
 * fixed, so a failure names a case that replays. Each test also checks the fuzz reached the paths
 * it claims (valid credentials accepted, refusals, authentications), so it cannot pass vacuously.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { type FuzzResult, configLimits, configProblems, referenceParse, runTarget, type Target } from '../../tools/evidence/fuzz';
import { sanitizeConfig } from '../../firmware/config';
import { pn532Parse, pn532Sum } from '../../hal/pn532';

const SEED = 20240601;

async function run(target: Target, cases: number): Promise<FuzzResult> {
  const r = await runTarget(target, cases, SEED);
  assert.deepEqual(r.violations, [], `${target}: ${r.violations.length} violations`);
  return r;
}

describe('evidence: fuzzing (CI size; `npx tsx tools/evidence/fuzz.ts --cases N` for more)', function () {
  this.timeout(60000);

  it('BLE frames: random and structured packets into the car: every complete message answered once, nothing unlocks, board stays up', async () => {
    const r = await run('frames', 2500);
    assert.ok(r.stats.messages > 500 && r.stats.refused > 0, JSON.stringify(r.stats));
    assert.equal(r.stats.legit, 0);
    assert.equal(r.stats.privileged, 0, 'no random frame was ever a credential');
  });

  it('phone-key commands: signed commands mutated in their bytes or fragments never unlock; intact ones still work', async () => {
    const r = await run('commands', 2500);
    assert.ok(r.stats.legit > 100, 'intact valid commands reached the board: ' + JSON.stringify(r.stats));
    assert.ok(r.stats.responses > 50 && r.stats.privileged > 50, 'and some were accepted (MACed responses, GRANTED entries)');
    assert.ok(r.stats.refused > 1000, 'mutated ones were refused');
  });

  it('SET_CONFIG through the protocol: any JSON or bytes leave a stored config inside its limits and the relay bounded', async () => {
    const r = await run('set-config', 400);
    assert.ok(r.stats.ok > 100 && r.stats.badInput > 20, JSON.stringify(r.stats));
    assert.ok(r.stats.unlocks > 10);
  });

  it('LIST (protocol v2): owner\'s, mutated, a driver\'s and random lists: only a newer list whose tag verifies is adopted, nothing unlocks, the board stays up', async () => {
    const r = await run('list', 300);
    assert.ok(r.stats.legit > 10 && r.stats.adopted >= r.stats.legit, 'valid newer lists were adopted: ' + JSON.stringify(r.stats));
    assert.ok(r.stats.badMac > 10 && r.stats.badInput > 50 && r.stats.exists > 0 && r.stats.wrongBoard > 0, 'and the refusals were reached');
    assert.equal(r.stats.privileged, 0, 'a list is no credential');
  });

  it('TICKET COMMAND (protocol v2): mutated or foreign tickets never unlock; intact owner tickets still work', async () => {
    const r = await run('ticket', 400);
    assert.ok(r.stats.legit > 10 && r.stats.ok > 5 && r.stats.unlocks > 0, 'intact tickets were accepted: ' + JSON.stringify(r.stats));
    assert.ok(r.stats.refused > 200, 'mutated ones were refused');
  });

  it('sanitizeConfig: random values (NaN, Infinity, strings, nesting, __proto__) give a complete, clamped, idempotent config that survives flash', async () => {
    const r = await run('config', 3000);
    assert.ok(r.stats.roundTrips > 100);
  });

  it('sanitizeConfig (fast-check): anything in, a config within the limits out', () => {
    const limits = configLimits();
    assert.ok(limits.holdMs[1] <= 30000, 'the limits themselves: ' + JSON.stringify(limits));
    fc.assert(fc.property(fc.oneof(fc.anything(), fc.jsonValue(), fc.dictionary(fc.constantFrom('holdMs', 'relockMs', 'driveMs', 'lockoutMaxMs', 'buttonEnrol', 'tzOffsetMin', 'x'), fc.anything())), (x) => {
      assert.deepEqual(configProblems(sanitizeConfig(x), limits), []);
    }), { seed: SEED, numRuns: 2000 });
  });

  it('pn532Parse agrees with an independent reference parser on random and mutated frames', async () => {
    const r = await run('pn532-parse', 30000);
    assert.ok(r.stats.accepted > 1000 && r.stats.rejected > 10000 && r.stats.checksum > 1000, JSON.stringify(r.stats));
  });

  it('pn532Parse (fast-check): never throws, accepts exactly what the reference accepts', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 }), (buf, off, code) => {
      const got = pn532Parse(buf, off, code, pn532Sum);
      const want = referenceParse(buf, off, code);
      if (typeof got === 'string') assert.equal(want, undefined);
      else assert.deepEqual(Array.from(got), Array.from(want!));
    }), { seed: SEED, numRuns: 5000 });
  });

  it('PN532 driver against a simulated PN532 with mutated I2C reads and NACKs: no throw, no field left on, recovers', async () => {
    const r = await run('pn532-driver', 250);
    assert.ok(r.stats.mutatedReads > 500 && r.stats.nacks > 50, JSON.stringify(r.stats));
    assert.ok(r.stats.authOk > 10 && r.stats.auths > r.stats.authOk, 'genuine taps still authenticate between faults');
  });

  it('DESFire authentication with mutated card answers: only a genuine card with intact answers authenticates', async () => {
    const r = await run('desfire', 2000);
    assert.ok(r.stats.ok > 200 && r.stats.refused > 1000 && r.stats.throwsFromReader > 20, JSON.stringify(r.stats));
  });

  it('card answers mutated through the car (puckjs-nfc bundle): no unlock from a clone or a tampered transcript', async () => {
    const r = await run('cards', 120);
    assert.ok(r.stats.intactGenuine > 10 && r.stats.unlocks > 5, JSON.stringify(r.stats));
    assert.ok(r.stats.unlocks <= r.stats.intactGenuine);
  });
});
