/** firmware/frames.ts: fragmentation, reassembly, every error case, hostile input, and the docs example. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { createReassembler, fragment, FIRST, LAST, type Reassembler } from '../../firmware/frames';
import { toHex } from '../../firmware/bytes';
// A seeded generator, so the round trips are the same on every run.
import { prng } from '../../tools/host/random';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));


function randomBytes(next: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = next() & 255;
  return b;
}

/** Pushes packets; asserts no error on the way and returns the message the last one completed. */
function feed(r: Reassembler, packets: Uint8Array[]): Uint8Array {
  for (let i = 0; i < packets.length - 1; i++) assert.deepEqual(r.push(packets[i]), {}, 'fragment ' + i);
  const last = r.push(packets[packets.length - 1]);
  assert.equal(last.error, undefined);
  assert.ok(last.message, 'the last fragment completes the message');
  return last.message!;
}

// The worked example of docs/PROTOCOL.md: type 0x10, payload 00..27 (41 bytes), MTU payload 20.
const EXAMPLE_MESSAGE = '10000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627';
const EXAMPLE_PACKETS = ['80002910000102030405060708090a0b0c0d0e0f', '01101112131415161718191a1b1c1d1e1f202122', '422324252627'];
const EXAMPLE_SINGLE = 'c00003026869'; // type 0x02, payload 68 69

describe('protocol: framing', () => {
  describe('fragment', () => {
    it('produces the worked example of docs/PROTOCOL.md, which quotes these bytes', () => {
      assert.deepEqual(fragment(hex(EXAMPLE_MESSAGE), 20).map(toHex), EXAMPLE_PACKETS);
      assert.deepEqual(fragment(hex('026869'), 20).map(toHex), [EXAMPLE_SINGLE]);
      const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'PROTOCOL.md'), 'utf8').replace(/ /g, '');
      for (const p of EXAMPLE_PACKETS.concat([EXAMPLE_MESSAGE, EXAMPLE_SINGLE])) assert.ok(doc.includes(p), 'docs quote ' + p);
    });

    it('fills packets to the MTU, flags first and last, numbers fragments 0,1,2...', () => {
      const ps = fragment(new Uint8Array(100).fill(7), 20);
      // 17 bytes in the first, 19 in each next: 17 + 4 * 19 = 93, then 7.
      assert.deepEqual(ps.map((p) => p.length), [20, 20, 20, 20, 20, 8]);
      assert.deepEqual(ps.map((p) => p[0]), [FIRST | 0, 1, 2, 3, 4, LAST | 5]);
      assert.deepEqual([...ps[0].subarray(1, 3)], [0, 100]);
    });

    it('wraps the sequence number at 64', () => {
      const ps = fragment(new Uint8Array(2000), 20);
      assert.equal(ps[63][0] & 0x3f, 63);
      assert.equal(ps[64][0], 0);
      assert.equal(ps[65][0], 1);
    });

    it('returns no packets for what cannot be sent, and never throws', () => {
      assert.deepEqual(fragment(new Uint8Array(0), 20), []);
      assert.deepEqual(fragment(new Uint8Array(65536), 20), []);
      assert.deepEqual(fragment(new Uint8Array(5), 3), []);
      assert.deepEqual(fragment(new Uint8Array(5), NaN), []);
      assert.deepEqual(fragment(null as any, 20), []);
      assert.equal(fragment(new Uint8Array(65535), 20).length, Math.ceil((65535 - 17) / 19) + 1);
      assert.deepEqual(fragment(new Uint8Array(2), 4).map(toHex), ['80000200', '4100']);
      assert.ok(fragment(new Uint8Array(2000), 10000).every((p) => p.length <= 512), 'capped at 512');
      assert.deepEqual(fragment(new Uint8Array(30), 20.9).map((p) => p.length), [20, 14], 'fractional MTU rounds down');
    });
  });

  describe('round trip', () => {
    it('every MTU payload from 20 to 244, messages of 1..256 bytes', () => {
      const next = prng(0x5eed);
      const r = createReassembler(256);
      for (let mtu = 20; mtu <= 244; mtu++) {
        for (const n of [1, mtu - 3, mtu - 2, 256, 1 + (next() % 256)]) {
          const m = randomBytes(next, n);
          const ps = fragment(m, mtu);
          assert.ok(ps.every((p) => p.length <= mtu && p.length >= 2), 'mtu ' + mtu + ' n ' + n);
          assert.deepEqual(feed(r, ps), m, 'mtu ' + mtu + ' n ' + n);
        }
      }
    });

    it('random messages and MTUs (property)', () => {
      fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.integer({ min: 4, max: 244 }), (m, mtu) => {
        const r = createReassembler(600);
        const ps = fragment(m, mtu);
        for (let i = 0; i < ps.length - 1; i++) if (Object.keys(r.push(ps[i])).length) return false;
        const out = r.push(ps[ps.length - 1]);
        return out.error === undefined && !!out.message && Buffer.compare(out.message, m) === 0;
      }), { numRuns: 300 });
    });

    it('long messages across the sequence wrap (65535 bytes at MTU 20)', () => {
      const m = randomBytes(prng(7), 65535);
      assert.deepEqual(feed(createReassembler(65535), fragment(m, 20)), m);
    });

    it('back-to-back messages on one reassembler; a delivered message is not reused', () => {
      const r = createReassembler(256);
      const a = feed(r, fragment(hex('01aabbcc'), 20));
      const b = feed(r, fragment(new Uint8Array(50).fill(2), 20));
      assert.equal(toHex(a), '01aabbcc');
      assert.equal(b.length, 50);
    });
  });

  describe('reassembly errors (each resets, so a good message follows)', () => {
    const good = fragment(new Uint8Array(40).fill(9), 20); // 3 packets
    function expectError(r: Reassembler, packet: Uint8Array, pattern: RegExp) {
      const out = r.push(packet);
      assert.equal(out.message, undefined);
      assert.match(out.error || '', pattern);
      assert.equal(r.buf, null, 'reset after the error');
      assert.equal(feed(r, good).length, 40, 'recovers');
    }

    it('empty packet', () => {
      expectError(createReassembler(256), new Uint8Array(0), /empty packet/);
      expectError(createReassembler(256), undefined as any, /empty packet/);
    });

    it('continuation without a first fragment', () => {
      expectError(createReassembler(256), good[1], /continuation without a first fragment/);
    });

    it('wrong sequence number (skipped, repeated)', () => {
      let r = createReassembler(256);
      r.push(good[0]);
      expectError(r, hex('02' + '09'.repeat(19)), /sequence 2, expected 1/);
      r = createReassembler(256);
      r.push(good[0]);
      r.push(good[1]);
      expectError(r, good[1], /sequence 1, expected 2/);
    });

    it('first fragment with a sequence number other than 0', () => {
      expectError(createReassembler(256), hex('c1000101'), /first fragment with sequence 1/);
    });

    it('announced length above maxMessage, and 0', () => {
      const r = createReassembler(256);
      expectError(r, hex('800101' + '00'.repeat(17)), /announced length 257 above 256/);
      assert.equal(feed(r, fragment(new Uint8Array(256), 20)).length, 256, '256 itself is fine');
      expectError(r, hex('c0000000'), /announced length 0/);
    });

    it('more bytes than announced (first fragment, and later)', () => {
      expectError(createReassembler(256), hex('c0000201020304'), /more bytes than the announced 2/);
      const r = createReassembler(256);
      assert.deepEqual(r.push(hex('8000050102')), {});
      expectError(r, hex('410304050607'), /more bytes than the announced 5/);
    });

    it('last fragment short of the announced length', () => {
      expectError(createReassembler(256), hex('c000050102'), /last fragment with 2 of 5 bytes/);
    });

    it('announced length reached without a last flag', () => {
      expectError(createReassembler(256), hex('8000020102'), /announced length reached without a last fragment/);
    });

    it('fragments without data', () => {
      expectError(createReassembler(256), hex('c00001'), /first fragment too short/);
      const r = createReassembler(256);
      r.push(good[0]);
      expectError(r, hex('01'), /fragment without data/);
    });

    it('a new first fragment mid-message drops the old message and starts the new one', () => {
      const r = createReassembler(256);
      r.push(good[0]);
      r.push(good[1]);
      const restart = r.push(hex('80000401020304'.slice(0, 12)));
      assert.match(restart.error || '', /new first fragment before the last one; previous message dropped/);
      assert.equal(restart.message, undefined);
      const end = r.push(hex('4104'));
      assert.deepEqual(end, { message: hex('01020304') });
    });

    it('a complete single-fragment message mid-message is delivered together with the error', () => {
      const r = createReassembler(256);
      r.push(good[0]);
      const out = r.push(hex('c00003026869'));
      assert.match(out.error || '', /previous message dropped/);
      assert.equal(toHex(out.message!), '026869');
      assert.equal(feed(r, good).length, 40);
    });

    it('reset() drops a message in progress (the caller\'s timeout)', () => {
      const r = createReassembler(256);
      r.push(good[0]);
      r.reset();
      assert.match(r.push(good[1]).error || '', /continuation without a first fragment/);
      r.push(good[0]);
      r.reset();
      assert.deepEqual(r.push(good[0]), {}, 'a first fragment after reset() is not a restart');
    });
  });

  describe('hostile peers', () => {
    it('random packets never throw and never yield a message longer than maxMessage', () => {
      fc.assert(fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.oneof(
          fc.uint8Array({ maxLength: 250 }),
          // Packets that look like ours: plausible headers and small lengths.
          fc.tuple(fc.constantFrom(0x80, 0xc0, 0x00, 0x40, 0x01, 0x41), fc.integer({ min: 0, max: 400 }), fc.uint8Array({ maxLength: 30 }))
            .map(([h, n, rest]) => (h & FIRST ? new Uint8Array([h, n >> 8, n & 255, ...rest]) : new Uint8Array([h | (n & 0x3f), ...rest]))),
        ), { maxLength: 40 }),
        (max, packets) => {
          const r = createReassembler(max);
          for (const p of packets) {
            const out = r.push(p);
            if (out.message && out.message.length > max) return false;
            if (out.message && out.message.length === 0) return false;
            if (out.error !== undefined && typeof out.error !== 'string') return false;
          }
          return true;
        }), { numRuns: 2000 });
    });

    it('non-byte input does not throw either', () => {
      const r = createReassembler(256);
      for (const p of [null, undefined, 5, 'abc', {}, { length: 4 }, [0xc0, 0, 1, 7], new Uint8Array([0xff])] as any[]) {
        assert.doesNotThrow(() => r.push(p));
      }
      assert.deepEqual(createReassembler(NaN).push(hex('c0000101')).message, undefined);
    });
  });
});
