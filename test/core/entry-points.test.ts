/**
 * Every way into the firmware runs inside `safely` (firmware/core.ts): an exception thrown in any
 * entry point — radio connect and disconnect; the link guard's timers; a card tap, the reader's
 * error report and the reader's release; the relock timer; the door and the button; the main
 * loop — turns every output off and puts the machine in FAULT, from which it recovers to LOCKED.
 * Each row unlocks first (relay on), makes one port or step throw, drives that entry point, and
 * checks the relay is off and the state FAULT. Nothing escapes to the caller.
 *
 * The exception: a radio packet. The peer pays, never the key holder: the board logs it, answers
 * R_ERROR and drops that peer's link, and the relay stays on and the state UNLOCKED.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { type Core, coreStart, manageKey, request } from '../../firmware/core';
import { type PhoneKey, phoneKeyStart } from '../../firmware/phonekey';
import { cardsStart } from '../../firmware/cards';
import { type Site, siteLoad } from '../../firmware/site';
import { aesDecryptBlock, aesEncryptBlock } from '../../firmware/aes';
import type { CardReader } from '../../firmware/ports';
import { FIRST_MS } from '../../firmware/linkguard';
import { DROP_GRACE_MS, M_REFUSED } from '../../firmware/phonekey';
import { type FakeBoard, fakeBoard } from '../support/fake-ports';
import { type FakeRadio, fakeRadio } from '../support/fake-radio';
import { key } from '../support/keys';

interface FakeReader extends CardReader { tap(uid: Uint8Array, sak: number): void; error(reason: string): void }

function fakeReader(): FakeReader {
  let onCard = (_u: Uint8Array, _s: number) => {}, onError = (_r: string) => {};
  return {
    start(c, e) { onCard = c; onError = e; },
    transceive(_apdu, cb) { cb(undefined, 'no card'); },
    release() {},
    tap(uid, sak) { onCard(uid, sak); },
    error(reason) { onError(reason); },
  };
}

interface Rig { b: FakeBoard; core: Core; radio: FakeRadio; pk: PhoneKey; reader: FakeReader; site: Site }

function rig(): Rig {
  const b = fakeBoard();
  const site = siteLoad(b.ports.storage, b.ports.crypto, b.ports.random)!;
  const core = coreStart(b.ports, { keyCapacity: 20, logSegments: 3, logPerSegment: 32 });
  const radio = fakeRadio();
  const reader = fakeReader();
  const cards = cardsStart(core, reader, site, { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock });
  const pk = phoneKeyStart(core, radio, site, cards);
  assert.equal(manageKey(core, undefined, 'add', key(1)), C.R_OK);
  return { b, core, radio, pk, reader, site };
}

function boom(): never {
  throw new Error('boom');
}

interface Row { why: string; act: (r: Rig) => void }

const rows: Row[] = [
  { why: 'radio connect', act: (r) => { r.pk.reasm.reset = boom; r.radio.connect(); } },
  { why: 'radio disconnect', act: (r) => { r.radio.connect(); r.pk.reasm.reset = boom; r.radio.drop(); } },
  { why: 'the link guard\'s deadline timer', act: (r) => { r.radio.connect(); r.radio.disconnect = boom; r.b.time.advance(FIRST_MS + 1); } },
  {
    why: 'the timer that drops a link after its unproven attempts',
    act: (r) => {
      r.radio.connect();
      r.radio.write(new Uint8Array([0x7f])); // unknown message type: unproven
      r.radio.write(new Uint8Array([0x7f])); // the second drops the link after its answer
      r.radio.disconnect = boom;
      r.b.time.advance(DROP_GRACE_MS);
    },
  },
  { why: 'a card tap', act: (r) => { r.b.ports.crypto.sha256 = boom; r.reader.tap(new Uint8Array([1, 2, 3, 4]), 0); } },
  { why: 'the reader reporting an error', act: (r) => { r.b.ports.console.log = boom; r.reader.error('i2c'); } },
  { why: 'the reader releasing a card after its decision', act: (r) => { r.reader.release = boom; r.reader.tap(new Uint8Array([9, 9, 9, 9]), 0); r.b.time.advance(1); } }, // decided on a fresh tick
  { why: 'the relock timer', act: (r) => { r.b.ports.storage.write = boom; r.b.time.advance(r.core.config.relockMs); } },
  { why: 'the door', act: (r) => { r.b.ports.storage.write = boom; r.b.door.change(true); r.b.time.advance(r.core.config.debounceMs + 1); } },
  { why: 'the button held', act: (r) => { r.b.ports.storage.read = boom; r.b.button.change(true); r.b.time.advance(r.core.config.debounceMs + r.core.config.buttonHoldMs + 1); } },
  { why: 'the main loop', act: (r) => { r.core.state = C.S_LOCKED; r.b.time.advance(1000); } },
];

describe('every entry point runs inside safely: an exception turns the outputs off and enters FAULT', () => {
  for (const row of rows) {
    it(row.why, () => {
      const r = rig();
      assert.equal(request(r.core, 1, C.PERM_UNLOCK, () => C.R_OK), C.R_OK);
      assert.equal(r.b.relay.on, true, 'setup: unlocked, relay on');
      assert.doesNotThrow(() => row.act(r));
      assert.equal(r.b.relay.on, false, 'relay off');
      assert.equal(r.core.state, C.S_FAULT, 'FAULT');
    });
  }
});

describe('a radio packet is the exception: the peer pays, never the key holder', () => {
  it('an exception inside onPacket answers R_ERROR and drops that link; the relay and the unlock stay', () => {
    const r = rig();
    assert.equal(request(r.core, 1, C.PERM_UNLOCK, () => C.R_OK), C.R_OK);
    assert.equal(r.b.relay.on, true, 'setup: unlocked, relay on');
    r.radio.connect();
    // The board cannot make a nonce for this HELLO's challenge once; the refusal's nonce works.
    const bytes = r.b.ports.random.bytes;
    r.b.ports.random.bytes = () => { r.b.ports.random.bytes = bytes; return boom(); };
    assert.doesNotThrow(() => r.radio.write(new Uint8Array([1])));
    assert.ok(r.b.log.includes('phonekey: Error: boom'), 'logged as before');
    const answer = r.radio.inbox[r.radio.inbox.length - 1];
    assert.deepEqual([answer[0], answer[1]], [M_REFUSED, C.R_ERROR], 'answered R_ERROR');
    assert.equal(r.b.relay.on, true, 'relay untouched');
    assert.notEqual(r.core.state, C.S_FAULT, 'not FAULT');
    assert.equal(r.core.state, C.S_UNLOCKED, 'the unlock in progress stands');
    assert.equal(r.radio.up, true, 'the link stays until its answer could be read');
    r.b.time.advance(DROP_GRACE_MS);
    assert.equal(r.radio.up, false, 'then that peer\'s link is dropped');
    assert.equal(r.radio.drops, 1);
    assert.equal(r.b.relay.on, true, 'relay still on');
    assert.equal(r.core.state, C.S_UNLOCKED);
  });
});
