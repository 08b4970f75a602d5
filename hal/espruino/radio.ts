/**
 * Radio port on Espruino's NRF: one custom GATT service with a write characteristic (phone ->
 * board) and a notify characteristic (board -> phone). Production builds remove the Nordic UART
 * service (the JavaScript console would be reachable over the air); dev builds keep the console
 * and say so at boot.
 *
 * Link security: the characteristics need none (security level 1): every command is MACed end to
 * end, and a level a phone cannot reach would keep every phone out (a `security` option of
 * {encrypted, lesc} asks for level 4, LESC with MITM, which Just Works pairing never gives:
 * targets/nrf5x/bluetooth.c set_security_mode). Pairing is for enrolment only: production boards
 * pair by passkey entry with the board's setup code as static passkey (display: the phone types
 * it; mitm: nothing less is accepted; lesc), so an enrolment link is MITM-protected or not made.
 */
import type { Radio } from '../../firmware/ports';
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../radio-uuids';

// Module level, like hal/espruino/timers.ts: methods and event handlers made at the bundle's top
// level carry no scope-chain array, and none of them keeps start()'s tables alive.
// Espruino tells JavaScript nothing of the negotiated MTU, but a phone never writes a packet
// longer than MTU - 3: the longest it wrote on this connection is a safe size for our answers.
let payload = 20;
let dev = false;
// The protocol's handlers (set by start, before any event can come).
let onPhonePacket: (p: Uint8Array) => void;
let onPhoneConnect: (addr: string) => void;

function received(evt: { data: ArrayBuffer }): void {
  const p = new Uint8Array(evt.data);
  if (p.length > payload) payload = p.length;
  onPhonePacket(p);
}

// A link starts at the default size (nothing longer heard yet on it).
function connected(addr: string): void {
  payload = 20;
  onPhoneConnect(addr);
}

const radio: Radio = {
  start: (onConnect, onDisconnect, onPacket) => {
    onPhoneConnect = onConnect;
    onPhonePacket = onPacket;
    const services: { [s: string]: { [c: string]: NrfCharacteristic } } = {};
    const chars: { [c: string]: NrfCharacteristic } = {};
    chars[RX_UUID] = { writable: true, maxLen: 244, value: [0], onWrite: received };
    chars[TX_UUID] = { notify: true, readable: true, maxLen: 244, value: [0] };
    services[SERVICE_UUID] = chars;
    NRF.setServices(services, { uart: dev, advertise: [SERVICE_UUID] });
    NRF.on('connect', connected);
    NRF.on('disconnect', onDisconnect); // called with a reason, which the protocol does not need
  },
  send: (packet) => {
    const u: { [s: string]: { [c: string]: { value: Uint8Array; notify: boolean } } } = {};
    const c: { [c: string]: { value: Uint8Array; notify: boolean } } = {};
    c[TX_UUID] = { value: packet, notify: true };
    u[SERVICE_UUID] = c;
    NRF.updateServices(u);
  },
  payloadSize: () => payload,
  // Dev builds (never in a car) keep the console open and pair as the Espruino tools do.
  linkProtected: () => { const st = NRF.getSecurityStatus(); return !!(dev ? st.encrypted : st.mitm_protected); },
  protect: (passkey) => {
    // Without a setup code the passkey is a random one nobody sees: no enrolment over the air.
    if (dev) return;
    const s: Parameters<typeof NRF.setSecurity>[0] = { bond: true, lesc: true, mitm: true, display: true, pair: true };
    if (passkey) s.passkey = passkey;
    NRF.setSecurity(s);
  },
  disconnect: NRF.disconnect, // NRF's own (a static method): 2 variables where a forwarding arrow costs ~6
};

/** The radio port; `devBuild` keeps the Nordic UART console (dev builds only). One radio per board. */
export function espruinoRadio(devBuild: boolean): Radio {
  dev = devBuild;
  return radio;
}
