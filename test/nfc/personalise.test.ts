/** DESFire personalisation end to end: firmware/desfire-personalise.ts -> hal/pn532.ts -> simulated
 *  PN532 -> simulated blank card (node:crypto DES/AES, CRC32 and CMAC-IV checks); plus the checks
 *  the simulated card makes, the zero-key DES, and the size the feature adds to a board bundle. */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import type { BlockCipher } from '../../firmware/cmac';
import { authenticateAes, authenticateDesfire, diversifyAes128, sessionKey, type AuthRandoms, type DesfireConfig, type Transceive } from '../../firmware/desfire';
import { desZeroKey } from '../../firmware/desfire-des';
import { personaliseDesfire } from '../../firmware/desfire-personalise';
import { pn532Release, pn532Transceive } from '../../hal/pn532';
import { boardById } from '../../hal/boards/index';
import { SimDesfireCard, simCmacIv, simCrc32, type SimDesfireOptions } from '../../sim/cards/desfire';
import type { SimCard } from '../../sim/pn532/pn532';
import { SimUidOnlyCard } from '../../sim/cards/uid-only';
import { bundleFirmware } from '../../tools/host/build/bundle';
import { h, hex, rig, type Rig } from './rig';

import { native, soft } from './ciphers';
function cbcEnc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = crypto.createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

const SITE = h('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
const AID = h('f54230');
const SYS = h('4f43414b');
const UID = h('04a1b2c3d4e5f6');
const ZERO = new Uint8Array(16);
const random = { bytes: (n: number) => new Uint8Array(crypto.randomBytes(n)) };
const cfg = (over: Partial<DesfireConfig> = {}): DesfireConfig =>
  ({ siteKey: SITE, aid: AID, keyNo: 1, systemId: SYS, cipher: soft, random, ...over });
const divKey = (uid = UID, site = SITE) => hex(diversifyAes128(native, site, uid, AID, SYS));
const appOf = (card: SimDesfireCard) => card.apps.find((a) => hex(a.aid) === hex(AID));

interface Outcome { ok: boolean; reason: string }

/** Each detected card is personalised (or authenticated, `auth`) and then released. */
function run(k: Rig, c: DesfireConfig, what: 'personalise' | 'auth' = 'personalise'): Outcome[] {
  const out: Outcome[] = [];
  const tx: Transceive = (apdu, cb) => pn532Transceive(k.r, apdu, cb);
  k.onCard = (uid: Uint8Array, sak: number) => {
    const f = what === 'auth' ? authenticateDesfire : personaliseDesfire;
    f(c, tx, uid, sak, (ok, reason) => { out.push({ ok, reason }); pn532Release(k.r); });
  };
  return out;
}

/** Taps `card` once (after the last outcome) and returns the new outcome. */
function tap(k: Rig, out: Outcome[], card: SimCard): Outcome {
  const n = out.length;
  k.sim.card = card;
  assert.ok(k.t.until(() => out.length > n, 5000), 'no outcome');
  k.sim.card = undefined;
  k.t.tick(600);
  return out[n];
}

/** Authenticates the card with its diversified key through a fresh reader. */
function authenticates(card: SimCard, c = cfg()): Outcome {
  const k = rig();
  return tap(k, run(k, c, 'auth'), card);
}

/** A direct link to a card (no PN532): answers come back synchronously. */
const direct = (card: SimCard): Transceive => (apdu, cb) => cb(card.apdu(apdu));

describe('nfc: DESFire personalisation of a blank card', () => {
  for (const [name, cipher] of [['fallback AES', soft], ['native AES', native]] as Array<[string, BlockCipher]>) {
    it(`a factory card (DES zero PICC key) becomes a keycard and then authenticates (${name})`, () => {
      const k = rig();
      const out = run(k, cfg({ cipher }));
      const card = SimDesfireCard.blank(UID);
      assert.deepEqual(tap(k, out, card), { ok: true, reason: 'ok' });
      const app = appOf(card)!;
      assert.equal(app.settings, 0x09);
      assert.deepEqual(app.keys.map(hex), [hex(ZERO), divKey()]);
      assert.deepEqual(card.applied, [0xca, 0xc4]);
      assert.deepEqual(authenticates(card), { ok: true, reason: 'ok' });
      assert.equal(k.fieldLeaks, 0);
    });
  }

  it('key number 0: the key we authenticated with is changed (session ends, no answer MAC)', () => {
    const k = rig();
    const out = run(k, cfg({ keyNo: 0 }));
    const card = SimDesfireCard.blank(UID);
    assert.deepEqual(tap(k, out, card), { ok: true, reason: 'ok' });
    assert.deepEqual(appOf(card)!.keys.map(hex), [divKey()]);
    assert.deepEqual(authenticates(card, cfg({ keyNo: 0 })), { ok: true, reason: 'ok' });
  });

  it('a PICC whose settings require master-key auth to create apps: the legacy DES auth really authenticates', () => {
    const k = rig();
    const out = run(k, cfg());
    const card = SimDesfireCard.blank(UID, { piccSettings: 0x09 });
    assert.deepEqual(tap(k, out, card), { ok: true, reason: 'ok' });
    assert.equal(hex(card.sessionKey!).length, 32); // last auth: the AES verification
    assert.deepEqual(authenticates(card), { ok: true, reason: 'ok' });
    // Without auth the same card refuses CreateApplication.
    const fresh = SimDesfireCard.blank(UID, { piccSettings: 0x09 });
    assert.equal(hex(fresh.apdu(h('90ca000005f54230098200'))!), '91ae');
  });

  it('a card whose PICC master key is the zero AES key: AES auth, CreateApplication under CMAC', () => {
    const k = rig();
    const out = run(k, cfg());
    const card = SimDesfireCard.blank(UID, { piccAes: true, piccSettings: 0x09 });
    assert.deepEqual(tap(k, out, card), { ok: true, reason: 'ok' });
    assert.deepEqual(authenticates(card), { ok: true, reason: 'ok' });
  });

  it('a PICC master key we do not know: picc-key, nothing created (DES and AES cards)', () => {
    for (const opts of [{ piccKey: h('11'.repeat(16)), piccSettings: 0x09 }, { piccKey: h('11'.repeat(16)), piccAes: true }] as SimDesfireOptions[]) {
      const k = rig();
      const out = run(k, cfg());
      const card = SimDesfireCard.blank(UID, opts);
      assert.deepEqual(tap(k, out, card), { ok: false, reason: 'picc-key' });
      assert.equal(card.apps.length, 0);
    }
  });

  it('personalising twice is idempotent: the second run only authenticates', () => {
    const k = rig();
    const out = run(k, cfg());
    const card = SimDesfireCard.blank(UID);
    assert.equal(tap(k, out, card).ok, true);
    const before = k.sim.exchanges;
    assert.deepEqual(tap(k, out, card), { ok: true, reason: 'ok' });
    assert.equal(k.sim.exchanges - before, 3); // select + 2-pass AES auth
    assert.deepEqual(card.applied, [0xca, 0xc4]);
  });

  it('an app holding a key we cannot use is refused with already-personalised and left untouched', () => {
    // Our AID issued under another site key (key 0 zero): ChangeKey's CRC32 over the new key fails on the card.
    const other = h('00000000000000000000000000000001');
    const foreign = new SimDesfireCard(UID, [{ aid: AID, keys: [ZERO, h(divKey(UID, other))] }]);
    // Our AID with a non-default app master key.
    const locked = new SimDesfireCard(UID, [{ aid: AID, keys: [h('22'.repeat(16)), ZERO] }]);
    // Our AID with too few keys.
    const small = new SimDesfireCard(UID, [{ aid: AID, keys: [ZERO] }]);
    for (const card of [foreign, locked, small]) {
      const keys = card.apps[0].keys.map(hex);
      const k = rig();
      const out = run(k, cfg());
      assert.deepEqual(tap(k, out, card), { ok: false, reason: 'already-personalised' });
      assert.deepEqual(card.apps[0].keys.map(hex), keys);
    }
    assert.equal(foreign.lastError, 'crc');
  });

  it('an already issued card (our key, like sim/car.ts makes) is reported ok without changes', () => {
    const card = new SimDesfireCard(UID, [{ aid: AID, keys: [ZERO, h(divKey())] }]);
    const k = rig();
    assert.deepEqual(tap(k, run(k, cfg()), card), { ok: true, reason: 'ok' });
    assert.deepEqual(card.applied, []);
  });

  it('a non-DESFire card is refused with not-desfire before any exchange', () => {
    const k = rig();
    const out = run(k, cfg());
    assert.deepEqual(tap(k, out, new SimUidOnlyCard(h('a1b2c3d4'))), { ok: false, reason: 'not-desfire' });
    assert.equal(k.sim.exchanges, 0);
  });

  describe('card taken away at every step: fails with a reason, never left unusable', () => {
    // A clean run of a factory card: select (no app), select PICC, legacy auth (2), create,
    // select, AES auth (2), GetKeySettings, ChangeKey, select, AES auth (2) = 13 exchanges.
    const TOTAL = 13;
    it(`a clean run takes ${TOTAL} exchanges`, () => {
      const k = rig();
      const out = run(k, cfg());
      assert.equal(tap(k, out, SimDesfireCard.blank(UID)).ok, true);
      assert.equal(k.sim.exchanges, TOTAL);
    });
    for (let at = 1; at <= TOTAL; at++) {
      it(`removed before exchange ${at} reaches the card, and after the card applied exchange ${at}`, () => {
        for (const after of [false, true]) {
          const k = rig();
          const out = run(k, cfg());
          const card = SimDesfireCard.blank(UID);
          let n = 0;
          // `after`: the card runs the command, then leaves the field before its answer is read.
          const flaky: SimCard = {
            uid: card.uid, atqa: card.atqa, sak: card.sak, ats: card.ats,
            apdu: (cmd) => {
              const r = card.apdu(cmd);
              if (++n === at) { k.sim.card = undefined; return undefined; }
              return r;
            },
          };
          if (!after) k.sim.faults.removeAtExchange = at;
          const first = tap(k, out, after ? flaky : card);
          assert.deepEqual(first, { ok: false, reason: 'card-removed' }, `after=${after}`);
          const state = card.apps.length ? appOf(card)!.keys.map(hex).join(',') : 'blank';
          assert.ok(['blank', `${hex(ZERO)},${hex(ZERO)}`, `${hex(ZERO)},${divKey()}`].includes(state), state);
          assert.deepEqual(tap(k, out, card), { ok: true, reason: 'ok' }, `retry after=${after} state=${state}`);
          assert.deepEqual(authenticates(card), { ok: true, reason: 'ok' });
        }
      });
    }
  });

  it('the reader checks answer MACs: a GetKeySettings answer with a flipped MAC byte fails with protocol, card unchanged', () => {
    const card = SimDesfireCard.blank(UID);
    const tx: Transceive = (apdu, cb) => {
      const r = card.apdu(apdu)!;
      if (apdu[1] === 0x45) r[3] ^= 1;
      cb(r);
    };
    let got: Outcome | undefined;
    personaliseDesfire(cfg(), tx, UID, 0x20, (ok, reason) => { got = { ok, reason }; });
    assert.deepEqual(got, { ok: false, reason: 'protocol' });
    assert.deepEqual(appOf(card)!.keys.map(hex), [hex(ZERO), hex(ZERO)]);
    let again: Outcome | undefined;
    personaliseDesfire(cfg(), direct(card), UID, 0x20, (ok, reason) => { again = { ok, reason }; });
    assert.deepEqual(again, { ok: true, reason: 'ok' });
  });

  it('a ChangeKey cryptogram altered in transit is refused by the card (CRC32), the key stays, a later run works', () => {
    const card = SimDesfireCard.blank(UID);
    const tx: Transceive = (apdu, cb) => {
      const a = new Uint8Array(apdu);
      if (a[1] === 0xc4) a[10] ^= 0x40;
      cb(card.apdu(a));
    };
    let got: Outcome | undefined;
    personaliseDesfire(cfg(), tx, UID, 0x20, (ok, reason) => { got = { ok, reason }; });
    assert.deepEqual(got, { ok: false, reason: 'already-personalised' });
    assert.equal(card.lastError, 'crc');
    assert.deepEqual(appOf(card)!.keys.map(hex), [hex(ZERO), hex(ZERO)]);
    let again: Outcome | undefined;
    personaliseDesfire(cfg(), direct(card), UID, 0x20, (ok, reason) => { again = { ok, reason }; });
    assert.deepEqual(again, { ok: true, reason: 'ok' });
  });

  it('never throws and calls back once: throwing callback, throwing transport, garbage answers', () => {
    const calls: string[] = [];
    personaliseDesfire(cfg(), direct(SimDesfireCard.blank(UID)), UID, 0x20, (_ok, r) => { calls.push(r); throw new Error('x'); });
    assert.deepEqual(calls, ['ok']);
    const c2: string[] = [];
    personaliseDesfire(cfg(), () => { throw new Error('bus'); }, UID, 0x20, (_ok, r) => c2.push(r));
    assert.deepEqual(c2, ['reader-fault']);
    // Select answers no-application, then the PICC select gets a short answer.
    const answers = [h('91a0'), h('00')];
    const c3: string[] = [];
    personaliseDesfire(cfg(), (_a, cb) => cb(answers.shift()), UID, 0x20, (_ok, r) => c3.push(r));
    assert.deepEqual(c3, ['protocol']);
  });
});

describe('nfc: the simulated DESFire card checks ChangeKey like a card', () => {
  /** Card with our app (2 zero keys), authenticated with key 0; returns the session key. */
  function session(): { card: SimDesfireCard; sk: Uint8Array } {
    const card = new SimDesfireCard(UID, [{ aid: AID, keys: [ZERO, ZERO], settings: 0x09 }]);
    let sk: Uint8Array | undefined;
    const auth: AuthRandoms = {};
    authenticateAes(cfg(), direct(card), AID, 0, ZERO, (ok) => { if (ok) sk = sessionKey(auth); }, auth);
    assert.ok(sk);
    return { card, sk: sk! };
  }
  /** ChangeKey(1) cryptogram for a zero old key, built here with node:crypto; `spoil` edits the plaintext. */
  function changeKey1(sk: Uint8Array, iv: Uint8Array, key: Uint8Array, spoil?: (p: Uint8Array) => void): Uint8Array {
    const p = new Uint8Array(32);
    p.set(key);
    p.set(simCrc32(new Uint8Array([0xc4, 0x01, ...key, 0x00])), 17);
    p.set(simCrc32(key), 21);
    if (spoil) spoil(p);
    return new Uint8Array([0x90, 0xc4, 0, 0, 33, 0x01, ...cbcEnc(sk, iv, p), 0]);
  }
  const NEW = h('00112233445566778899aabbccddeeff');

  it('DESFire CRC32 is the IEEE CRC without the final inversion', () => {
    assert.equal(hex(simCrc32(new Uint8Array(Buffer.from('123456789')))), 'd9c60b34'); // ~0xcbf43926, LE
  });

  it('a correct cryptogram (IV zero after auth) changes the key and the answer MAC chains on its last block', () => {
    const { card, sk } = session();
    const cmd = changeKey1(sk, ZERO, NEW);
    const r = card.apdu(cmd)!;
    assert.equal(hex(r.subarray(8)), '9100');
    const mac = simCmacIv(sk, cmd.subarray(22, 38), new Uint8Array([0]));
    assert.equal(hex(r.subarray(0, 8)), hex(mac.subarray(0, 8)));
    assert.equal(hex(card.apps[0].keys[1]), hex(NEW));
  });

  for (const [what, spoil, why] of [
    ['a wrong CRC32 over the command', (p: Uint8Array) => { p[17] ^= 1; }, 'crc'],
    ['a wrong CRC32 of the new key', (p: Uint8Array) => { p[24] ^= 0x80; }, 'crc'],
    ['non-zero padding', (p: Uint8Array) => { p[31] = 1; }, 'padding'],
    ['a wrong key version (covered by the CRC)', (p: Uint8Array) => { p[16] = 1; }, 'crc'],
  ] as Array<[string, (p: Uint8Array) => void, string]>) {
    it(`${what} is refused with 91 1E, the key is unchanged and the session dropped`, () => {
      const { card, sk } = session();
      assert.equal(hex(card.apdu(changeKey1(sk, ZERO, NEW, spoil))!), '911e');
      assert.equal(card.lastError, why);
      assert.equal(hex(card.apps[0].keys[1]), hex(ZERO));
      assert.equal(hex(card.apdu(changeKey1(sk, ZERO, NEW))!), '91ae'); // no session any more
    });
  }

  it('the IV must follow the CMAC chain: after GetKeySettings a cryptogram on IV zero is refused, on the CMAC accepted', () => {
    const a = session();
    const ks = a.card.apdu(h('904500000000'))!;
    assert.equal(ks.length, 12);
    let iv = simCmacIv(a.sk, ZERO, h('45'));
    iv = simCmacIv(a.sk, iv, new Uint8Array([ks[0], ks[1], 0]));
    assert.equal(hex(ks.subarray(2, 10)), hex(iv.subarray(0, 8)));
    assert.equal(hex(a.card.apdu(changeKey1(a.sk, ZERO, NEW))!), '911e');
    const b = session();
    const kb = b.card.apdu(h('904500000000'))!;
    const ivb = simCmacIv(b.sk, simCmacIv(b.sk, ZERO, h('45')), new Uint8Array([kb[0], kb[1], 0]));
    assert.equal(hex(b.card.apdu(changeKey1(b.sk, ivb, NEW))!.subarray(8)), '9100');
    assert.equal(hex(b.card.apps[0].keys[1]), hex(NEW));
  });

  it('ChangeKey needs the app master key (settings 0x09): authenticated with key 1 it is refused with 9D', () => {
    const card = new SimDesfireCard(UID, [{ aid: AID, keys: [ZERO, ZERO], settings: 0x09 }]);
    let sk: Uint8Array | undefined;
    const auth: AuthRandoms = {};
    authenticateAes(cfg(), direct(card), AID, 1, ZERO, (ok) => { if (ok) sk = sessionKey(auth); }, auth);
    assert.equal(hex(card.apdu(changeKey1(sk!, ZERO, NEW))!), '919d');
    assert.equal(hex(card.apps[0].keys[1]), hex(ZERO));
  });
});

describe('nfc: DES with the all-zero key (legacy PICC authentication)', () => {
  it('matches node:crypto 2K3DES with a zero key, both directions, on 64 random blocks', () => {
    for (let i = 0; i < 64; i++) {
      const b = new Uint8Array(crypto.randomBytes(8));
      for (const enc of [true, false]) {
        const c = enc ? crypto.createCipheriv('des-ede-ecb', Buffer.alloc(16), null) : crypto.createDecipheriv('des-ede-ecb', Buffer.alloc(16), null);
        c.setAutoPadding(false);
        assert.equal(hex(desZeroKey(b)), Buffer.concat([c.update(b), c.final()]).toString('hex'));
      }
    }
    assert.equal(hex(desZeroKey(new Uint8Array(8))), '8ca64de9c1b123a7'); // FIPS zero-key/zero-block vector
  });
});

describe('nfc: size of personalisation in a board bundle', () => {
  it('reports the minified bytes personaliseDesfire adds to authenticateDesfire (puckjs build pipeline)', async () => {
    const board = boardById('puckjs')!;
    const base = await bundleFirmware(board, {
      entry: `import { authenticateDesfire } from './firmware/desfire'; (global as any).x = [authenticateDesfire];`,
    });
    const withP = await bundleFirmware(board, {
      entry: `import { authenticateDesfire } from './firmware/desfire'; import { personaliseDesfire } from './firmware/desfire-personalise'; (global as any).x = [authenticateDesfire, personaliseDesfire];`,
    });
    const des = await bundleFirmware(board, {
      entry: `import { desZeroKey } from './firmware/desfire-des'; (global as any).x = [desZeroKey];`,
    });
    const empty = await bundleFirmware(board, { entry: `(global as any).x = [];` });
    const added = withP.bytes - base.bytes;
    // eslint-disable-next-line no-console
    console.log(`      authenticateDesfire ${base.bytes - empty.bytes} B; personalisation adds ${added} B (of which zero-key DES ${des.bytes - empty.bytes} B)`);
    assert.ok(added > 1000 && added < 6000, String(added));
  });
});
