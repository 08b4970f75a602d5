/**
 * The offline phone-key site (`npm run build:web`) in headless Chromium, with the Web Bluetooth
 * stand-in (sim/web-bluetooth-standin.ts) as the phone's radio: loaded once from a local static
 * server, then with the network off, reloaded from its service worker's cache, a key imported
 * from a link, and the simulated car unlocked over the page's real Web Bluetooth code path.
 * Also: a browser without Web Bluetooth (an iPhone's) is told so. Screenshots at phone width.
 * Skips when /usr/bin/chromium is missing (.ci/run installs it).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { createCar } from '../../sim/car';
import { demoKeys } from '../../sim/server';
import { createVehicle, type Vehicle } from '../../sim/vehicle';
import { attachWebBluetooth } from '../../sim/web-bluetooth-standin';
import { writeWebSite } from '../../tools/build-web';
import { ARGS, CHROMIUM, OUT, WAIT } from './browser';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json' };

function staticServer(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url || '/', 'http://x').pathname).replace(/^\/site\//, '') || 'index.html';
    const file = path.join(dir, path.basename(name));
    if (!fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve({ url: `http://127.0.0.1:${port}/site/`, close: () => new Promise((r) => server.close(() => r())) });
  }));
}

describe('the offline phone-key site in Chromium', function () {
  this.timeout(120000);
  let tmp: string, site: { url: string; close: () => Promise<void> } | undefined, context: BrowserContext | undefined, vehicle: Vehicle;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log('    (skipped: ' + CHROMIUM + ' is missing; install it with apt-get install chromium)');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'carkey-web-'));
    await writeWebSite(path.join(tmp, 'site'));
    site = await staticServer(path.join(tmp, 'site'));
    vehicle = createVehicle(await createCar({ board: 'puckjs', demo: true }));
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 360, height: 760 } });
  });
  after(async () => {
    if (context) await context.close();
    if (site) await site.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('opens with no network once loaded, and unlocks the simulated car over Web Bluetooth', async () => {
    const page = await context!.newPage();
    await attachWebBluetooth(page, vehicle);
    await page.goto(site!.url + 'index.html');
    await page.locator('body[data-ready="1"]').waitFor(WAIT);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));

    await context!.setOffline(true);
    try {
      await page.reload();
      await page.locator('body[data-ready="1"]').waitFor(WAIT);
      const state = await page.evaluate(() => ({ controlled: !!navigator.serviceWorker.controller, online: navigator.onLine, ble: (document.getElementById('transport-ble') as HTMLInputElement).checked }));
      assert.deepEqual(state, { controlled: true, online: false, ble: true });
      assert.equal(await page.locator('#no-bluetooth').isHidden(), true);
      assert.equal(await page.locator('#demo-keys').isHidden(), true, 'no simulator demo keys on the static site');

      const owner = demoKeys(vehicle).find((k) => k.name === 'owner')!;
      await page.fill('#import-text', site!.url + 'index.html' + owner.link.slice(owner.link.indexOf('#')));
      await page.click('#import-btn');
      await page.locator('#key-id', { hasText: '#' + owner.keyId }).waitFor(WAIT);

      assert.equal(vehicle.car.relayOn(), false);
      await page.click('#unlock');
      await page.locator('#answer', { hasText: /^Unlocked \(ok\)$/ }).waitFor(WAIT);
      await page.locator('#answer-auth.auth-good').waitFor(WAIT);
      assert.equal(vehicle.car.relayOn(), true);
      fs.mkdirSync(OUT, { recursive: true });
      const shot = path.join(OUT, 'offline-phonekey-360.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(fs.statSync(shot).size > 10000, shot + ' is too small to be the page');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, 'the page overflows a 360 px phone: ' + width + ' px');
    } finally {
      await context!.setOffline(false);
    }
  });

  it('says so when the browser has no Web Bluetooth (as on an iPhone)', async () => {
    const page = await context!.newPage();
    await page.addInitScript('Object.defineProperty(navigator, "bluetooth", { value: undefined, configurable: true })');
    await page.goto(site!.url + 'index.html');
    await page.locator('body[data-ready="1"]').waitFor(WAIT);
    await page.locator('#no-bluetooth', { hasText: 'iPhone' }).waitFor(WAIT);
    await page.screenshot({ path: path.join(OUT, 'offline-phonekey-no-bluetooth.png'), fullPage: true });
  });
});
