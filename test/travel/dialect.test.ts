/**
 * The protocol v2 modules are not in any board bundle yet, so `npm run build` guards their sources
 * only. Here they are bundled and minified the way tools/build.ts does, the dialect guard checks the
 * result, and — where a real Espruino interpreter built for Linux is present (ESPRUINO_BIN, else
 * /root/espruino-4095) — the bundle runs on it and must reproduce the v2 test vectors with the
 * interpreter's own crypto.SHA256. Also reports the minified size (docs/KEYS-THAT-TRAVEL.md).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { minify } from 'terser';
import { checkBoardSources } from '../../tools/host/build/bundle';
import { checkDialect } from '../../tools/host/build/dialect-guard';
import { V } from './vectors.test';

const ROOT = path.join(__dirname, '../..');
const MODULES = ['boardkeys', 'ticket', 'timebound', 'revlist', 'ticketbook', 'travelfiles', 'travelmsg'];

const ENTRY = `
import { boardSecret, boardCardMaster } from './firmware/boardkeys';
import { ticketAdmit } from './firmware/ticket';
import { listAdmit, listHasId } from './firmware/revlist';
import { bookAdmit } from './firmware/ticketbook';
import { tbLearn, tbNow, verdictOnBound } from './firmware/timebound';
import { ticketCommandMacOk, challengeV2 } from './firmware/travelmsg';
var c = require('crypto');
var cr = { sha256: function (d) { return new Uint8Array(c.SHA256(d)); }, crc32: function () { return 0; } };
function hx(b) { var s = ''; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; }
function un(s) { var b = new Uint8Array(s.length / 2); for (var i = 0; i < b.length; i++) b[i] = parseInt(s.substr(2 * i, 2), 16); return b; }
function str(b) { var s = ''; for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]); return s; }
var site = new Uint8Array(32); for (var i = 0; i < 32; i++) site[i] = i;
var id = un(V_BOARD);
var bs = boardSecret(cr, site, id);
var s = { secret: bs, cardMaster: boardCardMaster(cr, site, id), setupCode: '', gen: undefined };
var owner = { id: 0x01020304, kind: 0, flags: 0, role: 0, perms: 3, weekdays: 0, notBefore: 0, notAfter: 0, winStart: 0, winEnd: 0, salt: 0x0a0b0c0d, label: 'o' };
var a = ticketAdmit(cr, s, id, un(V_TICKET), owner);
var bad = un(V_TICKET); bad[40] ^= 1;
var l = un(V_LIST);
var nonce = new Uint8Array(16); for (i = 0; i < 16; i++) nonce[i] = 16 + i;
var tb = { seconds: 0, atMs: 0 };
tbLearn(tb, 1800000000, 1000);
var plan = bookAdmit('', 0x7e570001, 1800086400, tbNow(tb, 61000), 2);
console.log('OUT ' + JSON.stringify({ boardSecret: hx(bs), cardMaster: hx(s.cardMaster), admit: a.reason, guest: a.secret ? hx(a.secret) : '',
  badTag: ticketAdmit(cr, s, id, bad, owner).reason, list: listAdmit(cr, s, id, l, '', owner), has: listHasId(str(l), 0x7e570001),
  lb: tbNow(tb, 61000), bound: verdictOnBound(1800000000, 0, 1700000000, false, false), book: plan.table ? plan.table.length : -1,
  cmd: ticketCommandMacOk(cr, a.secret, nonce, un(V_TCMD)), cmdBad: ticketCommandMacOk(cr, a.secret, bs.subarray(0, 16), un(V_TCMD)), challenge: hx(challengeV2(nonce, 1, id, 7)) }));
`;

const MIN_OPTS = { ecma: 5 as const, compress: { hoist_funs: true, passes: 2, unsafe: false, keep_fargs: true, inline: false }, mangle: true, format: { ascii_only: true } };

/** Minified bytes of an entry bundled as tools/build.ts does. */
async function minified(entry: string): Promise<number> {
  const b = await esbuild.build({ stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'size.ts', loader: 'ts' }, bundle: true, format: 'cjs', platform: 'neutral', target: 'es2020', external: ['crypto'], write: false, logLevel: 'silent' });
  return (await minify('(function(){\n' + b.outputFiles[0].text + '\n})();\n', MIN_OPTS)).code!.length;
}

/** What the v2 board functions add to a bundle that already has the key store, the site and genfile (docs/KEYS-THAT-TRAVEL.md section 10). */
export async function v2CodeBytes(): Promise<{ base: number; withV2: number }> {
  const base = "import { keySecret } from './firmware/site'; import { isActiveOwner } from './firmware/keystore'; import { genWriteSmall, genLoad, genData } from './firmware/genfile'; import * as b from './firmware/bytes'; (globalThis as any).x = [keySecret, isActiveOwner, genWriteSmall, genLoad, genData, b";
  const v2 = base.replace('(globalThis', "import * as k from './firmware/boardkeys'; import { ticketAdmit } from './firmware/ticket'; import { listAdmit, listHasId, listVersionOf } from './firmware/revlist'; import { bookAdmit, bookRevoke } from './firmware/ticketbook'; import { tbLearn, tbNow, verdictOnBound } from './firmware/timebound'; import * as f from './firmware/travelfiles'; import * as m from './firmware/travelmsg'; (globalThis")
    + ', k.boardSecret, k.boardCardMaster, k.cardAidForSlot, k.cardKeyNoForSlot, ticketAdmit, listAdmit, listHasId, listVersionOf, bookAdmit, bookRevoke, tbLearn, tbNow, verdictOnBound, f.travelOpen, f.bookTable, f.storedList, f.bookWrite, f.listWrite, m.helloVersion, m.negotiate, m.challengeV2, m.listedAnswer, m.ticketCommandMacOk];';
  return { base: await minified(base + '];'), withV2: await minified(v2) };
}

async function bundle(): Promise<string> {
  const built = await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'travel-entry.ts', loader: 'ts' },
    bundle: true, format: 'cjs', platform: 'neutral', target: 'es2020', external: ['crypto'], charset: 'ascii', write: false, logLevel: 'silent',
    define: { V_BOARD: JSON.stringify(Buffer.from(V.boardId).toString('hex')), V_TICKET: JSON.stringify(V.ticketBody + V.ticketTag), V_LIST: JSON.stringify(V.list), V_TCMD: JSON.stringify(V.ticketCommand) },
  });
  const wrapped = '(function(){\n' + built.outputFiles[0].text + '\n})();\n';
  const min = await minify(wrapped, MIN_OPTS);
  return min.code!;
}

describe('protocol v2 modules on Espruino', function () {
  this.timeout(60000);
  let code = '';
  before(async () => { code = await bundle(); });

  it('their sources pass the dialect guard (as npm run build checks every board-side file)', async () => {
    assert.deepEqual(await checkBoardSources(MODULES.map((m) => path.join(ROOT, 'firmware', m + '.ts'))), []);
  });

  it('bundled and minified as tools/build.ts does, they pass the guard too', () => {
    assert.deepEqual(checkDialect(code), []);
    assert.ok(code.length > 2000, 'the bundle holds the modules: ' + code.length + ' bytes');
  });

  it('the code they add is what the design says (within 15 %)', async () => {
    const { base, withV2 } = await v2CodeBytes();
    const doc = fs.readFileSync(path.join(ROOT, 'docs/KEYS-THAT-TRAVEL.md'), 'utf8');
    const m = /add about\s+\*\*([0-9.]+) KB\*\*/.exec(doc);
    assert.ok(m, 'the doc states the figure');
    const added = (withV2 - base) / 1000;
    console.log(`      v2 board functions: ${withV2 - base} bytes minified (base ${base}, with v2 ${withV2})`);
    assert.ok(Math.abs(added - Number(m[1])) / Number(m[1]) < 0.15, `measured ${added} KB, the doc says ${m[1]} KB`);
  });

  it('on a real Espruino interpreter they reproduce the vectors, refuse a bad tag and keep the time bound', function () {
    const bin = process.env.ESPRUINO_BIN || '/root/espruino-4095';
    if (!fs.existsSync(bin)) { this.skip(); return; } // no interpreter here: set ESPRUINO_BIN to run this
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'travel-')), 'travel.js');
    fs.writeFileSync(file, code);
    const r = spawnSync(bin, [file], { input: '', timeout: 20000, encoding: 'latin1' });
    const line = (r.stdout || '').split('\n').find((l) => l.startsWith('OUT '));
    assert.ok(line, 'the interpreter printed a result: ' + (r.stdout || '').slice(-400));
    const out = JSON.parse(line.slice(4));
    assert.deepEqual(out, { boardSecret: V.boardSecret, cardMaster: V.cardMaster, admit: 0, guest: V.guestSecret, badTag: 6, list: 0, has: true, lb: 1800000060, bound: 4, book: 9, cmd: true, cmdBad: false, challenge: V.challenge });
  });
});
