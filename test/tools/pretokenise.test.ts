/**
 * Pretokenised bundles: the build's bytes (dist/<board>/firmware*.js, tokens >= 0x80, build.json of
 * those bytes), reading tokens back as Espruino's lexer does (signed raw ints, raw strings with any
 * byte), the simulator booting the tokenised bytes from Storage, and the Espruino version gate.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as acorn from 'acorn';
import { boards, boardById } from '../../hal/boards/index';
import { ROOT } from '../../tools/host/build/bundle';
import { pretokenise } from '../../tools/host/build/pretokenise';
import { untokenise, mayBePretokenised } from '../../tools/host/pretokens';
import { versionRefusal } from '../../tools/host/espruino-version';
import { createSimBoard } from '../../sim/engine/board';
import { createCar } from '../../sim/car';
import { spawn } from 'node:child_process';
import { crc32 } from '../../tools/host/bytes';
import { runEspruinoCli } from '../../tools/flash';

describe('pretokenised bundles', function () {
  this.timeout(60000);

  it('every built bundle holds tokens, and build.json records the bytes on disk', () => {
    for (const b of boards) {
      const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', b.id, 'build.json'), 'utf8'));
      for (const name of ['firmware.js', 'firmware-dev.js']) {
        const bytes = fs.readFileSync(path.join(ROOT, 'dist', b.id, name));
        assert.ok(bytes.some((x) => x >= 0x80), b.id + '/' + name + ' holds a byte >= 0x80');
        assert.equal(meta[name].bytes, bytes.length);
        assert.equal(meta[name].sha256, createHash('sha256').update(bytes).digest('hex'));
        acorn.parse(untokenise(bytes.toString('latin1')), { ecmaVersion: 2020 }); // reads back as JavaScript
      }
    }
  });

  it('reads raw integers signed, as jslex.c does (the plugin\'s own untokenise reads -1 as 255)', () => {
    assert.equal(untokenise('x=\xd4\xff'), 'x=-1');
    assert.equal(untokenise('x=\xd5\x00\x80'), 'x=-32768');
    assert.equal(untokenise('x=\xd5\x34\x12'), 'x=4660');
    assert.equal(untokenise('x=\xd3'), 'x=0');
    assert.equal(untokenise('a-\xd4\xff'), 'a- -1', 'a sign never merges with a signed number');
    assert.equal(untokenise('\xd4\x05.toString()'), '5 .toString()');
  });

  it('tokenises and reads back strings with any byte, keywords and operators', () => {
    const src = 'function f(a){var s="\\xff\\u0000q\\"\'\\\\";if(a===-5&&a!==-300)return s.length;return typeof a}';
    const t = pretokenise(src, 'test');
    assert.ok(t.length < src.length);
    assert.ok(/\xd1/.test(t) && /\xd4/.test(t) && /\xd5/.test(t), 'a raw string and raw 8- and 16-bit ints');
    const f = new Function(untokenise(t) + ';return f')();
    const g = new Function(src + ';return f')();
    for (const x of [-5, -300, 1, 'q']) assert.equal(f(x), g(x), String(x));
    assert.equal(f(-5), 6);
    assert.equal(pretokenise(untokenise(t), 'again'), t, 'read back, it tokenises to the same bytes');
  });

  it('a raw string given to eval is code: its tokens read back too, as Espruino\'s lexer reads the text eval lexes', () => {
    const unit = pretokenise('(function(){return function(a){return typeof a==="number"?a+1:-1}})()', 'unit');
    assert.ok(/[\x80-\xff]/.test(unit), 'the unit holds tokens');
    const outer = pretokenise('var f=function(){return eval(' + JSON.stringify(unit).replace(/[\x80-\xff]/g, (c) => '\\x' + c.charCodeAt(0).toString(16)) + ').apply(this,arguments)};g.r=f(4)', 'outer');
    const g: any = {};
    new Function('g', untokenise(outer))(g);
    assert.equal(g.r, 5);
    // The build's self-check reads it as a string (and tokenises it again to the same bytes).
    assert.equal(pretokenise(untokenise(outer, false), 'again'), outer);
    assert.ok(untokenise(outer, false).indexOf('\\x') > 0);
    // Not eval's argument: a string, whatever bytes it holds.
    assert.equal(untokenise('x=\xd1\x02\x8a\x8a'), 'x="\\x8a\\x8a"');
  });

  it('the self-check fails the build where the tokeniser would change the meaning (`b- -c` comes out as `b--c`)', () => {
    assert.throws(() => pretokenise('a=b- -c', 'dist/x/firmware.js'), /dist\/x\/firmware\.js: the pretokenised bundle does not read back as JavaScript/);
  });

  it('only text with a byte >= 0x80 can hold tokens; plain text runs unchanged', () => {
    assert.equal(mayBePretokenised('var a="b";'), false);
    assert.equal(untokenise('var a = "b"; // c'), 'var a = "b"; // c');
    assert.throws(() => untokenise('a\xc8b'), /no token Espruino knows/);
  });

  it('the simulator boots the tokenised bytes from Storage (.bootcde)', () => {
    const puck = boardById('puckjs')!;
    const code = fs.readFileSync(path.join(ROOT, 'dist/puckjs/firmware.js'), 'latin1');
    const sim = createSimBoard({ board: puck });
    sim.storage.write('.bootcde', code);
    sim.run('load()');
    assert.match(sim.consoleText(), /carkey \S+ on puckjs: locked/);
    assert.equal(sim.storage.read('.bootcde'), code);
  });

  it('createCar provisions the same tokenised bytes as the build, byte for byte, and boots them', async () => {
    const car = await createCar({ board: 'puckjs' });
    {
      const held = Buffer.from(car.board.storage.read('.bootcde')!, 'latin1');
      const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/puckjs/build.json'), 'utf8'));
      assert.ok(held.some((x) => x >= 0x80));
      assert.equal(createHash('sha256').update(held).digest('hex'), meta['firmware.js'].sha256);
      assert.match(car.board.consoleText(), /carkey \S+ on puckjs/);
    }
  });

  it('npm run sim -- console --boot puts the tokenised file in .bootcde byte for byte', async () => {
    const file = path.join(ROOT, 'dist/puckjs/firmware.js');
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'sim/cli.ts', 'console', '--board', 'puckjs', '--port', '0', '--boot', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no console server: ' + out)), 30000);
        child.stdout.on('data', () => { const m = / on (tcp:\/\/\S+)/.exec(out); if (m) { clearTimeout(t); resolve(m[1]); } });
      });
      const r = await runEspruinoCli(url, ['-e', 'var b=require("Storage").read(".bootcde");print("@@"+b.length+" "+E.CRC32(b)+"@@")'], 30000);
      const m = /@@(\d+) (-?\d+)@@/.exec(r.board.join('\n'));
      const bytes = fs.readFileSync(file);
      assert.ok(m, r.stdout + r.stderr);
      assert.equal(Number(m![1]), bytes.length);
      assert.equal(Number(m![2]) >>> 0, crc32(bytes));
    } finally {
      child.kill('SIGINT');
    }
  });

  it('the version gate: 2v26 and cutting-edge builds from 2v25.396 run tokens; older and unknown are refused in one line', () => {
    for (const ok of ['2v26', '2v25.396', '2v29.277', '2v30']) assert.equal(versionRefusal(ok, 'PUCKJS'), undefined, ok);
    for (const old of ['2v25', '2v25.395', '2v21', '1v99', '', undefined]) {
      const why = versionRefusal(old, 'PUCKJS');
      assert.ok(why && /needs Espruino 2v26 or later: update the board's Espruino/.test(why) && !why.includes('\n'), String(old));
    }
  });
});
