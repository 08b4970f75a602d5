/**
 * A Web Bluetooth stand-in backed by the simulator: injected into a browser page (a test's
 * headless Chromium), it gives the page a `navigator.bluetooth` whose one device is the simulated
 * car's radio, so the page's real Web Bluetooth code (sim/web/transport.ts bluetoothLink) runs
 * unchanged: requestDevice, gatt.connect, getPrimaryService / getCharacteristic, startNotifications,
 * writeValueWithResponse, characteristicvaluechanged, gattserverdisconnected. Packets travel
 * through the same bridge as the simulator transport (sim/radio-bridge.ts), over a page binding
 * rather than the network, so it also works while the page is offline. The same device also
 * offers Espruino's Bluetooth console (the Nordic UART service) while the simulated board has it
 * open, as a board running stock Espruino, a dev build, or one booted with its button held does:
 * each line written runs on the board and what it prints comes back as notifications, so the
 * browser flasher (sim/web/flasher.ts) runs its real code path against the simulated board.
 * Not here: the bridge's rules (radio-bridge.ts), who holds the radio (vehicle.ts).
 */
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../hal/radio-uuids';
import { type Bridge, createBridge } from './radio-bridge';
import type { SimBoard } from './engine/board';
import { runConsoleLine } from './console-line';
import { hex, unhex } from '../tools/host/bytes';
import type { Vehicle } from './vehicle';

/** Espruino's Bluetooth console: the Nordic UART service (TX: the central writes, RX: the board notifies). */
const NUS = { service: '6e400001-b5a3-f393-e0a9-e50e24dcca9e', tx: '6e400002-b5a3-f393-e0a9-e50e24dcca9e', rx: '6e400003-b5a3-f393-e0a9-e50e24dcca9e' };
/** Notification payload with the default ATT MTU of 23. */
const PAYLOAD = 20;

/** What the stand-in needs of a page: playwright-core's Page offers all three. */
export interface StandInPage {
  exposeBinding(name: string, fn: (source: unknown, arg: string) => unknown): Promise<unknown>;
  addInitScript(script: string): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
}

/** The page side, as source text: a fake navigator.bluetooth that talks to the `__carkeyRadio` binding. */
function pageScript(name: string): string {
  const ids = JSON.stringify({ service: SERVICE_UUID.toLowerCase(), rx: RX_UUID.toLowerCase(), tx: TX_UUID.toLowerCase(), name, nus: NUS });
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
  const nusRx = new Target(); nusRx.uuid = ID.nus.rx; nusRx.notifying = false;
  const nusTx = new Target(); nusTx.uuid = ID.nus.tx;
  const handle = (m) => {
    if (m.t === 'connected') server.connected = true;
    else if (m.t === 'nus-notify') { if (server.connected && nusRx.notifying) { nusRx.value = new DataView(bytes(m.data).buffer); nusRx.fire('characteristicvaluechanged'); } }
    else if (m.t === 'notify') { if (server.connected && tx.notifying) { tx.value = new DataView(bytes(m.data).buffer); tx.fire('characteristicvaluechanged'); } }
    else if (m.t === 'disconnected') lost();
    else if (m.t === 'error') throw new DOMException(m.text, 'NetworkError');
  };
  window.__carkeyRadioEvent = (m) => { try { handle(m); } catch (e) { /* an error with no caller */ } };
  const call = async (m) => { const out = JSON.parse(await window.__carkeyRadio(JSON.stringify(m))); for (const x of out) handle(x); };
  server.connect = async () => { await call({ t: 'connect' }); if (!server.connected) throw new DOMException('Connection failed', 'NetworkError'); return server; };
  server.disconnect = () => { if (!server.connected) return; call({ t: 'disconnect' }); lost(); };
  const service = { uuid: ID.service, device };
  const nus = { uuid: ID.nus.service, device };
  server.getPrimaryService = async (u) => {
    if (!server.connected) throw new DOMException('GATT Server is disconnected', 'NetworkError');
    const k = String(u).toLowerCase();
    if (k === ID.service) return service;
    if (k === ID.nus.service && JSON.parse(await window.__carkeyRadio(JSON.stringify({ t: 'nus-open' })))) return nus;
    throw notFound('Services');
  };
  nus.getCharacteristic = async (u) => { const k = String(u).toLowerCase(); if (k === ID.nus.rx) return nusRx; if (k === ID.nus.tx) return nusTx; throw notFound('Characteristics'); };
  nusRx.startNotifications = async () => { nusRx.notifying = true; return nusRx; };
  nusRx.stopNotifications = async () => { nusRx.notifying = false; return nusRx; };
  const nusWrite = async (v) => { if (!server.connected) throw new DOMException('GATT Server is disconnected', 'NetworkError'); await call({ t: 'nus-write', data: hexOf(v) }); };
  nusTx.writeValueWithResponse = nusWrite; nusTx.writeValue = nusWrite; nusTx.writeValueWithoutResponse = nusWrite;
  service.getCharacteristic = async (u) => { const k = String(u).toLowerCase(); if (k === ID.rx) return rx; if (k === ID.tx) return tx; throw notFound('Characteristics'); };
  tx.startNotifications = async () => { await call({ t: 'subscribe' }); tx.notifying = true; return tx; };
  tx.stopNotifications = async () => { tx.notifying = false; return tx; };
  const write = async (v) => { if (!server.connected) throw new DOMException('GATT Server is disconnected', 'NetworkError'); await call({ t: 'write', data: hexOf(v) }); };
  rx.writeValueWithResponse = write; rx.writeValue = write; rx.writeValueWithoutResponse = write;
  const bluetooth = { requestDevice: async () => device, getAvailability: async () => true };
  Object.defineProperty(navigator, 'bluetooth', { value: bluetooth, configurable: true });
})();`;
}

/** What the stand-in's device is: the car's phone-key radio, and/or a board's Bluetooth console. */
export interface StandInTarget {
  vehicle?: Vehicle;
  /** The board whose console the Nordic UART service reaches (while its firmware leaves it open). */
  board?: SimBoard;
}

/** Runs console lines on `board` as Espruino's REPL would for lines sent with \x10 (no echo): what they print, as packets. */
function consoleSession(board: SimBoard) {
  let line = '';
  return (bytes: Uint8Array): string[] => {
    for (const b of bytes) line += String.fromCharCode(b);
    const out: string[] = [];
    let nl: number;
    while ((nl = line.indexOf('\n')) >= 0) {
      const code = line.slice(0, nl).replace(/^\x10/, '').replace(/\r$/, '');
      line = line.slice(nl + 1);
      let printed = '';
      for (const l of runConsoleLine(board, code)) printed += l + '\r\n';
      board.clock.advance(1);
      for (let i = 0; i < printed.length; i += PAYLOAD) {
        const p = printed.slice(i, i + PAYLOAD);
        out.push(hex(Uint8Array.from(p, (c) => c.charCodeAt(0) & 255)));
      }
    }
    return out;
  };
}

/**
 * Gives `page` (before it loads) a Web Bluetooth whose one device is the simulated car: its
 * phone-key radio (`target.vehicle`) and its console (`target.board`). Messages the bridge says
 * while a page call runs are that call's answer; later ones (the board answering from its timers)
 * are pushed into the page.
 */
export async function attachWebBluetooth(page: StandInPage, target: Vehicle | StandInTarget, name = 'Puck.js (simulated car)'): Promise<void> {
  const t: StandInTarget = 'car' in target ? { vehicle: target as Vehicle } : target as StandInTarget;
  const board = t.board || (t.vehicle ? t.vehicle.car.board : undefined);
  let bridge: Bridge | undefined;
  let pending: string[] | undefined;
  let repl: ((bytes: Uint8Array) => string[]) | undefined;
  const socket = {
    send(text: string) {
      if (pending) pending.push(text);
      else page.evaluate('window.__carkeyRadioEvent && window.__carkeyRadioEvent(' + text + ')').catch(() => { /* page gone */ });
    },
  };
  await page.exposeBinding('__carkeyRadio', (_source, arg) => {
    const m = JSON.parse(arg) as { t: string; data?: string };
    pending = [];
    try {
      if (m.t === 'nus-open') {
        const open = !!board && !board.dead && board.nrf.uartExposed;
        if (open) repl = consoleSession(board!);
        return JSON.stringify(open);
      }
      if (m.t === 'nus-write') {
        if (!repl || !board || !board.nrf.uartExposed) return JSON.stringify([{ t: 'disconnected', why: 'the board has no Bluetooth console' }]);
        const out: object[] = repl(unhex(String(m.data))).map((data) => ({ t: 'nus-notify', data }));
        // A firmware that closed the console (a production build booted by load()) drops the link, as setServices does.
        if (!board.nrf.uartExposed) { repl = undefined; out.push({ t: 'disconnected', why: 'the board closed its Bluetooth console' }); }
        return JSON.stringify(out);
      }
      // Subscribing is the page's own affair on this bridge: it always forwards TX notifications.
      if (m.t === 'subscribe') return '[]';
      if (!t.vehicle) {
        if (m.t === 'connect') return JSON.stringify([{ t: 'connected' }]);
        if (m.t === 'disconnect') { repl = undefined; return '[]'; }
        return JSON.stringify([{ t: 'error', text: 'no phone-key radio on this stand-in' }]);
      }
      if (m.t === 'connect') { if (bridge) bridge.close(); bridge = createBridge(t.vehicle, socket); }
      if (!bridge) return JSON.stringify([{ t: 'disconnected', why: 'not connected' }]);
      bridge.receive(arg);
      if (m.t === 'disconnect') { bridge.close(); bridge = undefined; repl = undefined; }
      return '[' + pending.join(',') + ']';
    } finally {
      pending = undefined;
    }
  });
  await page.addInitScript(pageScript(name));
}
