/**
 * The bench console page (/relay-bench) in a real browser (Debian's Chromium through playwright-core),
 * against the simulator's console bridge and a dev build: import the owner demo key, run 3 cycles
 * (latencies near the simulated wiring's 8 ms close / 4 ms open, timed by the board), a wrong key
 * and a replay refused, the outputs and the audit log shown. Skips when /usr/bin/chromium is missing.
 * The car's virtual clock follows real time here (every 10 ms), as on `npm start`: the page polls
 * the bench input's edges while the relay contact moves.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OUT, WAIT, withBrowser } from './browser';


describe('bench console page in Chromium', function () {
  this.timeout(90000);
  const rig = withBrowser({ port: 0, board: 'puckjs', dev: true, tickMs: 10, startEpochMs: Date.UTC(2026, 0, 5, 9, 0, 0) }, { width: 1400, height: 900 });

  it('runs 3 timed cycles with the owner key and shows a wrong key and a replay refused', async () => {
    const car = rig.server!.vehicle.car;
    const page = await rig.context!.newPage();
    await page.goto(rig.server!.url + 'relay-bench');
    await page.locator('body[data-ready="1"]').waitFor(WAIT);
    await page.click('#demo-keys button[data-key="owner"]');
    await page.locator('#key-line', { hasText: '#' + car.keys.owner.keyId }).waitFor(WAIT);

    await page.click('#connect');
    await page.locator('#link-status', { hasText: 'bench hook present' }).waitFor(WAIT);
    await page.locator('#out-relay', { hasText: /^off$/ }).waitFor(WAIT);
    await page.locator('#out-state', { hasText: /^locked/ }).waitFor(WAIT);

    await page.fill('#cycles', '3');
    await page.click('#run');
    await page.locator('#result', { hasText: /^3 cycles done\.$/ }).waitFor(WAIT);
    const rows = await page.locator('#cycles-table tbody tr').evaluateAll((trs) => trs.map((tr) => [Number((tr as HTMLElement).dataset.close), Number((tr as HTMLElement).dataset.open), tr.textContent]));
    assert.equal(rows.length, 3);
    for (const [close, open, text] of rows) {
      assert.ok((close as number) > 7.9 && (close as number) < 20, 'unlock -> contact closed near 8 ms: ' + close);
      assert.ok((open as number) > 3.9 && (open as number) < 20, 'lock -> contact open near 4 ms: ' + open);
      assert.match(text as string, /ok \/ ok$/);
    }
    assert.ok((await page.locator('#histogram .bar').count()) >= 2);
    await page.locator('#summary', { hasText: '3 cycles' }).waitFor(WAIT);

    await page.click('#wrong-key');
    await page.locator('#result.good', { hasText: /^wrong key: refused .*contact still$/ }).waitFor(WAIT);
    await page.click('#replay');
    await page.locator('#result.good', { hasText: /^replay: refused .*contact still$/ }).waitFor(WAIT);
    assert.equal(car.relayOn(), false);

    // The audit log the page decoded from Storage: the owner's unlocks and the refusals.
    await page.locator('#log tr', { hasText: 'unlock \u2192 unlocked, key owner' }).first().waitFor(WAIT);
    // The page shows the result before it re-reads the log: wait for that read, not just the result.
    const want = Math.min(50, car.auditLog().length);
    await page.waitForFunction((n) => document.querySelectorAll('#log tbody tr').length === n, want, WAIT).catch(() => undefined);
    const logRows = await page.locator('#log tbody tr').count();
    assert.equal(logRows, want);

    fs.mkdirSync(OUT, { recursive: true });
    const shot = path.join(OUT, 'web-bench.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 20000, shot + ' is too small to be the page');
  });
});
