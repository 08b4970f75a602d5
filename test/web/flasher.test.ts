/**
 * The browser flasher (/flash, sim/web/flasher.ts) in headless Chromium, over the Web Bluetooth
 * stand-in's Nordic UART console: a simulated Puck.js with nothing on it (as unboxed) gets a
 * site's board image and the production bundle, each verified by reading back, then boots it;
 * afterwards its Bluetooth console is closed and the site's owner key unlocks it. A board image for
 * another board, or a board whose Espruino is older than the pretokenised bundle needs, is refused
 * before anything is written. A board already in the compaction-safe
 * layout is updated without an image, and an update cut midway is finished by a second press.
 * Skips without /usr/bin/chromium.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { R_OK } from '../../firmware/codes';
import { boardById } from '../../hal/boards/index';
import { type SimBoard, createSimBoard } from '../../sim/engine/board';
import { M, OP, command, nodeMac, parseAnswer, type PhoneKeyFile } from '../../tools/host/protocol';
import { ask } from '../../sim/central';
import { WEB_DIR, bundleScript } from '../../sim/web-bundle';
import { attachWebBluetooth } from '../../sim/web-bluetooth-standin';
import { boardImage, writeImageDir } from '../../tools/provision/image';
import { issueKey, keyFileOf } from '../../tools/host/provision/keys';
import { newSiteData } from '../../tools/host/provision/sitefile';
import { ARGS, CHROMIUM, OUT, WAIT } from './browser';
import * as st from '../../sim/engine/storage';
import { LAYOUT_FIXED, layoutBoard } from '../support/layout-board';
import { gunzipSync } from 'node:zlib';
import { keyTableOf } from '../../tools/host/provision/keystores';
import { flashOf } from '../../sim/provision';

/** Waits for the flasher's answer; on a timeout, says what the page showed. */
async function answer(page: import('playwright-core').Page, text: string | RegExp, timeout: number): Promise<void> {
  try {
    await page.locator('#answer', { hasText: text }).waitFor({ timeout });
  } catch (e) {
    throw new Error('the flasher said ' + JSON.stringify(await page.locator('#answer').textContent()) + ' after: ' + (await page.locator('#steps li').allTextContents()).join(' / '));
  }
}

async function pageServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const files: Record<string, [string, string]> = {
    '/flash': ['text/html', fs.readFileSync(path.join(WEB_DIR, 'flasher.html'), 'utf8')],
    '/style.css': ['text/css', fs.readFileSync(path.join(WEB_DIR, 'style.css'), 'utf8')],
    '/flasher.js': ['text/javascript', await bundleScript(path.join(WEB_DIR, 'flasher.ts'), { sourcemap: true })],
  };
  const server = http.createServer((req, res) => {
    const f = files[new URL(req.url || '/', 'http://x').pathname];
    res.writeHead(f ? 200 : 404, { 'content-type': f ? f[0] : 'text/plain' });
    res.end(f ? f[1] : 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/flash`, close: () => new Promise((r) => server.close(() => r())) });
  }));
}

/** A simulated Puck.js as it comes out of the box: Storage empty, Espruino's console open. */
function unboxed(): SimBoard {
  return createSimBoard({ board: boardById('puckjs')! });
}

/** One phone-key round trip over the board's radio, as a phone does it: HELLO, then a signed COMMAND. */
function phoneCommand(board: SimBoard, key: PhoneKeyFile, op: number) {
  const challenge = parseAnswer(nodeMac, key, ask(board, new Uint8Array([M.HELLO]))!);
  assert.equal(challenge.type, 'challenge');
  const a = parseAnswer(nodeMac, key, ask(board, command(nodeMac, key, challenge.nonce!, op))!, challenge.nonce);
  board.nrf.disconnect();
  return a;
}

describe('the browser flasher in Chromium (Web Bluetooth stand-in)', function () {
  this.timeout(400000);
  let tmp: string, pages: { url: string; close: () => Promise<void> } | undefined, context: BrowserContext | undefined;

  /** The flasher's page over `board`'s Web Bluetooth stand-in, loaded, with the firmware file chosen. */
  async function openFlasher(board: SimBoard, bundlePath: string) {
    const page = await context!.newPage();
    await attachWebBluetooth(page, { board });
    await page.goto(pages!.url);
    await page.locator('body[data-ready="1"]').waitFor(WAIT);
    await page.setInputFiles('#firmware-file', bundlePath);
    return page;
  }

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log('    (skipped: ' + CHROMIUM + ' is missing; install it with apt-get install chromium)');
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'carkey-flasher-'));
    pages = await pageServer();
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 900, height: 900 } });
  });
  after(async () => {
    if (context) await context.close();
    if (pages) await pages.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const site = newSiteData();
  const owner = issueKey(site, { role: 'owner', label: 'Me' });

  it('flashes and provisions an unboxed Puck.js, closes its console last, and the owner key unlocks it', async () => {
    const board = unboxed();
    assert.equal(board.nrf.uartExposed, true, 'a new board has its Bluetooth console open');
    const imageDir = path.join(tmp, 'image');
    const files = writeImageDir(imageDir, boardImage(site, boardById('puckjs')!));
    const bundlePath = path.resolve(__dirname, '../../dist/puckjs/firmware.js');

    const page = await openFlasher(board, bundlePath);
    await page.setInputFiles('#image-files', files);
    await page.locator('#chosen', { hasText: 'image for puckjs' }).waitFor(WAIT);
    await page.check('#transport-ble');
    await page.click('#flash');
    await answer(page, 'Flashed and provisioned.', 300000);
    fs.mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: path.join(OUT, 'flasher.png'), fullPage: true });

    const steps = await page.locator('#steps li').allTextContents();
    assert.match(steps.join('\n'), /ck\.site\.a: \d+ bytes written and verified/);
    assert.match(steps.join('\n'), /firmware: \d+ bytes, SHA-256 [0-9a-f]{16}… verified on the board/);
    assert.deepEqual(Buffer.from(board.storage.bytes('.bootcde')!), fs.readFileSync(bundlePath), 'the board holds the bundle byte for byte');
    assert.ok(fs.readFileSync(bundlePath).some((x) => x >= 0x80), 'pretokenised: bytes >= 0x80 went through the browser and the Bluetooth console');
    assert.equal(board.nrf.uartExposed, false, 'the production firmware closed the Bluetooth console');
    assert.deepEqual(board.uncaught, []);

    const kf = keyFileOf(site, owner);
    const a = phoneCommand(board, { keyId: kf.keyId, secret: Buffer.from(kf.secret, 'hex') }, OP.UNLOCK);
    assert.equal(a.type === 'response' && a.status, R_OK);
    assert.equal(board.pins.output(boardById('puckjs')!.pins.relay), 1, 'the relay is energised');
  });

  it('updates a board in the layout without an image; cut midway, a second press finishes it; site, settings and keys untouched', async () => {
    const ref = layoutBoard('puckjs');
    const f = ref.f;
    const board = createSimBoard({ board: ref.cfg, flash: f, bundle: '' }); // stock Espruino over a layout Storage: console open
    const keep = ['ck.site.a', 'ck.keys'].map((n) => [st.find(f, n)!.addr, st.read(f, n)]);
    const tiles = st.list(f).filter((n) => !LAYOUT_FIXED.includes(n)).map((n) => [n, st.read(f, n)]);
    const bundlePath = path.join(tmp, 'firmware-v2.js'); // a new release: the built bundle, a little longer
    fs.writeFileSync(bundlePath, '/*v2*/' + ref.bundle, 'latin1');
    const page = await openFlasher(board, bundlePath);
    await page.locator('#answer', { hasText: 'Ready to update a board already in the layout' }).waitFor(WAIT);
    await page.check('#transport-ble');
    st.cutPowerAtWrite(f, 30, 0.5); // inside the bundle's write, after the tiles' pages were erased
    await page.click('#flash');
    await answer(page, /Stopped: /, 60000);
    assert.match((await page.locator('#steps li').allTextContents()).join('\n'), /stopped midway through the update: what the board held is kept in this page/);
    assert.equal(st.checkAtBoot(f, () => undefined), false, 'Storage valid at boot');
    assert.deepEqual(['ck.site.a', 'ck.keys'].map((n) => [st.find(f, n)!.addr, st.read(f, n)]), keep);
    board.powerOn();
    await page.click('#flash');
    await answer(page, 'Flashed and provisioned.', 120000);
    const steps = (await page.locator('#steps li').allTextContents()).join('\n');
    assert.match(steps, /resuming the update of puckjs/);
    assert.match(steps, /updated: \d+ pages erased \(last first\), \d+ files written and verified/);
    assert.deepEqual(Buffer.from(board.storage.bytes('.bootcde')!), fs.readFileSync(bundlePath));
    assert.deepEqual(['ck.site.a', 'ck.keys'].map((n) => [st.find(f, n)!.addr, st.read(f, n)]), keep, 'site, settings, keys untouched');
    assert.deepEqual(st.list(f).filter((n) => !LAYOUT_FIXED.includes(n)).map((n) => [n, st.read(f, n)]), tiles, 'the tiles written back');
  });

  it('moves a puckjs-nfc from its older layout without an image: site and keys kept', async function () {
    const nfc = boardById('puckjs-nfc')!;
    // Its firmware on the journal layout (hal/boards/puckjs-nfc.ts `tile`): before, it kept the older layout.
    if (!nfc.tile) this.skip();
    // What the older-layout firmware left on a full board (test/evidence/update-move-nfc.test.ts has the cuts).
    const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'older-layout', 'puckjs-nfc.json'), 'utf8')) as { flash: string; site: string; keys: string };
    const f = st.createFlash(nfc.storageBytes);
    f.mem.set(gunzipSync(Buffer.from(fx.flash, 'base64')));
    const board = createSimBoard({ board: nfc, flash: f, bundle: '' }); // stock Espruino over that Storage: console open
    const bundlePath = path.resolve(__dirname, '../../dist/puckjs-nfc/firmware.js');
    const page = await openFlasher(board, bundlePath);
    await page.locator('#answer', { hasText: 'Ready to update a board already in the layout' }).waitFor(WAIT);
    await page.check('#transport-ble');
    await page.click('#flash');
    await answer(page, 'Flashed and provisioned.', 300000);
    assert.match((await page.locator('#steps li').allTextContents()).join('\n'), /in the older layout: moving into the journal layout puckjs-nfc/);
    assert.deepEqual(st.list(f), ['ck.site.a', 'ck.keys', '.bootcde', 'ck.pad', 'ck.jrnl']);
    assert.equal(Buffer.from(st.read(f, 'ck.site.a')!, 'latin1').toString('hex'), fx.site, 'the site');
    assert.equal(keyTableOf(flashOf(board)), fx.keys, 'every key');
    assert.deepEqual(Buffer.from(board.storage.bytes('.bootcde')!), fs.readFileSync(bundlePath));
  });

  it('refuses an image made for another board before writing anything', async () => {
    const board = unboxed();
    const files = writeImageDir(path.join(tmp, 'image-mdbt'), boardImage(site, boardById('mdbt42q')!));
    const page = await openFlasher(board, path.resolve(__dirname, '../../dist/mdbt42q/firmware.js'));
    await page.setInputFiles('#image-files', files);
    await page.check('#transport-ble');
    await page.click('#flash');
    await answer(page, /Stopped: this board says it is "PUCKJS .*"; the image is for mdbt42q/, 30000);
    assert.deepEqual(board.storage.list(), [], 'nothing was written');
    assert.equal(board.nrf.uartExposed, true);
  });

  it('refuses a board whose Espruino is older than 2v26 (the bundle is pretokenised) before writing anything', async () => {
    const board = unboxed();
    board.run('process.env.VERSION="2v25"');
    const files = writeImageDir(path.join(tmp, 'image-old'), boardImage(site, boardById('puckjs')!));
    const page = await openFlasher(board, path.resolve(__dirname, '../../dist/puckjs/firmware.js'));
    await page.setInputFiles('#image-files', files);
    await page.check('#transport-ble');
    await page.click('#flash');
    await answer(page, /refused: this PUCKJS runs Espruino 2v25; the firmware is pretokenised and needs Espruino 2v26 or later/, 30000);
    assert.deepEqual(board.storage.list(), [], 'nothing was written');
  });
});
