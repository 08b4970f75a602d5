import { scenario } from '../scenario';
import * as C from '../../firmware/codes';
import { ENTRY_SIZE } from '../../firmware/auditlog';
import { RECORD_SIZE } from '../../firmware/keystore';
import { OP } from '../../tools/host/protocol';

/**
 * The radio as Espruino on an nRF52 has it (docs/ESPRUINO.md "The radio"): notifications are lost
 * before the phone subscribes and during an MTU exchange, and the SoftDevice queues one at a time.
 * The protocol still gets every answer through whole: the board sends nothing unasked and one
 * fragment per PULL (docs/PROTOCOL.md "Pacing").
 */
export default scenario('real-radio', 'A slow phone on a real radio: late subscription, 23-byte MTU, a one-packet send queue; every answer arrives whole', { board: 'puckjs', demo: true }, (s) => {
  const nrf = s.car.board.nrf;
  nrf.model.txQueue = 1;
  s.say('the owner\'s phone connects, keeps the 23-byte MTU, and subscribes to notifications only 800 ms later');
  const phone = s.car.phone(s.car.keys.owner);
  const hello = phone.connect({ subscribeAfterMs: 800 });
  s.expect(hello.type === 'challenge' && nrf.state.mtu === 23, 'HELLO after subscribing brings a CHALLENGE');
  const u = phone.unlock();
  s.expect(u.status === C.R_OK && u.authentic === true && s.car.relayOn(), 'unlock: the answer (2 fragments) arrives whole and authentic; the relay is on');
  const list = phone.run(OP.LIST_KEYS, new Uint8Array([0, 0]));
  const total = list.data && list.data.length >= 2 ? (list.data[0] << 8) | list.data[1] : -1;
  s.expect(list.status === C.R_OK && list.authentic === true && total === 3 && list.data!.length === 2 + 3 * RECORD_SIZE,
    'LIST_KEYS: all 3 records arrive (' + (list.data ? list.data.length : 0) + ' bytes of data, 8 fragments of 20 bytes)');
  s.say('while the log is read, the phone\'s system starts an MTU exchange: the next fragment is lost on the board');
  let seen = 0;
  const off = nrf.subscribe(() => { if (++seen === 3) nrf.exchangeMtu(23); });
  const log = phone.run(OP.READ_LOG, new Uint8Array([0, 0, 0, 0]));
  off();
  const lost = nrf.dropped.filter((d) => d.why === 'mtu exchange').length;
  s.expect(lost === 1, 'one fragment was dropped during the exchange');
  const inFlash = Math.min(8, s.car.auditLog(0).length);
  s.expect(log.status === C.R_OK && log.authentic === true && !!log.data && log.data.length === inFlash * ENTRY_SIZE && inFlash >= 4,
    'READ_LOG: the phone PULLed the lost fragment again; all ' + inFlash + ' entries arrive whole and authentic');
  const unlocked = [];
  for (let i = 0; log.data && i + ENTRY_SIZE <= log.data.length; i += ENTRY_SIZE) if ((log.data[i + 8] & 127) === C.EV_UNLOCK) unlocked.push(i);
  s.expect(unlocked.length >= 1, 'the log shows the unlock');
  s.expect(nrf.notifications.every((n) => !n.truncated && n.data.length <= 20), 'no notification was cut to fit the MTU');
  s.expect(nrf.dropped.every((d) => d.why === 'mtu exchange'), 'nothing else was lost: never before the subscription, never to a full queue');
  s.wait(15000, 'relock');
  s.expect(!s.car.relayOn(), 'relocked');
});
