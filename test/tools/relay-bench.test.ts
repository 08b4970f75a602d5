/**
 * The relay bench end to end: the real `espruino` package talks to the simulator's TCP console,
 * the dev bundle's bench hook runs the real phone-key path, and the simulated relay contact is
 * wired back to the bench input (8 ms to close, 4 ms to open).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../tools/relay-bench/cli';
import { createCar } from '../../sim/car';
import { startConsoleServer } from '../../sim/console-server';

describe('relay bench (tools/relay-bench) against the simulator console', function () {
  this.timeout(120000);

  it('runs cycles through the phone-key path, times the contact, refuses attacks, writes JSON and HTML', async () => {
    const car = await createCar({ board: 'puckjs', dev: true, demo: true });
    const srv = await startConsoleServer({ board: car.config, sim: car.board });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const keyFile = path.join(dir, 'owner.json');
    fs.writeFileSync(keyFile, JSON.stringify({ keyId: car.keys.owner.keyId, secret: Buffer.from(car.keys.owner.secret).toString('hex') }));
    const out: string[] = [];
    try {
      const code = await main(['--board', 'puckjs', '--port', `tcp://127.0.0.1:${srv.port}`, '--key', keyFile, '--cycles', '5', '--out', path.join(dir, 'r')],
        { out: (s) => out.push(s), err: () => {} });
      assert.equal(code, 0, out.join('\n'));
    } finally {
      await srv.close();
    }
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'));
    assert.equal(report.cycles.length, 5);
    assert.ok(report.closeMs.median >= 7 && report.closeMs.median < 50, 'about the simulated 8 ms: ' + report.closeMs.median);
    assert.ok(report.openMs.median >= 3 && report.openMs.median < 50, 'about the simulated 4 ms: ' + report.openMs.median);
    assert.equal(report.attacks.tried, 2);
    assert.equal(report.attacks.refused, 2);
    assert.equal(report.attacks.contactMoved, 0);
    assert.match(fs.readFileSync(path.join(dir, 'r.html'), 'utf8'), /<svg[^>]*aria-label="unlock → contact closed"/);
  });

  it('a production build has no bench hook: a clear error', async () => {
    const car = await createCar({ board: 'puckjs', demo: true });
    const srv = await startConsoleServer({ board: car.config, sim: car.board });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const keyFile = path.join(dir, 'owner.json');
    fs.writeFileSync(keyFile, JSON.stringify({ keyId: car.keys.owner.keyId, secret: Buffer.from(car.keys.owner.secret).toString('hex') }));
    try {
      await assert.rejects(main(['--board', 'puckjs', '--port', `tcp://127.0.0.1:${srv.port}`, '--key', keyFile, '--cycles', '1', '--out', path.join(dir, 'r')], { out: () => {}, err: () => {} }), /dev build/);
    } finally {
      await srv.close();
    }
  });
});
