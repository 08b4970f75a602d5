/** The test vectors in docs/PROTOCOL.md, checked against the board's own code (not the host client). */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { coreStart } from '../../firmware/core';
import { ksAdd } from '../../firmware/keystore';
import { phoneKeyStart } from '../../firmware/phonekey';
import { keySecret } from '../../firmware/site';
import * as C from '../../firmware/codes';
import { hello, packets } from '../../tools/host/protocol';
import { fakeBoard } from '../support/fake-ports';
import { fakeRadio } from '../support/fake-radio';
import { key } from '../support/keys';

const doc = fs.readFileSync(path.join(__dirname, '../../docs/PROTOCOL.md'), 'utf8');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const seq = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);

describe('protocol test vectors (docs/PROTOCOL.md)', () => {
  const site = { secret: seq(0, 32), cardMaster: new Uint8Array(16), setupCode: '', gen: undefined };
  const SECRET = '0ca356c7d31fb3362fb570160c6f8981';
  const COMMAND = '02010203040113888573af2de844a7521eace7033c635958';
  const RESPONSE = '820001202122232425262728292a2b2c2d2e2f9bc286a3c85ca4e9cdb86fc0ab33665e';
  // HELLO naming key 01020304: a v2 phone, a v1 phone, and each as its one packet at the default MTU.
  const NAMED = ['010201020304', '010101020304', 'c00006010201020304', 'c00006010101020304'];

  it('the doc states the vectors this test checks', () => {
    for (const v of [SECRET, COMMAND, RESPONSE, ...NAMED]) assert.ok(doc.includes(v), v);
  });

  it('HELLO naming a key: the clients\' bytes and packets', () => {
    assert.deepEqual([hello(2, 0x01020304), hello(1, 0x01020304)].map(hex), NAMED.slice(0, 2));
    assert.deepEqual([hello(2, 0x01020304), hello(1, 0x01020304)].map((m) => packets(m, 20).map(hex).join(' ')), NAMED.slice(2));
  });

  it('key secret derivation', () => {
    const b = fakeBoard();
    assert.equal(hex(keySecret(b.ports.crypto, site, 0x01020304, 0x0a0b0c0d)), SECRET);
  });

  for (const helloHex of ['01', '0102', NAMED[0], NAMED[1]]) it(`the board accepts the documented COMMAND and answers the documented RESPONSE (HELLO ${helloHex})`, () => {
    const b = fakeBoard();
    const nonces = [seq(0x10, 16), seq(0x20, 16)];
    b.ports.random = { bytes: (n) => (n === 16 && nonces.length ? nonces.shift()! : new Uint8Array(n)) };
    const core = coreStart(b.ports, { keyCapacity: 10, logSegments: 3, logPerSegment: 32 });
    assert.equal(ksAdd(core.ks, undefined, key(0x01020304, C.ROLE_OWNER, { salt: 0x0a0b0c0d })), C.R_OK);
    const radio = fakeRadio();
    phoneKeyStart(core, radio, site);
    radio.connect();
    radio.write(h(helloHex));
    assert.equal(hex(radio.inbox[0]), hex(seq(0x10, 16)).replace(/^/, '81') + '00', 'the v1 CHALLENGE (a v1 site), whatever the HELLO');
    radio.sent.length = 0;
    radio.pulls.length = 0;
    radio.write(h(COMMAND));
    assert.equal(hex(radio.inbox[1]), RESPONSE);
    // Pacing: the first fragment, then the second once PULLed (docs/PROTOCOL.md "Pacing").
    assert.deepEqual(radio.sent.map(hex), ['800023820001202122232425262728292a2b2c2d', '412e2f9bc286a3c85ca4e9cdb86fc0ab33665e']);
    assert.deepEqual(radio.pulls.map(hex), ['01']);
    assert.equal(b.relay.on, true);
  });
});
