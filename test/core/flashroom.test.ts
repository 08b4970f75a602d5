/**
 * Room in Storage for the tiled layout (firmware/flashroom.ts): files made at run time take whole
 * tiles, and the first boot pads the Storage to a page boundary only when a page of tiles is left.
 */
import { strict as assert } from 'node:assert';
import { PAD_FILE, fileSize, fits, padToPage } from '../../firmware/flashroom';
import { memoryFlash } from '../../tools/host/flash';

describe('flashroom: tiles and the pad (tiled layout)', () => {
  it('sizes a file to whole tiles, header included; any size without tiles', () => {
    const f = memoryFlash(40960);
    assert.equal(fileSize(f, 4), 4);
    f.tile = 512;
    assert.equal(fileSize(f, 4), 480);
    assert.equal(fileSize(f, 480), 480);
    assert.equal(fileSize(f, 481), 992);
    assert.equal(fits(f, 4), true);
  });

  it('pads from the last file to the next page boundary at the first boot, once, and only with a page of tiles after it', () => {
    const f = memoryFlash(40960);
    f.tile = 512;
    assert.ok(f.write('before', 'x', 0, 1000));
    padToPage(f);
    assert.equal(f.free() % 4096, 0, 'the next file starts a page');
    assert.ok(f.free() >= 4096);
    const pad = f.read(PAD_FILE)!.length;
    padToPage(f);
    assert.equal(f.read(PAD_FILE)!.length, pad, 'once');
    // No room for a tile page after the pad: no pad (the board then has no tile region).
    const g = memoryFlash(40960);
    g.tile = 512;
    assert.ok(g.write('big', 'x', 0, 40960 - 32 - 3000));
    padToPage(g);
    assert.equal(g.read(PAD_FILE), undefined);
    // Not on a board without tiles, nor once the log has begun.
    const h = memoryFlash(40960);
    assert.ok(h.write('before', 'x', 0, 1000));
    padToPage(h);
    assert.equal(h.read(PAD_FILE), undefined);
    h.tile = 512;
    assert.ok(h.write('ck.log.1', 'x', 0, 480));
    padToPage(h);
    assert.equal(h.read(PAD_FILE), undefined);
  });
});
