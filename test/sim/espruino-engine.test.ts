/**
 * The second engine: the production bundle inside a real Espruino interpreter (ESPRUINO_BIN),
 * peripherals simulated on the Node side. Skipped, saying so, where there is no interpreter (CI).
 * Each board's firmware gets exactly that board's variables (a ballast holds back the rest), so
 * running out of memory here means running out on the board.
 */
import { strict as assert } from 'node:assert';
import { espruinoBinary } from '../../tools/host/espruino-binary';
import { boardById } from '../../hal/boards/index';
import { firmwareFor, createCar } from '../../sim/car';
import { createEspruinoBoard, interpreterBudget, variablesNeeded } from '../../sim/espruino/board';
import { firmwareShare, type SimBoard } from '../../sim/engine/board';
import { scenarios } from '../../sim/scenarios/index';
import { runScenario } from '../../sim/scenario';
import * as C from '../../firmware/codes';
import { ENTRY_SIZE } from '../../firmware/auditlog';
import { OP } from '../../tools/host/protocol';
import { checkDialect } from '../../tools/host/build/dialect-guard';

const bin = espruinoBinary();

describe('real-interpreter engine (ESPRUINO_BIN)', function () {
  // hostile-car-park takes about 3.5 min of real time in the interpreter on this machine.
  this.timeout(600000);
  const open: SimBoard[] = [];
  const board = (id: string, bundle: string, timeoutMs?: number) => {
    const b = createEspruinoBoard({ board: boardById(id)!, bundle, bin: bin!, timeoutMs });
    open.push(b);
    return b;
  };

  before(function () {
    if (!bin) {
      console.log('      skipped: set ESPRUINO_BIN to an Espruino interpreter built for Linux (docs/ESPRUINO.md)');
      this.skip();
    }
  });
  afterEach(() => { for (const b of open.splice(0)) b.close(); });

  it('boots the production bundle from its own Storage as a board does, with exactly the board\'s variables', async () => {
    const config = boardById('puckjs')!;
    const b = board('puckjs', await firmwareFor(config));
    assert.match(b.consoleText(), /carkey \S+ on puckjs: locked/);
    assert.deepEqual(b.uncaught, []);
    assert.equal(b.storage.read('.bootcde'), await firmwareFor(config), 'the bundle is what Storage holds');
    assert.equal(b.pins.output(config.pins.relay), config.relayActiveHigh ? 0 : 1, 'relay driven off');
    assert.ok(b.watchdog.enabled && b.watchdog.timeoutMs === 10000 && !b.watchdog.auto);
    assert.equal(b.nrf.uartExposed, false, 'production build: no Bluetooth console');
    const m = b.memory()!;
    const f = firmwareShare(m);
    if (m.total - m.prelude >= config.variables) assert.equal(m.free + f.usage, config.variables, 'free is what the board would have free');
    assert.ok(f.usage > 500 && f.usage < config.variables, 'the firmware\'s share ' + f.usage);
  });

  for (const sc of scenarios) {
    it(`scenario ${sc.name} passes with the firmware in the real interpreter`, async function () {
      const config = boardById(sc.options.board || 'puckjs')!;
      const need = variablesNeeded(bin!, config);
      if (interpreterBudget(bin!).total < need) {
        console.log(`      skipped: ${config.id} needs an interpreter with ${need} variables (the board's ${config.variables} + the prelude's); this one has ${interpreterBudget(bin!).total}`);
        this.skip();
      }
      const out = await runScenario(sc, 'espruino');
      assert.ok(out.ok, out.failure + '\n' + out.timeline.join('\n'));
      assert.ok(out.memory && out.memory.usage > 0, 'reports process.memory()');
    });
  }

  // A story that only just fits would fail on a board whose own stack or radio needs a little more
  // than the simulation: each one must also pass with MARGIN variables fewer than its board has
  // (issue 15: 200; docs/PERFORMANCE.md "Memory to spare" has the measured peaks).
  const MARGIN = 200;
  for (const sc of scenarios) {
    it(`scenario ${sc.name} still passes with ${MARGIN} variables fewer than its board has`, async function () {
      const config = boardById(sc.options.board || 'puckjs')!;
      if (interpreterBudget(bin!).total < variablesNeeded(bin!, config) - MARGIN) this.skip();
      const out = await runScenario(sc, 'espruino', config.variables - MARGIN);
      assert.ok(out.ok, out.failure + '\n' + out.timeline.join('\n'));
    });
  }

  it('the same story writes the same audit log on both engines', async () => {
    const story = (engine: 'vm' | 'espruino') => async () => {
      const car = await createCar({ board: 'puckjs', demo: true, engine });
      try {
        const owner = car.phone(car.keys.owner);
        owner.unlock();
        car.advance(15000);
        car.phone({ keyId: car.keys.guest.keyId, secret: new Uint8Array(16) }).unlock();
        car.setDoor(true);
        car.advance(2000);
        car.setDoor(false);
        owner.lock();
        // The boots before the story differ with how each engine provisions (the real interpreter
        // after its first boot, which makes no journal yet: firmware/core.ts): the story from its first entry.
        const log = car.auditLog().map((e) => [e.event, e.result, e.reason, e.keyId]);
        while (log.length && log[0][0] === C.EV_BOOT) log.shift();
        return log;
      } finally { car.board.close(); }
    };
    const real = await story('espruino')();
    assert.deepEqual(real, await story('vm')());
    assert.ok(real.some((e) => e[0] === C.LOG_DENIED && e[2] === C.R_BAD_MAC), 'the wrong key was refused');
  });

  it('a power cut at any write of a key update leaves the real Storage with a working key table', async function () {
    for (let n = 1; n <= 4; n++) {
      const car = await createCar({ board: 'puckjs', demo: true, engine: 'espruino' });
      try {
        const owner = car.phone(car.keys.owner);
        owner.connect();
        car.board.storage.cutPowerAtWrite(n, 0.5);
        try { owner.addKey({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, label: 'Cut' + n }); } catch { /* no answer: the power went */ }
        if (!car.board.dead) continue; // the update took fewer writes than n
        car.powerOn();
        assert.equal(car.relayOn(), false, `write ${n}: relay off after power returns`);
        assert.equal(car.phone(car.keys.owner).unlock().status, C.R_OK, `write ${n}: the owner still unlocks`);
        assert.equal(car.phone(car.keys.driver).unlock().status, C.R_OK, `write ${n}: so does the driver`);
      } finally { car.board.close(); }
    }
  });

  it('a main loop that stops kicking the watchdog is reset by it', async () => {
    const b = board('puckjs', await firmwareFor(boardById('puckjs')!));
    b.run('clearTimeout()'); // every timer gone: the main loop with it
    b.clock.advance(11000);
    assert.ok(b.resets.some((r) => r.reason === 'watchdog'), JSON.stringify(b.resets));
    assert.match(b.consoleText(), /carkey \S+ on puckjs: locked[\s\S]*carkey \S+ on puckjs: locked/, 'booted again');
  });

  it('code that never returns is a hung board: the watchdog takes it down and it boots again', async () => {
    const b = board('puckjs', await firmwareFor(boardById('puckjs')!), 1500);
    b.run('for(;;){}');
    b.clock.advance(10);
    assert.ok(b.uncaught.some((u) => /^hung/.test(u)), b.uncaught.join('; '));
    assert.ok(b.resets.some((r) => r.reason === 'watchdog'));
    assert.equal(b.dead, false);
    assert.equal(b.run('1+1'), 2, 'the new boot answers');
  });

  it('what the interpreter lacks fails here as on the board: a Map in the bundle', () => {
    const b = board('puckjs', 'var m = new Map(); print("survived");');
    assert.ok(b.uncaught.some((u) => /Map/.test(u)), b.uncaught.join('; '));
    assert.doesNotMatch(b.consoleText(), /survived/);
  });

  it('a function ending in a bare `return` throws on the interpreter, and the dialect guard rejects it', () => {
    // Espruino stores a body without its closing brace: the `return` reads on into the end of input.
    const bad = 'function f(x){for(;;)if(x)return}';
    const b = board('puckjs', bad + ' f(1); print("survived");');
    assert.ok(b.uncaught.some((u) => /Unexpected end of Input/.test(u)), b.uncaught.join('; '));
    assert.doesNotMatch(b.consoleText(), /survived/);
    assert.ok(checkDialect(bad).some((v) => v.rule === 'return-at-end'), 'the build refuses what the board cannot run');
    const ok = 'function g(x){for(;;)if(x)return;} function h(x){if(x){return}x++} function k(){return} g(1); h(1); h(0); k(); print("survived");';
    assert.deepEqual(checkDialect(ok), []);
    const b2 = board('puckjs', ok);
    assert.deepEqual(b2.uncaught, []);
    assert.match(b2.consoleText(), /survived/, 'what the guard passes runs');
  });

  it('the owner reads the log from the journal (the owner unit\'s reader, journal pages in flash)', async () => {
    const car = await createCar({ board: 'puckjs', demo: true, engine: 'espruino' });
    try {
      const owner = car.phone(car.keys.owner);
      owner.connect();
      assert.equal(owner.unlock().status, C.R_OK);
      const log = owner.run(OP.READ_LOG, new Uint8Array([0, 0, 0, 0]));
      assert.equal(log.status, C.R_OK, 'READ_LOG answers; the board said: ' + car.board.consoleText().slice(-300));
      const inFlash = Math.min(8, car.auditLog(0).length);
      assert.ok(inFlash >= 2 && !!log.data && log.data.length === inFlash * ENTRY_SIZE, 'all ' + inFlash + ' entries');
    } finally { car.board.close(); }
  });

  it('the prelude keeps Espruino\'s timer quirks: clearTimeout(undefined) throws, ids are small and reused', () => {
    const b = board('puckjs', '1;');
    assert.equal(b.run('(function(){try{clearTimeout(undefined);return "no"}catch(e){return "threw"}})()'), 'threw');
    assert.deepEqual(b.run('var a=setTimeout(function(){},5),c=setTimeout(function(){},5);clearTimeout(c);[a,c,setTimeout(function(){},5)]'), [1, 2, 2]);
  });
});
