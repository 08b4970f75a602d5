/**
 * HELLO that names the key (docs/PROTOCOL.md HELLO and "Connecting"; firmware/phonekey.ts
 * `prepare`): the board answers CHALLENGE first, then does the key's own work (lookup, key secret,
 * HMAC pads), and the COMMAND only checks its tag. Verdicts must be those of a bare HELLO for every
 * kind of key and attempt; the work is the same for known and unknown ids; the prepared work serves
 * one COMMAND of that key only and never outlives its link.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { manageKey, retireKey, setTime } from '../../firmware/core';
import { ksLookup } from '../../firmware/keystore';
import { keySecret } from '../../firmware/site';
import { type Answer, M, OP, type PhoneKeyFile, be32, command, hello, nodeMac, packets, parseAnswer } from '../../tools/host/protocol';
import { key } from '../support/keys';
import { type PhoneRig, phoneRig } from '../support/phone-rig';

const NOW = 1767225600;
const STRANGER = 0x12345678;

interface Rig extends PhoneRig { sha: number; log: string[] }

/** A board with an owner (1), a driver (2), a revoked driver (3) and an expired guest (4); every SHA-256 call and radio send noted in `log`. */
function rig(): Rig {
  const r: Rig = { ...phoneRig(), sha: 0, log: [] };
  const { b, core, radio } = r;
  const owner = ksLookup(core.ks, 1)!;
  manageKey(core, owner, 'add', key(2, C.ROLE_DRIVER));
  manageKey(core, owner, 'add', key(3, C.ROLE_DRIVER, { flags: C.FLAG_REVOKED }));
  manageKey(core, owner, 'add', key(4, C.ROLE_GUEST, { notAfter: NOW - 1 }));
  setTime(core, owner, NOW);
  const sha = b.ports.crypto.sha256;
  b.ports.crypto.sha256 = (d) => { r.sha++; r.log.push('sha'); return sha(d); };
  const send = radio.send;
  radio.send = (p) => { r.log.push('send'); send(p); };
  return r;
}

function fileFor(r: Rig, id: number): PhoneKeyFile {
  const rec = ksLookup(r.core.ks, id);
  return { keyId: id, secret: rec ? keySecret(r.b.ports.crypto, r.site, id, rec.salt) : new Uint8Array(16).fill(7) };
}

/** HELLO (bytes as given) on the link, its CHALLENGE's nonce. */
function helloOn(r: Rig, msg: Uint8Array): Uint8Array {
  if (!r.radio.up) r.radio.connect();
  const before = r.radio.inbox.length;
  r.radio.write(msg);
  assert.equal(r.radio.inbox.length, before + 1, 'one answer to HELLO');
  const a = parseAnswer(nodeMac, undefined, r.radio.inbox[before]);
  assert.equal(a.type, 'challenge');
  return a.nonce!;
}

function run(r: Rig, k: PhoneKeyFile, nonce: Uint8Array, op: number = OP.UNLOCK): Answer {
  const before = r.radio.inbox.length;
  r.radio.write(command(nodeMac, k, nonce, op));
  assert.equal(r.radio.inbox.length, before + 1, 'one answer');
  return parseAnswer(nodeMac, k, r.radio.inbox[before], nonce);
}

/** What a phone sees of one attempt: the verdict, whether it is MACed, the relay, and whether its link is still up. */
function verdict(a: Answer, r: Rig) {
  return { type: a.type, status: a.status, authentic: a.authentic, relay: r.b.relay.on, up: r.radio.up };
}

describe('HELLO that names the key', () => {
  const cases: Array<[string, (r: Rig) => PhoneKeyFile, number]> = [
    ['the owner', (r) => fileFor(r, 1), C.R_OK],
    ['a driver', (r) => fileFor(r, 2), C.R_OK],
    ['an unknown key', () => ({ keyId: STRANGER, secret: new Uint8Array(16).fill(7) }), C.R_BAD_MAC],
    ['a known key with a wrong secret', (r) => ({ keyId: 2, secret: new Uint8Array(16).fill(7) }), C.R_BAD_MAC],
    ['a revoked key', (r) => fileFor(r, 3), C.R_REVOKED],
    ['an expired key', (r) => fileFor(r, 4), C.R_EXPIRED],
  ];
  for (const [what, k, status] of cases) {
    it(`${what}: the same verdict after a named HELLO as after a bare one (v1 and v2 HELLO)`, () => {
      const seen = [];
      for (const h of ['01', '0102', 'named', 'named v1']) {
        const r = rig();
        const kf = k(r);
        const msg = h === 'named' ? hello(2, kf.keyId) : h === 'named v1' ? hello(1, kf.keyId) : new Uint8Array(Buffer.from(h, 'hex'));
        seen.push(verdict(run(r, kf, helloOn(r, msg)), r));
      }
      assert.equal(seen[0].status, status);
      for (const s of seen) assert.deepEqual(s, seen[0]);
    });
  }

  it('HELLO layout: `01 02` keyId(4), at the default MTU one packet; the CHALLENGE is the one a bare HELLO gets', () => {
    assert.equal(Buffer.from(hello(2, 0x01020304)).toString('hex'), '010201020304');
    assert.deepEqual(packets(hello(2, 0x01020304), 20).map((p) => Buffer.from(p).toString('hex')), ['c00006010201020304']);
    for (const v of [1, 2]) {
      const r = rig();
      r.radio.connect();
      r.radio.write(hello(v, 1));
      r.radio.write(hello(v));
      assert.equal(r.radio.inbox[0].length, r.radio.inbox[1].length);
      assert.equal(r.radio.inbox[0].length, v === 1 ? 18 : 31);
    }
  });

  it('answers first: the CHALLENGE is out before any of the key\'s work; the COMMAND then does only its MAC and the answer\'s', () => {
    const r = rig();
    r.radio.connect();
    r.log.length = 0;
    r.radio.write(hello(2, 1));
    // At MTU 20 the 18-byte CHALLENGE is two fragments: the work follows the second (PULLed) one.
    assert.deepEqual(r.log, ['send', 'send', 'sha', 'sha'], 'both CHALLENGE fragments, then the key secret');
    const nonce = parseAnswer(nodeMac, undefined, r.radio.inbox[0]).nonce!;
    const owner = fileFor(r, 1);
    r.sha = 0;
    const a = run(r, owner, nonce);
    assert.equal(a.status, C.R_OK);
    assert.equal(r.sha, 4, 'the COMMAND\'s MAC (2) and the RESPONSE\'s (2): no key secret on the path');
    // A bare HELLO: the key secret is on the COMMAND's path (2 more).
    const b = rig();
    const n2 = helloOn(b, hello()), owner2 = fileFor(b, 1);
    b.sha = 0;
    assert.equal(run(b, owner2, n2).status, C.R_OK);
    assert.equal(b.sha, 6);
  });

  it('a CHALLENGE in one packet (a larger MTU): the work right after it', () => {
    const r = rig();
    r.radio.payload = 50;
    r.radio.connect();
    r.log.length = 0;
    r.radio.write(hello(2, 2));
    assert.deepEqual(r.log, ['send', 'sha', 'sha']);
    assert.equal(run(r, fileFor(r, 2), parseAnswer(nodeMac, undefined, r.radio.inbox[0]).nonce!).status, C.R_OK);
  });

  it('no timing oracle: naming an unknown id costs the same SHA-256 work, at HELLO and at the COMMAND, as naming a known one', () => {
    const work = (id: number) => {
      const r = rig();
      r.radio.connect();
      r.sha = 0;
      r.radio.write(hello(2, id));
      const atHello = r.sha;
      const nonce = parseAnswer(nodeMac, undefined, r.radio.inbox[0]).nonce!;
      r.sha = 0;
      const a = run(r, { keyId: id, secret: new Uint8Array(16).fill(7) }, nonce);
      return { atHello, atCommand: r.sha, type: a.type, status: a.status, answer: r.radio.inbox[r.radio.inbox.length - 1].length };
    };
    const known = work(2), unknown = work(STRANGER), owner = work(1);
    assert.deepEqual(unknown, known);
    assert.deepEqual(owner, known);
    assert.deepEqual([known.atHello, known.status], [2, C.R_BAD_MAC]);
  });

  it('a COMMAND of another key than the one named takes the normal path, and the named key\'s work is dropped', () => {
    const r = rig();
    const owner = fileFor(r, 1), driver = fileFor(r, 2);
    let nonce = helloOn(r, hello(2, 2));
    r.sha = 0;
    let a = run(r, owner, nonce, OP.LOCK);
    assert.equal(a.status, C.R_OK);
    assert.equal(r.sha, 6, 'the owner\'s key secret made on the COMMAND\'s path');
    nonce = a.nonce!;
    r.sha = 0;
    a = run(r, driver, nonce, OP.LOCK);
    assert.equal(a.status, C.R_OK);
    assert.equal(r.sha, 6, 'the driver named two messages ago: its work is not used any more');
  });

  it('the prepared record serves one COMMAND: a key revoked by a command in between is refused as revoked', () => {
    const r = rig();
    const driver = fileFor(r, 2);
    // The driver's HELLO, then the owner revokes the driver on this link, then the driver's COMMAND.
    const nonce = helloOn(r, hello(2, 2));
    r.radio.write(command(nodeMac, fileFor(r, 1), nonce, OP.REVOKE, new Uint8Array(be32(2))));
    const a = parseAnswer(nodeMac, fileFor(r, 1), r.radio.inbox[r.radio.inbox.length - 1], nonce);
    assert.equal(a.status, C.R_OK);
    assert.equal(run(r, driver, a.nonce!).status, C.R_REVOKED);
    // And named again after the revoke: the record read then says revoked.
    assert.equal(run(r, driver, helloOn(r, hello(2, 2))).status, C.R_REVOKED);
    assert.equal(r.b.relay.on, false);
  });

  it('a key changed off this link between HELLO and COMMAND (USB, a card enrolment) is decided on its new record', () => {
    const r = rig();
    const driver = fileFor(r, 2);
    const nonce = helloOn(r, hello(2, 2));
    assert.equal(typeof r.pk.pre, 'object', 'the driver\'s work prepared');
    // Revoked through the core by someone else (as the USB tool does), not by a message on this link.
    assert.equal(retireKey(r.core, undefined, 2, false), C.R_OK);
    const a = run(r, driver, nonce);
    assert.deepEqual([a.status, a.authentic, r.b.relay.on], [C.R_REVOKED, true, false]);
  });

  it('the record a named HELLO looked up is not kept past its link', () => {
    const r = rig();
    helloOn(r, hello(2, 1));
    assert.equal(r.core.seen && r.core.seen.id, 1);
    r.radio.drop();
    assert.equal(r.core.seen, undefined);
  });

  it('replay: a command signed for the nonce before the named HELLO, or sent again after its answer, is refused as replay', () => {
    // Signed for the previous nonce, arriving after a HELLO that named its key: checked with the prepared pads.
    let r = rig();
    const owner = fileFor(r, 1);
    const n0 = helloOn(r, hello());
    helloOn(r, hello(2, 1));
    r.radio.write(command(nodeMac, owner, n0, OP.UNLOCK));
    assert.equal(parseAnswer(nodeMac, undefined, r.radio.inbox[r.radio.inbox.length - 1]).status, C.R_REPLAY);
    assert.equal(r.b.relay.on, false);
    // Sent again after it was answered.
    r = rig();
    const cmd = command(nodeMac, owner, helloOn(r, hello(2, 1)), OP.LOCK);
    r.radio.write(cmd);
    assert.equal(parseAnswer(nodeMac, undefined, r.radio.inbox[r.radio.inbox.length - 1]).status, C.R_OK);
    r.radio.write(cmd);
    assert.equal(parseAnswer(nodeMac, undefined, r.radio.inbox[r.radio.inbox.length - 1]).status, C.R_REPLAY);
    r.radio.connect();
    assert.equal(run(r, owner, helloOn(r, hello(2, 1))).status, C.R_OK);
  });

  it('a fast phone: a COMMAND before the CHALLENGE\'s last fragment was PULLed is still judged right (normal path)', () => {
    const r = rig();
    r.radio.connect();
    // Write the HELLO packet by packet without PULLing: the board sends fragment 0 only.
    r.radio.send = (p) => { r.radio.sent.push(p); };
    for (const p of packets(hello(2, 1), 20)) r.radio.writeRaw(p);
    assert.equal(r.radio.sent.length, 1);
    const nonce = r.radio.sent[0].subarray(4, 20); // type at 3, then the nonce's 16 bytes
    assert.equal(r.pk.pre, 1, 'the key named, its work not done yet');
    const cmd = command(nodeMac, fileFor(r, 1), nonce, OP.UNLOCK);
    r.sha = 0;
    const before = r.radio.sent.length;
    for (const p of packets(cmd, 20)) r.radio.writeRaw(p);
    assert.equal(r.sha, 6, 'the normal path: key secret, MAC, answer MAC');
    assert.equal(r.b.relay.on, true);
    assert.equal(r.radio.sent[before][4], C.R_OK, 'RESPONSE status ok');
  });

  it('a stranger naming the owner\'s id gains nothing and costs the owner nothing; a new link drops what was prepared', () => {
    const r = rig();
    const nonce = helloOn(r, hello(2, 1));
    assert.equal(typeof r.pk.pre, 'object');
    const a = run(r, { keyId: 1, secret: new Uint8Array(16).fill(7) }, nonce);
    assert.deepEqual([a.type, a.status, r.b.relay.on], ['refused', C.R_BAD_MAC, false]);
    helloOn(r, hello(2, 1));
    r.radio.drop();
    assert.equal(r.pk.pre, undefined, 'dropped with its link');
    r.radio.connect();
    assert.equal(run(r, fileFor(r, 1), helloOn(r, hello(2, 1))).status, C.R_OK, 'the owner gets in at once');
    assert.equal(r.b.relay.on, true);
  });

  it('any other message between HELLO and COMMAND drops the prepared work (HELLO again, ENROL, junk)', () => {
    for (const between of [hello(), new Uint8Array([M.ENROL, 65]), new Uint8Array([0x7f, 1, 2])]) {
      const r = rig();
      helloOn(r, hello(2, 1));
      assert.equal(typeof r.pk.pre, 'object');
      r.radio.write(between);
      assert.equal(r.pk.pre, undefined);
    }
  });
});
