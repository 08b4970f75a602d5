/** firmware/bytes.ts: big-endian helpers, concat, and that equalConstantTime reads every byte. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { concat, equalConstantTime, readU16, readU32, toHex, writeU16, writeU32 } from '../../firmware/bytes';

/** Wraps bytes so every index read is recorded. */
function spy(bytes: number[]): { view: Uint8Array; reads: number[] } {
  const target = new Uint8Array(bytes);
  const reads: number[] = [];
  const view = new Proxy(target, {
    get(t, k) {
      if (typeof k === 'string' && /^[0-9]+$/.test(k)) reads.push(Number(k));
      return (t as any)[k];
    },
  });
  return { view, reads };
}

describe('protocol: bytes', () => {
  it('concat joins two arrays into a new one', () => {
    const a = new Uint8Array([1, 2]);
    const b = new Uint8Array([3]);
    const c = concat(a, b);
    assert.deepEqual([...c], [1, 2, 3]);
    c[0] = 9;
    assert.equal(a[0], 1);
    assert.equal(concat(new Uint8Array(0), new Uint8Array(0)).length, 0);
  });

  it('reads and writes u16/u32 big-endian, u32 unsigned', () => {
    const b = new Uint8Array(6);
    writeU16(b, 0, 0xbeef);
    writeU32(b, 2, 0xdeadbeef);
    assert.equal(toHex(b), 'beefdeadbeef');
    assert.equal(readU16(b, 0), 0xbeef);
    assert.equal(readU32(b, 2), 0xdeadbeef);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }), (v32, v16) => {
      const x = new Uint8Array(7);
      writeU32(x, 1, v32);
      writeU16(x, 5, v16);
      return readU32(x, 1) === v32 && readU16(x, 5) === v16 && x[0] === 0 && Buffer.from(x).readUInt32BE(1) === v32;
    }));
  });

  it('toHex pads every byte to two digits', () => {
    assert.equal(toHex(new Uint8Array([0, 1, 15, 16, 255])), '00010f10ff');
  });

  describe('equalConstantTime', () => {
    it('is true for equal bytes, false for any single difference', () => {
      fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (a, i, flip) => {
        const b = new Uint8Array(a);
        if (!equalConstantTime(a, b)) return false;
        b[i % b.length] ^= flip;
        return !equalConstantTime(a, b);
      }));
      assert.equal(equalConstantTime(new Uint8Array(0), new Uint8Array(0)), true);
    });

    it('is false on a length mismatch, even when one is a prefix of the other', () => {
      assert.equal(equalConstantTime(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2])), false);
      assert.equal(equalConstantTime(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
      assert.equal(equalConstantTime(new Uint8Array([0, 0]), new Uint8Array([0])), false);
    });

    it('reads every byte whatever the position of the first difference (no early exit)', () => {
      const n = 32;
      const base = Array.from({ length: n }, (_, i) => i);
      const all = base.map((_, i) => i);
      for (const at of [0, 1, n / 2, n - 1, -1]) {
        const other = base.slice();
        if (at >= 0) other[at] ^= 0xff;
        const a = spy(base);
        const b = spy(other);
        assert.equal(equalConstantTime(a.view, b.view), at < 0);
        assert.deepEqual([...new Set(a.reads)].sort((x, y) => x - y), all, 'a at ' + at);
        assert.deepEqual([...new Set(b.reads)].sort((x, y) => x - y), all, 'b at ' + at);
        assert.equal(a.reads.length, n, 'each byte of a read once');
      }
    });

    it('on a length mismatch still walks the whole of the first array', () => {
      const a = spy([1, 2, 3, 4, 5, 6, 7, 8]);
      const b = spy([9]);
      assert.equal(equalConstantTime(a.view, b.view), false);
      assert.deepEqual(a.reads, [0, 1, 2, 3, 4, 5, 6, 7]);
    });
  });
});
