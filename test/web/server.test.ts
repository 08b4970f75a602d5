/**
 * The simulator's web server without a browser: pages and scripts are served, the vehicle socket
 * carries actions and snapshots, the radio socket bridges a web phone key's packets to the car
 * (driven here with the page's own crypto and the board's framing). Only our own pages on this
 * computer get in: a rebinding Host, a foreign Origin, a missing or wrong token are refused
 * (sim/local-guard.ts).
 */
import * as http from 'node:http';
import { strict as assert } from 'node:assert';
import WebSocket from 'ws';
import * as C from '../../firmware/codes';
import { createAnswerReader, fragment } from '../../firmware/frames';
import { hex, unhex } from '../../tools/host/bytes';
import { type SimServer, startServer } from '../../sim/server';
import type { Snapshot } from '../../sim/vehicle';
import { importSecret, readAnswer, signedCommand } from '../../sim/web/keycrypto';
import { OP } from '../../tools/host/protocol';

/** A socket whose messages queue up until asked for. */
async function socket(url: string, origin?: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; next: (pred?: (m: any) => boolean) => Promise<any> }> {
  const ws = new WebSocket(url, origin ? { origin, headers } : { headers });
  const queue: any[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (d) => { queue.push(JSON.parse(String(d))); if (wake) wake(); });
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const next = async (pred: (m: any) => boolean = () => true) => {
    for (;;) {
      const i = queue.findIndex(pred);
      if (i >= 0) return queue.splice(i, 1)[0];
      await new Promise<void>((r) => { wake = r; });
    }
  };
  return { ws, next };
}

describe('simulator web server', function () {
  this.timeout(30000);
  let server: SimServer;
  let base: string;
  let tok: string;
  before(async () => {
    server = await startServer({ port: 0, realtime: false, startEpochMs: Date.UTC(2026, 0, 5) });
    base = server.url.replace('http', 'ws');
    tok = '?token=' + server.token;
  });
  after(() => server.close());

  it('serves both pages, their scripts and the demo key links, on 127.0.0.1', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const [p, re] of [['', /<title>Simulated car/], ['phonekey', /<title>Web phone key/], ['vehicle.js', /WebSocket/], ['phonekey.js', /indexedDB/], ['style.css', /lock-state/]] as const) {
      const r = await fetch(server.url + p);
      assert.equal(r.status, 200, p);
      assert.match(await r.text(), re, p);
    }
    const keys = (await (await fetch(server.url + 'api/demo-keys' + tok)).json()) as { name: string; role: number; keyId: number }[];
    assert.deepEqual(keys.map((k) => [k.name, k.role, k.keyId]), ['owner', 'driver', 'guest'].map((n, i) => [n, i, server.vehicle.car.keys[n].keyId]));
    assert.equal((await fetch(server.url + 'nope')).status, 404);
  });

  it('the vehicle socket runs actions and pushes what the car shows', async () => {
    const { ws, next } = await socket(base + 'ws/vehicle' + tok);
    const first: Snapshot = (await next((m) => m.t === 'state')).s;
    assert.equal(first.state, 'locked');
    ws.send(JSON.stringify({ t: 'act', id: 1, a: { do: 'phone', key: 'guest', op: 'unlock' } }));
    assert.deepEqual(await next((m) => m.t === 'done'), { t: 'done', id: 1, text: 'guest phone unlock: ok' });
    const s: Snapshot = (await next((m) => m.t === 'state' && m.s.state === 'unlocked')).s;
    assert.equal(s.relay, true);
    assert.match(s.log[0].text, /^unlock \u2192 unlocked, key guest$/);
    ws.send(JSON.stringify({ t: 'act', id: 2, a: { do: 'advance', ms: 60000 } }));
    assert.equal((await next((m) => m.t === 'done')).text, 'advanced the clock by 1 min');
    const relocked: Snapshot = (await next((m) => m.t === 'state' && m.s.state === 'locked')).s;
    assert.equal(relocked.log.some((l) => l.event === C.EV_RELOCK_TIMER), true);
    ws.close();
  });

  it('the radio socket bridges a web phone key: HELLO, challenge, signed unlock (its answer PULLed), authentic answer; a server phone takes the link over', async () => {
    const car = server.vehicle.car;
    const { ws, next } = await socket(base + 'ws/radio' + tok);
    // The page's side of the protocol: HELLO once connected, a PULL for each next fragment.
    const r = createAnswerReader(4096);
    const message = async () => {
      for (;;) {
        const m = await next((x) => x.t !== 'connected');
        assert.equal(m.t, 'notify', JSON.stringify(m));
        const got = r.push(unhex(m.data));
        if (got.message) return got.message;
        if (got.pull) ws.send(JSON.stringify({ t: 'write', data: hex(got.pull) }));
      }
    };
    ws.send(JSON.stringify({ t: 'connect' }));
    ws.send(JSON.stringify({ t: 'write', data: '' + hex(fragment(new Uint8Array([1]), 20)[0]) }));
    const key = await importSecret(car.keys.driver.secret.slice());
    const challenge = await readAnswer(key, await message());
    assert.equal(challenge.type, 'challenge');
    for (const p of fragment(await signedCommand(key, car.keys.driver.keyId, challenge.nonce!, OP.UNLOCK), 20)) ws.send(JSON.stringify({ t: 'write', data: hex(p) }));
    const a = await readAnswer(key, await message(), challenge.nonce);
    assert.deepEqual([a.type, a.status, a.authentic], ['response', C.R_OK, true]);
    assert.equal(server.vehicle.snapshot().state, 'unlocked');
    assert.match(server.vehicle.snapshot().radio, /^connected: web phone key/);
    // The owner phone on the vehicle page needs the radio: the bridged phone is told it lost the link.
    assert.equal(server.vehicle.act({ do: 'phone', key: 'owner', op: 'lock' }), 'owner phone lock: ok');
    assert.equal((await next((m) => m.t === 'disconnected')).why, 'another phone took the link');
    ws.close();
  });

  it('a clock jump runs in steps with progress; other actions meanwhile are told to wait, not queued', async () => {
    const { ws, next } = await socket(base + 'ws/vehicle' + tok);
    const before = server.vehicle.car.board.clock.now();
    ws.send(JSON.stringify({ t: 'act', id: 10, a: { do: 'advance', ms: 3600000 } }));
    ws.send(JSON.stringify({ t: 'act', id: 11, a: { do: 'phone', key: 'owner', op: 'unlock' } }));
    const busy = (await next((m) => m.t === 'state' && m.s.busy)).s.busy;
    assert.deepEqual([busy.what, busy.total], ['advancing the clock by 1 h', 3600000]);
    assert.match((await next((m) => m.t === 'done' && m.id === 11)).text, /^busy: advancing the clock by 1 h \(\d+ %\), try again when it is done$/);
    assert.equal((await next((m) => m.t === 'done' && m.id === 10)).text, 'advanced the clock by 1 h');
    assert.equal(server.vehicle.car.board.clock.now() - before, 3600000);
    assert.equal(server.vehicle.busy(), undefined);
    assert.equal(server.vehicle.snapshot().busy, undefined);
    ws.close();
  });

  it('the radio reads off while the power is cut', () => {
    const v = server.vehicle;
    assert.equal(v.act({ do: 'powerCut' }), 'power cut');
    assert.equal(v.snapshot().radio, 'off (no power)');
    assert.equal(v.act({ do: 'tap', card: 'owner-card' }), 'tapped the owner card: nothing happens (the car has no power)');
    assert.equal(v.act({ do: 'powerOn' }), 'power on');
    assert.equal(v.snapshot().radio, 'advertising');
  });

  it('card taps report what the board made of them', () => {
    const v = server.vehicle;
    const first = v.act({ do: 'tap', card: 'owner-card' });
    assert.match(first, /^tapped the owner card: granted: (unlock \u2192 unlocked|lock \u2192 locked)$/);
    assert.match(v.act({ do: 'tap', card: 'cloned-card' }), /^tapped the cloned card: refused \(bad MAC\)$/);
    assert.match(v.act({ do: 'tap', card: 'uid-only-card' }), /^tapped the UID-only card: refused \(unknown key\)$/);
  });

  /** A GET with the headers a browser (or an attacker's page) would send. */
  const get = (p: string, headers: Record<string, string>) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.get(server.url + p, { headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });

  it('the pages carry this run\'s token; the API and the sockets work with it, from loopback names', async () => {
    assert.match(server.token, /^[0-9a-f]{32}$/);
    for (const p of ['', 'phonekey', 'relay-bench']) {
      const r = await get(p, {});
      assert.equal(r.status, 200, p);
      assert.ok(r.body.includes('<meta name="sim-token" content="' + server.token + '">'), p + ' carries the token');
    }
    for (const host of ['127.0.0.1:' + server.port, 'localhost:' + server.port, '[::1]:' + server.port]) {
      assert.equal((await get('api/demo-keys' + tok, { host, origin: 'http://' + host })).status, 200, host);
    }
    const { ws } = await socket(base + 'ws/vehicle' + tok, 'http://localhost:' + server.port, { host: 'localhost:' + server.port });
    ws.close();
  });

  it('refuses a rebinding Host (DNS rebinding): pages, scripts, API and sockets', async () => {
    const host = 'evil.example:' + server.port;
    for (const p of ['', 'phonekey', 'vehicle.js', 'api/demo-keys' + tok, 'api/state' + tok]) {
      const r = await get(p, { host });
      assert.equal(r.status, 403, p);
      assert.ok(!r.body.includes(server.token), p + ' gives no token away');
    }
    // Same-origin for the rebinding page: its Origin matches its Host, which the old check accepted.
    await assert.rejects(socket(base + 'ws/vehicle' + tok, 'http://' + host, { host }));
    await assert.rejects(socket(base + 'ws/radio' + tok, undefined, { host: 'evil.example' }));
    assert.equal((await get('', { host: '127.0.0.1:1' })).status, 403, 'another port is another server');
  });

  it('refuses requests and sockets from pages of another origin', async () => {
    assert.equal((await get('api/demo-keys' + tok, { origin: 'http://evil.example' })).status, 403);
    assert.equal((await get('', { origin: 'http://localhost:3000' })).status, 403, 'another local site is another origin');
    assert.equal((await get('', { origin: 'null' })).status, 403, 'a sandboxed frame or file: page');
    await assert.rejects(socket(base + 'ws/vehicle' + tok, 'http://evil.example'));
    await assert.rejects(socket(base + 'ws/radio' + tok, 'http://evil.example'));
    await assert.rejects(socket(base + 'ws/console' + tok, 'http://evil.example'));
  });

  it('refuses the API and the sockets without this run\'s token, or with a wrong one', async () => {
    const wrong = '?token=' + '0'.repeat(32);
    for (const q of ['', wrong, '?token=' + server.token.slice(1), '?token=']) {
      const r = await get('api/demo-keys' + q, {});
      assert.equal(r.status, 403, 'demo keys with ' + (q || 'no token'));
      assert.ok(!r.body.includes(server.vehicle.car.keys.owner.keyId + ''), 'no key id given away');
      assert.equal((await get('api/state' + q, {})).status, 403, 'state with ' + (q || 'no token'));
      await assert.rejects(socket(base + 'ws/vehicle' + q), 'vehicle socket with ' + (q || 'no token'));
      await assert.rejects(socket(base + 'ws/radio' + q), 'radio socket with ' + (q || 'no token'));
    }
    // The page still loads without a token: that is where a browser gets it.
    assert.equal((await get('', {})).status, 200);
  });

  it('frames, referrers and other methods: our pages cannot be framed by another site', async () => {
    const r = await fetch(server.url);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.match(r.headers.get('content-security-policy') || '', /frame-ancestors 'none'/);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.equal((await fetch(server.url + 'api/demo-keys' + tok, { method: 'POST' })).status, 405);
  });
});
