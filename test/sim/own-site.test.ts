/**
 * Your own site in the simulator (`npm start -- --site mycar.site`, sim/own-site.ts): the car gets
 * the site file's secrets and keys, so the key file `provision issue` wrote unlocks it, as step 2
 * of the README unlocks step 1's car; a wrong passphrase or too many keys for the board is one
 * clear error; the server runs such a car with no demo keys.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { boardById } from '../../hal/boards';
import { R_OK } from '../../firmware/codes';
import { createCar } from '../../sim/car';
import { ownSite } from '../../sim/own-site';
import { startServer } from '../../sim/server';
import { issueKey, keyFileOf } from '../../tools/host/provision/keys';
import { ProvisionError, newSiteData, writeSiteFile } from '../../tools/host/provision/sitefile';

const FAST = { name: 'scrypt' as const, N: 1 << 14, r: 8, p: 1 };
const PASS = 'correct horse battery staple';

describe('your own site in the simulator (npm start -- --site)', function () {
  this.timeout(60000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carkey-own-site-'));
  const file = path.join(dir, 'mycar.site');
  const data = newSiteData();
  const owner = issueKey(data, { role: 'owner', label: 'Me' });
  const guest = issueKey(data, { role: 'guest', label: 'Bob' });
  writeSiteFile(file, data, PASS, FAST);
  const keyOf = (k: typeof owner) => { const f = keyFileOf(data, k); return { keyId: f.keyId, secret: new Uint8Array(Buffer.from(f.secret, 'hex')) }; };
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the key file issued from the site unlocks the simulated car; a key of another site does not', async () => {
    const site = ownSite(file, PASS, 'puckjs');
    assert.equal(site.records.length, 2);
    const car = await createCar({ board: 'puckjs', site });
    assert.deepEqual(Object.keys(car.keys), [], 'no demo keys');
    const a = car.phone(keyOf(owner)).unlock();
    assert.equal(a.status, R_OK);
    assert.equal(a.authentic, true);
    assert.equal(car.relayOn(), true);
    const other = newSiteData();
    const stranger = issueKey(other, { role: 'owner', label: 'Eve' });
    const f = keyFileOf(other, stranger);
    assert.notEqual(car.phone({ keyId: f.keyId, secret: new Uint8Array(Buffer.from(f.secret, 'hex')) }).status().status, R_OK);
    car.board.close();
  });

  it('a wrong passphrase, a missing file or too many keys for the board is one clear error', () => {
    assert.throws(() => ownSite(file, 'wrong', 'puckjs'), (e: Error) => e instanceof ProvisionError && !e.message.includes('\n'));
    assert.throws(() => ownSite(path.join(dir, 'nope.site'), PASS, 'puckjs'), /cannot read the site file/);
    const big = newSiteData();
    const cap = boardById('puckjs-nfc')!.keyCapacity;
    for (let i = 0; i < cap + 2; i++) issueKey(big, { role: 'driver', label: 'D' + i });
    const bigFile = path.join(dir, 'big.site');
    writeSiteFile(bigFile, big, PASS, FAST);
    assert.throws(() => ownSite(bigFile, PASS, 'puckjs-nfc'), new RegExp(`${cap + 2} keys; puckjs-nfc holds ${cap}\\b`));
    void guest;
  });

  it('the server runs your car with no demo keys', async () => {
    const s = await startServer({ board: 'puckjs', port: 0, realtime: false, site: ownSite(file, PASS, 'puckjs') });
    try {
      const res = await fetch(s.url + 'api/demo-keys?token=' + s.token);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), []);
      const st = await fetch(s.url + 'api/state?token=' + s.token);
      assert.equal(st.status, 200);
    } finally {
      await s.close();
    }
  });
});
