/** AES-128 fallback vs node:crypto and FIPS-197; CMAC vs RFC 4493; AN10922 diversification. */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { aesDecryptBlock, aesEncryptBlock } from '../../firmware/aes';
import { cmac, cmacSubkeys, type BlockCipher } from '../../firmware/cmac';
import { diversifyAes128 } from '../../firmware/desfire';

const h = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
import { ecb, native, soft } from './ciphers';

describe('nfc: AES-128 fallback (firmware/aes.ts)', () => {
  it('matches the FIPS-197 appendix C.1 vector both ways', () => {
    const key = h('000102030405060708090a0b0c0d0e0f');
    assert.equal(hex(aesEncryptBlock(key, h('00112233445566778899aabbccddeeff'))), '69c4e0d86a7b0430d8cdb78070b4c55a');
    assert.equal(hex(aesDecryptBlock(key, h('69c4e0d86a7b0430d8cdb78070b4c55a'))), '00112233445566778899aabbccddeeff');
  });

  it('matches node:crypto AES-128-ECB on 300 random keys and blocks, alternating keys (key cache)', () => {
    for (let i = 0; i < 300; i++) {
      const key = new Uint8Array(crypto.randomBytes(16));
      const block = new Uint8Array(crypto.randomBytes(16));
      const c = ecb(true, key, block);
      assert.equal(hex(aesEncryptBlock(key, block)), hex(c), 'encrypt #' + i);
      assert.equal(hex(aesDecryptBlock(key, c)), hex(block), 'decrypt #' + i);
    }
  });

  it('returns a fresh array and leaves its inputs alone', () => {
    const key = h('2b7e151628aed2a6abf7158809cf4f3c');
    const block = h('6bc1bee22e409f96e93d7e117393172a');
    const out = aesEncryptBlock(key, block);
    assert.equal(hex(out), '3ad77bb40d7a3660a89ecaf32466ef97'); // SP 800-38A F.1.1
    assert.equal(hex(block), '6bc1bee22e409f96e93d7e117393172a');
    assert.notEqual(aesEncryptBlock(key, block), out);
  });
});

describe('nfc: AES-128-CBC over whole blocks (NIST SP 800-38A F.2.1/F.2.2)', () => {
  const key = h('2b7e151628aed2a6abf7158809cf4f3c');
  const iv = h('000102030405060708090a0b0c0d0e0f');
  const plain = h(`6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                   30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);
  const cipher = h(`7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2
                    73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7`);
  for (const [name, c] of [['fallback AES', soft], ['node AES', native]] as Array<[string, BlockCipher]>) {
    it(`encrypts and decrypts the 4-block example with its IV, and any prefix of it, with ${name}`, () => {
      for (let n = 16; n <= 64; n += 16) {
        assert.equal(hex(c.encrypt(key, plain.subarray(0, n), iv)), hex(cipher.subarray(0, n)), 'encrypt ' + n);
        assert.equal(hex(c.decrypt(key, cipher.subarray(0, n), iv)), hex(plain.subarray(0, n)), 'decrypt ' + n);
      }
    });
    it(`continues the chain from any block given as the IV, and takes no IV as zero (ECB of one block), with ${name}`, () => {
      assert.equal(hex(c.encrypt(key, plain.subarray(32), cipher.subarray(16, 32))), hex(cipher.subarray(32)));
      assert.equal(hex(c.decrypt(key, cipher.subarray(48), cipher.subarray(32, 48))), hex(plain.subarray(48)));
      assert.equal(hex(c.encrypt(key, h('00112233445566778899aabbccddeeff'))), hex(ecb(true, key, h('00112233445566778899aabbccddeeff'))));
    });
    it(`leaves its inputs untouched with ${name}`, () => {
      const p = plain.slice(), v = iv.slice();
      c.encrypt(key, p, v);
      c.decrypt(key, p, v);
      assert.equal(hex(p), hex(plain));
      assert.equal(hex(v), hex(iv));
    });
  }
});

describe('nfc: AES-CMAC (RFC 4493)', () => {
  const key = h('2b7e151628aed2a6abf7158809cf4f3c');
  const msg = h(`6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);
  const vectors: Array<[number, string]> = [
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ];
  for (const [name, c] of [['fallback AES', soft], ['node AES', native]] as Array<[string, BlockCipher]>) {
    for (const [len, mac] of vectors) {
      it(`example ${len}-byte message with ${name}`, () => {
        assert.equal(hex(cmac(c, key, msg.subarray(0, len))), mac);
      });
    }
    it(`derives the RFC 4493 subkeys, and keeps them per key, not across keys, with ${name}`, () => {
      assert.equal(hex(cmacSubkeys(c, key)), 'fbeed618357133667c85e08f7236a8de' + 'f7ddac306ae266ccf90bc11ee46d513b');
      const other = h('000102030405060708090a0b0c0d0e0f');
      const want = hex(cmac(c, other, msg.subarray(0, 40)));
      // Alternating keys: each MAC is right whatever the cache held before.
      for (let i = 0; i < 3; i++) {
        assert.equal(hex(cmac(c, key, msg.subarray(0, 40))), 'dfa66747de9ae63030ca32611497c827');
        assert.equal(hex(cmac(c, other, msg.subarray(0, 40))), want);
      }
      assert.notEqual(want, 'dfa66747de9ae63030ca32611497c827');
    });
  }

});

describe('nfc: AN10922 AES-128 key diversification', () => {
  // The AES-128 example of NXP AN10922 (section 2.2.1), values as recalled from the note; the
  // diversified key was also re-derived independently with node:crypto (see `reference` below).
  it('matches the AN10922 AES-128 example', () => {
    const k = diversifyAes128(soft, h('00112233445566778899AABBCCDDEEFF'), h('04782E21801D80'), h('3042F5'), h('4E585020416275'));
    assert.equal(hex(k), 'a8dd63a3b89d54b37ca802473fda9175');
  });

  /** Straightforward reference: D = 01 || M || 80 00.. to 32 bytes (K2) or exactly 32 (K1), CBC-MAC. */
  function reference(master: Uint8Array, m: Uint8Array): string {
    const dbl = (b: Buffer) => { const o = Buffer.alloc(16); for (let i = 0; i < 16; i++) o[i] = ((b[i] << 1) | (i < 15 ? b[i + 1] >> 7 : 0)) & 255; if (b[0] & 128) o[15] ^= 0x87; return o; };
    const k1 = dbl(Buffer.from(ecb(true, master, new Uint8Array(16))));
    const k2 = dbl(k1);
    const d = Buffer.alloc(32);
    d[0] = 1; Buffer.from(m).copy(d, 1);
    const padded = m.length < 31;
    if (padded) d[1 + m.length] = 0x80;
    for (let i = 0; i < 16; i++) d[16 + i] ^= (padded ? k2 : k1)[i];
    const c = crypto.createCipheriv('aes-128-cbc', master, Buffer.alloc(16));
    c.setAutoPadding(false);
    return Buffer.concat([c.update(d), c.final()]).subarray(16, 32).toString('hex');
  }

  it('matches an independent implementation for random masters, UIDs, AIDs and system ids of 0..21 bytes', () => {
    for (let i = 0; i < 60; i++) {
      const master = new Uint8Array(crypto.randomBytes(16));
      const uid = new Uint8Array(crypto.randomBytes(7));
      const aid = new Uint8Array(crypto.randomBytes(3));
      const sys = new Uint8Array(crypto.randomBytes(i % 22));
      const m = new Uint8Array([...uid, ...aid, ...sys]);
      assert.equal(hex(diversifyAes128(soft, master, uid, aid, sys)), reference(master, m), 'case ' + i);
      assert.equal(hex(diversifyAes128(native, master, uid, aid, sys)), reference(master, m));
    }
  });

  it('gives different keys for UIDs differing in one bit, and refuses inputs over 31 bytes', () => {
    const master = h('00112233445566778899AABBCCDDEEFF');
    const a = diversifyAes128(soft, master, h('04782E21801D80'), h('3042F5'), h(''));
    const b = diversifyAes128(soft, master, h('04782E21801D81'), h('3042F5'), h(''));
    assert.notEqual(hex(a), hex(b));
    assert.throws(() => diversifyAes128(soft, master, h('04782E21801D80'), h('3042F5'), new Uint8Array(22)));
  });
});
