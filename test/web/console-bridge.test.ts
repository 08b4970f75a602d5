/**
 * The simulator's console bridge (/ws/console) and the dev-build hook it reaches, without a browser:
 * a line in, what the board printed out; CKB.state() reports the outputs as driven and the inputs
 * as read; the audit log read from Storage and decoded the page's way matches the board's log; a
 * production build has no CKB; foreign origins are refused. The bench protocol (relay-bench-session.ts)
 * runs here with Node's WebCrypto against the simulated bench wiring (8 ms close, 4 ms open).
 */
import { strict as assert } from 'node:assert';
import WebSocket from 'ws';
import * as C from '../../firmware/codes';
import { type SimServer, startServer } from '../../sim/server';
import { type ConsoleLink, benchOpen, boardState, cycle, tryReplay, tryWrongKey } from '../../sim/web/relay-bench-session';
import { importSecret } from '../../sim/web/keycrypto';
import { READ_LOG_LINE, decodeLogDump } from '../../tools/host/logdecode';

/** A ConsoleLink over the bridge, from Node. */
async function bridge(url: string, origin?: string): Promise<ConsoleLink & { ws: WebSocket }> {
  const ws = new WebSocket(url, origin ? { origin } : {});
  const waiting: ((t: string) => void)[] = [];
  ws.on('message', (d) => { const w = waiting.shift(); if (w) w(String(d)); });
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  return { ws, name: 'test', run: (code) => new Promise((r) => { waiting.push(r); ws.send(code); }), close: () => ws.close() };
}

describe('simulator console bridge (/ws/console)', function () {
  this.timeout(60000);

  describe('dev build', () => {
    let server: SimServer;
    let link: ConsoleLink & { ws: WebSocket };
    before(async () => {
      server = await startServer({ port: 0, board: 'puckjs', dev: true, realtime: false, startEpochMs: Date.UTC(2026, 0, 5) });
      link = await bridge(server.url.replace('http', 'ws') + 'ws/console?token=' + server.token);
    });
    after(async () => { link.close(); await server.close(); });

    it('runs a line on the board and returns what it printed, errors included', async () => {
      assert.equal(await link.run('print(typeof CKB); print(1+2)'), 'object\n3\n');
      assert.equal(await link.run('var x = 5'), '');
      assert.match(await link.run('nope()'), /Uncaught ReferenceError/);
    });

    it('CKB.state() follows the relay as driven and the door as read', async () => {
      const car = server.vehicle.car;
      assert.deepEqual(await boardState(link), { relay: 0, drive: 0, door: 0, contact: 0 });
      assert.equal(car.phone(car.keys.owner).unlock().status, C.R_OK);
      car.setDoor(true);
      car.advance(50);
      assert.deepEqual(await boardState(link), { relay: 1, drive: 0, door: 1, contact: 1 });
      car.setDoor(false);
      assert.equal(car.phone(car.keys.owner).lock().status, C.R_OK);
      car.advance(50);
      assert.deepEqual(await boardState(link), { relay: 0, drive: 0, door: 0, contact: 0 });
    });

    it('the audit log read from Storage and decoded matches the board\'s log, newest first', async () => {
      const log = decodeLogDump(await link.run(READ_LOG_LINE));
      const board = server.vehicle.car.auditLog().reverse();
      assert.ok(board.length >= 4);
      assert.deepEqual(log, board);
    });

    it('runs bench cycles timed on the board and refuses a wrong key and a replay', async () => {
      const car = server.vehicle.car;
      const key = { keyId: car.keys.owner.keyId, key: await importSecret(car.keys.owner.secret.slice()) };
      // The server does not tick here: each console line moves the virtual clock 5 ms, as time would pass.
      const ticking: ConsoleLink = { ...link, run: (code) => { server.vehicle.tick(5); return link.run(code); } };
      const b = await benchOpen(ticking, key);
      for (let i = 1; i <= 2; i++) {
        const c = await cycle(b, i);
        assert.equal(c.unlock, 'ok');
        assert.equal(c.lock, 'ok');
        assert.ok(c.closeMs !== null && c.closeMs > 7.9 && c.closeMs < 20, 'close ' + c.closeMs);
        assert.ok(c.openMs !== null && c.openMs > 3.9 && c.openMs < 20, 'open ' + c.openMs);
      }
      const w = await tryWrongKey(b);
      assert.equal(w.refused, true, w.text);
      assert.equal(w.contactMoved, false);
      const r = await tryReplay(b);
      assert.equal(r.refused, true, r.text);
      assert.match(r.text, /^replay: refused/);
      assert.equal(car.relayOn(), false);
    });

    it('refuses a socket from another origin, or without this run\'s token', async () => {
      await assert.rejects(bridge(server.url.replace('http', 'ws') + 'ws/console?token=' + server.token, 'http://evil.example'));
      await assert.rejects(bridge(server.url.replace('http', 'ws') + 'ws/console'));
      await assert.rejects(bridge(server.url.replace('http', 'ws') + 'ws/console?token=' + 'f'.repeat(32)));
    });
  });

  it('a production build answers but has no bench hook', async () => {
    const server = await startServer({ port: 0, board: 'puckjs', realtime: false });
    const link = await bridge(server.url.replace('http', 'ws') + 'ws/console?token=' + server.token);
    try {
      assert.equal(await link.run('print(typeof CKB)'), 'undefined\n');
      await assert.rejects(benchOpen(link, { keyId: 1, key: await importSecret(new Uint8Array(16)) }), /production build/);
    } finally {
      link.close();
      await server.close();
    }
  });
});
