/**
 * A three-car fleet in the simulator, end to end through the registry (issue 19): three xiaoble
 * boards (protocol v2) added, each provisioned with its own per-board secrets and the key records
 * the registry holds; owner and driver keys; a ticket shared by the registry opens the two boards
 * it names and not the third; a driver and the ticket revoked in the registry, the newest signed
 * list carried to a board by another key's visit (LIST), after which that board refuses both; logs
 * collected from all three with the owner key over the simulated radio, exported as CSV, every
 * entry the boards' flash holds accounted for (the ticket's grants and the refusals the list
 * caused among them); a second collection adds nothing twice.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCar, type SimCar } from '../../sim/car';
import { createRegistry, type Registry } from '../../tools/fleet/registry';
import { addBoard, addKey, boardRecords, boardSecrets, listKeys, newestList, ownerKeyOf, ownerTravelKey, phoneSecret, revoke, setupCodeOf, shareTicket, travelKeyOf, type BoardRow } from '../../tools/fleet/boards';
import { collectBoard } from '../../tools/fleet/collect';
import { queryLog, storeEntries } from '../../tools/fleet/logstore';
import { logCsv } from '../../tools/fleet/csv';
import { listParse, listVersionOf } from '../../firmware/revlist';
import { type TravelKey, parseClientKey, travelKeyJson } from '../../tools/host/travelkey';
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
  let erin: { keyId: number; salt: number };
  let ticket: TravelKey;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-'));
    r = createRegistry(path.join(dir, 'fleet.db'), 'correct horse battery', { secret: new Uint8Array(32).fill(7), cardMaster: new Uint8Array(16).fill(9) }, FAST_KDF);
    // xiaoble: the build that speaks protocol v2 (tickets, lists); the 40 KB boards stay v1.
    for (const label of ['van-1', 'van-2', 'garage']) boards.push(addBoard(r, { type: 'xiaoble', label, firmwareBuild: 'test' }));
    owner = addKey(r, boards, { role: 'owner', perms: 'unlock,lock,drive', label: 'owner' });
    driver = addKey(r, boards, { role: 'driver', perms: 'unlock,lock,drive', label: 'Dana' });
    erin = addKey(r, boards, { role: 'driver', perms: 'unlock,lock', label: 'Erin' });
    // Provisioning: each board's flash gets its identity, its own secrets (derived from the site's by
    // the provisioning path, tools/host/provision/site.ts boardSite), its setup code and its key records.
    for (let i = 0; i < 3; i++) {
      const b = boards[i];
      cars.push(await createCar({ board: 'xiaoble', seed: 11 + i, boardId: Buffer.from(b.board_id, 'hex'), site: { secrets: { ...r.site, setupCode: setupCodeOf(r, b) }, records: boardRecords(r, b) } }));
    }
  });
  after(() => { r.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('gives each board its own identity, slot and secrets; the setup code is sealed, not plain', () => {
    assert.deepEqual(boards.map((b) => b.slot), [1, 2, 3]);
    // What each board's flash holds is what the registry derives for it: its own secrets, never the site's.
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(Buffer.from(cars[i].site.secret), Buffer.from(boardSecrets(r, boards[i]).secret));
      assert.deepEqual(Buffer.from(cars[i].site.cardMaster), Buffer.from(boardSecrets(r, boards[i]).cardMaster));
      assert.equal(Buffer.from(cars[i].boardId!).toString('hex'), boards[i].board_id);
    }
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

  it('shares a 24-hour driver ticket for two cars, recorded per board', () => {
    const now = Math.floor(Date.now() / 1000);
    const t = shareTicket(r, { boards: [boards[0], boards[1]], role: 'driver', perms: 'unlock,lock', notBefore: now, notAfter: now + 86400, label: 'Sam' });
    assert.match(t.fragment, /^#v=2&k=\d+&b=/);
    assert.equal(listKeys(r, boards[0]).filter((k) => k.kind === 'ticket').length, 1);
    assert.equal(listKeys(r, boards[2]).filter((k) => k.kind === 'ticket').length, 0);
    // The fragment holds the guest's secrets; the registry keeps only the ticket body (MACed, not secret).
    const row = listKeys(r, boards[0]).find((k) => k.kind === 'ticket')!;
    assert.equal(row.ticket, Buffer.from(t.key.ticket!).toString('hex'));
    ticket = parseClientKey(t.fragment) as TravelKey;
    assert.equal(ticket.keyId, t.ticketId);
  });

  it('a guest unlocks with the ticket on the two boards it names, and not on the third', () => {
    for (const i of [0, 1]) {
      const guest = cars[i].phone(ticket);
      const a = guest.unlock();
      assert.equal(a.status, C.R_OK, 'car ' + i + ': ' + a.reason);
      assert.ok(a.authentic && cars[i].relayOn());
      assert.equal(guest.challenge!.version, 2, 'the board answered HELLO with a v2 CHALLENGE');
      assert.equal(guest.lock().status, C.R_OK);
      // Within the ticket's permissions only: unlock and lock, not drive.
      assert.equal(guest.drive().status, C.R_NOT_PERMITTED);
    }
    // Car 3 is not on the ticket: the phone has no secret for it and says so...
    assert.throws(() => cars[2].phone(ticket).unlock(), /does not open this car/);
    // ...and the board refuses car 1's part of the ticket offered as if it were its own.
    assert.equal(cars[2].phone(ownerKeyOf(r, boards[2])).lock().status, C.R_OK);
    assert.ok(!cars[2].relayOn());
    const forged: TravelKey = { ...ticket, boards: [{ ...ticket.boards[0], boardId: cars[2].boardId! }] };
    const f = cars[2].phone(forged).unlock();
    assert.notEqual(f.status, C.R_OK);
    assert.ok(!cars[2].relayOn());
    cars.forEach((c) => c.advance(15000));
  });

  it('a revocation in the registry travels: another key carries the newest list to a board, which then refuses the driver and the ticket', () => {
    const driverKey = (i: number) => ({ keyId: driver.keyId, secret: phoneSecret(r, boards[i], driver.keyId, driver.salt) });
    for (let i = 0; i < 3; i++) assert.equal(cars[i].phone(driverKey(i)).lock().status, C.R_OK);
    const res = revoke(r, driver.keyId);
    assert.equal(res.boards, 3);
    const v1 = listParse(new Uint8Array(res.list!.bytes));
    assert.ok(typeof v1 !== 'number' && v1.version === 1);
    const res2 = revoke(r, ticket.keyId);
    assert.equal(res2.boards, 2);
    assert.deepEqual(JSON.parse(newestList(r)!.ids).sort(), [driver.keyId, ticket.keyId].sort());
    for (let i = 0; i < 3; i++) assert.equal(listKeys(r, boards[i], 'revoked').length, i < 2 ? 2 : 1);
    // Erin's v2 key as the registry hands it out (a key file or link) carries list version 2.
    const erinKey = travelKeyOf(r, erin.keyId);
    assert.equal(listVersionOf(Buffer.from(erinKey.list!).toString('latin1')), 2);
    assert.deepEqual(parseClientKey(travelKeyJson(erinKey)), erinKey, 'the key file says the same key');
    // Before any visit, car 1 still opens for both: nothing reached it yet.
    assert.equal(cars[0].phone(driverKey(0)).unlock().status, C.R_OK);
    cars[0].advance(15000);
    const erin0 = cars[0].phone(erinKey);
    assert.equal(erin0.challenge, undefined);
    assert.equal(erin0.unlock().status, C.R_OK);
    // Car 1 held no list: Erin's phone handed it version 2 (LIST), which it adopted (LISTED).
    assert.ok(erin0.lastSync && erin0.lastSync.did === 'sent', 'Erin\'s phone handed list version 2 to car 1: ' + JSON.stringify(erin0.lastSync));
    assert.equal(erin0.lastSync!.answer.listVersion, 2);
    cars[0].advance(15000);
    const d = cars[0].phone(driverKey(0)).unlock();
    assert.equal(d.status, C.R_REVOKED, 'car 1 refuses the revoked driver: ' + d.reason);
    const t = cars[0].phone(ticket).unlock();
    assert.equal(t.status, C.R_REVOKED, 'car 1 refuses the revoked ticket: ' + t.reason);
    assert.ok(!cars[0].relayOn());
    // Car 2, which no key has visited since, still opens for the ticket (lists travel as keys visit);
    // the owner's key from the registry carries the list there too.
    assert.equal(cars[1].phone(ticket).unlock().status, C.R_OK);
    cars[1].advance(15000);
    const own1 = cars[1].phone(ownerTravelKey(r));
    assert.equal(own1.lock().status, C.R_OK);
    assert.ok(own1.lastSync && own1.lastSync.did === 'sent');
    cars[1].advance(15000);
    assert.equal(cars[1].phone(ticket).unlock().status, C.R_REVOKED);
    assert.equal(cars[1].phone(driverKey(1)).unlock().status, C.R_REVOKED);
    // The owner always gets in, at once.
    for (let i = 0; i < 3; i++) assert.equal(cars[i].phone(ownerKeyOf(r, boards[i])).unlock().status, C.R_OK);
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
      // The driver's grants; on the two cars the list reached, the refusals it caused (driver and
      // ticket); the ticket's grants under its id on the cars it names, none on the third.
      const rows = queryLog(r, { board: boards[i].id });
      const has = (event: number, keyId: number, reason?: number) => rows.some((e) => e.event === event && e.key_id === keyId && (reason === undefined || e.reason === reason));
      assert.ok(has(C.LOG_GRANTED, driver.keyId), 'car ' + i + ': the driver\'s grant');
      assert.equal(has(C.LOG_DENIED, driver.keyId, C.R_REVOKED), i < 2, 'car ' + i + ': the driver refused as revoked');
      assert.equal(has(C.LOG_GRANTED, ticket.keyId), i < 2, 'car ' + i + ': the ticket\'s grants');
      assert.equal(has(C.LOG_DENIED, ticket.keyId, C.R_REVOKED), i < 2, 'car ' + i + ': the ticket refused as revoked');
      assert.ok(has(C.LOG_GRANTED, erin.keyId) === (i === 0), 'car ' + i + ': Erin visited car 1 only');
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
