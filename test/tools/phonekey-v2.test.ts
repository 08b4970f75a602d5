/**
 * The command-line phone key speaking protocol v2 (tools/phonekey) against the test-only stand-in
 * board (test/support/v2-board.ts: the firmware's v2 functions over packets and PULLs): a v2 owner
 * key file with a secret per board, `share` making a ticket offline whose file and link open the
 * boards it names, `revoke --travel` making list versions in the owner's file, lists handed over
 * and taken on each visit, and the clear one-line failures (v1 board, foreign board, version
 * mismatch, a ticket that tries to share, files that exist or cannot be written).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as C from '../../firmware/codes';
import { listVersionOf } from '../../firmware/revlist';
import { main } from '../../tools/phonekey/cli';
import { type SimServer, startServer } from '../../sim/server';
import { type TravelKey, newBoardId, phoneKeyParts } from '../../tools/host/travel';
import { parseClientKey, travelKeyJson } from '../../tools/host/travelkey';
import { V1_BOARD } from '../../tools/host/visit';
import { type StandInBoard, standInBoard, standInLink } from '../support/v2-board';
import { key } from '../support/keys';

const SITE = Uint8Array.from({ length: 32 }, (_, i) => 7 * i);
const OWNER = key(0x0a0a0001, C.ROLE_OWNER, { perms: 7 });
const DRIVER = key(0x0d0d0002, C.ROLE_DRIVER, { perms: 7 });
const ids = [1, 2, 3].map((s) => newBoardId(s));

describe('command-line phone key, protocol v2 (against a stand-in v2 board)', function () {
  this.timeout(30000);
  let dir: string;
  let cars: StandInBoard[];
  const file = (name: string, k: TravelKey | object) => {
    const f = path.join(dir, name + '.json');
    fs.writeFileSync(f, 'boards' in k ? travelKeyJson(k as TravelKey) : JSON.stringify(k));
    return f;
  };
  const ownerFile = () => file('owner', { keyId: OWNER.id, label: 'owner', boards: phoneKeyParts(SITE, ids, OWNER.id, OWNER.salt) });
  const driverFile = () => file('driver', { keyId: DRIVER.id, label: 'driver', boards: phoneKeyParts(SITE, ids, DRIVER.id, DRIVER.salt) });
  /** Runs the CLI at car `slot` (or an offline command); its output lines and exit code. */
  const run = async (argv: string[], car?: StandInBoard) => {
    const lines: string[] = [];
    const code = await main(argv, (s) => lines.push(s), car ? { link: async (onPacket) => standInLink(car, onPacket) } : {});
    return { code, text: lines.join('\n') };
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonekey-v2-'));
    cars = ids.map((boardId) => standInBoard({ siteSecret: SITE, boardId, keys: [{ ...OWNER }, { ...DRIVER }], now: Math.floor(Date.now() / 1000) + 60 }));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a v2 owner key file opens each board with its secret there, HELLO saying version 2 and naming the key', async () => {
    const owner = ownerFile();
    for (const car of cars) {
      const r = await run(['unlock', '--key', owner], car);
      assert.equal(r.code, 0, r.text);
      assert.match(r.text, /unlock: ok \(authentic answer from the car\)/);
      assert.equal(car.unlocked, true);
      assert.deepEqual(Array.from(car.heard[0]), [1, 2, 0x0a, 0x0a, 0x00, 0x01]);
    }
  });

  it('share: a ticket made offline opens the boards it names within its permissions; it cannot share on', async () => {
    const owner = ownerFile();
    const out = path.join(dir, 'ann.json');
    const r = await run(['share', '--key', owner, '--role', 'driver', '--perms', 'unlock', '--hours', '24h', '--label', 'Ann', '--boards', Buffer.from(ids[2]).toString('hex'), '--out', out]);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /ticket \d+ "Ann": driver, unlock, valid .* boards slot 3/);
    const link = r.text.split('\n').find((l) => l.startsWith('http://localhost:8080/phonekey#v=2&k='))!;
    assert.ok(link, r.text);
    const t = parseClientKey(fs.readFileSync(out, 'utf8')) as TravelKey;
    assert.deepEqual(parseClientKey(link), t, 'the link and the file are the same key');
    assert.equal((fs.statSync(out).mode & 0o777).toString(8), '600');
    assert.equal(cars[2].heard.length, 0, 'nothing was sent to any car');
    const u = await run(['unlock', '--key', out], cars[2]);
    assert.equal(u.code, 0, u.text);
    assert.deepEqual(Array.from(cars[2].heard[0]), [1, 2], 'a ticket\'s HELLO names no key');
    assert.equal(cars[2].heard[1][0], 0x05, 'a TICKET COMMAND');
    assert.equal(cars[2].unlocked, true);
    const l = await run(['lock', '--key', out], cars[2]);
    assert.equal(l.code, 1);
    assert.match(l.text, /lock: not permitted/);
    await assert.rejects(run(['unlock', '--key', out], cars[0]), /this key does not open this car \(board 01/);
    await assert.rejects(run(['share', '--key', out, '--hours', '1h']), /a ticket cannot .*only an owner key can/);
    await assert.rejects(run(['share', '--key', out, '--hours', '1h', '--out', path.join(dir, 'x.json')]), /a ticket cannot/);
    assert.equal(fs.existsSync(path.join(dir, 'x.json')), false);
  });

  it('share refuses with one clear line and writes nothing: owner role, bad perms, no end, an existing file, a v1 key', async () => {
    const owner = ownerFile();
    const before = fs.readdirSync(dir).sort();
    await assert.rejects(run(['share', '--key', owner, '--role', 'owner', '--hours', '1h']), /--role must be driver or guest/);
    await assert.rejects(run(['share', '--key', owner, '--perms', 'unlock,fly', '--hours', '1h']), /--perms: each of unlock, lock, drive/);
    await assert.rejects(run(['share', '--key', owner]), /--hours is required/);
    await assert.rejects(run(['share', '--key', owner, '--hours', '0']), /--hours must be longer than zero/);
    await assert.rejects(run(['share', '--key', owner, '--hours', '1h', '--label', 'far too long']), /--label: at most 6/);
    await assert.rejects(run(['share', '--key', owner, '--hours', '1h', '--boards', '0102']), /--boards: board ids of 16 hex digits/);
    await assert.rejects(run(['share', '--key', owner, '--hours', '1h', '--boards', '09' + 'ab'.repeat(7)]), /has no secret for board 09/);
    await assert.rejects(run(['share', '--key', owner, '--hours', '1h', '--sim', 'ws://127.0.0.1:1/']), /needs no car/);
    await assert.rejects(run(['share', '--key', owner, '--hours', '1h', '--out', path.join(dir, 'nodir', 'x.json')]), /ticket file/);
    await assert.rejects(run(['share', '--key', owner, '--hours', '1h', '--out', owner]), /exists; choose another --out/);
    const v1 = file('v1', { keyId: OWNER.id, secret: Buffer.from(phoneKeyParts(SITE, ids, OWNER.id, OWNER.salt)[0].secret).toString('hex') });
    await assert.rejects(run(['share', '--key', v1, '--hours', '1h']), /is a v1 key file/);
    await assert.rejects(run(['unlock', '--key', path.join(dir, 'missing.json')]), /cannot read key file/);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"format":"carkey-phonekey","version":2,"keyId":5,"boards":[]}');
    await assert.rejects(run(['unlock', '--key', path.join(dir, 'bad.json')]), /is not a phone key file: the key names no board/);
    assert.deepEqual(fs.readdirSync(dir).sort(), [...before, 'bad.json', 'v1.json'].sort());
  });

  it('revoke --travel makes list versions in the owner\'s file; visits carry them: car 2 refuses the ticket after another driver visited', async () => {
    const owner = ownerFile(), driver = driverFile();
    const guest = path.join(dir, 'guest.json');
    assert.equal((await run(['share', '--key', owner, '--hours', '48h', '--label', 'Bob', '--out', guest])).code, 0);
    const guestId = (parseClientKey(fs.readFileSync(guest, 'utf8')) as TravelKey).keyId;
    assert.equal((await run(['unlock', '--key', guest], cars[1])).code, 0, 'car 2 opens for the ticket before');

    const r1 = await run(['revoke', String(guestId), '--travel', '--key', owner]);
    assert.equal(r1.code, 0, r1.text);
    assert.match(r1.text, /revocation list version 1 revokes 1 id/);
    assert.equal(cars.every((c) => c.heard.length === 0 || c === cars[1]), true, 'no car was contacted');
    const r2 = await run(['revoke', '99', '--travel', '--key', owner]);
    assert.match(r2.text, /version 2 revokes 2 id/);
    assert.match((await run(['revoke', '99', '--travel', '--key', owner])).text, /already in your revocation list/);

    const s1 = await run(['unlock', '--key', owner], cars[0]);
    assert.match(s1.text, /revocation list version 2 handed to the car: adopted/);
    assert.equal(listVersionOf(cars[0].list), 2);
    const s2 = await run(['sync', '--key', driver], cars[0]);
    assert.match(s2.text, /revocation list version 2 taken from the car \(saved in the key file\)/);
    assert.equal(listVersionOf(Buffer.from((parseClientKey(fs.readFileSync(driver, 'utf8')) as TravelKey).list!).toString('latin1')), 2);
    const s3 = await run(['unlock', '--key', driver], cars[1]);
    assert.equal(s3.code, 0, s3.text);
    assert.match(s3.text, /version 2 handed to the car: adopted/);
    const g = await run(['unlock', '--key', guest], cars[1]);
    assert.equal(g.code, 1);
    assert.match(g.text, /unlock: revoked/);
    assert.match((await run(['sync', '--key', driver], cars[1])).text, /the car and this key hold the same version \(2\)/);
    // A driver cannot sign a list.
    await assert.rejects(run(['revoke', '5', '--travel', '--key', guest]), /a ticket cannot/);
  });

  it('a v1 board, a future board: one clear line each, non-zero', async () => {
    const v1car = standInBoard({ siteSecret: SITE, boardId: ids[0], keys: [{ ...OWNER }], v1Only: true });
    await assert.rejects(run(['unlock', '--key', ownerFile()], v1car), (e: Error) => e.message === V1_BOARD);
    // A key for this one board works v1-style there.
    const one = file('one', { keyId: OWNER.id, boards: phoneKeyParts(SITE, [ids[0]], OWNER.id, OWNER.salt) });
    assert.equal((await run(['unlock', '--key', one], v1car)).code, 0);
    const future = standInBoard({ siteSecret: SITE, boardId: ids[0], keys: [{ ...OWNER }], versions: [3, 4] });
    await assert.rejects(run(['unlock', '--key', one], future), /the board speaks protocol versions 3\.\.4, this phone key speaks 2/);
  });
});

describe('command-line phone key, protocol v2, against the simulator', function () {
  this.timeout(180000);
  let srv: SimServer | undefined;
  let dir: string;
  const boardId = newBoardId(1);
  before(async () => {
    srv = await startServer({ port: 0, realtime: true, tickMs: 20, board: 'xiaoble', boardId });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonekey-v2-sim-'));
  });
  after(async () => { if (srv) await srv.close(); if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('share, unlock with the ticket, revoke --travel, the owner hands the list over, the ticket is refused', async function () {
    const car = srv!.vehicle.car;
    const probe = car.phone();
    const version = probe.connect().version || 1;
    probe.disconnect();
    assert.equal(version, 2, 'the xiaoble firmware speaks protocol v2');
    const ws = srv!.url.replace(/^http/, 'ws').replace(/\/$/, '') + '/ws/radio';
    const owner = path.join(dir, 'owner.json');
    fs.writeFileSync(owner, travelKeyJson({ keyId: car.keys.owner.keyId, label: 'owner', boards: [{ boardId, secret: car.keys.owner.secret }] }));
    const run = async (argv: string[]) => { const lines: string[] = []; const code = await main(argv, (s) => lines.push(s)); return { code, text: lines.join('\n') }; };
    assert.equal((await run(['settime', '--key', owner, '--sim', ws])).code, 0);
    const guest = path.join(dir, 'guest.json');
    assert.equal((await run(['share', '--key', owner, '--hours', '2h', '--label', 'Ann', '--out', guest])).code, 0);
    const u = await run(['unlock', '--key', guest, '--sim', ws]);
    assert.equal(u.code, 0, u.text);
    assert.equal(car.relayOn(), true);
    const id = (parseClientKey(fs.readFileSync(guest, 'utf8')) as TravelKey).keyId;
    assert.equal((await run(['revoke', String(id), '--travel', '--key', owner])).code, 0);
    const s = await run(['sync', '--key', owner, '--sim', ws]);
    assert.match(s.text, /revocation list version 1 handed to the car: adopted/);
    const r = await run(['lock', '--key', guest, '--sim', ws]);
    assert.equal(r.code, 1);
    assert.match(r.text, /lock: revoked/);
  });
});
