/**
 * Headless Chromium (Debian's /usr/bin/chromium through playwright-core) against a simulator
 * server, for the browser tests: skipped with a message when Chromium is missing (.ci/run installs it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { type ServerOptions, type SimServer, startServer } from '../../sim/server';

export const CHROMIUM = '/usr/bin/chromium';
/** Chromium's own connections are refused by this network: keep it from trying. */
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const OUT = path.resolve(__dirname, '../../test-results');
export const WAIT = { timeout: 15000 };

export interface BrowserRig {
  server: SimServer | undefined;
  context: BrowserContext | undefined;
}

/** Registers before/after hooks that start the server and a browser; the returned rig fills in. */
export function withBrowser(server: ServerOptions, viewport: { width: number; height: number }): BrowserRig {
  const rig: BrowserRig = { server: undefined, context: undefined };
  let userDir: string | undefined;
  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log('    (skipped: ' + CHROMIUM + ' is missing; install it with apt-get install chromium)');
      this.skip();
    }
    rig.server = await startServer(server);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'carkey-chromium-'));
    rig.context = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  });
  after(async () => {
    if (rig.context) await rig.context.close();
    if (rig.server) await rig.server.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });
  return rig;
}
