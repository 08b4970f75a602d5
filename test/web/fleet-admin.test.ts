/**
 * The fleet admin page in headless Chromium (/usr/bin/chromium via playwright-core; skipped when
 * missing): boards listed, a board's keys, a driver revoked from the page (registry and list
 * version change), a ticket shared, the log filtered by board and event; the local-only rules
 * (a foreign Host, an API call without the token) refused. Screenshot: test-results/fleet-admin.png.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM, OUT, WAIT } from './browser';
import { createRegistry, type Registry } from '../../tools/fleet/registry';
import { addBoard, addKey, listKeys } from '../../tools/fleet/boards';
import { storeEntries } from '../../tools/fleet/logstore';
import { type AdminServer, startAdmin } from '../../tools/fleet/server';
import { FAST_KDF } from '../fleet/support';

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => { http.get(url, { headers }, (res) => { res.resume(); resolve(res.statusCode || 0); }).on('error', reject); });
}

describe('fleet admin page in headless Chromium', function () {
  this.timeout(90000);
  let dir: string, r: Registry, srv: AdminServer;
  let driverId = 0;
  before(async function () {
    if (!fs.existsSync(CHROMIUM)) { console.log('    (skipped: ' + CHROMIUM + ' is missing; install it with apt-get install chromium)'); this.skip(); }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-page-'));
    r = createRegistry(path.join(dir, 'fleet.db'), 'page test passphrase', { secret: new Uint8Array(32).fill(5), cardMaster: new Uint8Array(16).fill(6) }, FAST_KDF);
    const bs = ['van-1', 'van-2', 'garage'].map((label) => addBoard(r, { type: 'xiaoble', label }));
    const owner = addKey(r, bs, { role: 'owner', perms: 'unlock,lock,drive', label: 'owner' });
    driverId = addKey(r, bs, { role: 'driver', perms: 'unlock,lock,drive', label: 'Dana' }).keyId;
    bs.forEach((b, i) => storeEntries(r, b.id, Array.from({ length: 10 }, (_, s) => ({ seq: s + 1, time: 1764806400 + s * 3600 + i, trusted: true, event: s % 2 ? 21 : 20, result: 1, reason: s % 2 ? 0 : 2, keyId: s % 2 ? owner.keyId : driverId }))));
    srv = await startAdmin(r, 0);
  });
  after(async () => { if (srv) await srv.close(); if (r) r.close(); if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('keeps to this computer: a foreign Host and an API call without the token are refused', async () => {
    const port = new URL(srv.url).port;
    assert.equal(await get(srv.url, { host: 'evil.example:' + port }), 403);
    assert.equal(await get(srv.url + 'api/boards'), 403);
    assert.equal(await get(srv.url + 'api/boards?token=' + srv.token), 200);
    assert.equal(await get(srv.url, { origin: 'http://evil.example' }), 403);
  });

  it('lists boards and keys, revokes, shares, filters the log; screenshot', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-chromium-'));
    const ctx = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1100, height: 900 } });
    try {
      const page = await ctx.newPage();
      await page.goto(srv.url);
      await page.waitForSelector('body[data-ready="1"]', WAIT);
      assert.equal(await page.locator('#boards tbody tr').count(), 3);
      await page.locator('#boards tbody tr', { hasText: 'van-2' }).click();
      await page.waitForSelector('#keys tbody tr', WAIT);
      assert.equal(await page.locator('#keys tbody tr').count(), 2);
      await page.locator('button[data-key="' + driverId + '"]').click();
      await page.waitForFunction(() => /revoked/.test(document.getElementById('msg')!.textContent || ''), undefined, WAIT);
      await page.waitForFunction(() => /^version 1/.test(document.getElementById('list')!.textContent || ''), undefined, WAIT);
      assert.match(await page.textContent('#list') || '', new RegExp('version 1.*' + driverId));
      assert.equal(listKeys(r, { id: 2 } as never).find((k) => k.key_id === driverId)!.state, 'revoked');
      // Share a ticket for van-1 and garage.
      await page.locator('#share-boards input[value="van-1"]').check();
      await page.locator('#share-boards input[value="garage"]').check();
      await page.fill('#share-label', 'Sam');
      await page.click('#share button');
      await page.waitForFunction(() => /^#v=2&k=/.test(document.getElementById('share-link')!.textContent || ''), undefined, WAIT);
      // Filter: van-1, denials only.
      await page.selectOption('#f-board', 'van-1');
      await page.fill('#f-event', '20');
      await page.click('#filter button');
      await page.waitForFunction(() => document.getElementById('log')!.dataset.rows === '5', undefined, WAIT);
      const csv = await page.evaluate(async () => (await fetch((document.getElementById('csv') as HTMLAnchorElement).href)).text());
      assert.equal(csv.trimEnd().split('\r\n').length, 6);
      fs.mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: path.join(OUT, 'fleet-admin.png'), fullPage: true });
    } finally {
      await ctx.close();
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });
});
