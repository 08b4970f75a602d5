/**
 * What the fleet command line hands out is what the phone clients read (issue 19 with issue 17):
 * against a simulated xiaoble board (protocol v2) provisioned from the registry, `fleet share`'s
 * `#v=2` link file opens the car through the command-line phone key (tools/phonekey) and the
 * simulator's phone; `fleet revoke` signs a list that `fleet key-file` puts in another key's v2 key
 * file, whose visit hands it to the car (LIST), after which the ticket is refused; `fleet revoke
 * --board --sim` hands the next list over with the owner's v2 key; `fleet collect` then holds the
 * ticket's grant and the refusals. The fleet CLI runs in-process (main), as do the phone key's.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main as fleet } from '../../tools/fleet/cli';
import { main as phonekey } from '../../tools/phonekey/cli';
import { createRegistry, openRegistry } from '../../tools/fleet/registry';
import { boardByName, boardRecords, setupCodeOf } from '../../tools/fleet/boards';
import { queryLog } from '../../tools/fleet/logstore';
import { type SimServer, startServer } from '../../sim/server';
import { newSiteData } from '../../tools/host/provision/sitefile';
import { type TravelKey, parseClientKey } from '../../tools/host/travelkey';
import { listVersionOf } from '../../firmware/revlist';
import * as C from '../../firmware/codes';
import { FAST_KDF } from './support';

const PASS = 'fleet phone clients';

describe('fleet share / revoke / key-file read by the phone clients (simulated xiaoble board)', function () {
  this.timeout(180000);
  let dir: string;
  let reg: string;
  let srv: SimServer | undefined;
  let saved: string | undefined;
  const run = async (cli: typeof fleet, argv: string[]) => {
    const lines: string[] = [];
    const code = await cli(argv, (s) => lines.push(s));
    return { code, text: lines.join('\n') };
  };
  const f = (...argv: string[]) => run(fleet, [...argv, '--registry', reg]);

  before(() => {
    saved = process.env.CARKEY_PASSPHRASE;
    process.env.CARKEY_PASSPHRASE = PASS;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-phones-'));
    reg = path.join(dir, 'fleet.db');
    createRegistry(reg, PASS, newSiteData(), FAST_KDF).close();
  });
  after(async () => {
    if (srv) await srv.close();
    if (saved === undefined) delete process.env.CARKEY_PASSPHRASE; else process.env.CARKEY_PASSPHRASE = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a shared ticket opens the car through both phone clients; a revocation reaches it in another key\'s file', async () => {
    assert.equal((await f('board-add', '--label', 'van', '--type', 'xiaoble')).code, 0);
    const idOf = (t: string) => Number(/recorded key (\d+)/.exec(t)![1]);
    const owner = await f('key-add', '--board', 'van', '--role', 'owner', '--label', 'owner');
    const erin = await f('key-add', '--board', 'van', '--role', 'driver', '--label', 'Erin');
    assert.equal(owner.code + erin.code, 0, owner.text + erin.text);
    const erinId = idOf(erin.text);
    // Provisioning from the registry: the board's identity, setup code and key records.
    const r = openRegistry(reg, PASS);
    let boardId: Uint8Array;
    try {
      const b = boardByName(r, 'van');
      boardId = new Uint8Array(Buffer.from(b.board_id, 'hex'));
      srv = await startServer({ port: 0, realtime: true, tickMs: 20, board: 'xiaoble', boardId, site: { secrets: { ...r.site, setupCode: setupCodeOf(r, b) }, records: boardRecords(r, b) } });
    } finally { r.close(); }
    const car = srv.vehicle.car;
    const ws = srv.url.replace(/^http/, 'ws').replace(/\/$/, '') + '/ws/radio';

    // share: a #v=2 link in a file, read by the command-line phone key and the simulator's phone.
    const samFile = path.join(dir, 'sam.link.txt');
    const share = await f('share', '--board', 'van', '--role', 'driver', '--perms', 'unlock,lock', '--hours', '2h', '--label', 'Sam', '--out', samFile);
    assert.equal(share.code, 0, share.text);
    const samText = fs.readFileSync(samFile, 'utf8');
    assert.match(samText, /^#v=2&k=\d+&b=[0-9a-f]{16}\.[0-9a-f]{32}\.[0-9a-f]+&t=/);
    const sam = parseClientKey(samText) as TravelKey;
    const u = await run(phonekey, ['unlock', '--key', samFile, '--sim', ws]);
    assert.equal(u.code, 0, u.text);
    assert.ok(car.relayOn());
    const simLock = car.phone(sam).lock();
    assert.equal(simLock.status, C.R_OK, 'the simulator\'s phone takes the same link: ' + simLock.reason);
    car.phone().disconnect();

    await assert.rejects(f('key-file', String(sam.keyId), '--out', path.join(dir, 'x.json')), /is a ticket: its guest secrets went out with its link/);
    assert.ok(!fs.existsSync(path.join(dir, 'x.json')));
    // revoke: list version 1 signed; key-file puts it in Erin's v2 key file; her visit hands it over.
    const rev = await f('revoke', String(sam.keyId));
    assert.equal(rev.code, 0, rev.text);
    assert.match(rev.text, /revoked \d+ on 1 board\(s\); revocation list version 1 signed/);
    const erinFile = path.join(dir, 'erin.json');
    const kf = await f('key-file', String(erinId), '--out', erinFile);
    assert.equal(kf.code, 0, kf.text);
    assert.equal((fs.statSync(erinFile).mode & 0o777), 0o600);
    const erinKey = parseClientKey(fs.readFileSync(erinFile, 'utf8')) as TravelKey;
    assert.equal(erinKey.keyId, erinId);
    assert.equal(listVersionOf(Buffer.from(erinKey.list!).toString('latin1')), 1);
    await assert.rejects(f('key-file', String(sam.keyId), '--out', path.join(dir, 'x.json')), /active on no board/, 'no key file for a revoked ticket');
    const e = await run(phonekey, ['unlock', '--key', erinFile, '--sim', ws]);
    assert.equal(e.code, 0, e.text);
    assert.match(e.text, /revocation list version 1 handed to the car: adopted/);
    const refused = await run(phonekey, ['unlock', '--key', samFile, '--sim', ws]);
    assert.equal(refused.code, 1, refused.text);
    assert.match(refused.text, /unlock: revoked/);

    // revoke --board --sim: the owner's v2 key hands list version 2 over at once.
    const rev2 = await f('revoke', String(erinId), '--board', 'van', '--sim', ws);
    assert.equal(rev2.code, 0, rev2.text);
    assert.match(rev2.text, /van: revocation list version 2 handed to the car: adopted/);
    const e2 = await run(phonekey, ['lock', '--key', erinFile, '--sim', ws]);
    assert.equal(e2.code, 1, e2.text);
    assert.match(e2.text, /lock: revoked/);

    // collect: the ticket's grants and the refusals the lists caused are in the registry.
    const col = await f('collect', '--board', 'van', '--sim', ws);
    assert.equal(col.code, 0, col.text);
    const r2 = openRegistry(reg, PASS);
    try {
      const rows = queryLog(r2, { board: boardByName(r2, 'van').id });
      assert.ok(rows.some((x) => x.event === C.LOG_GRANTED && x.key_id === sam.keyId));
      assert.ok(rows.some((x) => x.event === C.LOG_DENIED && x.reason === C.R_REVOKED && x.key_id === sam.keyId));
      assert.ok(rows.some((x) => x.event === C.LOG_DENIED && x.reason === C.R_REVOKED && x.key_id === erinId));
    } finally { r2.close(); }
  });
});
