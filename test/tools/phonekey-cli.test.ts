/**
 * The command-line phone key against the simulator's radio bridge (`npm start`'s server): it holds
 * a key file, unlocks in one round trip, adds a key whose secret arrives wrapped, and a stranger's
 * key is refused with a non-zero exit.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../tools/phonekey/cli';
import { startServer, type SimServer } from '../../sim/server';
import { ksLookup, ksOpen } from '../../firmware/keystore';
import { hostCrypto } from '../../tools/host/crypto';
import { flashOf } from '../../sim/provision';

describe('command-line phone key (tools/phonekey) against the simulator', function () {
  this.timeout(60000);
  let srv: SimServer;
  let dir: string;
  const keyFile = (name: string, k: { keyId: number; secret: Uint8Array }) => {
    const f = path.join(dir, name + '.json');
    fs.writeFileSync(f, JSON.stringify({ keyId: k.keyId, secret: Buffer.from(k.secret).toString('hex') }));
    return f;
  };
  before(async () => {
    srv = await startServer({ port: 0, realtime: true, tickMs: 20, board: 'puckjs' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonekey-cli-'));
  });
  after(async () => { await srv.close(); });

  const ws = () => srv.url.replace(/^http/, 'ws').replace(/\/$/, '') + '/ws/radio';

  it('unlocks with the owner key file and reports an authentic answer', async () => {
    const lines: string[] = [];
    const code = await main(['unlock', '--key', keyFile('owner', srv.vehicle.car.keys.owner), '--sim', ws()], (s) => lines.push(s));
    assert.equal(code, 0, lines.join('\n'));
    assert.match(lines[0], /unlock: ok \(authentic answer from the car\)/);
    assert.equal(srv.vehicle.car.relayOn(), true);
  });

  it('adds a guest key; the new key file unlocks', async () => {
    const lines: string[] = [];
    const out = path.join(dir, 'guest-new.json');
    assert.equal(await main(['add', '--role', 'guest', '--label', 'Bob', '--out', out, '--key', keyFile('owner', srv.vehicle.car.keys.owner), '--sim', ws()], (s) => lines.push(s)), 0, lines.join('\n'));
    assert.ok(fs.existsSync(out));
    assert.equal(await main(['lock', '--key', out, '--sim', ws()], () => {}), 0);
  });

  it('add --hours 1d and --hours=24 both give the new key one day on the car, never an unbounded key', async () => {
    const owner = keyFile('owner', srv.vehicle.car.keys.owner);
    for (const hours of [['--hours', '1d'], ['--hours=24']]) {
      const lines: string[] = [];
      const out = path.join(dir, 'guest-' + hours.join('') + '.json');
      assert.equal(await main(['add', '--role', 'guest', '--label', 'Day', ...hours, '--out', out, '--key', owner, '--sim', ws()], (s) => lines.push(s)), 0, lines.join('\n'));
      const ks = ksOpen(flashOf(srv.vehicle.car.board), hostCrypto, srv.vehicle.car.config.keyCapacity);
      const rec = ksLookup(ks, JSON.parse(fs.readFileSync(out, 'utf8')).keyId)!;
      assert.ok(rec.notBefore > 0, hours.join(' '));
      assert.equal(rec.notAfter - rec.notBefore, 86400, hours.join(' '));
    }
    await assert.rejects(main(['add', '--role', 'guest', '--hours', '24x', '--key', owner, '--sim', ws()], () => {}), /--hours needs a duration/);
  });

  it('a key the car does not know is refused with a non-zero exit and the reason', async () => {
    const lines: string[] = [];
    const code = await main(['unlock', '--key', keyFile('stranger', { keyId: 99, secret: new Uint8Array(16).fill(3) }), '--sim', ws()], (s) => lines.push(s));
    assert.equal(code, 1);
    assert.match(lines.join('\n'), /bad MAC/);
  });

  it('log prints the board audit log in the simulator words, not raw codes', async () => {
    const lines: string[] = [];
    const owner = srv.vehicle.car.keys.owner;
    fs.writeFileSync(path.join(dir, 'owner-named.json'), JSON.stringify({ keyId: owner.keyId, secret: Buffer.from(owner.secret).toString('hex'), label: 'Alice' }));
    assert.equal(await main(['log', '--key', path.join(dir, 'owner-named.json'), '--sim', ws()], (s) => lines.push(s)), 0, lines.join('\n'));
    const entries = lines.filter((l) => /^#\d+ /.test(l));
    assert.ok(entries.length >= 3, lines.join('\n'));
    assert.ok(entries.some((l) => /boot \u2192 locked/.test(l)), lines.join('\n'));
    assert.ok(entries.some((l) => /unlock \u2192 unlocked, key Alice \(#\d+\)/.test(l)), lines.join('\n'));
    for (const l of entries) assert.doesNotMatch(l, /event \d+|result \d+/);
  });

  it('says clearly when no simulator is listening', async () => {
    await assert.rejects(main(['unlock', '--key', keyFile('owner2', srv.vehicle.car.keys.owner), '--sim', 'ws://127.0.0.1:1/ws/radio'], () => {}), /cannot reach the simulator/);
  });
});

describe('command-line phone key over Bluetooth (no adapter in CI)', function () {
  this.timeout(30000);
  it('fails with a clear message instead of hanging when there is no adapter or car', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phonekey-ble-'));
    const f = path.join(dir, 'k.json');
    fs.writeFileSync(f, JSON.stringify({ keyId: 1, secret: '00'.repeat(16) }));
    await assert.rejects(main(['status', '--key', f, '--ble'], () => {}), /Bluetooth|no car found/);
  });
});
