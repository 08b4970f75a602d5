/**
 * Link security as Espruino's nRF5x port does it (targets/nrf5x/bluetooth.c set_security_mode,
 * get_gap_sec_params, jsble_can_pair_with_peer), modelled in sim/engine/nrf.ts: the level each
 * characteristic's `security` option needs, the level each pairing reaches, a write below its
 * level refused at the GATT level; every production build's characteristics can be met by a phone;
 * enrolment only over a link paired with the board's setup code.
 */
import { strict as assert } from 'node:assert';
import { boards } from '../../hal/boards/index';
import { createCar } from '../../sim/car';
import { bestPairingLevel, pairingLevel, requiredLevel } from '../../sim/engine/nrf';
import * as C from '../../firmware/codes';

describe('link security (Espruino nRF5x model)', function () {
  this.timeout(30000);

  it('the levels a characteristic option asks for, as set_security_mode maps them', () => {
    assert.equal(requiredLevel(undefined), 1);
    assert.equal(requiredLevel({ encrypted: true }), 2);
    assert.equal(requiredLevel({ encrypted: true, mitm: true }), 3);
    assert.equal(requiredLevel({ encrypted: true, lesc: true }), 4, 'lesc means LESC with MITM: level 4');
    assert.equal(requiredLevel({ lesc: true }), 4);
  });

  it('the levels pairing reaches: Just Works 2, passkey 3 (legacy) or 4 (LESC), nothing with a wrong passkey or an impossible MITM demand', () => {
    assert.equal(pairingLevel({ bond: true, lesc: true, mitm: false, pair: true }), 2, 'no display or keyboard: Just Works');
    assert.equal(pairingLevel({ bond: true, lesc: true, mitm: true }), 1, 'MITM asked for, but no I/O to get it: refused');
    assert.equal(pairingLevel({ lesc: true, mitm: true, display: true, passkey: '123456' }, '123456'), 4);
    assert.equal(pairingLevel({ mitm: true, display: true, passkey: '123456' }, '123456'), 3);
    assert.equal(pairingLevel({ lesc: true, mitm: true, display: true, passkey: '123456' }, '654321'), 1, 'wrong passkey');
    assert.equal(pairingLevel({ pair: false }), 1, 'not pairable');
  });

  it('the configuration shipped before (access characteristics {encrypted, lesc}, Just Works pairing) could never be met: caught', () => {
    const chars = { encrypted: true, lesc: true };
    const security = { bond: true, lesc: true, mitm: false, pair: true };
    assert.ok(bestPairingLevel(security) < requiredLevel(chars), 'a paired phone is still refused on every write');
  });

  for (const b of boards) {
    it(`${b.id}: every production characteristic's level is reachable by a phone, and phone-key commands need no pairing`, async () => {
      const car = await createCar({ board: b.id, demo: true });
      const best = bestPairingLevel(car.board.nrf.state.security);
      for (const [svc, chars] of Object.entries(car.board.nrf.state.services)) {
        for (const [uuid, ch] of Object.entries(chars)) {
          const sec = (ch.security || {}) as Record<string, unknown>;
          for (const need of [requiredLevel(sec.read), requiredLevel(sec.write)]) {
            assert.ok(need <= best, `${svc}/${uuid} needs level ${need}; pairing reaches ${best}`);
          }
          assert.equal(requiredLevel(sec.write), 1, `${uuid}: commands are MACed end to end: no pairing needed`);
        }
      }
      assert.equal(car.phone(car.keys.owner).unlock().status, C.R_OK, 'an unpaired phone unlocks');
    });
  }

  it('a write below the characteristic\'s level is refused before the board sees it', async () => {
    const car = await createCar({ board: 'puckjs' });
    car.board.run(`NRF.setServices({"aa00":{"aa01":{writable:true,maxLen:20,security:{write:{encrypted:true,lesc:true}},onWrite:function(e){print("wrote")}}}},{uart:false});
      NRF.setSecurity({bond:true,lesc:true,mitm:true,display:true,passkey:"246810"});`);
    const nrf = car.board.nrf;
    nrf.connect();
    assert.throws(() => nrf.write('aa00', 'aa01', [1]), /insufficient authentication/);
    assert.equal(nrf.pair('000000'), 1, 'a wrong passkey pairs nothing');
    assert.throws(() => nrf.write('aa00', 'aa01', [1]), /insufficient authentication/);
    assert.equal(nrf.pair('246810'), 4);
    nrf.write('aa00', 'aa01', [1]);
    car.advance(1); // the write reaches onWrite from Espruino's event queue (sim/engine/radio-model.ts)
    assert.match(car.board.consoleText(), /wrote/);
    assert.equal(car.board.run('NRF.getSecurityStatus().mitm_protected'), true);
  });

  it('enrolment: refused over a link not paired with the setup code (wrong code, or none), admitted with it', async () => {
    const car = await createCar({ board: 'puckjs' });
    car.holdButton(5200); // no owner yet: the window opens
    const phone = car.phone();
    phone.connect();
    assert.equal(phone.enrol('Eve').status, C.R_NOT_PERMITTED, 'an unpaired link');
    const mitm = car.phone();
    mitm.connect();
    assert.equal(mitm.pair('111111' === car.site.setupCode ? '222222' : '111111'), 1, 'a man in the middle without the code cannot pair');
    assert.equal(mitm.enrol('Eve').status, C.R_NOT_PERMITTED);
    const owner = car.phone();
    owner.connect();
    assert.equal(owner.pair(car.site.setupCode), 4, 'LESC passkey entry with the code from the label');
    const a = owner.enrol('Me');
    assert.equal(a.type, 'enrolled');
    assert.equal(owner.unlock().status, C.R_OK);
  });
});
