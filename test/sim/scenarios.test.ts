/** Every shipped scenario (sim/scenarios/) passes against the real bundle in the simulator. */
import { strict as assert } from 'node:assert';
import { scenarios } from '../../sim/scenarios/index';
import { runScenario } from '../../sim/scenario';

describe('shipped scenarios (simulator, production bundles)', function () {
  this.timeout(60000);
  for (const sc of scenarios) {
    it(`${sc.name}: ${sc.title}`, async () => {
      const out = await runScenario(sc);
      assert.ok(out.ok, out.failure + '\n' + out.timeline.join('\n'));
    });
  }

  it('a broken promise fails the scenario and names it', async () => {
    const out = await runScenario({ name: 'x', title: 'x', options: { board: 'puckjs' }, body: (s) => s.expect(s.car.relayOn(), 'the relay is on at boot') });
    assert.equal(out.ok, false);
    assert.equal(out.failure, 'the relay is on at boot');
  });
});
