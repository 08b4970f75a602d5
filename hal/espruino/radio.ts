/**
 * Radio port on Espruino's NRF: one custom GATT service with a write characteristic (phone ->
 * board) and a notify characteristic (board -> phone). Production builds remove the Nordic UART
 * service (the JavaScript console would be reachable over the air) and require an encrypted link
 * for both characteristics; dev builds keep the console and say so at boot.
 */
import type { Radio } from '../ports';
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../radio-uuids';

export function espruinoRadio(dev: boolean): Radio {
  // Espruino tells JavaScript nothing of the negotiated MTU, but a phone never writes a packet
  // longer than MTU - 3: the longest it wrote on this connection is a safe size for our answers.
  let payload = 20;
  return {
    start: (onConnect, onDisconnect, onPacket) => {
      const sec = dev ? undefined : { read: { encrypted: true, lesc: true }, write: { encrypted: true, lesc: true } };
      const services: { [s: string]: { [c: string]: NrfCharacteristic } } = {};
      const chars: { [c: string]: NrfCharacteristic } = {};
      chars[RX_UUID] = { writable: true, maxLen: 244, value: [0], security: sec, onWrite: (evt) => { const p = new Uint8Array(evt.data); if (p.length > payload) payload = p.length; onPacket(p); } };
      chars[TX_UUID] = { notify: true, readable: true, maxLen: 244, value: [0], security: sec };
      services[SERVICE_UUID] = chars;
      if (!dev) NRF.setSecurity({ bond: true, lesc: true, mitm: false, pair: true });
      NRF.setServices(services, { uart: dev, advertise: [SERVICE_UUID] });
      NRF.on('connect', () => { payload = 20; onConnect(); });
      NRF.on('disconnect', () => { payload = 20; onDisconnect(); });
    },
    send: (packet) => {
      const u: { [s: string]: { [c: string]: { value: Uint8Array; notify: boolean } } } = {};
      const c: { [c: string]: { value: Uint8Array; notify: boolean } } = {};
      c[TX_UUID] = { value: packet, notify: true };
      u[SERVICE_UUID] = c;
      NRF.updateServices(u);
    },
    payloadSize: () => payload,
    linkEncrypted: () => !!NRF.getSecurityStatus().encrypted,
    disconnect: () => NRF.disconnect(),
  };
}
