/**
 * A card tap looks its key up once (firmware/cards.ts `lookupKey`, before any card I/O) and its
 * decision (core `request` → `authenticate`) takes that record instead of reading the store again.
 * What must hold: the decision checks exactly what the phone path checks, on the store's record as
 * it is at the decision. A key changed while the card authenticates (revoked, disabled, its rights
 * or hours changed, removed) is decided on its new record, never on the one read at the tap.
 * The card answers on later timer ticks (as the PN532 driver delivers them), so a change can be
 * made between the lookup and the decision.
 */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as C from '../../firmware/codes';
import * as keystore from '../../firmware/keystore';
import { type Core, coreKeys, coreStart, manageKey, retireKey } from '../../firmware/core';
import { CARD_AID, CARD_SYSTEM_ID, cardKeyId, cardsStart } from '../../firmware/cards';
import { diversifyAes128 } from '../../firmware/desfire';
import { siteLoad } from '../../firmware/site';
import { aesDecryptBlock, aesEncryptBlock } from '../../firmware/aes';
import { logRead, type LogEntry } from '../../firmware/auditlog';
import type { CardReader } from '../../firmware/ports';
import { SimDesfireCard } from '../../sim/cards/desfire';
import { type FakeBoard, fakeBoard } from '../support/fake-ports';
import { key } from '../support/keys';

const UID = new Uint8Array([0x04, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76]);
const cipher = { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock };

interface Rig { b: FakeBoard; core: Core; id: number; apdus: number; tap(): void; log(): LogEntry[] }

function rig(): Rig {
  const b = fakeBoard();
  const site = siteLoad(b.ports.storage, b.ports.crypto, b.ports.random)!;
  const core = coreStart(b.ports, { keyCapacity: 20, logSegments: 3, logPerSegment: 32 });
  const card = new SimDesfireCard(UID, [{ aid: CARD_AID, keys: [diversifyAes128(cipher, site.cardMaster, UID, CARD_AID, CARD_SYSTEM_ID)] }]);
  let onCard = (_u: Uint8Array, _s: number) => {};
  // The card's answers come on later ticks, as the PN532 driver hands them over.
  const reader: CardReader = {
    start(c) { onCard = c; },
    transceive(apdu, cb) { k.apdus++; b.ports.timers.after(5, () => cb(card.apdu(apdu))); },
    release() {},
  };
  const id = cardKeyId(b.ports.crypto.sha256, UID);
  assert.equal(manageKey(core, undefined, 'add', key(1)), C.R_OK); // an owner phone, so the card can be revoked
  assert.equal(manageKey(core, undefined, 'add', key(id, C.ROLE_DRIVER, { kind: C.KIND_CARD })), C.R_OK);
  const log = () => { const out: LogEntry[] = []; logRead(core.log, 0, 1000, (e) => out.push(e)); return out; };
  const k: Rig = { b, core, id, apdus: 0, tap: () => onCard(UID, 0x20), log };
  cardsStart(core, reader, site, cipher);
  return k;
}

/** Taps, runs `between` while the card is still authenticating, then lets the decision happen. */
function tapWith(r: Rig, between?: () => void): void {
  r.tap();
  r.b.time.advance(4); // the first APDU is out; its answer comes at 5 ms
  assert.equal(r.b.relay.on, false, 'no decision before the card has answered');
  if (between) between();
  r.b.time.advance(200);
}

const denied = (r: Rig) => r.log().filter((e) => e.event === C.LOG_DENIED && e.keyId === r.id).map((e) => e.reason);

describe('a card tap: one key lookup, and the decision on the record as it is then', () => {
  it('a valid card unlocks, on the record looked up at the tap (no second lookup)', () => {
    const r = rig();
    // The store changed behind the core's back (no firmware code may: every change goes through
    // the core, which drops the record it keeps): the decision still sees the tap's record, so it
    // read the store once, at the tap.
    tapWith(r, () => assert.equal(keystore.ksRetire(coreKeys(r.core), undefined, r.id, true), C.R_OK));
    assert.equal(r.b.relay.on, true);
  });

  it('a card whose key is not in the table is refused without card I/O', () => {
    const r = rig();
    assert.equal(retireKey(r.core, undefined, r.id, true), C.R_OK);
    r.tap();
    r.b.time.advance(200);
    assert.equal(r.b.relay.on, false);
    assert.equal(r.apdus, 0);
    assert.deepEqual(denied(r), [C.R_UNKNOWN_KEY]);
  });

  it('a card revoked while it authenticates is refused as revoked', () => {
    const r = rig();
    tapWith(r, () => assert.equal(retireKey(r.core, undefined, r.id, false), C.R_OK));
    assert.equal(r.b.relay.on, false);
    assert.deepEqual(denied(r), [C.R_REVOKED]);
  });

  it('a card removed from the table while it authenticates is refused as unknown', () => {
    const r = rig();
    tapWith(r, () => assert.equal(retireKey(r.core, undefined, r.id, true), C.R_OK));
    assert.equal(r.b.relay.on, false);
  });

  it('a card disabled, or its hours or permissions changed, while it authenticates is refused', () => {
    const changes: Partial<keystore.KeyRecord>[] = [
      { flags: C.FLAG_DISABLED },
      { perms: C.PERM_LOCK },
      // Valid only from 1 s after the board's clock (untrusted here: the lower bound decides).
      { notBefore: 2000000000 },
    ];
    for (const change of changes) {
      const r = rig();
      tapWith(r, () => assert.equal(manageKey(r.core, undefined, 'update', key(r.id, C.ROLE_DRIVER, { kind: C.KIND_CARD, ...change })), C.R_OK));
      assert.equal(r.b.relay.on, false, JSON.stringify(change));
      assert.equal(denied(r).length, 1, JSON.stringify(change));
    }
  });

  it('a card re-enabled while it authenticates unlocks (the new record decides both ways)', () => {
    const r = rig();
    assert.equal(manageKey(r.core, undefined, 'update', key(r.id, C.ROLE_DRIVER, { kind: C.KIND_CARD, flags: C.FLAG_DISABLED })), C.R_OK);
    tapWith(r, () => assert.equal(manageKey(r.core, undefined, 'update', key(r.id, C.ROLE_DRIVER, { kind: C.KIND_CARD })), C.R_OK));
    assert.equal(r.b.relay.on, true);
  });

  it('a card\'s key id is the first 4 bytes of SHA-256(UID), big-endian, and never 0', () => {
    const sha = (d: Uint8Array) => new Uint8Array(crypto.createHash('sha256').update(d).digest());
    // node:crypto's SHA-256 of the UID; a first byte 0xff: the id stays unsigned.
    const h = sha(UID);
    assert.equal(cardKeyId(sha, UID), Buffer.from(h).readUInt32BE(0));
    assert.equal(cardKeyId(() => new Uint8Array([0xff, 0, 0, 1, 9]), UID), 0xff000001);
    assert.equal(cardKeyId(() => new Uint8Array(32), UID), 1, 'a zero id is 1');
  });
});
