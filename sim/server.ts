/**
 * The simulator's web server (127.0.0.1 only): the vehicle page at /, the web phone key at
 * /phonekey, the bench console at /relay-bench, their bundled scripts, demo key links at /api/demo-keys,
 * and three WebSockets. Every request must name us by a loopback Host and come from our own
 * origin (if any); every WebSocket and /api/ request must carry this run's token, which only our
 * pages hold (sim/local-guard.ts):
 *   /ws/vehicle  live snapshots out, actions in:  {t:'act', id, a: Action} -> {t:'done', id, text}
 *   /ws/radio    a web phone key's packets to and from the car's radio (sim/radio-bridge.ts)
 *   /ws/console  the simulated board's JavaScript console: a line of code in, what it printed out
 *                (one reply per message, in order); from 127.0.0.1 only
 * With `dev` the car runs the dev build (its console bench hook CKB, hal/espruino/relay-bench-hook.ts).
 * With `realtime` (the default) the car's virtual clock advances in step with real time.
 * Not here: the car's model (sim/vehicle.ts), the pages (sim/web/), flag parsing (sim/main.ts).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { keyStoreOf } from '../tools/host/provision/keystores';
import { createCar, type CarOptions } from './car';
import { hostCrypto } from '../tools/host/crypto';
import { flashOf } from './provision';
import { type KeyFile, keyFragment } from '../tools/host/keyfile';
import { hex } from '../tools/host/bytes';
import { runConsoleLine } from './console-line';
import { createBridge } from './radio-bridge';
import { createLocalGuard, type LocalGuard } from './local-guard';
import { type Action, type Vehicle, createVehicle } from './vehicle';
import { WEB_DIR, bundleWeb } from './web-bundle';

export interface ServerOptions {
  board?: string;
  seed?: number;
  /** 0 = any free port. */
  port?: number;
  /** Advance the virtual clock with real time (every `tickMs`). Default true. */
  realtime?: boolean;
  tickMs?: number;
  /** Wall-clock start of the simulated world (ms since 1970). Default now. */
  startEpochMs?: number;
  /** Run the dev build (bench hook on the console) instead of the production build. */
  dev?: boolean;
  /** Your own site (sim/own-site.ts) instead of the demo car's made-up keys. */
  site?: CarOptions['site'];
  /** The car is this board of its site, with its own secrets (createCar's `boardId`; protocol v2). */
  boardId?: Uint8Array;
}

export interface SimServer {
  url: string;
  port: number;
  /** This run's token: WebSockets and /api/ requests carry it as ?token= (the pages have it in a <meta>). */
  token: string;
  vehicle: Vehicle;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json' };
const PAGES: Record<string, string> = { '/': 'index.html', '/index.html': 'index.html', '/phonekey': 'phonekey.html', '/phonekey.html': 'phonekey.html', '/relay-bench': 'relay-bench.html', '/relay-bench.html': 'relay-bench.html', '/flash': 'flasher.html', '/flasher.html': 'flasher.html', '/style.css': 'style.css' };
const SOCKETS = ['/ws/vehicle', '/ws/radio', '/ws/console'];
/** A console line longer than this is refused (a bench line is a few hundred bytes). */
const MAX_LINE = 16384;

/** The demo phones' key files, with what their records in the car's flash say about them. */
export function demoKeys(vehicle: Vehicle): (KeyFile & { name: string; link: string })[] {
  const car = vehicle.car;
  const flash = flashOf(car.board);
  const { ksLookup, ksOpen } = keyStoreOf(flash);
  const ks = ksOpen(flash, hostCrypto, car.config.keyCapacity);
  return Object.keys(car.keys).map((name) => {
    const k = car.keys[name];
    const rec = ksLookup(ks, k.keyId);
    const f: KeyFile = { keyId: k.keyId, secret: hex(k.secret), label: name };
    if (rec) { f.role = rec.role; f.perms = rec.perms; f.notBefore = rec.notBefore; f.notAfter = rec.notAfter; }
    return { name, ...f, link: '/phonekey' + keyFragment(f) };
  });
}

export async function startServer(opts: ServerOptions = {}): Promise<SimServer> {
  const [car, scripts] = await Promise.all([createCar({ board: opts.board || 'puckjs-nfc', seed: opts.seed, demo: !opts.site, site: opts.site, dev: opts.dev, boardId: opts.boardId }), bundleWeb()]);
  const vehicle = createVehicle(car, { startEpochMs: opts.startEpochMs });

  let guard: LocalGuard | undefined; // made once the port is known
  const server = http.createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://localhost');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, {
        'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
        // Our pages hold the token: no other site may frame them (clicks) or learn their address.
        'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'", 'referrer-policy': 'no-referrer',
      });
      res.end(body);
    };
    const refused = guard ? guard.refuse(req) : 'starting';
    if (refused) return send(403, 'text/plain', refused);
    if (req.method !== 'GET') return send(405, 'text/plain', 'GET only');
    if (url.pathname.startsWith('/api/') && !guard!.hasToken(req)) return send(403, 'text/plain', 'this run\'s token is missing or wrong (open the page again)');
    const script = scripts[url.pathname.slice(1)];
    if (script) return send(200, TYPES['.js'], script);
    if (url.pathname === '/api/demo-keys') return send(200, TYPES['.json'], JSON.stringify(demoKeys(vehicle)));
    if (url.pathname === '/api/state') return send(200, TYPES['.json'], JSON.stringify(vehicle.snapshot()));
    const page = PAGES[url.pathname];
    if (page && page.endsWith('.html')) return send(200, TYPES['.html'], guard!.inject(fs.readFileSync(path.join(WEB_DIR, page), 'utf8')));
    if (page) return send(200, TYPES[path.extname(page)], fs.readFileSync(path.join(WEB_DIR, page)));
    send(404, 'text/plain', 'not found');
  });

  // Sockets: only from our own pages on this computer, with this run's token.
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url || '/', 'http://localhost').pathname;
    const local = req.socket.remoteAddress === '127.0.0.1' || req.socket.remoteAddress === '::ffff:127.0.0.1' || req.socket.remoteAddress === '::1';
    if (!guard || guard.refuse(req) || !guard.hasToken(req) || !SOCKETS.includes(pathname) || !local) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => (pathname === '/ws/radio' ? radioSocket(ws) : pathname === '/ws/console' ? consoleSocket(ws) : vehicleSocket(ws)));
  });

  // The simulated board's console: each message is one line run in the current boot, the reply is
  // what it printed (uncaught errors included, as the board prints them).
  const consoleSocket = (ws: WebSocket) => {
    ws.on('message', (d) => {
      const line = String(d);
      let printed = '';
      if (line.length > MAX_LINE) printed = 'Error: line too long\n';
      else {
        for (const l of runConsoleLine(car.board, line)) printed += l + '\n';
        vehicle.tick(0);
      }
      if (ws.readyState === ws.OPEN) ws.send(printed);
    });
  };

  const radioSocket = (ws: WebSocket) => {
    const bridge = createBridge(vehicle, { send: (t) => { if (ws.readyState === ws.OPEN) ws.send(t); } });
    ws.on('message', (d) => bridge.receive(String(d)));
    ws.on('close', () => bridge.close());
  };

  const vehicleSocket = (ws: WebSocket) => {
    let lastTop = -1, lastCount = -1, queued = false;
    const push = () => {
      queued = false;
      if (ws.readyState !== ws.OPEN) return;
      const s = vehicle.snapshot();
      // The log goes out only when it changed: snapshots flow ten times a second.
      const top = s.log.length ? s.log[0].seq : 0;
      const log = top !== lastTop || s.log.length !== lastCount ? s.log : undefined;
      lastTop = top; lastCount = s.log.length;
      ws.send(JSON.stringify({ t: 'state', s: { ...s, log } }));
    };
    const later = () => { if (!queued) { queued = true; setImmediate(push); } };
    const off = vehicle.onChange(later);
    ws.on('message', (d) => {
      let m: { t?: string; id?: number; a?: Action };
      try { m = JSON.parse(String(d)); } catch (e) { return; }
      if (m.t !== 'act' || !m.a) return;
      // A clock jump runs in steps (progress in the snapshots); other actions wait for it.
      void vehicle.perform(m.a).then((text) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ t: 'done', id: m.id, text })); });
    });
    ws.on('close', off);
    later();
  };

  let timer: NodeJS.Timeout | undefined;
  if (opts.realtime !== false) {
    let last = performance.now();
    timer = setInterval(() => {
      const now = performance.now();
      // During a clock jump the jump moves time; real time catches up from its end.
      if (!vehicle.busy()) vehicle.tick(Math.min(1000, Math.round(now - last)));
      last = now;
    }, opts.tickMs || 100);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  guard = createLocalGuard(port);
  return {
    url: 'http://127.0.0.1:' + port + '/',
    port,
    token: guard.token,
    vehicle,
    close: () => new Promise<void>((resolve) => {
      if (timer) clearInterval(timer);
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
