/**
 * The registry file itself: created whole (no half-made file on failure), WAL mode, schema at the
 * newest migration and reopened without change, a wrong passphrase refused, a sealed value moved to
 * another row refused (its place is authenticated), no secret in any plain column, CSV quoting,
 * and a .site import: keys and setup code kept; another site's file refused, nothing added.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCHEMA_VERSION, createRegistry, openRegistry } from '../../tools/fleet/registry';
import { addBoard, listBoards, listKeys, setupCodeOf } from '../../tools/fleet/boards';
import { importSite } from '../../tools/fleet/import';
import { csvField } from '../../tools/fleet/csv';
import { newSiteData, writeSiteFile } from '../../tools/host/provision/sitefile';
import { issueKey } from '../../tools/host/provision/keys';
import { FAST_KDF } from './support';

const PASS = 'registry test passphrase';

describe('fleet registry file', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-reg-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const site = { secret: new Uint8Array(32).fill(0xab), cardMaster: new Uint8Array(16).fill(0xcd) };

  it('is WAL, at the newest schema, reopens unchanged, refuses a wrong passphrase and an existing file', () => {
    const file = path.join(dir, 'f.db');
    const r = createRegistry(file, PASS, site, FAST_KDF);
    assert.equal(r.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(r.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    addBoard(r, { type: 'puckjs', label: 'a', setupCode: '123456' });
    r.close();
    const again = openRegistry(file, PASS);
    assert.equal(again.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(Buffer.from(again.site.secret), Buffer.from(site.secret));
    assert.equal(setupCodeOf(again, listBoards(again)[0]), '123456');
    again.close();
    assert.throws(() => openRegistry(file, 'not the passphrase'), /wrong passphrase/);
    assert.throws(() => createRegistry(file, PASS, site, FAST_KDF), /exists/);
    assert.throws(() => createRegistry(path.join(dir, 'no-dir', 'x.db'), PASS, site, FAST_KDF), /cannot write registry .*does not exist/);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('no-dir') || f.endsWith('.new')), []);
    const notReg = path.join(dir, 'other.db');
    fs.writeFileSync(notReg, 'hello');
    assert.throws(() => openRegistry(notReg, PASS), /not a fleet registry|cannot open/);
  });

  it('a sealed setup code moved to another board does not open; no secret is in the file in the clear', () => {
    const file = path.join(dir, 'f.db');
    const r = createRegistry(file, PASS, site, FAST_KDF);
    const a = addBoard(r, { type: 'puckjs', label: 'a', setupCode: '111111' });
    const b = addBoard(r, { type: 'puckjs', label: 'b', setupCode: '222222' });
    r.db.prepare('UPDATE boards SET setup_code = (SELECT setup_code FROM boards WHERE id = ?) WHERE id = ?').run(a.id, b.id);
    assert.throws(() => setupCodeOf(r, b), /authentication failed/);
    r.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = fs.readFileSync(file);
    assert.ok(!bytes.includes(Buffer.from(site.secret)) && !bytes.includes(Buffer.from(site.cardMaster)));
    assert.ok(!bytes.includes(Buffer.from('111111')));
    r.close();
  });

  it('imports a .site file with its keys and setup code; another site is refused and adds nothing', () => {
    const data = newSiteData();
    const owner = issueKey(data, { role: 'owner', label: 'Me' });
    issueKey(data, { role: 'guest', label: 'Bob', hours: 24 } as never);
    const siteFile = path.join(dir, 'car.site');
    writeSiteFile(siteFile, data, PASS, FAST_KDF);
    const file = path.join(dir, 'f.db');
    const res = importSite(file, siteFile, PASS, { label: 'car', type: 'puckjs' }, FAST_KDF);
    assert.equal(res.keys, 2);
    assert.equal(res.board.secrets, 'site');
    assert.equal(setupCodeOf(res.registry, res.board), data.setupCode);
    const keys = listKeys(res.registry, res.board);
    assert.equal(keys.find((k) => k.key_id === owner.id)!.salt, owner.salt);
    res.registry.close();
    const other = newSiteData();
    const otherFile = path.join(dir, 'other.site');
    writeSiteFile(otherFile, other, PASS, FAST_KDF);
    assert.throws(() => importSite(file, otherFile, PASS, { label: 'x', type: 'puckjs' }), /another site/);
    const r = openRegistry(file, PASS);
    assert.equal(listBoards(r).length, 1);
    r.close();
    assert.throws(() => importSite(path.join(dir, 'new.db'), otherFile, 'bad passphrase!!', { label: 'x', type: 'puckjs' }, FAST_KDF), /wrong passphrase/);
    assert.ok(!fs.existsSync(path.join(dir, 'new.db')));
  });

  it('CSV fields are quoted as RFC 4180 says', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
  });
});
