/**
 * The phone-key protocol on the board (firmware/phonekey.ts) against a phone played by the test:
 * valid unlock in one round trip, replayed / expired / truncated / oversized / bit-flipped frames
 * refused without an unlock, wrong / revoked / expired keys with the right reason, no lockout
 * (uniform answers and work), link discipline (firmware/linkguard.ts), enrolment only inside the window, guests cannot add keys, and secrets never in plaintext.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { manageKey, openEnrolWindow, retireKey, setTime } from '../../firmware/core';
import { ksLookup } from '../../firmware/keystore';
import { logRead } from '../../firmware/auditlog';
import { DROP_GRACE_MS } from '../../firmware/phonekey';
import { BUDGET, REFILL_MS } from '../../firmware/linkguard';
import { keySecret } from '../../firmware/site';
import { type Answer, M, OP, type PhoneKeyFile, addKeyArgs, be32, command, nodeMac, parseAnswer, unwrapNewKey } from '../../tools/host/protocol';
import { key } from '../support/keys';
import { type PhoneRig, keyFileOf, phoneRig } from '../support/phone-rig';

const NOW = 1767225600;

interface Rig extends PhoneRig { owner: PhoneKeyFile }

function rig(): Rig {
  const r = phoneRig();
  return { ...r, owner: keyFileOf(r, 1) };
}

/** Connects, asks with HELLO and returns the challenge nonce. */
function connect(r: Rig): Uint8Array {
  r.radio.connect();
  assert.equal(r.radio.sent.length, 0, 'the board sends nothing unasked');
  r.radio.write(new Uint8Array([M.HELLO]));
  const a = parseAnswer(nodeMac, undefined, r.radio.inbox.pop()!);
  assert.equal(a.type, 'challenge');
  return a.nonce!;
}

/** The nonce to use next: a new link's challenge when the board dropped the last one. */
function ensure(r: Rig, nonce: Uint8Array): Uint8Array {
  return r.radio.up ? nonce : connect(r);
}

function send(r: Rig, msg: Uint8Array, k?: PhoneKeyFile, nonce?: Uint8Array): Answer {
  const before = r.radio.inbox.length;
  r.radio.write(msg);
  assert.equal(r.radio.inbox.length, before + 1, 'exactly one answer');
  return parseAnswer(nodeMac, k, r.radio.inbox[r.radio.inbox.length - 1], nonce);
}

function run(r: Rig, k: PhoneKeyFile, nonce: Uint8Array, op: number, args?: Uint8Array): Answer {
  return send(r, command(nodeMac, k, nonce, op, args), k, nonce);
}

describe('phone key over BLE', () => {
  it('a COMMAND before any HELLO is refused as expired command, with a nonce that then works', () => {
    const r = rig();
    r.radio.connect();
    const a = send(r, command(nodeMac, r.owner, new Uint8Array(16), OP.UNLOCK));
    assert.deepEqual([a.type, a.status], ['refused', C.R_EXPIRED_COMMAND]);
    assert.equal(r.b.relay.on, false);
    assert.equal(run(r, r.owner, a.nonce!, OP.UNLOCK).status, C.R_OK);
  });

  it('sends nothing unasked and paces answers: one fragment per PULL, again on a repeated PULL, none once the phone writes again', () => {
    const r = rig();
    const nonce = connect(r);
    r.radio.sent.length = 0;
    r.radio.pulls.length = 0;
    const a = run(r, r.owner, nonce, OP.LIST_KEYS, new Uint8Array([0, 0]));
    assert.equal(a.status, C.R_OK);
    assert.equal(r.radio.sent.length, 1 + r.radio.pulls.length, 'one fragment per PULL after the first');
    assert.ok(r.radio.pulls.length >= 3, 'a long answer took several PULLs');
    const last = r.radio.pulls.length;
    r.radio.sent.length = 0;
    r.radio.writeRaw(new Uint8Array([1]));
    r.radio.writeRaw(new Uint8Array([1]));
    assert.equal(r.radio.sent.length, 2);
    assert.deepEqual(r.radio.sent[0], r.radio.sent[1], 'a repeated PULL sends the same fragment');
    r.radio.writeRaw(new Uint8Array([last + 1]));
    assert.equal(r.radio.sent.length, 2, 'nothing past the last fragment');
    r.radio.writeRaw(new Uint8Array([0x80, 0, 5, 2])); // the start of a new message
    r.radio.writeRaw(new Uint8Array([0]));
    assert.equal(r.radio.sent.length, 2, 'the old answer is gone once the phone writes again');
  });

  it('unlocks in one round trip after connecting, and the answer proves the car did it', () => {
    const r = rig();
    const nonce = connect(r);
    const a = run(r, r.owner, nonce, OP.UNLOCK);
    assert.equal(a.type, 'response');
    assert.equal(a.status, C.R_OK);
    assert.equal(a.authentic, true, 'response MAC verifies under our key and our nonce');
    assert.equal(r.b.relay.on, true);
    assert.equal(r.core.state, C.S_UNLOCKED);
    assert.notDeepEqual(a.nonce, nonce, 'a fresh nonce for the next command');
  });

  it('an unlock switches the relay, sends its answer, then writes its log entries (GRANTED, UNLOCK) before the packet handler returns', () => {
    const r = rig();
    const nonce = connect(r);
    const st = r.b.ports.storage, write = st.write;
    const order: string[] = [];
    const relaySet = r.b.ports.relay.set;
    r.b.ports.relay.set = (on: boolean) => { if (on) order.push('relay'); relaySet(on); };
    st.write = (n, d, o, z) => { if (n.startsWith('ck.log.')) order.push('log'); return write(n, d, o, z); };
    const sentBefore = r.radio.sent.length;
    const radioSend = r.radio.sent.push.bind(r.radio.sent);
    r.radio.sent.push = (...p: Uint8Array[]) => { order.push('answer'); return radioSend(...p); };
    const at = r.core.log.nextSeq;
    assert.equal(run(r, r.owner, nonce, OP.UNLOCK).status, C.R_OK);
    // The answer's fragments (this fake phone PULLs the second at once), then the two entries.
    assert.deepEqual(order, ['relay', 'answer', 'answer', 'log', 'log']);
    assert.equal(r.radio.sent.length, sentBefore + 2);
    const fresh: number[] = [];
    logRead(r.core.log, at, 1000, (e) => fresh.push(e.event));
    assert.deepEqual(fresh, [C.LOG_GRANTED, C.EV_UNLOCK], 'both entries in flash, in order, once the handler returned');
    assert.equal(r.core.held, undefined, 'nothing left held');
  });

  it('a forged answer does not verify (the phone knows whether the car really unlocked)', () => {
    const r = rig();
    const nonce = connect(r);
    r.radio.write(command(nodeMac, r.owner, nonce, OP.UNLOCK));
    const msg = r.radio.inbox.pop()!;
    msg[1] ^= 1;
    assert.equal(parseAnswer(nodeMac, r.owner, msg, nonce).authentic, false);
  });

  it('refuses a replayed command, with reason "replay", and does not unlock', () => {
    const r = rig();
    const nonce = connect(r);
    const cmd = command(nodeMac, r.owner, nonce, OP.LOCK);
    assert.equal(send(r, cmd, r.owner, nonce).status, C.R_OK);
    r.core.state = C.S_LOCKED;
    const again = send(r, cmd, r.owner, nonce);
    assert.equal(again.status, C.R_REPLAY);
    // An unlock recorded on the air and played back later never opens the car.
    const r2 = rig();
    const n2 = connect(r2);
    const unlock = command(nodeMac, r2.owner, n2, OP.UNLOCK);
    r2.radio.drop();
    connect(r2);
    const a = send(r2, unlock, r2.owner, n2);
    assert.notEqual(a.status, C.R_OK);
    assert.equal(r2.b.relay.on, false);
  });

  it('refuses an expired command (the nonce is older than the command allows)', () => {
    const r = rig();
    connect(r);
    const nonce = send(r, new Uint8Array([M.HELLO])).nonce!; // the link has spoken: it may wait for its proof
    r.b.time.advance(6000);
    const a = run(r, r.owner, nonce, OP.UNLOCK);
    assert.equal(a.status, C.R_EXPIRED_COMMAND);
    assert.equal(a.authentic, true);
    assert.equal(r.b.relay.on, false);
    const again = run(r, r.owner, a.nonce!, OP.UNLOCK);
    assert.equal(again.status, C.R_OK, 'resyncs in one more round trip with the nonce it was given');
  });

  it('refuses truncated, oversized and bit-flipped frames at every byte position without unlocking', () => {
    const r = rig();
    let nonce = connect(r);
    const good = command(nodeMac, r.owner, nonce, OP.UNLOCK);
    for (let cut = 1; cut < good.length; cut++) {
      nonce = ensure(r, nonce);
      const a = send(r, good.subarray(0, cut));
      assert.notEqual(a.status, C.R_OK);
      nonce = a.nonce!;
    }
    const big = new Uint8Array(400);
    big.set(good);
    nonce = ensure(r, nonce);
    r.radio.write(big); // longer than the board accepts: dropped by the reassembler, no answer needed
    for (let i = 0; i < good.length; i++) {
      for (const bit of [0x01, 0x80]) {
        r.b.time.advance(REFILL_MS); // the budget of unproven attempts refills: this test is about frames
        nonce = ensure(r, nonce);
        const bad = command(nodeMac, r.owner, nonce, OP.UNLOCK);
        bad[i] ^= bit;
        const a = send(r, bad, r.owner, nonce);
        assert.notEqual(a.status, C.R_OK, `flip at byte ${i}`);
        nonce = a.nonce!;
      }
    }
    assert.ok(r.b.relay.history.every(([, on]) => !on), 'never unlocked');
    nonce = ensure(r, nonce);
    assert.equal(run(r, r.owner, nonce, OP.UNLOCK).status, C.R_OK, 'and the real key still works');
  });

  it('answers an unknown key exactly like a bad MAC (no leak of which ids exist)', () => {
    const r = rig();
    const nonce = connect(r);
    const stranger = { keyId: 0x12345678, secret: new Uint8Array(16) };
    const a = run(r, stranger, nonce, OP.UNLOCK);
    const b = run(r, { keyId: 1, secret: new Uint8Array(16) }, a.nonce!, OP.UNLOCK);
    assert.equal(a.type, 'refused');
    assert.equal(b.type, 'refused');
    assert.equal(a.status, b.status);
    assert.equal(a.status, C.R_BAD_MAC);
  });

  it('refuses revoked and expired keys with their reason, authenticated', () => {
    const r = rig();
    const owner = ksLookup(r.core.ks, 1)!;
    manageKey(r.core, owner, 'add', key(2, C.ROLE_DRIVER));
    manageKey(r.core, owner, 'add', key(3, C.ROLE_GUEST, { notAfter: NOW - 1 }));
    setTime(r.core, owner, NOW);
    const k2 = keyFileOf(r, 2), k3 = keyFileOf(r, 3);
    retireKey(r.core, owner, 2, false);
    let nonce = connect(r);
    const a = run(r, k2, nonce, OP.UNLOCK);
    assert.equal(a.status, C.R_REVOKED);
    assert.equal(a.authentic, true);
    nonce = a.nonce!;
    const b = run(r, k3, nonce, OP.UNLOCK);
    assert.equal(b.status, C.R_EXPIRED);
    assert.equal(r.b.relay.on, false);
  });

  it('no lockout: bad MACs and replays under a key\'s id never refuse that key\'s valid command; REFUSED says retry in 0 s', () => {
    const r = rig();
    manageKey(r.core, ksLookup(r.core.ks, 1), 'add', key(2, C.ROLE_DRIVER));
    const wrong = { keyId: 2, secret: new Uint8Array(16).fill(9) };
    let nonce = connect(r);
    const recorded = command(nodeMac, keyFileOf(r, 2), nonce, OP.LOCK);
    assert.equal(send(r, recorded, keyFileOf(r, 2), nonce).status, C.R_OK);
    for (let i = 0; i < 200; i++) {
      nonce = ensure(r, nonce);
      const a = run(r, wrong, nonce, OP.UNLOCK);
      assert.equal(a.status, C.R_BAD_MAC);
      assert.equal(a.retrySeconds, 0, 'the retry time is true: at once');
      nonce = ensure(r, a.nonce!);
      const b = send(r, recorded);
      assert.equal(b.type, 'refused');
      assert.equal(b.retrySeconds, 0);
      nonce = b.nonce!;
    }
    nonce = ensure(r, nonce);
    const ok = run(r, keyFileOf(r, 2), nonce, OP.UNLOCK);
    assert.equal(ok.status, C.R_OK, 'the attacked key gets in at once');
    assert.equal(r.b.relay.on, true);
  });

  it('answers existing and unknown key ids alike: same status, same SHA-256 work, same cost to the link, in every state', () => {
    /** One unproven attempt under `id` on a board in `state`, on a fresh rig so the budget is the same for every id. */
    const measure = (state: string, id: number, helloFirst: boolean) => {
      const r = rig();
      manageKey(r.core, ksLookup(r.core.ks, 1), 'add', key(2, C.ROLE_DRIVER));
      let calls = 0;
      const sha = r.b.ports.crypto.sha256;
      r.b.ports.crypto.sha256 = (d) => { calls++; return sha(d); };
      const attempt = () => {
        r.radio.drop();
        let nonce = connect(r);
        if (helloFirst) nonce = send(r, new Uint8Array([M.HELLO])).nonce!;
        calls = 0;
        const before = r.radio.inbox.length;
        r.radio.write(command(nodeMac, { keyId: id, secret: new Uint8Array(16).fill(3) }, nonce, OP.UNLOCK));
        const work = calls;
        const upAfterCheck = r.radio.up;
        assert.equal(r.radio.inbox.length, before + 1, 'one answer');
        const a = parseAnswer(nodeMac, undefined, r.radio.inbox[before]);
        r.b.time.advance(DROP_GRACE_MS); // a link that costs the failure goes once its refusal could be read
        return { type: a.type, status: a.status, retry: a.retrySeconds, work, upAfterCheck, dropped: !r.radio.up };
      };
      if (state === 'unlocked') run(r, r.owner, connect(r), OP.UNLOCK);
      if (state === 'enrolling') openEnrolWindow(r.core, C.ROLE_DRIVER);
      if (state === 'budget spent') for (let i = 0; i < BUDGET; i++) { r.radio.drop(); connect(r); r.radio.write(command(nodeMac, { keyId: 9, secret: new Uint8Array(16) }, r.pk.nonce!, OP.UNLOCK)); }
      return attempt();
    };
    for (const state of ['locked', 'unlocked', 'enrolling', 'budget spent']) {
      for (const helloFirst of [false, true]) {
        const known = measure(state, 2, helloFirst), unknown = measure(state, 0x12345678, helloFirst), owner = measure(state, 1, helloFirst);
        assert.deepEqual(unknown, known, state + ': an unknown id is answered, worked on and dropped like an existing one');
        assert.deepEqual(owner, known, state + ': the owner\'s id like any other');
        assert.equal(known.status, C.R_BAD_MAC, state);
        assert.equal(known.retry, 0, state);
        // Key secret and MAC (4), and the MAC over the spent nonce when there is one (6).
        assert.equal(known.work, helloFirst || state === 'unlocked' || state === 'budget spent' ? 6 : 4, state + ': SHA-256 calls');
        assert.equal(known.dropped, state === 'budget spent', state + ': dropped at the first failure only when the budget is spent');
      }
    }
  });

  it('enrolment is refused outside the window and accepted once inside it, over an encrypted link only', () => {
    const r = rig();
    connect(r);
    const enrol = new Uint8Array([M.ENROL, 80, 104, 111, 110, 101]);
    assert.equal(send(r, enrol).status, C.R_NO_WINDOW);
    openEnrolWindow(r.core, C.ROLE_DRIVER);
    assert.equal(send(r, enrol).status, C.R_NOT_PERMITTED, 'not over a plaintext link');
    if (!r.radio.up) connect(r);
    r.radio.encrypted = true;
    const a = send(r, enrol);
    assert.equal(a.type, 'enrolled');
    const k = { keyId: a.keyId!, secret: a.secret! };
    assert.equal(ksLookup(r.core.ks, k.keyId)!.role, C.ROLE_DRIVER);
    assert.equal(send(r, enrol).status, C.R_NO_WINDOW, 'the window admitted one key');
    r.radio.drop();
    const nonce = connect(r);
    assert.equal(run(r, k, nonce, OP.UNLOCK).status, C.R_OK, 'the enrolled phone unlocks');
  });

  it('an owner adds a key; its secret comes back wrapped, never in plaintext, and works', () => {
    const r = rig();
    const nonce = connect(r);
    const a = run(r, r.owner, nonce, OP.ADD_KEY, addKeyArgs({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, label: 'Guest' }));
    assert.equal(a.status, C.R_OK);
    const k = unwrapNewKey(nodeMac, r.owner, nonce, a.data!);
    const real = keySecret(r.b.ports.crypto, r.site, k.keyId, ksLookup(r.core.ks, k.keyId)!.salt);
    assert.deepEqual(k.secret, real);
    const onAir = Buffer.from(r.radio.inbox[r.radio.inbox.length - 1]);
    assert.equal(onAir.indexOf(Buffer.from(real)), -1, 'the plaintext secret is not on the air');
    assert.equal(run(r, k, a.nonce!, OP.UNLOCK).status, C.R_OK);
  });

  it('a guest cannot add keys, revoke or set the time', () => {
    const r = rig();
    manageKey(r.core, ksLookup(r.core.ks, 1), 'add', key(5, C.ROLE_GUEST));
    const g = keyFileOf(r, 5);
    let nonce = connect(r);
    for (const [op, args] of [[OP.ADD_KEY, addKeyArgs({ role: 0, perms: 7 })], [OP.REVOKE, new Uint8Array(be32(1))], [OP.SET_TIME, new Uint8Array(be32(NOW))]] as const) {
      const a = run(r, g, nonce, op, args);
      assert.equal(a.status, C.R_NOT_PERMITTED);
      nonce = a.nonce!;
    }
    assert.equal(ksLookup(r.core.ks, 1)!.flags, 0);
  });

  it('an owner reads status, the key list and the audit log', () => {
    const r = rig();
    let nonce = connect(r);
    const st = run(r, r.owner, nonce, OP.STATUS);
    assert.equal(st.status, C.R_OK);
    assert.equal(st.data![0], C.S_LOCKED);
    const list = run(r, r.owner, st.nonce!, OP.LIST_KEYS, new Uint8Array([0, 0]));
    assert.equal((list.data![0] << 8) | list.data![1], 1);
    const log = run(r, r.owner, list.nonce!, OP.READ_LOG, new Uint8Array(be32(0)));
    assert.ok(log.data!.length >= 16 && log.data!.length % 16 === 0);
    nonce = log.nonce!;
  });

  it('survives random garbage packets: no exception escapes, no unlock, still answers', () => {
    const r = rig();
    let nonce = connect(r);
    let seed = 42;
    const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 16; };
    for (let i = 0; i < 3000; i++) {
      const p = new Uint8Array(1 + (rnd() % 24));
      for (let j = 0; j < p.length; j++) p[j] = rnd() & 255;
      if (!r.radio.up) connect(r);
      r.radio.writeRaw(p);
    }
    assert.ok(r.b.relay.history.every(([, on]) => !on));
    r.radio.drop();
    r.radio.inbox.length = 0;
    nonce = connect(r);
    assert.equal(run(r, r.owner, nonce, OP.UNLOCK).status, C.R_OK);
  });
});
