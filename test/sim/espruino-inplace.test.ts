/**
 * The in-place writes that slot files (firmware/slotfile.ts) rely on, in a real Espruino
 * interpreter's own src/jsflash.c (ESPRUINO_BIN; skipped without it): a write at an offset > 0
 * into bytes left 0xFF programs them in the same file, unaligned single bytes included, with no
 * trash; rewriting a written byte is refused ("File already written with different data") and
 * changes nothing; a write at offset 0 to a written file replaces it (trash). The model
 * (sim/engine/storage.ts) is held to the same answers by test/core/slotfile.test.ts.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startInterpreter } from '../../tools/espruino/interpreter';
import { espruinoBinary } from '../../tools/host/espruino-binary';
import * as st from '../../sim/engine/storage';

const SCRIPT = [
  'var S=require("Storage");',
  'S.write("slots","CKS1",0,40);',
  'S.write("slots","ABCDEFGHIJ",8);',
  'S.write("slots","\\x00",19);',
  'var a=S.read("slots");',
  'var g=S.getStats();',
  'print(JSON.stringify({n:S.list(/slots/).length,trash:g.trashCount,b19:a.charCodeAt(19),b20:a.charCodeAt(20),at:a.indexOf("EFG"),len:a.length}));',
  'var err="none";try{S.write("slots","\\x01",19);}catch(e){err=e.message;}',
  'print(JSON.stringify({err:err,b19:S.read("slots").charCodeAt(19)}));',
  'S.write("slots","CKS2",0,40);',
  'g=S.getStats();',
  'print(JSON.stringify({n:S.list(/slots/).length,trash:g.trashCount,head:S.read("slots",0,4)}));',
].join('');

function modelAnswers(): string[] {
  const f = st.createFlash(40960);
  const hooks = { error: (m: string) => new Error(m), powerCut: () => new Error('cut') };
  st.write(f, hooks, 'slots', 'CKS1', 0, 40);
  st.write(f, hooks, 'slots', 'ABCDEFGHIJ', 8);
  st.write(f, hooks, 'slots', '\x00', 19);
  const a = st.read(f, 'slots')!;
  const out = [JSON.stringify({ n: st.list(f, 'slots').length, trash: st.stats(f).trashCount, b19: a.charCodeAt(19), b20: a.charCodeAt(20), at: a.indexOf('EFG'), len: a.length })];
  let err = 'none';
  try { st.write(f, hooks, 'slots', '\x01', 19); } catch (e) { err = (e as Error).message; }
  out.push(JSON.stringify({ err, b19: st.read(f, 'slots')!.charCodeAt(19) }));
  st.write(f, hooks, 'slots', 'CKS2', 0, 40);
  out.push(JSON.stringify({ n: st.list(f, 'slots').length, trash: st.stats(f).trashCount, head: st.read(f, 'slots', 0, 4) }));
  return out;
}

describe('in-place Storage writes in the real interpreter (ESPRUINO_BIN)', function () {
  this.timeout(60000);
  it('a byte left 0xFF is written later in place, once; offset 0 replaces the file; the model answers the same', async function () {
    const bin = espruinoBinary();
    if (!bin) { console.log('      skipped: set ESPRUINO_BIN to an Espruino interpreter built for Linux (docs/ESPRUINO.md)'); this.skip(); }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inplace-'));
    const s = startInterpreter(bin!, dir);
    try {
      const got = (await s.eval(SCRIPT)).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'));
      assert.deepEqual(JSON.parse(got[0]), { n: 1, trash: 0, b19: 0, b20: 255, at: 12, len: 40 }, 'written in place: one file, no trash');
      assert.deepEqual(JSON.parse(got[1]), { err: 'File already written with different data', b19: 0 }, 'a written byte cannot be written again');
      assert.deepEqual(JSON.parse(got[2]), { n: 1, trash: 1, head: 'CKS2' }, 'offset 0 on a written file: a new file, the old one trash');
      assert.deepEqual(got, modelAnswers(), 'the flash model answers as the interpreter does');
    } finally {
      await s.quit();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
