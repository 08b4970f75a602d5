/**
 * The simulator's radio against Espruino's source (sim/engine/radio-model.ts has the facts): a
 * notification is lost before the central subscribes, during an MTU exchange and when the send
 * queue (1 packet) is full; queued ones reach the central at connection events; the MTU is capped
 * per board; a burst of writes overflows Espruino's 1024-byte event queue. The same board code runs
 * on the VM engine and, where ESPRUINO_BIN is set, inside the real interpreter: the model is shared.
 */
import { strict as assert } from 'node:assert';
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import { createEspruinoBoard } from '../../sim/espruino/board';
import { espruinoBinary } from '../../tools/host/espruino-binary';

const SVC = 'f3c1a000-7b5c-4c2e-9e31-6b6579636b31';
const RX = 'f3c1a001-7b5c-4c2e-9e31-6b6579636b31';
const TX = 'f3c1a002-7b5c-4c2e-9e31-6b6579636b31';
/** Board code: every write is counted and echoed back as one notification (two when it starts with 2). */
const ECHO = `var n = 0;
  var s = {}; s["${SVC}"] = {}; s["${SVC}"]["${RX}"] = { writable: true, maxLen: 244, onWrite: function (e) {
    n++; var d = new Uint8Array(e.data);
    var u = {}; u["${SVC}"] = {}; u["${SVC}"]["${TX}"] = { value: d, notify: true };
    NRF.updateServices(u); if (d[0] === 2) NRF.updateServices(u); } };
  s["${SVC}"]["${TX}"] = { readable: true, notify: true, maxLen: 244, value: [0] };
  NRF.setServices(s, { uart: false });
  global.count = function () { return n; };`;

const bin = espruinoBinary();
const engines: Array<{ name: string; make: (b: BoardConfig) => SimBoard }> = [
  { name: 'VM engine', make: (b) => createSimBoard({ board: b, bundle: ECHO }) },
  { name: 'real-interpreter engine', make: (b) => createEspruinoBoard({ board: b, bundle: ECHO, bin: bin! }) },
];

for (const engine of engines) {
  describe('sim radio like the real one: ' + engine.name, function () {
    this.timeout(60000);
    const open: SimBoard[] = [];
    const make = (id = 'puckjs') => { const b = engine.make(boardById(id)!); open.push(b); return b; };
    before(function () {
      if (engine.name !== 'VM engine' && !bin) {
        console.log('      skipped: set ESPRUINO_BIN to an Espruino interpreter built for Linux (docs/ESPRUINO.md)');
        this.skip();
      }
    });
    afterEach(() => { for (const b of open.splice(0)) b.close(); });

    it('drops notifications until the central subscribes (CCCD), then delivers them', () => {
      const b = make();
      b.nrf.connect();
      b.nrf.write(SVC, RX, [1, 10]);
      b.clock.advance(50);
      assert.equal(b.nrf.notifications.length, 0, 'nothing reaches a central that has not subscribed');
      assert.deepEqual(b.nrf.dropped.map((d) => d.why), ['not subscribed']);
      b.nrf.startNotifications(SVC, TX);
      b.nrf.write(SVC, RX, [1, 11]);
      b.clock.advance(50);
      assert.deepEqual(b.nrf.notifications.map((n) => Array.from(n.data)), [[1, 11]]);
    });

    it('drops notifications while an MTU exchange is under way; the MTU is capped at the board\'s 53', () => {
      const b = make();
      b.nrf.connect();
      b.nrf.startNotifications();
      b.nrf.exchangeMtu(185);
      b.nrf.write(SVC, RX, [1, 12]);
      b.clock.advance(0); // the write reaches the board before the exchange's connection event
      assert.deepEqual(b.nrf.dropped.map((d) => d.why), ['mtu exchange']);
      b.clock.advance(50);
      assert.equal(b.nrf.state.mtu, 53, 'Puck.js: NRF_BLE_MAX_MTU_SIZE=53');
      assert.equal(b.nrf.notifications.length, 0);
      assert.throws(() => b.nrf.write(SVC, RX, new Array(51).fill(1)), /longer than the MTU/);
      b.nrf.write(SVC, RX, new Array(50).fill(1));
      b.clock.advance(50);
      assert.equal(b.nrf.notifications[0].data.length, 50);
    });

    it('holds one notification in its send queue, drops the next, and sends at the connection event', () => {
      const b = make();
      b.nrf.connect();
      const t0 = b.clock.now();
      b.nrf.startNotifications();
      b.nrf.write(SVC, RX, [2, 13]); // the board notifies twice, back to back
      b.clock.advance(50);
      assert.equal(b.nrf.notifications.length, 1, 'one of two back-to-back notifications arrives');
      assert.deepEqual(b.nrf.dropped.map((d) => d.why), ['queue full']);
      const iv = b.nrf.model.intervalMs;
      assert.equal(iv, 7.5);
      const at = b.nrf.notifications[0].at - t0;
      assert.ok(at > 0 && Math.abs(at / iv - Math.round(at / iv)) < 1e-9, 'sent at a connection event, ' + at + ' ms after connecting');
    });

    it('loses writes when Espruino\'s 1024-byte event queue is full (a burst while the board is busy)', () => {
      const b = make();
      b.nrf.connect();
      for (let i = 0; i < 50; i++) b.nrf.write(SVC, RX, new Array(20).fill(i));
      b.clock.advance(50);
      // Each write takes 2 + 3 + 20 bytes; 4 bytes are kept spare: 40 fit.
      assert.equal(b.run('count()'), 40);
      assert.equal(b.nrf.droppedWrites, 10);
    });
  });
}

describe('sim radio: MTU caps per board (Espruino boards/*.py)', () => {
  for (const [id, cap] of [['puckjs', 53], ['puckjs-nfc', 53], ['mdbt42q', 53], ['xiaoble', 131]] as const) {
    it(`${id}: a central asking for 247 gets ${cap}`, () => {
      const b = createSimBoard({ board: boardById(id)!, bundle: ECHO });
      b.nrf.connect();
      b.nrf.setMtu(247);
      assert.equal(b.nrf.state.mtu, cap);
      b.nrf.disconnect();
      b.nrf.connect();
      assert.equal(b.nrf.state.mtu, 23, 'every link starts at 23');
    });
  }
});
