/**
 * The simulator's web server without a browser: pages and scripts are served, the vehicle socket
 * carries actions and snapshots, the radio socket bridges a web phone key's packets to the car
 * (driven here with the page's own crypto and the board's framing), and foreign origins are refused.
 */
import { strict as assert } from 'node:assert';
import WebSocket from 'ws';
import * as C from '../../firmware/codes';
import { createAnswerReader, fragment } from '../../firmware/frames';
import { hex, unhex } from '../../sim/hex';
import { type SimServer, startServer } from '../../sim/server';
import type { Snapshot } from '../../sim/vehicle';
import { importSecret, readAnswer, signedCommand } from '../../sim/web/keycrypto';
import { OP } from '../../tools/phonekey/protocol';

/** A socket whose messages queue up until asked for. */
async function socket(url: string, origin?: string): Promise<{ ws: WebSocket; next: (pred?: (m: any) => boolean) => Promise<any> }> {
  const ws = new WebSocket(url, origin ? { origin } : {});
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
  before(async () => {
    server = await startServer({ port: 0, realtime: false, startEpochMs: Date.UTC(2026, 0, 5) });
    base = server.url.replace('http', 'ws');
  });
  after(() => server.close());

  it('serves both pages, their scripts and the demo key links, on 127.0.0.1', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const [p, re] of [['', /<title>Simulated car/], ['phonekey', /<title>Web phone key/], ['vehicle.js', /WebSocket/], ['phonekey.js', /indexedDB/], ['style.css', /lock-state/]] as const) {
      const r = await fetch(server.url + p);
      assert.equal(r.status, 200, p);
      assert.match(await r.text(), re, p);
    }
    const keys = (await (await fetch(server.url + 'api/demo-keys')).json()) as { name: string; role: number; keyId: number }[];
    assert.deepEqual(keys.map((k) => [k.name, k.role, k.keyId]), ['owner', 'driver', 'guest'].map((n, i) => [n, i, server.vehicle.car.keys[n].keyId]));
    assert.equal((await fetch(server.url + 'nope')).status, 404);
  });

  it('the vehicle socket runs actions and pushes what the car shows', async () => {
    const { ws, next } = await socket(base + 'ws/vehicle');
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
    const { ws, next } = await socket(base + 'ws/radio');
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

  it('refuses sockets opened by pages of another origin', async () => {
    await assert.rejects(socket(base + 'ws/vehicle', 'http://evil.example'));
    await assert.rejects(socket(base + 'ws/radio', 'http://evil.example'));
  });
});
