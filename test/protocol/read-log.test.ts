/**
 * READ_LOG as docs/PROTOCOL.md ("Audit log entries") states it, checked with the clients' decoders
 * (tools/host/logdecode.ts: decodeLogAnswer for the air, decodeLogDump for the console dump,
 * tools/host/names.ts for the text) against the board's own answers on the simulated car: the doc's
 * example bytes, a burst of failures read over the air, seq order over both rings from any seq,
 * and a gap where the failure ring dropped entries.
 */
import { strict as assert } from 'node:assert';
import { createCar, type SimCar } from '../../sim/car';
import { OP, be32 } from '../../tools/host/protocol';
import { type DecodedEntry, decodeLogAnswer, decodeLogDump } from '../../tools/host/logdecode';
import { FAIL_CAP } from '../../firmware/auditlog';
import { burstOf, describeEntry } from '../../tools/host/names';
import { BURST_MS } from '../../firmware/failures';
import * as C from '../../firmware/codes';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/**
 * Every entry from `from` on, as a client reads it: 8 at a time, on from the last seq + 1, until
 * an answer has fewer than 8 (each read is itself a grant and adds one entry).
 */
function readAll(car: SimCar, from = 0): DecodedEntry[] {
  const owner = car.phone(car.keys.owner);
  const out: DecodedEntry[] = [];
  for (;;) {
    const a = owner.run(OP.READ_LOG, new Uint8Array(be32(from)));
    assert.equal(a.status, C.R_OK);
    assert.equal(a.authentic, true);
    const got = decodeLogAnswer(a.data!);
    out.push(...got);
    if (got.length < 8) return out;
    from = got[got.length - 1].seq + 1;
  }
}

describe('protocol: READ_LOG entries, bursts of failures and the two rings', function () {
  this.timeout(60000);

  it('the doc\'s example decodes as the doc says', () => {
    const [e] = decodeLogAnswer(hex('0000002a 000004d2 21 85 09 00 003b 0244'));
    assert.deepEqual(e, { seq: 42, time: 1234, trusted: false, event: C.LOG_FAILURES, result: 0x85, reason: C.R_LOCKED_OUT, keyId: 0x003b0244, count: 59, span: 580 });
    const b = burstOf(e);
    assert.deepEqual([b.count, b.span, b.reasons], [59, 580, ['bad MAC', 'replay', 'other']]);
    assert.match(describeEntry(e), /^failures: 59 unproven attempts over 580 s \(bad MAC, replay, other\), last: locked out$/);
  });

  it('a burst read over the air matches the board\'s log, in seq order over both rings, from any seq', async () => {
    const car = await createCar({ board: 'puckjs', demo: true, seed: 3 });
    const owner = car.phone(car.keys.owner);
    owner.unlock();
    const forger = car.phone({ keyId: 0x01020304, secret: new Uint8Array(16) });
    for (let i = 0; i < 12; i++) { forger.unlock(); car.advance(5000); }
    owner.unlock();
    car.advance(BURST_MS);
    owner.unlock();
    const air = readAll(car);
    const lastAir = air[air.length - 1].seq;
    const flash = car.auditLog().filter((e) => e.seq <= lastAir);
    assert.deepEqual(air.map((e) => e.seq), flash.map((e) => e.seq), 'same entries, same order');
    for (let i = 0; i < air.length; i++) {
      const { count, span, ...plain } = air[i];
      assert.deepEqual(plain, flash[i]);
      if (air[i].event === C.LOG_FAILURES) assert.deepEqual([count, span], [flash[i].keyId >>> 16, flash[i].keyId & 0xffff]);
    }
    for (let i = 1; i < air.length; i++) assert.ok(air[i].seq > air[i - 1].seq);
    const denied = air.filter((e) => e.event === C.LOG_DENIED);
    const bursts = air.filter((e) => e.event === C.LOG_FAILURES);
    assert.equal(denied.length, 1, 'the first failure, written at once');
    assert.equal(denied[0].keyId, 0x01020304);
    assert.equal(bursts.length, 1, 'the rest as one burst');
    assert.equal(bursts[0].count, 11);
    assert.ok(bursts[0].span! >= 50 && bursts[0].span! <= 56, String(bursts[0].span));
    // A grant written after the burst's failures but before its entry has the lower seq: order is write order.
    const mid = air[Math.floor(air.length / 2)].seq;
    const again = readAll(car, mid);
    assert.deepEqual(again.map((e) => e.seq).filter((q) => q <= lastAir), air.filter((e) => e.seq >= mid).map((e) => e.seq));
    // The console dump (bench page) reads both rings too.
    const dump = car.board.storage.list().filter((n) => n.startsWith('ck.log.') || n === 'ck.jrnl').map((n) => n + ':' + Buffer.from(car.board.storage.read(n)!, 'latin1').toString('base64')).join(' ');
    const dumped = decodeLogDump(dump).reverse();
    assert.deepEqual(dumped.map((e) => e.seq), car.auditLog().map((e) => e.seq));
    assert.deepEqual(dumped.filter((e) => e.event === C.LOG_FAILURES).map((e) => e.count), [11]);
    car.board.close();
  });

  it('a gap in seq is failure entries the failure ring dropped: the reader just reads on', async () => {
    const car = await createCar({ board: 'puckjs', demo: true, seed: 4 });
    const guest = car.phone(car.keys.guest);
    car.phone(car.keys.owner).unlock();
    // Proven denials, one entry each, into the failure ring: more than its two segments hold (in
    // the journal, more than the page's cap: firmware/auditlog.ts FAIL_CAP).
    for (let i = 0; i < (car.config.tile ? FAIL_CAP + 10 : 2 * car.config.logPerSegment + 10); i++) guest.drive();
    car.phone(car.keys.owner).unlock();
    const air = readAll(car);
    const seqs = air.map((e) => e.seq);
    assert.ok(seqs.some((s, i) => i > 0 && s !== seqs[i - 1] + 1), 'there is a gap');
    assert.ok(air.some((e) => e.event === C.EV_BOOT), 'the boot is still there: failures evicted only failures');
    assert.ok(air.filter((e) => e.event === C.LOG_GRANTED).length >= 2);
    car.board.close();
  });
});
