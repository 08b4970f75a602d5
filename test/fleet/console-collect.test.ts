/**
 * Collection over the USB console (tools/fleet/collect.ts collectConsole): a simulated xiaoble
 * board provisioned from the registry, its console on a TCP port (sim/console-server.ts, which the
 * espruino package reaches as it reaches a serial port), read by `npm run fleet -- collect
 * --console tcp://...` (in-process) after a collection over the air: the console adds exactly what
 * the air collection had not stored, the registry then holds every entry the board's flash holds,
 * and a second console collection adds nothing (reading the console logs nothing on the board).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCar } from '../../sim/car';
import { startConsoleServer } from '../../sim/console-server';
import { main as fleet } from '../../tools/fleet/cli';
import { createRegistry, openRegistry } from '../../tools/fleet/registry';
import { addBoard, addKey, boardByName, boardRecords, ownerKeyOf, phoneSecret, setupCodeOf } from '../../tools/fleet/boards';
import { collectBoard, collectConsole } from '../../tools/fleet/collect';
import { queryLog } from '../../tools/fleet/logstore';
import { newSiteData } from '../../tools/host/provision/sitefile';
import { CliError } from '../../tools/host/cli-error';
import { openEspruinoLink } from '../../tools/provision/link';
import * as C from '../../firmware/codes';
import { FAST_KDF } from './support';

const PASS = 'fleet console collection';

describe('fleet: collection over the USB console (the simulator\'s TCP console)', function () {
  this.timeout(180000);
  let dir: string;
  let saved: string | undefined;
  before(() => {
    saved = process.env.CARKEY_PASSPHRASE;
    process.env.CARKEY_PASSPHRASE = PASS;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-console-'));
  });
  after(() => {
    if (saved === undefined) delete process.env.CARKEY_PASSPHRASE; else process.env.CARKEY_PASSPHRASE = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the console adds what the air collection had not stored; every entry of the board is then in the registry once', async () => {
    const reg = path.join(dir, 'fleet.db');
    const r = createRegistry(reg, PASS, newSiteData(), FAST_KDF);
    let b = addBoard(r, { type: 'xiaoble', label: 'van' });
    addKey(r, [b], { role: 'owner', perms: 'unlock,lock,drive', label: 'owner' });
    const dana = addKey(r, [b], { role: 'driver', perms: 'unlock,lock', label: 'Dana' });
    const car = await createCar({ board: 'xiaoble', seed: 31, boardId: Buffer.from(b.board_id, 'hex'), site: { secrets: { ...r.site, setupCode: setupCodeOf(r, b) }, records: boardRecords(r, b) } });
    const danaKey = { keyId: dana.keyId, secret: phoneSecret(r, b, dana.keyId, dana.salt) };
    for (let i = 0; i < 3; i++) { assert.equal(car.phone(danaKey).unlock().status, C.R_OK); car.advance(2000); assert.equal(car.phone(danaKey).lock().status, C.R_OK); car.advance(2000); }
    const owner = car.phone(ownerKeyOf(r, b));
    const air = await collectBoard(r, b, (op, args) => owner.run(op, args));
    assert.ok(air.added > 0);
    owner.disconnect();
    // More happens after the air collection: a refusal (drive is not Dana's) and grants.
    assert.equal(car.phone(danaKey).drive().status, C.R_NOT_PERMITTED);
    car.advance(2000);
    for (let i = 0; i < 5; i++) { assert.equal(car.phone(danaKey).unlock().status, C.R_OK); car.advance(2000); }
    const flash = car.auditLog();
    const stored = queryLog(r, { board: b.id }).length;
    assert.ok(flash.length > stored, 'the board logged entries since');
    r.close();

    const server = await startConsoleServer({ board: car.config, sim: car.board });
    try {
      const lines: string[] = [];
      const code = await fleet(['collect', '--registry', reg, '--board', 'van', '--console', server.url], (s) => lines.push(s));
      assert.equal(code, 0, lines.join('\n'));
      assert.match(lines.join('\n'), new RegExp('van: read ' + flash.length + ' entries over the console, ' + (flash.length - stored) + ' new'));
      const r2 = openRegistry(reg, PASS);
      try {
        b = boardByName(r2, 'van');
        const rows = queryLog(r2, { board: b.id });
        const key = (e: { seq: number; time: number; event: number; reason: number; keyId?: number; key_id?: number }) => [e.seq, e.time, e.event, e.reason, e.keyId ?? e.key_id].join(':');
        assert.deepEqual(rows.map(key).sort(), flash.map(key).sort(), 'the registry holds exactly the board\'s entries, each once');
        assert.ok(rows.some((e) => e.event === C.LOG_DENIED && e.reason === C.R_NOT_PERMITTED && e.key_id === dana.keyId));
        // Again, through the console link directly: nothing new (reading the console logs nothing).
        const link = await openEspruinoLink(server.url);
        try {
          const again = await collectConsole(r2, b, link);
          assert.deepEqual({ read: again.read, added: again.added }, { read: flash.length, added: 0 });
          await assert.rejects(collectConsole(r2, b, { run: async () => 'Uncaught ReferenceError' }), (e: Error) => e instanceof CliError && /printed no log files/.test(e.message));
        } finally { await link.close(); }
        assert.equal(queryLog(r2, { board: b.id }).length, flash.length);
      } finally { r2.close(); }
    } finally { await server.close(); }
  });
});
