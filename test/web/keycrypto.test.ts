/**
 * The web phone key's crypto (sim/web/keycrypto.ts) on Node's WebCrypto, against the Node
 * protocol code and a simulated board: the same COMMAND bytes as tools/host/protocol.ts,
 * answers from the real bundle judged authentic, tampered or foreign ones not; key files parsed.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import * as C from '../../firmware/codes';
import { createCar } from '../../sim/car';
import { ask } from '../../sim/central';
import { hex } from '../../tools/host/bytes';
import { keyFragment, parseKeyText } from '../../tools/host/keyfile';
import { importSecret, readAnswer, signedCommand } from '../../sim/web/keycrypto';
import { M, OP, be32, command, nodeMac } from '../../tools/host/protocol';

describe('web phone key crypto (WebCrypto)', () => {
  it('signs the same COMMAND bytes as the Node protocol code, for every op and argument length', async () => {
    for (let i = 0; i < 12; i++) {
      const secret = new Uint8Array(randomBytes(16));
      const keyId = randomBytes(4).readUInt32BE(0) || 1;
      const nonce = new Uint8Array(randomBytes(16));
      const args = new Uint8Array(randomBytes(i * 3));
      const expected = command(nodeMac, { keyId, secret }, nonce, i + 1, args, 1000 * i);
      const key = await importSecret(secret.slice());
      assert.deepEqual(await signedCommand(key, keyId, nonce, i + 1, args, 1000 * i), expected);
    }
  });

  it('imports the secret as a non-extractable key and wipes the bytes it was given', async () => {
    const secret = new Uint8Array(randomBytes(16));
    const key = await importSecret(secret);
    assert.equal(key.extractable, false);
    assert.deepEqual(secret, new Uint8Array(16));
    await assert.rejects(crypto.subtle.exportKey('raw', key));
  });

  it('judges a board\'s answers: authentic with our key and nonce; not when tampered, for another nonce or key', async () => {
    const car = await createCar({ board: 'puckjs', demo: true });
    const owner = car.keys.owner;
    const key = await importSecret(owner.secret.slice());
    const challenge = await readAnswer(key, ask(car.board, new Uint8Array([M.HELLO]))!);
    assert.equal(challenge.type, 'challenge');
    const nonce = challenge.nonce!;
    const msg = ask(car.board, await signedCommand(key, owner.keyId, nonce, OP.SET_TIME, new Uint8Array(be32(1767600000))))!;
    const a = await readAnswer(key, msg, nonce);
    assert.deepEqual([a.type, a.status, a.op, a.reason, a.authentic], ['response', C.R_OK, OP.SET_TIME, 'ok', true]);
    const tampered = msg.slice();
    tampered[5] ^= 1;
    assert.equal((await readAnswer(key, tampered, nonce)).authentic, false);
    assert.equal((await readAnswer(key, msg, a.nonce)).authentic, false);
    assert.equal((await readAnswer(await importSecret(car.keys.guest.secret.slice()), msg, nonce)).authentic, false);
    assert.equal((await readAnswer(key, msg)).authentic, false);
    // The board acted on it: the clock is set and the car stayed locked.
    assert.equal(car.auditLog().some((e) => e.event === C.LOG_CLOCK_SET && e.trusted), true);
    assert.equal(car.relayOn(), false);
  });

  it('reads key files as JSON or links, and refuses what is not one', () => {
    const f = { keyId: 3845623539, secret: '4458dfd39484ecc0c529baf777d2f681', label: 'owner', role: 0, perms: 7, notBefore: 0, notAfter: 1800000000 };
    assert.deepEqual(parseKeyText('http://127.0.0.1:8080/phonekey' + keyFragment(f)), f);
    assert.deepEqual(parseKeyText(JSON.stringify(f)), f);
    assert.deepEqual(parseKeyText('#k=7.' + hex(new Uint8Array(16).fill(0xab))), { keyId: 7, secret: 'ab'.repeat(16) });
    for (const bad of ['', 'hello', '#k=0.' + 'ab'.repeat(16), '#k=7.abc', '#k=7.' + 'ab'.repeat(8), '{"keyId": 5}', '#k=4294967296.' + 'ab'.repeat(16)]) {
      assert.throws(() => parseKeyText(bad), Error, bad);
    }
  });
});
