/** firmware/hmac.ts: RFC 4231 vectors and a random cross-check against node:crypto. */
import { strict as assert } from 'node:assert';
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { hmacSha256, hmacVerify, MIN_TAG } from '../../firmware/hmac';
import { toHex } from '../../firmware/bytes';

const calls: number[] = [];
/** The Crypto port's sha256, as the simulator would give it; records input lengths. */
const sha256 = (d: Uint8Array): Uint8Array => {
  calls.push(d.length);
  return new Uint8Array(createHash('sha256').update(d).digest());
};
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const fill = (b: number, n: number) => new Uint8Array(n).fill(b);

// RFC 4231 section 4, HMAC-SHA-256 results (case 5 is truncated to 128 bits).
const RFC4231: Array<[string, Uint8Array, Uint8Array, string]> = [
  ['1', fill(0x0b, 20), ascii('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
  ['2', ascii('Jefe'), ascii('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
  ['3', fill(0xaa, 20), fill(0xdd, 50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
  ['4', hex('0102030405060708090a0b0c0d0e0f10111213141516171819'), fill(0xcd, 50), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
  ['5', fill(0x0c, 20), ascii('Test With Truncation'), 'a3b6167473100ee06e0c796c2955552b'],
  ['6', fill(0xaa, 131), ascii('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
  ['7', fill(0xaa, 131), ascii('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
];

describe('protocol: HMAC-SHA256', () => {
  for (const [name, key, data, mac] of RFC4231) {
    it('RFC 4231 test case ' + name, () => {
      const out = hmacSha256(sha256, key, data);
      assert.equal(out.length, 32);
      assert.equal(toHex(out).slice(0, mac.length), mac);
      assert.equal(hmacVerify(sha256, key, data, hex(mac)), true);
    });
  }

  it('matches node:crypto createHmac for random keys (0..200 bytes) and messages (0..300 bytes)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, data) => {
      const want = createHmac('sha256', key).update(data).digest('hex');
      return toHex(hmacSha256(sha256, key, data)) === want;
    }), { numRuns: 500 });
  });

  it('covers the edges: 64- and 65-byte keys, empty key and message', () => {
    for (const k of [0, 1, 63, 64, 65]) {
      for (const n of [0, 31, 32, 33, 64]) {
        const key = fill(0x42, k);
        const data = fill(0x17, n);
        assert.equal(toHex(hmacSha256(sha256, key, data)), createHmac('sha256', key).update(data).digest('hex'), k + '/' + n);
      }
    }
  });

  it('hashes a long key once and leaves key and data untouched', () => {
    const key = fill(0xaa, 131);
    const data = ascii('abc');
    calls.length = 0;
    hmacSha256(sha256, key, data);
    assert.deepEqual(calls, [131, 64 + 3, 96]);
    calls.length = 0;
    hmacSha256(sha256, fill(1, 64), data);
    assert.deepEqual(calls, [64 + 3, 96], 'a 64-byte key is used as it is');
    assert.deepEqual([...key], [...fill(0xaa, 131)]);
    assert.deepEqual([...data], [97, 98, 99]);
  });

  it('hmacVerify accepts full and truncated tags (16..32 bytes) and nothing else', () => {
    const key = fill(7, 32);
    const data = ascii('unlock');
    const mac = hmacSha256(sha256, key, data);
    for (let len = MIN_TAG; len <= 32; len++) assert.equal(hmacVerify(sha256, key, data, mac.slice(0, len)), true, 'len ' + len);
    assert.equal(hmacVerify(sha256, key, data, mac.slice(0, MIN_TAG - 1)), false, 'too short');
    assert.equal(hmacVerify(sha256, key, data, new Uint8Array(0)), false, 'empty');
    const long = new Uint8Array(33);
    long.set(mac);
    assert.equal(hmacVerify(sha256, key, data, long), false, 'too long');
    for (const at of [0, 15, 31]) {
      const bad = mac.slice();
      bad[at] ^= 1;
      assert.equal(hmacVerify(sha256, key, data, bad), false, 'bit flipped at ' + at);
    }
    assert.equal(hmacVerify(sha256, fill(8, 32), data, mac), false, 'other key');
    assert.equal(hmacVerify(sha256, key, ascii('unlocK'), mac), false, 'other message');
  });

  it('the vectors quoted in docs/PROTOCOL.md ("MAC") are what hmacSha256 computes', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'PROTOCOL.md'), 'utf8');
    const mac = doc.slice(doc.indexOf('## MAC'));
    const blocks = [...mac.matchAll(/key +([0-9a-f]+)[^\n]*\ndata +([0-9a-f]+)[^\n]*\nHMAC +([0-9a-f]+)/g)];
    assert.equal(blocks.length, 2);
    for (const b of blocks) assert.equal(toHex(hmacSha256(sha256, hex(b[1]), hex(b[2]))), b[3]);
  });
});
