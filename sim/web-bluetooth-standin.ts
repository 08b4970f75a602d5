/**
 * A Web Bluetooth stand-in backed by the simulator: injected into a browser page (a test's
 * headless Chromium), it gives the page a `navigator.bluetooth` whose one device is the simulated
 * car's radio, so the page's real Web Bluetooth code (sim/web/transport.ts bluetoothLink) runs
 * unchanged: requestDevice, gatt.connect, getPrimaryService / getCharacteristic, startNotifications,
 * writeValueWithResponse, characteristicvaluechanged, gattserverdisconnected. Packets travel
 * through the same bridge as the simulator transport (sim/radio-bridge.ts), over a page binding
 * rather than the network, so it also works while the page is offline.
 * Not here: the bridge's rules (radio-bridge.ts), who holds the radio (vehicle.ts).
 */
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../hal/radio-uuids';
import { type Bridge, createBridge } from './radio-bridge';
import type { Vehicle } from './vehicle';

/** What the stand-in needs of a page: playwright-core's Page offers all three. */
export interface StandInPage {
  exposeBinding(name: string, fn: (source: unknown, arg: string) => unknown): Promise<unknown>;
  addInitScript(script: string): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
}

/** The page side, as source text: a fake navigator.bluetooth that talks to the `__carkeyRadio` binding. */
function pageScript(name: string): string {
  const ids = JSON.stringify({ service: SERVICE_UUID.toLowerCase(), rx: RX_UUID.toLowerCase(), tx: TX_UUID.toLowerCase(), name });
  return `(() => {
  const ID = ${ids};
  class Target {
    constructor() { this.l = {}; }
    addEventListener(t, f) { (this.l[t] = this.l[t] || []).push(f); }
    removeEventListener(t, f) { this.l[t] = (this.l[t] || []).filter((g) => g !== f); }
    fire(t) { for (const f of (this.l[t] || []).slice()) f({ type: t, target: this }); }
  }
  const notFound = (what) => new DOMException('No ' + what + ' matching UUID found', 'NotFoundError');
  const bytes = (hex) => { const b = new Uint8Array(hex.length / 2); for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.substr(2 * i, 2), 16); return b; };
  const hexOf = (v) => { const b = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength); return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''); };
  const device = new Target();
  device.id = 'carkey-sim'; device.name = ID.name;
  const tx = new Target(); tx.uuid = ID.tx; tx.notifying = false; tx.value = undefined;
  const rx = new Target(); rx.uuid = ID.rx;
  const server = { device, connected: false };
  device.gatt = server;
  const lost = () => { if (!server.connected) return; server.connected = false; tx.notifying = false; device.fire('gattserverdisconnected'); };
  const handle = (m) => {
    if (m.t === 'connected') server.connected = true;
    else if (m.t === 'notify') { if (server.connected && tx.notifying) { tx.value = new DataView(bytes(m.data).buffer); tx.fire('characteristicvaluechanged'); } }
    else if (m.t === 'disconnected') lost();
    else if (m.t === 'error') throw new DOMException(m.text, 'NetworkError');
  };
  window.__carkeyRadioEvent = (m) => { try { handle(m); } catch (e) { /* an error with no caller */ } };
  const call = async (m) => { const out = JSON.parse(await window.__carkeyRadio(JSON.stringify(m))); for (const x of out) handle(x); };
  server.connect = async () => { await call({ t: 'connect' }); if (!server.connected) throw new DOMException('Connection failed', 'NetworkError'); return server; };
  server.disconnect = () => { if (!server.connected) return; call({ t: 'disconnect' }); lost(); };
  const service = { uuid: ID.service, device };
  server.getPrimaryService = async (u) => { if (!server.connected) throw new DOMException('GATT Server is disconnected', 'NetworkError'); if (String(u).toLowerCase() !== ID.service) throw notFound('Services'); return service; };
  service.getCharacteristic = async (u) => { const k = String(u).toLowerCase(); if (k === ID.rx) return rx; if (k === ID.tx) return tx; throw notFound('Characteristics'); };
  tx.startNotifications = async () => { await call({ t: 'subscribe' }); tx.notifying = true; return tx; };
  tx.stopNotifications = async () => { tx.notifying = false; return tx; };
  const write = async (v) => { if (!server.connected) throw new DOMException('GATT Server is disconnected', 'NetworkError'); await call({ t: 'write', data: hexOf(v) }); };
  rx.writeValueWithResponse = write; rx.writeValue = write; rx.writeValueWithoutResponse = write;
  const bluetooth = { requestDevice: async () => device, getAvailability: async () => true };
  Object.defineProperty(navigator, 'bluetooth', { value: bluetooth, configurable: true });
})();`;
}

/**
 * Gives `page` (before it loads) a Web Bluetooth whose device is `vehicle`'s radio. Messages the
 * bridge says while a page call runs are that call's answer; later ones (the board answering from
 * its timers) are pushed into the page.
 */
export async function attachWebBluetooth(page: StandInPage, vehicle: Vehicle, name = 'Puck.js (simulated car)'): Promise<void> {
  let bridge: Bridge | undefined;
  let pending: string[] | undefined;
  const socket = {
    send(text: string) {
      if (pending) pending.push(text);
      else page.evaluate('window.__carkeyRadioEvent && window.__carkeyRadioEvent(' + text + ')').catch(() => { /* page gone */ });
    },
  };
  await page.exposeBinding('__carkeyRadio', (_source, arg) => {
    const m = JSON.parse(arg) as { t: string };
    pending = [];
    try {
      // Subscribing is the page's own affair on this bridge: it always forwards TX notifications.
      if (m.t === 'subscribe') return '[]';
      if (m.t === 'connect') { if (bridge) bridge.close(); bridge = createBridge(vehicle, socket); }
      if (!bridge) return JSON.stringify([{ t: 'disconnected', why: 'not connected' }]);
      bridge.receive(arg);
      if (m.t === 'disconnect') { bridge.close(); bridge = undefined; }
      return '[' + pending.join(',') + ']';
    } finally {
      pending = undefined;
    }
  });
  await page.addInitScript(pageScript(name));
}
