/**
 * A process killed in the middle of a collection or a revocation leaves the registry consistent:
 * a child (kill-child.ts) stores log pages and revokes keys in a loop and is SIGKILLed after a
 * random delay, ten times; after each kill the registry opens, passes SQLite's integrity check,
 * holds only whole 8-entry pages with no gap in seq, and every revoked key has its list version
 * (each revocation's state change and list were written together or not at all).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRegistry, openRegistry } from '../../tools/fleet/registry';
import { addBoard, addKey } from '../../tools/fleet/boards';
import { FAST_KDF } from './support';

const PASS = 'kill test passphrase';

function runAndKill(file: string, afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'kill-child.ts'), file, PASS], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), afterMs));
    child.on('exit', (code, sig) => (sig === 'SIGKILL' ? resolve() : reject(new Error('child ended by itself: ' + code + ' ' + err))));
  });
}

describe('fleet: a process killed mid-collection or mid-revocation leaves the registry consistent', function () {
  this.timeout(180000);
  it('ten random kills: integrity ok, whole pages only, every revocation with its list', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-kill-'));
    const file = path.join(dir, 'fleet.db');
    const r0 = createRegistry(file, PASS, { secret: new Uint8Array(32).fill(3), cardMaster: new Uint8Array(16).fill(4) }, FAST_KDF);
    const b = addBoard(r0, { type: 'puckjs', label: 'van-1' });
    addKey(r0, [b], { role: 'owner', perms: 'unlock,lock,drive' });
    for (let i = 0; i < 20000; i++) addKey(r0, [b], { role: 'guest', perms: 'unlock', keyId: 1000 + i, salt: i });
    r0.close();
    let rng = 12345;
    const rand = () => { rng = (rng * 1103515245 + 12345) & 0x7fffffff; return rng / 0x7fffffff; };
    let lastPages = -1;
    for (let round = 0; round < 10; round++) {
      await runAndKill(file, 20 + Math.floor(rand() * 400));
      const r = openRegistry(file, PASS);
      try {
        assert.equal(r.db.pragma('integrity_check', { simple: true }), 'ok');
        const log = r.db.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM log').get() as { n: number; lo: number; hi: number };
        assert.equal(log.n % 8, 0, 'whole pages only');
        if (log.n) assert.equal(log.hi - log.lo + 1, log.n, 'no gap in seq');
        const revoked = (r.db.prepare(`SELECT count(*) AS n FROM keys WHERE state = 'revoked'`).get() as { n: number }).n;
        const lists = r.db.prepare('SELECT count(*) AS n, max(version) AS v FROM lists').get() as { n: number; v: number | null };
        assert.equal(lists.n, revoked, 'one list version per revocation');
        assert.equal(lists.v ?? 0, revoked);
        assert.ok(log.n / 8 >= lastPages);
        lastPages = log.n / 8;
      } finally { r.close(); }
    }
    assert.ok(lastPages > 0, 'the child got work done between kills');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
