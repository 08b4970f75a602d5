/**
 * The journal's page change in a real Espruino interpreter (ESPRUINO_BIN; skipped without it): the
 * firmware's own journal code (firmware/journal.ts on hal/espruino/journal.ts's port, bundled per
 * board by tools/benchmarks/readlog.ts) appends until every page is used and on past a wrap, which
 * erases the oldest page with require("Flash").erasePage; then the newest entries read back.
 * Espruino's erasePage refuses an address that is a float ("Address should be an integer",
 * src/jswrap_flash.c), and Math.floor's result is one there: before the fix every page change that
 * had to erase a page failed, so a board's log stopped once its journal's pages were all used.
 * The VM engine cannot show it (JavaScript has one number type), hence this test.
 */
import { strict as assert } from 'node:assert';
import { espruinoBinary } from '../../tools/host/espruino-binary';
import { journalSession } from '../../tools/benchmarks/readlog';

describe('evidence: the journal wraps in a real Espruino interpreter (page erase with an integer address)', function () {
  this.timeout(600000);
  for (const id of ['puckjs', 'xiaoble']) {
    it(`${id}: every page used and past a wrap; the newest entries read back`, async function () {
      const bin = espruinoBinary();
      if (!bin) { console.log('      skipped: set ESPRUINO_BIN to an Espruino interpreter built for Linux (docs/ESPRUINO.md)'); this.skip(); }
      const j = await journalSession(bin!, id);
      try {
        const filled = await j.fill();
        assert.match(filled, /^ok \d+$/, 'appends past the wrap: ' + filled);
        const r = await j.read(true, 1);
        assert.deepEqual(r.seqs, [0, 1, 2, 3, 4, 5, 6, 7].map((k) => r.last - 7 + k), 'the newest 8 entries');
        const o = await j.read(false, 1);
        assert.ok(o.seqs[0] > 1, 'the oldest page was dropped by the wrap: ' + o.seqs[0]);
      } finally { await j.s.quit(); }
    });
  }
});
