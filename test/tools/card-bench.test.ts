/**
 * tools/benchmarks/card.ts: the card-tap bench's recording and, with a real interpreter
 * (ESPRUINO_BIN), one replayed tap through the real firmware and PN532 driver. Checks that the
 * bench measures a tap that switches the relay (a key table the build cannot read made it measure
 * a refusal), never a timing.
 */
import { strict as assert } from 'node:assert';
import { UID, cardBenchBundle, cardTap, recordTap } from '../../tools/benchmarks/card';
import { boardById } from '../../hal/boards/index';
import { cardKeyIdOf } from '../../tools/host/provision/site';
import { hostCrypto } from '../../tools/host/crypto';
import * as C from '../../firmware/codes';
import * as slots from '../../firmware/keystore';
import { espruinoBinary } from '../../tools/host/espruino-binary';

describe('card-tap bench (tools/benchmarks/card.ts)', () => {
  it('records a tap whose card is in the key slot file puckjs-nfc reads, and a transcript that reports it', () => {
    const rec = recordTap();
    const nfc = boardById('puckjs-nfc')!;
    assert.ok(rec.image.flash.read(slots.KEY_SLOTS_FILE), 'the key slot file, as the puckjs-nfc build reads it');
    const card = slots.ksLookup(slots.ksOpen(rec.image.flash, hostCrypto, nfc.keyCapacity), cardKeyIdOf(UID));
    assert.ok(card && card.kind === C.KIND_CARD && card.role === C.ROLE_OWNER);
    // The read at `tap` is InListPassiveTarget's answer with one target: status, 00 00 FF LEN LCS D5 4B 01.
    const b = Buffer.from(rec.reads[rec.tap], 'hex');
    assert.deepEqual([...b.subarray(6, 9)], [0xd5, 0x4b, 1]);
    assert.ok(rec.writes.length > 6, 'init, poll, select, authenticate');
  });

  it('its bundle passes the build\'s checks with native and JavaScript AES (no interpreter needed)', async function () {
    this.timeout(120000);
    // The build refuses a hook whose strings clash with a shortened field name (short-fields.ts):
    // the bench once printed only "not measured" for that, and no test without ESPRUINO_BIN saw it.
    for (const aes of ['native', 'javascript'] as const) assert.ok((await cardBenchBundle(aes)).length > 20000, aes);
  });

  it('a replayed tap switches the relay in the real interpreter, with every phase measured', async function () {
    this.timeout(240000);
    const bin = espruinoBinary();
    if (!bin) { console.log('      skipped: set ESPRUINO_BIN (docs/ESPRUINO.md)'); this.skip(); return; }
    // cardTap throws when the relay stays off or the firmware writes other frames than recorded.
    const t = await cardTap(bin, recordTap(), 'native', 1);
    assert.deepEqual(t.phases.map((p) => p.phase), ['detect', 'pn532', 'auth', 'decision', 'after relay']);
    assert.ok(t.native.aes && t.native.aes[0] >= 3, 'AES through the crypto port');
    // Both ratios from the shared reference loops (board.ts referenceWays, timeline.ts ratiosOf), as the phone bench.
    assert.ok(t.ratio > 0 && t.boardMs > 0 && t.ratioStorage > 0 && t.boardMsStorage > 0);
    assert.ok(t.reference.length === 2 && t.reference.every((r) => r.console > 0 && r.storage > 0), 'the loops before and after the tap');
  });
});
