/**
 * tools/provision: the sealed site file, issuing keys, export/import, board images that a
 * simulated car running the real bundle accepts, and writing/showing a board through its console
 * (a fake link over a simulated board, and the espruino package against sim/console-server.ts).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { createSimBoard, type SimBoard } from '../../sim/engine/board';
import { firmwareFor } from '../../sim/car';
import { startConsoleServer } from '../../sim/console-server';
import { parseKeyText } from '../../tools/host/keyfile';
import { type Answer, type PhoneKeyFile, M, OP, command, nodeMac, parseAnswer } from '../../tools/host/protocol';
import { ask, linkUp } from '../../sim/central';
import { type KdfParams, type SiteData, ProvisionError, newSiteData, openSite, readSiteFile, sealSite, writeSiteFile } from '../../tools/host/provision/sitefile';
import { type IssuedKey, exportTable, importTable, issueKey, secretOf } from '../../tools/host/provision/keys';
import { boardImage, writeImageDir } from '../../tools/provision/image';
import { memoryFlash } from '../../tools/host/flash';
import { genWriteSmall } from '../../firmware/genfile';
import { hostCrypto } from '../../tools/host/crypto';
import type { ConsoleLink } from '../../tools/provision/link';
import { openEspruinoLink } from '../../tools/provision/link';
import { simConsoleLink } from '../../sim/console-line';
import { showBoard, writeImage } from '../../tools/provision/upload';
import { type Io, runProvision } from '../../tools/provision/cli';
import { ROOT } from '../../tools/host/build/bundle';
import { boardSecretsFor, newBoardId, phoneKeyParts } from '../../tools/host/travel';
import { type TravelKey, parseClientKey } from '../../tools/host/travelkey';
import { boardSite } from '../../tools/host/provision/site';

/** Cheap KDF parameters so tests run fast (the CLI's default is 2^17). */
const FAST: KdfParams = { name: 'scrypt', N: 1 << 14, r: 8, p: 1 };
const PASS = 'correct horse battery';
const puck = boardById('puckjs')!;

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'provision-'));
}

function capture(env: NodeJS.ProcessEnv = { CARKEY_PASSPHRASE: PASS }, openLink?: Io['openLink']) {
  const io = { stdout: '', stderr: '' };
  const ioObj: Io = { out: (s) => { io.stdout += s; }, err: (s) => { io.stderr += s; }, env, kdf: FAST, openLink };
  return { io, ioObj };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A minimal phone on a simulated board's radio: connect, one signed command, its answer. */
function phoneRun(board: SimBoard, key: PhoneKeyFile, op: number): Answer {
  const nrf = board.nrf;
  try {
    linkUp(board);
    const challenge = parseAnswer(nodeMac, key, ask(board, new Uint8Array([M.HELLO]))!);
    assert.equal(challenge.type, 'challenge');
    const m = ask(board, command(nodeMac, key, challenge.nonce!, op));
    assert.ok(m, 'the board answered');
    return parseAnswer(nodeMac, key, m, challenge.nonce);
  } finally {
    nrf.disconnect();
  }
}

function relayOn(board: SimBoard, cfg: BoardConfig): boolean {
  return board.pins.output(cfg.pins.relay) === (cfg.relayActiveHigh ? 1 : 0);
}

function phoneKey(site: SiteData, k: IssuedKey): PhoneKeyFile {
  return { keyId: k.id, secret: secretOf(site, k) };
}

/** A console link straight into a simulated board (what a serial console would carry). */
function fakeLink(board: SimBoard, sent: string[] = []): ConsoleLink {
  return {
    run: (code) => { sent.push(code); return simConsoleLink(board).run(code); },
    close: async () => {},
  };
}

describe('provisioning tool', function () {
  this.timeout(60000);

  describe('site file', () => {
    it('round trip: the same secrets and issued keys come back with the passphrase', () => {
      const site = newSiteData();
      const a = issueKey(site, { role: 'owner', label: 'Alice' });
      const b = issueKey(site, { role: 'guest', label: 'Bob', perms: ['unlock'], notBefore: 1700000000, notAfter: 1800000000 });
      const dir = tmpdir();
      const file = path.join(dir, 'site.json');
      writeSiteFile(file, site, PASS, FAST);
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(!text.includes(hex(site.secret)) && !text.includes(hex(site.cardMaster)), 'the secrets are not in the file in clear');
      assert.equal(fs.statSync(file).mode & 0o077, 0, 'readable by its owner only');
      const j = JSON.parse(text);
      assert.deepEqual(Object.keys(j).sort(), ['cipher', 'ciphertext', 'format', 'iv', 'kdf', 'salt', 'tag', 'version']);
      const back = readSiteFile(file, PASS).data;
      assert.deepEqual(back.secret, site.secret);
      assert.deepEqual(back.cardMaster, site.cardMaster);
      assert.deepEqual(back.keys, [a, b]);
      assert.deepEqual(secretOf(back, back.keys[1]), secretOf(site, b));
    });

    it('a wrong passphrase is refused', () => {
      const text = sealSite(newSiteData(), PASS, FAST);
      assert.throws(() => openSite(text, PASS + '!'), (e: Error) => e instanceof ProvisionError && /wrong passphrase/.test(e.message));
    });

    it('a tampered file is refused by GCM: ciphertext, tag, salt, and the KDF parameters in the header', () => {
      const text = sealSite(newSiteData(), PASS, FAST);
      const j = JSON.parse(text);
      const ct = Buffer.from(j.ciphertext, 'base64');
      ct[5] ^= 1;
      const variants = [
        { ...j, ciphertext: ct.toString('base64') },
        { ...j, tag: (j.tag[0] === '0' ? '1' : '0') + j.tag.slice(1) },
        { ...j, iv: (j.iv[0] === '0' ? '1' : '0') + j.iv.slice(1) },
        { ...j, kdf: { ...j.kdf, r: 9 } }, // the header is authenticated too
      ];
      for (const v of variants) assert.throws(() => openSite(JSON.stringify(v), PASS), /authentication failed/);
      assert.throws(() => openSite(JSON.stringify({ ...j, kdf: { ...j.kdf, N: 1024 } }), PASS), /too weak/);
      assert.throws(() => openSite(JSON.stringify({ ...j, version: 2 }), PASS), /version 2 is not supported/);
      assert.doesNotThrow(() => openSite(text, PASS));
    });

    it('CLI: init, issue, reopen; a wrong passphrase exits non-zero with a clear error', async () => {
      const dir = tmpdir();
      const site = path.join(dir, 'site.json');
      let c = capture();
      assert.equal(await runProvision(['init', '--site', site], c.ioObj), 0);
      c = capture();
      assert.equal(await runProvision(['init', '--site', site], c.ioObj), 1, 'never overwrites a site without --force');
      assert.match(c.io.stderr, /exists/);
      c = capture();
      assert.equal(await runProvision(['issue', '--site', site, '--role', 'driver', '--label', 'Carol', '--out', path.join(dir, 'c.json')], c.ioObj), 0);
      c = capture({ CARKEY_PASSPHRASE: 'not the passphrase' });
      assert.equal(await runProvision(['list', '--site', site], c.ioObj), 1);
      assert.match(c.io.stderr, /error: cannot open the site file: wrong passphrase/);
      c = capture();
      assert.equal(await runProvision(['list', '--site', site], c.ioObj), 0);
      assert.match(c.io.stdout, /1 keys\n\d+ {2}phone {2}driver {2}unlock,lock,drive .*"Carol"/);
      c = capture({ CARKEY_PASSPHRASE: 'short' });
      assert.equal(await runProvision(['init', '--site', path.join(dir, 'other.json')], c.ioObj), 1);
      assert.match(c.io.stderr, /at least 8 characters/);
    });

    it('the npm entry point exits 1 on a wrong passphrase', () => {
      const dir = tmpdir();
      const file = path.join(dir, 'site.json');
      writeSiteFile(file, newSiteData(), PASS, FAST);
      const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'tools/provision/cli.ts'), 'list', '--site', file],
        { env: { ...process.env, CARKEY_PASSPHRASE: 'wrong passphrase' }, encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /wrong passphrase/);
    });
  });

  describe('issuing keys', () => {
    it('random ids never collide with issued ones', () => {
      const site = newSiteData();
      const first = issueKey(site, { role: 'owner', label: 'A', random: () => new Uint8Array([0, 0, 0, 7]) });
      assert.equal(first.id, 7);
      // A random source that repeats 7, then gives 0 (never a valid id), then 9.
      const seq = [[0, 0, 0, 7], [0, 0, 0, 0], [0, 0, 0, 9], [1, 2, 3, 4]];
      let i = 0;
      const k = issueKey(site, { role: 'guest', label: 'B', random: () => new Uint8Array(seq[Math.min(i++, seq.length - 1)]) });
      assert.equal(k.id, 9);
      assert.equal(k.salt, 0x01020304);
      assert.throws(() => issueKey(site, { role: 'guest', label: 'C', notBefore: 200, notAfter: 100 }), /before/);
    });

    it('secrets stay off stdout unless --show-secret; the link is <base>#k=<id>.<secret hex>', async () => {
      const dir = tmpdir();
      const site = path.join(dir, 'site.json');
      await runProvision(['init', '--site', site], capture().ioObj);
      const c = capture();
      const out = path.join(dir, 'alice.key.json');
      const linkFile = path.join(dir, 'link.txt');
      assert.equal(await runProvision(['issue', '--site', site, '--role', 'owner', '--label', 'Alice', '--out', out, '--link-file', linkFile], c.ioObj), 0);
      const kf = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.match(kf.secret, /^[0-9a-f]{32}$/);
      const secrets = readSiteFile(site, PASS).data;
      for (const s of [kf.secret, hex(secrets.secret), hex(secrets.cardMaster)]) {
        assert.ok(!c.io.stdout.includes(s) && !c.io.stderr.includes(s), 'no secret printed');
      }
      const link = fs.readFileSync(linkFile, 'utf8').trim();
      assert.equal(link, 'http://localhost:8080/phonekey#k=' + kf.keyId + '.' + kf.secret);
      // What the web phone key parses from the file and from the link.
      assert.deepEqual(parseKeyText(JSON.stringify(kf)).secret, kf.secret);
      assert.equal(parseKeyText(link).keyId, kf.keyId);

      const shown = capture();
      const out2 = path.join(dir, 'bob.key.json');
      assert.equal(await runProvision(['issue', '--site', site, '--role', 'guest', '--label', 'Bob', '--out', out2, '--show-secret', '--link-base', 'https://car.example/phonekey'], shown.ioObj), 0);
      const kf2 = JSON.parse(fs.readFileSync(out2, 'utf8'));
      assert.ok(shown.io.stdout.includes('https://car.example/phonekey#k=' + kf2.keyId + '.' + kf2.secret + '\n'));
      assert.ok(shown.io.stdout.includes('\u2584') || shown.io.stdout.includes('\u2580'), 'a QR code drawn with half blocks');
    });
  });

  describe('export and import', () => {
    it('round trip without secrets; merging skips identical entries and refuses id collisions', () => {
      const a = newSiteData();
      issueKey(a, { role: 'owner', label: 'Alice' });
      issueKey(a, { role: 'guest', label: 'Bob', notAfter: 1900000000 });
      issueKey(a, { role: 'driver', label: 'Card', cardUid: new Uint8Array([4, 1, 2, 3, 4, 5, 6]) });
      const text = JSON.stringify(exportTable(a));
      assert.ok(!text.includes(hex(secretOf(a, a.keys[0]))) && !text.includes(hex(a.secret)) && !/secret/i.test(text));
      const b = newSiteData();
      assert.deepEqual(importTable(b, JSON.parse(text)), { added: 3, skipped: 0 });
      assert.deepEqual(b.keys, a.keys);
      assert.deepEqual(importTable(b, JSON.parse(text)), { added: 0, skipped: 3 });
      const clash = JSON.parse(text);
      clash.keys[1].role = 'owner';
      clash.keys.push({ ...clash.keys[0], id: 12345 });
      const before = JSON.stringify(b.keys);
      assert.throws(() => importTable(b, clash), /collides/);
      assert.equal(JSON.stringify(b.keys), before, 'nothing imported');
      const withSecret = JSON.parse(text);
      withSecret.keys[0].secret = 'aa';
      assert.throws(() => importTable(newSiteData(), withSecret), /never holds secrets/);
    });

    it('CLI export / import', async () => {
      const dir = tmpdir();
      const s1 = path.join(dir, 's1.json');
      const s2 = path.join(dir, 's2.json');
      await runProvision(['init', '--site', s1], capture().ioObj);
      await runProvision(['init', '--site', s2], capture().ioObj);
      await runProvision(['issue', '--site', s1, '--role', 'owner', '--label', 'Alice', '--out', path.join(dir, 'a.json')], capture().ioObj);
      const keys = path.join(dir, 'keys.json');
      assert.equal(await runProvision(['export', '--site', s1, '--out', keys], capture().ioObj), 0);
      const c = capture();
      assert.equal(await runProvision(['import', '--site', s2, '--in', keys], c.ioObj), 0);
      assert.match(c.io.stdout, /imported 1 keys/);
      assert.deepEqual(readSiteFile(s2, PASS).data.keys, readSiteFile(s1, PASS).data.keys);
    });
  });

  describe('board image', () => {
    it('a simulated car flashed from the image opens for issued phone keys, and for nothing else', async () => {
      const site = newSiteData();
      const owner = issueKey(site, { role: 'owner', label: 'Alice' });
      const guest = issueKey(site, { role: 'guest', label: 'Bob', perms: ['lock'] });
      const img = boardImage(site, puck, { holdMs: 500, relockMs: 500 });
      assert.deepEqual(img.files.map((f) => f.name), ['ck.cfg.a', 'ck.keys', 'ck.site.a']);
      const dir = tmpdir();
      writeImageDir(dir, img);
      const board = createSimBoard({ board: puck, bundle: await firmwareFor(puck) });
      for (const name of ['ck.cfg.a', 'ck.keys', 'ck.site.a']) assert.ok(board.storage.write(name, new Uint8Array(fs.readFileSync(path.join(dir, name)))));
      board.reset();
      board.clock.advance(100);
      assert.equal(relayOn(board, puck), false);

      const stranger = newSiteData(); // same id, another site's secret
      const bad = phoneRun(board, { keyId: owner.id, secret: secretOf(stranger, owner) }, OP.UNLOCK);
      assert.notEqual(bad.status, 0);
      assert.equal(relayOn(board, puck), false);

      const g = phoneRun(board, phoneKey(site, guest), OP.UNLOCK);
      assert.equal(g.status, 10, 'the guest may only lock: ' + g.reason);

      const a = phoneRun(board, phoneKey(site, owner), OP.UNLOCK);
      assert.equal(a.type, 'response');
      assert.equal(a.status, 0, String(a.reason));
      assert.equal(a.authentic, true);
      assert.equal(relayOn(board, puck), true);
      board.clock.advance(700);
      assert.equal(relayOn(board, puck), false, 'holdMs 500 from the image config (the default is 3000)');
    });

    it('refuses more keys than the board holds', () => {
      const site = newSiteData();
      for (let i = 0; i <= puck.keyCapacity; i++) issueKey(site, { role: 'guest', label: 'k' + i });
      const over = new RegExp(`${puck.keyCapacity + 1} keys do not fit Puck\\.js .* holds ${puck.keyCapacity}`);
      assert.throws(() => boardImage(site, puck), (e: Error) => e instanceof ProvisionError && over.test(e.message));
      site.keys.pop();
      assert.equal(boardImage(site, puck).keys, puck.keyCapacity);
    });

    it('CLI board-image writes the files and a manifest; unknown or out-of-range settings are reported', async () => {
      const dir = tmpdir();
      const s = path.join(dir, 'site.json');
      await runProvision(['init', '--site', s], capture().ioObj);
      fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ holdMs: 99999, nope: 1 }));
      const c = capture();
      assert.equal(await runProvision(['board-image', '--site', s, '--board', 'puckjs', '--out', path.join(dir, 'img'), '--config', path.join(dir, 'cfg.json')], c.ioObj), 0);
      assert.match(c.io.stderr, /holdMs 99999 .* using 30000/);
      assert.match(c.io.stderr, /unknown setting nope/);
      const m = JSON.parse(fs.readFileSync(path.join(dir, 'img', 'manifest.json'), 'utf8'));
      assert.equal(m.config.holdMs, 30000);
      // No key yet, but the key slot file is there, empty: it goes before the bundle (docs/ESPRUINO.md "Flash").
      assert.deepEqual(m.files.map((f: { name: string }) => f.name), ['ck.cfg.a', 'ck.keys', 'ck.site.a']);
      assert.equal(await runProvision(['board-image', '--site', s, '--board', 'nope', '--out', dir], capture().ioObj), 1);
    });

    it('CLI --board-id: the image holds the board\'s own secrets, the key file its secret there; bad ids are one line', async () => {
      const dir = tmpdir();
      const s = path.join(dir, 'site.json');
      await runProvision(['init', '--site', s], capture().ioObj);
      const c = capture();
      assert.equal(await runProvision(['board-image', '--site', s, '--board', 'puckjs', '--out', path.join(dir, 'img'), '--board-id', 'new:2'], c.ioObj), 0);
      const id = /board id ([0-9a-f]{16}) \(slot 2\)/.exec(c.io.stdout)![1];
      const k = capture();
      const out = path.join(dir, 'o.key.json');
      assert.equal(await runProvision(['issue', '--site', s, '--role', 'owner', '--label', 'o', '--out', out, '--board-id', id], k.ioObj), 0, k.io.stderr);
      const data = readSiteFile(s, PASS).data;
      const boardId = new Uint8Array(Buffer.from(id, 'hex'));
      const mine = boardSecretsFor(data.secret, boardId);
      const siteFile = fs.readFileSync(path.join(dir, 'img', 'ck.site.a'));
      assert.ok(siteFile.includes(Buffer.from(mine.secret)) && siteFile.includes(Buffer.from(mine.cardMaster)));
      assert.ok(!siteFile.includes(Buffer.from(data.secret)) && !siteFile.includes(Buffer.from(data.cardMaster)), 'no site secret on the board');
      const key = JSON.parse(fs.readFileSync(out, 'utf8'));
      const rec = data.keys.find((x) => x.id === key.keyId)!;
      assert.deepEqual([key.format, key.version, key.boards.length, key.boards[0].boardId], ['carkey-phonekey', 2, 1, id]);
      assert.equal(key.boards[0].secret, hex(phoneKeyParts(data.secret, [boardId], rec.id, rec.salt)[0].secret));
      for (const [cmd, bad] of [['board-image', 'zz'], ['board-image', 'new:33'], ['board-image', '21' + '00'.repeat(7)], ['issue', 'new:1']]) {
        const e = capture();
        const args = cmd === 'issue' ? ['issue', '--site', s, '--role', 'guest', '--label', 'g', '--out', path.join(dir, 'g.key.json')] : ['board-image', '--site', s, '--board', 'puckjs', '--out', path.join(dir, 'img2')];
        assert.equal(await runProvision([...args, '--board-id', bad], e.ioObj), 1, bad);
        assert.match(e.io.stderr, /--board-id/);
        assert.equal(e.io.stderr.trim().split('\n').length, 1, e.io.stderr);
        assert.ok(!fs.existsSync(path.join(dir, 'img2')) && !fs.existsSync(path.join(dir, 'g.key.json')), 'nothing written');
      }
      assert.equal(readSiteFile(s, PASS).data.keys.length, 1, 'no key recorded by a refused issue');
    });
  });

  describe('the site\'s board list (protocol v2)', () => {
    it('boards written with their own identity are listed; issue gives a key a secret on each; a key file opens each car from its image', async () => {
      const dir = tmpdir();
      const s = path.join(dir, 'site.json');
      await runProvision(['init', '--site', s], capture().ioObj);
      const ids: string[] = [];
      for (const slot of [1, 2]) {
        const c = capture();
        assert.equal(await runProvision(['board-image', '--site', s, '--board', 'puckjs', '--out', path.join(dir, 'img' + slot), '--board-id', 'new:' + slot, '--board-label', 'car ' + slot], c.ioObj), 0, c.io.stderr);
        ids.push(new RegExp('board id ([0-9a-f]{16}) \\(slot ' + slot + '\\)').exec(c.io.stdout)![1]);
      }
      const l = capture();
      assert.equal(await runProvision(['list', '--site', s], l.ioObj), 0);
      assert.match(l.io.stdout, /2 boards with their own secrets/);
      assert.match(l.io.stdout, new RegExp('board ' + ids[0] + ' {2}slot 1 {2}"car 1"\\nboard ' + ids[1] + ' {2}slot 2 {2}"car 2"'));
      const out = path.join(dir, 'alice.json'), linkFile = path.join(dir, 'alice.link');
      const k = capture();
      assert.equal(await runProvision(['issue', '--site', s, '--role', 'owner', '--label', 'Alice', '--out', out, '--link-file', linkFile], k.ioObj), 0, k.io.stderr);
      assert.match(k.io.stdout, /a secret for each of the site's 2 board\(s\): slot 1, 2/);
      const key = parseClientKey(fs.readFileSync(out, 'utf8')) as TravelKey;
      assert.deepEqual(parseClientKey(fs.readFileSync(linkFile, 'utf8')), key, 'the link is the same v2 key');
      assert.match(fs.readFileSync(linkFile, 'utf8'), /^http:\/\/localhost:8080\/phonekey#v=2&k=/);
      assert.deepEqual(key.boards.map((b) => hex(b.boardId)), ids);
      // Each car, flashed from its image, opens with the key's part for it and not with the other's.
      // (The key was issued after the images: write its record as the images' next write would.)
      for (const [i, id] of ids.entries()) {
        const img = capture();
        assert.equal(await runProvision(['board-image', '--site', s, '--board', 'puckjs', '--out', path.join(dir, 'again' + i), '--board-id', id], img.ioObj), 0, img.io.stderr);
        const board = createSimBoard({ board: puck, bundle: await firmwareFor(puck) });
        for (const name of fs.readdirSync(path.join(dir, 'again' + i)).filter((n) => n.startsWith('ck.'))) assert.ok(board.storage.write(name, new Uint8Array(fs.readFileSync(path.join(dir, 'again' + i, name)))));
        board.reset();
        board.clock.advance(100);
        assert.notEqual(phoneRun(board, { keyId: key.keyId, secret: key.boards[1 - i].secret }, OP.UNLOCK).status, 0, 'the other board\'s secret');
        assert.equal(phoneRun(board, { keyId: key.keyId, secret: key.boards[i].secret }, OP.UNLOCK).status, 0, 'its own secret');
      }
      assert.equal(readSiteFile(s, PASS).data.boards.length, 2, 'writing a listed board again lists nothing new');
      // A board replaced in slot 2 gets a new identity and replaces the old entry, with a word on it.
      const r = capture();
      assert.equal(await runProvision(['board-image', '--site', s, '--board', 'puckjs', '--out', path.join(dir, 'img2b'), '--board-id', 'new:2'], r.ioObj), 0);
      assert.match(r.io.stdout, new RegExp('it replaces board ' + ids[1] + ' \\(car 2\\) in slot 2'));
      const boards = readSiteFile(s, PASS).data.boards;
      assert.deepEqual([boards.length, boards[0].boardId === ids[0], boards[1].boardId !== ids[1], boards[1].label], [2, true, true, 'slot 2']);
      // --board-label alone is an error, and nothing is written.
      const e = capture();
      assert.equal(await runProvision(['board-image', '--site', s, '--board', 'puckjs', '--out', path.join(dir, 'img9'), '--board-label', 'x'], e.ioObj), 1);
      assert.match(e.io.stderr, /--board-label goes with --board-id/);
      assert.ok(!fs.existsSync(path.join(dir, 'img9')));
    });

    it('a site file without a board list (older) reads as none; a damaged list is refused', () => {
      const site = newSiteData();
      const sealed = sealSite({ ...site, boards: [] }, PASS, FAST);
      assert.deepEqual(openSite(sealed, PASS).data.boards, []);
      const bad = sealSite({ ...site, boards: [{ boardId: '00' + 'ab'.repeat(7), label: 'x' }] }, PASS, FAST);
      assert.throws(() => openSite(bad, PASS), /damaged \(boards\)/);
    });
  });

  describe('write and show through a console', () => {
    it('write (fake link into a simulated board): stale generations erased, CRCs checked, load() boots it; show decodes it', async () => {
      const site = newSiteData();
      const owner = issueKey(site, { role: 'owner', label: 'Alice' });
      issueKey(site, { role: 'guest', label: 'Guest!', notAfter: 1900000000 });
      const board = createSimBoard({ board: puck, bundle: await firmwareFor(puck) });
      board.clock.advance(100);
      // A newer generation from the board's own life would win over the image if left behind.
      const other = memoryFlash();
      assert.ok(genWriteSmall(other, hostCrypto, 'ck.site.', { name: 'ck.site.a', seq: 8, length: 48 }, 'x'.repeat(48)));
      assert.ok(board.storage.write('ck.site.b', other.read('ck.site.b')!));
      const sent: string[] = [];
      const report = await writeImage(fakeLink(board, sent), boardImage(site, puck, {}));
      assert.deepEqual(report.files.map((f) => f.name), ['ck.cfg.a', 'ck.keys', 'ck.site.a']);
      assert.ok(!board.storage.list().includes('ck.site.b'));
      for (const line of sent) assert.ok(/^[\x20-\x7e]*$/.test(line), 'only printable ASCII on the console: ' + line.slice(0, 60));
      assert.ok(!sent.join('\n').includes(hex(site.secret)), 'the secret is not sent as plain hex');
      board.clock.advance(100);
      assert.equal(phoneRun(board, phoneKey(site, owner), OP.UNLOCK).status, 0);

      const shown = await showBoard(fakeLink(board), puck);
      assert.deepEqual(shown.keys.map((k) => [k.id, k.role, k.label, k.notAfter]).sort((x, y) => (x[0] as number) - (y[0] as number)), site.keys.map((k) => [k.id, k.role === 'owner' ? 0 : 2, k.label.slice(0, 6), k.notAfter]).sort((x, y) => (x[0] as number) - (y[0] as number)));
      assert.equal(shown.site.present, true);
      assert.equal(shown.configStored, true);
    });

    it('show decodes a v2 site file (written with a board id): present, its setup code and board id', async () => {
      const site = newSiteData();
      issueKey(site, { role: 'owner', label: 'Alice' });
      const boardId = newBoardId(2);
      const board = createSimBoard({ board: puck, bundle: await firmwareFor(puck) });
      board.clock.advance(100);
      await writeImage(fakeLink(board), boardImage({ ...site, ...boardSite(site, boardId) }, puck, {}));
      const shown = await showBoard(fakeLink(board), puck);
      assert.deepEqual([shown.site.present, shown.site.setupCode, shown.site.boardId], [true, site.setupCode, hex(boardId)]);
      assert.equal(shown.keys.length, 1);
    });

    it('a file that reads back wrong fails the write', async () => {
      const board = createSimBoard({ board: puck });
      const real = fakeLink(board);
      const lying: ConsoleLink = { run: async (code) => { const out = await real.run(code); return /E\.CRC32/.test(code) ? out.replace(/^\d+/, '12345') : out; }, close: real.close };
      const site = newSiteData();
      await assert.rejects(writeImage(lying, boardImage(site, puck, {})), /reads back wrong/);
    });

    it('end to end: the CLI writes through the espruino package to sim/console-server, then a phone unlocks', async function () {
      const bundle = await firmwareFor(puck);
      const board = createSimBoard({ board: puck });
      board.storage.write('.bootcde', bundle); // a board flashed with the firmware, never provisioned
      board.reset();
      const server = await startConsoleServer({ board: puck, sim: board });
      try {
        const dir = tmpdir();
        const s = path.join(dir, 'site.json');
        await runProvision(['init', '--site', s], capture().ioObj);
        await runProvision(['issue', '--site', s, '--role', 'owner', '--label', 'Alice', '--out', path.join(dir, 'a.json')], capture().ioObj);
        const c = capture({ CARKEY_PASSPHRASE: PASS }, (port) => openEspruinoLink(port));
        assert.equal(await runProvision(['write', '--site', s, '--board', 'puckjs', '--port', server.url], c.ioObj), 0, c.io.stderr);
        assert.match(c.io.stdout, /ck\.keys {2}\d+ bytes {2}crc32 \d+ verified/);
        const kf = JSON.parse(fs.readFileSync(path.join(dir, 'a.json'), 'utf8'));
        assert.ok(!c.io.stdout.includes(kf.secret));
        const shown = capture({ CARKEY_PASSPHRASE: PASS }, (port) => openEspruinoLink(port));
        assert.equal(await runProvision(['show', '--site', s, '--board', 'puckjs', '--port', server.url], shown.ioObj), 0, shown.io.stderr);
        assert.match(shown.io.stdout, new RegExp('keys: 1 of ' + puck.keyCapacity + ' in ck\\.keys\\n {2}' + kf.keyId + ' {2}phone {2}owner'));
        assert.match(shown.io.stdout, /site: fingerprint [0-9a-f]{16} = /);
        const a = phoneRun(board, { keyId: kf.keyId, secret: new Uint8Array(Buffer.from(kf.secret, 'hex')) }, OP.UNLOCK);
        assert.equal(a.status, 0, String(a.reason));
        assert.equal(relayOn(board, puck), true);
      } finally {
        await server.close();
      }
    });
  });
});
