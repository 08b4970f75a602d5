/**
 * The protocol v2 scenarios (sim/scenarios/share-while-away.ts, revocation-travels.ts) against
 * the real bundle. Each first asks its car with a v2 HELLO: a firmware that answers with a v1
 * CHALLENGE does not speak v2 yet, and the scenario is skipped, naming what is missing; once the
 * board side lands (docs/KEYS-THAT-TRAVEL.md section 14) they run and must pass.
 */
import { strict as assert } from 'node:assert';
import { v2Scenarios } from '../../sim/scenarios/index';
import { runScenario } from '../../sim/scenario';
import { createCar } from '../../sim/car';


describe('protocol v2 scenarios (simulator, production bundles)', function () {
  this.timeout(120000);
  for (const sc of v2Scenarios) {
    it(`${sc.name}: ${sc.title}`, async function () {
      const car = await createCar(sc.options);
      let version = 1;
      try { version = car.phone().connect().version || 1; } finally { car.board.close(); }
      assert.equal(version, 2, 'the xiaoble firmware speaks protocol v2');
      const out = await runScenario(sc);
      assert.ok(out.ok, out.failure + '\n' + out.timeline.join('\n'));
    });
  }
});
