/** DESFire AES mutual authentication with diversified keys, end to end: firmware/desfire.ts ->
 *  hal/pn532.ts -> simulated PN532 -> simulated card (node:crypto AES-CBC). */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import type { BlockCipher } from '../../firmware/cmac';
import { authenticateDesfire, diversifyAes128, sessionKey, type AuthRandoms, type DesfireConfig, type Transceive } from '../../firmware/desfire';
import { pn532Release, pn532Transceive } from '../../hal/pn532';
import { SimDesfireCard } from '../../sim/cards/desfire';
import { SimUidOnlyCard } from '../../sim/cards/uid-only';
import { h, hex, rig, type Rig } from './rig';

import { native, soft } from './ciphers';

const SITE = h('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
const AID = h('f54230');
const SYS = h('4f43414b'); // "OCAK"
const random = { bytes: (n: number) => new Uint8Array(crypto.randomBytes(n)) };
const cfg = (cipher: BlockCipher = soft, over: Partial<DesfireConfig> = {}): DesfireConfig =>
  ({ siteKey: SITE, aid: AID, keyNo: 1, systemId: SYS, cipher, random, ...over });

/** A card provisioned the way the site would: app AID, key 1 = diversify(site, uid, aid). */
function issued(uid: Uint8Array, site = SITE, opts = {}): SimDesfireCard {
  const k1 = new Uint8Array(diversifyAes128(native, site, uid, AID, SYS));
  return new SimDesfireCard(uid, [{ aid: AID, keys: [new Uint8Array(16), k1] }], opts);
}

interface Outcome { ok: boolean; reason: string; sk?: Uint8Array; uid: string }

/** Runs the reader; each detected card is authenticated and then released. */
function run(k: Rig, c: DesfireConfig): Outcome[] {
  const out: Outcome[] = [];
  const tx: Transceive = (apdu, cb) => pn532Transceive(k.r, apdu, cb);
  k.onCard = (uid: Uint8Array, sak: number) => {
    const auth: AuthRandoms = {};
    authenticateDesfire(c, tx, uid, sak, (ok, reason) => {
      out.push({ ok, reason, sk: auth.ra && sessionKey(auth), uid: hex(uid) });
      pn532Release(k.r);
    }, auth);
  };
  return out;
}

describe('nfc: DESFire AES authentication through the PN532', () => {
  for (const [name, cipher] of [['fallback AES', soft], ['native AES', native]] as Array<[string, BlockCipher]>) {
    it(`a card with the right diversified key authenticates (${name}); both sides derive the same session key`, () => {
      const k = rig();
      const out = run(k, cfg(cipher));
      const card = issued(h('04a1b2c3d4e5f6'));
      k.sim.card = card;
      assert.ok(k.t.until(() => out.length > 0, 3000));
      assert.equal(out[0].ok, true, out[0].reason);
      assert.equal(out[0].reason, 'ok');
      assert.equal(hex(out[0].sk!), hex(card.sessionKey!));
      assert.equal(card.authentications, 1);
      k.sim.card = undefined;
      k.t.tick(200);
      assert.equal(k.sim.fieldOn, false);
      assert.equal(k.fieldLeaks, 0);
    });
  }

  it('a clone (same UID, wrong key) is refused with auth-failed by the card', () => {
    const k = rig();
    const out = run(k, cfg());
    const uid = h('04a1b2c3d4e5f6');
    k.sim.card = issued(uid, h('00000000000000000000000000000001'));
    assert.ok(k.t.until(() => out.length > 0, 3000));
    assert.deepEqual([out[0].ok, out[0].reason, out[0].sk], [false, 'auth-failed', undefined]);
  });

  it('a forged clone that claims success is refused with auth-failed by the RndA\' check', () => {
    const k = rig();
    const out = run(k, cfg());
    k.sim.card = issued(h('04a1b2c3d4e5f6'), h('00000000000000000000000000000001'), { liar: true });
    assert.ok(k.t.until(() => out.length > 0, 3000));
    assert.deepEqual([out[0].ok, out[0].reason], [false, 'auth-failed']);
  });

  it('the right key copied onto a card with another UID is refused (keys are per card)', () => {
    const k = rig();
    const out = run(k, cfg());
    const good = issued(h('04a1b2c3d4e5f6'));
    k.sim.card = new SimDesfireCard(h('04a1b2c3d4e5f7'), good.apps);
    assert.ok(k.t.until(() => out.length > 0, 3000));
    assert.deepEqual([out[0].ok, out[0].reason], [false, 'auth-failed']);
  });

  it('the same card tapped again reuses its diversified key (no CMAC); another card or configuration derives its own', () => {
    let calls = 0;
    const counting: BlockCipher = { encrypt: (k, d, iv) => { calls++; return native.encrypt(k, d, iv); }, decrypt: (k, d, iv) => { calls++; return native.decrypt(k, d, iv); } };
    const c = cfg(counting);
    const k = rig();
    const out = run(k, c);
    const tap = (card: SimDesfireCard) => {
      const n = out.length, before = calls;
      k.sim.card = card;
      assert.ok(k.t.until(() => out.length > n, 3000));
      k.sim.card = undefined;
      k.t.tick(300);
      return { ok: out[n].ok, reason: out[n].reason, aes: calls - before };
    };
    const a = issued(h('04a1b2c3d4e5f6')), b = issued(h('04a1b2c3d4e5f7'));
    const first = tap(a);
    const again = tap(a);
    assert.deepEqual([first.ok, again.ok], [true, true]);
    assert.equal(again.aes, 3, 'the three AuthenticateAES blocks only');
    assert.ok(first.aes > again.aes, 'the first tap derived the key');
    assert.deepEqual(tap(b), { ok: true, reason: 'ok', aes: 4 });
    assert.deepEqual(tap(a), { ok: true, reason: 'ok', aes: 4 });
    // Another configuration (another site's key) never gets the key derived under the first.
    const other = rig();
    const out2 = run(other, cfg(counting, { siteKey: h('00000000000000000000000000000001') }));
    other.sim.card = issued(h('04a1b2c3d4e5f6'));
    assert.ok(other.t.until(() => out2.length > 0, 3000));
    assert.deepEqual([out2[0].ok, out2[0].reason], [false, 'auth-failed']);
  });

  it('ten cards with random UIDs each authenticate with their own diversified key', () => {
    const k = rig();
    const out = run(k, cfg());
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const uid = new Uint8Array([0x04, ...crypto.randomBytes(6)]);
      k.sim.card = issued(uid);
      const n = out.length;
      assert.ok(k.t.until(() => out.length > n, 3000));
      assert.deepEqual([out[n].ok, out[n].uid], [true, hex(uid)]);
      seen.add(hex(out[n].sk!));
      k.sim.card = undefined;
      k.t.tick(300);
    }
    assert.equal(seen.size, 10);
  });

  for (const at of [1, 2, 3]) {
    it(`card removed at exchange ${at} of 3: card-removed, no success, and the reader works afterwards`, () => {
      const k = rig();
      const out = run(k, cfg());
      const card = issued(h('04a1b2c3d4e5f6'));
      k.sim.card = card;
      k.sim.faults.removeAtExchange = at;
      assert.ok(k.t.until(() => out.length > 0, 3000));
      assert.deepEqual([out[0].ok, out[0].reason, out.length], [false, 'card-removed', 1]);
      k.t.tick(300);
      assert.equal(k.sim.fieldOn, false);
      k.sim.card = card;
      assert.ok(k.t.until(() => out.length > 1, 3000));
      assert.equal(out[1].ok, true, out[1].reason);
    });
  }

  it('a bad checksum mid-authentication fails it with bad-checksum; the next tap works', () => {
    const k = rig();
    const out = run(k, cfg());
    k.sim.card = issued(h('04a1b2c3d4e5f6'));
    k.t.until(() => k.sim.exchanges === 1, 3000);
    k.sim.faults.badDcs = 1;
    assert.ok(k.t.until(() => out.length > 0, 3000));
    assert.deepEqual([out[0].ok, out[0].reason], [false, 'bad-checksum']);
    assert.ok(k.t.until(() => out.length > 1, 3000));
    assert.equal(out[1].ok, true);
  });

  it('a PN532 hang mid-authentication fails it with timeout, the chip is reset, the next tap works', () => {
    const k = rig();
    const out = run(k, cfg());
    k.sim.card = issued(h('04a1b2c3d4e5f6'));
    k.t.until(() => k.sim.exchanges === 1, 3000);
    k.sim.faults.hang = true;
    assert.ok(k.t.until(() => out.length > 0, 3000));
    assert.deepEqual([out[0].ok, out[0].reason], [false, 'timeout']);
    assert.ok(k.t.until(() => out.length > 1, 3000));
    assert.equal(out[1].ok, true);
    assert.equal(k.sim.resets, 2);
  });

  it('a card without the application gives no-application; a wrong key number gives no-key', () => {
    const k = rig();
    const out = run(k, cfg(soft, { aid: h('010203') }));
    k.sim.card = issued(h('04a1b2c3d4e5f6'));
    assert.ok(k.t.until(() => out.length > 0, 3000));
    assert.deepEqual([out[0].ok, out[0].reason], [false, 'no-application']);
    const k2 = rig();
    const out2 = run(k2, cfg(soft, { keyNo: 5 }));
    k2.sim.card = issued(h('04a1b2c3d4e5f6'));
    assert.ok(k2.t.until(() => out2.length > 0, 3000));
    assert.deepEqual([out2[0].ok, out2[0].reason], [false, 'no-key']);
  });

  it('a UID-only card is refused with not-desfire before any exchange', () => {
    const k = rig();
    const out = run(k, cfg());
    const card = new SimUidOnlyCard(h('a1b2c3d4'));
    k.sim.card = card;
    assert.ok(k.t.until(() => out.length > 0, 3000));
    assert.deepEqual([out[0].ok, out[0].reason], [false, 'not-desfire']);
    assert.equal(k.sim.exchanges, 0);
  });

  it('calls back exactly once and never throws, even for a throwing callback or a malformed answer', () => {
    const calls: string[] = [];
    const answers = [h('9100'), h('00'), h('9100')];
    const tx: Transceive = (_apdu, cb) => cb(answers.shift());
    authenticateDesfire(cfg(), tx, h('04a1b2c3d4e5f6'), 0x20, (ok, reason) => { calls.push(reason); throw new Error('x'); });
    assert.deepEqual(calls, ['protocol']);
    // A transport that answers twice: the second answer is ignored.
    const calls2: string[] = [];
    const tx2: Transceive = (_apdu, cb) => { cb(undefined, 'card-removed'); cb(h('9100')); };
    authenticateDesfire(cfg(), tx2, h('04a1b2c3d4e5f6'), 0x20, (_ok, reason) => calls2.push(reason));
    assert.deepEqual(calls2, ['card-removed']);
  });

  it('sends ISO-wrapped SelectApplication then AuthenticateAES with the key number', () => {
    const sent: string[] = [];
    const tx: Transceive = (apdu, cb) => { sent.push(hex(apdu)); cb(sent.length === 1 ? h('9100') : h('91ae')); };
    let reason = '';
    authenticateDesfire(cfg(), tx, h('04a1b2c3d4e5f6'), 0x20, (_ok, r) => { reason = r; });
    assert.deepEqual(sent, ['905a000003f5423000', '90aa0000010100']);
    assert.equal(reason, 'auth-failed');
  });
});
