/**
 * A three-car fleet in the simulator, end to end through the registry (issue 19): boards added
 * (each with its own per-board secrets), owner and driver keys issued and provisioned, a ticket
 * shared, a driver revoked (registry + signed list + the board's REVOKE), logs collected from all
 * three with the owner key over the simulated radio, exported as CSV, and every entry the boards'
 * flash holds accounted for in the CSV; a second collection adds nothing.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCar, type SimCar } from '../../sim/car';
import { createRegistry, type Registry } from '../../tools/fleet/registry';
import { addBoard, addKey, boardRecords, boardSecrets, listKeys, newestList, ownerKeyOf, phoneSecret, revoke, setupCodeOf, shareTicket, type BoardRow } from '../../tools/fleet/boards';
import { collectBoard } from '../../tools/fleet/collect';
import { queryLog, storeEntries } from '../../tools/fleet/logstore';
import { logCsv } from '../../tools/fleet/csv';
import { listParse } from '../../firmware/revlist';
import * as C from '../../firmware/codes';
import { FAST_KDF } from './support';


describe('fleet: three cars end to end through the registry', function () {
  this.timeout(120000);
  let dir: string;
  let r: Registry;
  const boards: BoardRow[] = [];
  const cars: SimCar[] = [];
  let owner: { keyId: number; salt: number };
  let driver: { keyId: number; salt: number };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-'));
    r = createRegistry(path.join(dir, 'fleet.db'), 'correct horse battery', { secret: new Uint8Array(32).fill(7), cardMaster: new Uint8Array(16).fill(9) }, FAST_KDF);
    for (const label of ['van-1', 'van-2', 'garage']) boards.push(addBoard(r, { type: 'puckjs', label, firmwareBuild: 'test' }));
    owner = addKey(r, boards, { role: 'owner', perms: 'unlock,lock,drive', label: 'owner' });
    driver = addKey(r, boards, { role: 'driver', perms: 'unlock,lock,drive', label: 'Dana' });
    // Provisioning: each board's flash gets its own secrets and its key records, as `provision write` would.
    for (let i = 0; i < 3; i++) {
      const b = boards[i];
      cars.push(await createCar({ board: 'puckjs', seed: 11 + i, site: { secrets: { ...boardSecrets(r, b), setupCode: setupCodeOf(r, b) }, records: boardRecords(r, b) } }));
    }
  });
  after(() => { r.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('gives each board its own identity, slot and secrets; the setup code is sealed, not plain', () => {
    assert.deepEqual(boards.map((b) => b.slot), [1, 2, 3]);
    const secrets = boards.map((b) => Buffer.from(boardSecrets(r, b).secret).toString('hex'));
    assert.equal(new Set(secrets).size, 3);
    const raw = r.db.prepare('SELECT setup_code FROM boards').all() as { setup_code: Buffer }[];
    for (let i = 0; i < 3; i++) assert.ok(!raw[i].setup_code.includes(Buffer.from(setupCodeOf(r, boards[i]))));
    // Nothing in the file holds the site secret in the clear.
    r.db.pragma('wal_checkpoint(TRUNCATE)');
    assert.ok(!fs.readFileSync(r.file).includes(Buffer.from(r.site.secret)));
  });

  it('the owner key derived from the registry unlocks every car; one board\'s key secret opens no other', () => {
    for (let i = 0; i < 3; i++) {
      const a = cars[i].phone(ownerKeyOf(r, boards[i])).unlock();
      assert.equal(a.status, 0, 'car ' + i + ': ' + a.reason);
      assert.ok(a.authentic);
      assert.ok(cars[i].relayOn());
    }
    // Car 1's secret of the driver key, offered to car 2: refused.
    const wrong = cars[1].phone({ keyId: driver.keyId, secret: phoneSecret(r, boards[0], driver.keyId, driver.salt) }).unlock();
    assert.notEqual(wrong.status, 0);
  });

  it('the driver unlocks, is revoked (registry + list v1 + REVOKE on each board), then is refused everywhere', () => {
    const driverKey = (i: number) => ({ keyId: driver.keyId, secret: phoneSecret(r, boards[i], driver.keyId, driver.salt) });
    for (let i = 0; i < 3; i++) assert.equal(cars[i].phone(driverKey(i)).lock().status, 0);
    const res = revoke(r, driver.keyId);
    assert.equal(res.boards, 3);
    const parsed = listParse(new Uint8Array(res.list!.bytes));
    assert.ok(typeof parsed !== 'number' && parsed.version === 1);
    assert.deepEqual(JSON.parse(newestList(r)!.ids), [driver.keyId]);
    for (let i = 0; i < 3; i++) {
      assert.equal(listKeys(r, boards[i], 'revoked').length, 1);
      // Today's boards take the revocation from the owner's phone (v1 op REVOKE); the list travels once phase 2 lands.
      assert.equal(cars[i].phone(ownerKeyOf(r, boards[i])).revoke(driver.keyId).status, 0);
      const a = cars[i].phone(driverKey(i)).unlock();
      assert.equal(a.status, C.R_REVOKED, 'car ' + i + ': ' + a.reason);
    }
  });

  it('shares a 24-hour driver ticket for two cars, recorded per board', () => {
    const now = Math.floor(Date.now() / 1000);
    const t = shareTicket(r, { boards: [boards[0], boards[1]], role: 'driver', perms: 'unlock,lock', notBefore: now, notAfter: now + 86400, label: 'Sam' });
    assert.match(t.fragment, /^#v=2&k=\d+&b=/);
    assert.equal(listKeys(r, boards[0]).filter((k) => k.kind === 'ticket').length, 1);
    assert.equal(listKeys(r, boards[2]).filter((k) => k.kind === 'ticket').length, 0);
    // The fragment holds the guest's secrets; the registry keeps only the ticket body (MACed, not secret).
    const row = listKeys(r, boards[0]).find((k) => k.kind === 'ticket')!;
    assert.equal(row.ticket, Buffer.from(t.key.ticket!).toString('hex'));
  });

  it('a guest unlocks with the ticket (documented v2 flow)', function () {
    // docs/KEYS-THAT-TRAVEL.md: HELLO v2 -> CHALLENGE v2 -> TICKET COMMAND (body | tag | MAC under the
    // guest's per-board secret). Today's boards answer HELLO v1 only: the phase-2 wiring of
    // firmware/ticketbook.ts and travelmsg.ts into firmware/phonekey.ts has not landed.
    console.log('    (skipped: boards do not accept v2 tickets yet: the phase-2 wiring of firmware/ticketbook.ts into firmware/phonekey.ts, issue 17)');
    this.skip();
  });

  it('collects the logs of all three cars, exports CSV with every entry the boards hold, and a second collection adds nothing twice', async () => {
    const collect = async (i: number) => {
      const phone = cars[i].phone(ownerKeyOf(r, boards[i]));
      return collectBoard(r, boards[i], (op, args) => phone.run(op, args));
    };
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const res = await collect(i);
      assert.ok(res.added > 0 && res.added === res.read, JSON.stringify(res));
      assert.match(res.firmware || '', /^\d+\.\d+\.\d+/, 'STATUS gave the firmware version');
      total += res.added;
    }
    const csvOf = () => logCsv(queryLog(r, {}), new Map(boards.map((b) => [b.id, b])));
    const lines = csvOf().trimEnd().split('\r\n');
    assert.equal(lines[0].split(',')[0], 'board');
    assert.equal(lines.length - 1, total);
    const inCsv = new Set(lines.slice(1).map((l) => { const f = l.split(','); return f[0] + '#' + f[2]; }));
    const owner0 = owner.keyId;
    for (let i = 0; i < 3; i++) {
      // Ground truth: the board's own flash, every entry in the CSV once (the board logs each READ
      // LOG before answering it, so the last page holds the last read's own entry too).
      const flash = cars[i].auditLog();
      const missing = flash.filter((e) => !inCsv.has(boards[i].label + '#' + e.seq));
      assert.deepEqual(missing, []);
      assert.equal(lines.filter((l) => l.startsWith(boards[i].label + ',')).length, flash.length);
      assert.equal(flash[flash.length - 1].keyId, owner0, 'the last entry is the owner reading the log');
      // The owner's and driver's grants and the driver's refusal after the revocation are all there.
      const rows = queryLog(r, { board: boards[i].id });
      assert.ok(rows.some((e) => e.event === C.LOG_GRANTED && e.key_id === driver.keyId));
      assert.ok(rows.some((e) => e.event === C.LOG_DENIED && e.reason === C.R_REVOKED && e.key_id === driver.keyId));
    }
    // Again: only what the boards logged since (the reads' own entries), nothing twice.
    for (let i = 0; i < 3; i++) {
      const before = queryLog(r, { board: boards[i].id }).length;
      const flashBefore = cars[i].auditLog().length;
      const again = await collect(i);
      assert.ok(again.added >= 1 && again.read > again.added - 1, JSON.stringify(again));
      assert.equal(queryLog(r, { board: boards[i].id }).length, before + again.added);
      assert.ok(before === flashBefore && before + again.added === cars[i].auditLog().length);
      // Re-storing a whole page already stored adds nothing.
      assert.equal(storeEntries(r, boards[i].id, cars[i].auditLog().slice(0, 8)), 0);
    }
    const dup = r.db.prepare('SELECT count(*) AS n, count(DISTINCT board || \':\' || seq) AS d FROM log').get() as { n: number; d: number };
    assert.equal(dup.n, dup.d);
    assert.ok((r.db.prepare('SELECT last_seen FROM boards').all() as { last_seen: number }[]).every((b) => b.last_seen > 0));
  });
});
