/**
 * A board's JavaScript console from the browser, for the bench page: run one line, get back what
 * it printed. Two transports:
 *   - the simulator's console bridge (ws://<this host>/ws/console, sim/server.ts): one message per
 *     line, one reply per message, in order;
 *   - Web Bluetooth to a dev board's Nordic UART console (Espruino's REPL): the bytes only; the
 *     exchange (markers around each line) is the one console link's (tools/host/console-link.ts).
 * Not here: what the lines say (relay-bench-session.ts). The Espruino console is a full REPL: only dev
 * builds keep it (production builds remove it), and this page only sends the bench hook's calls.
 */
import { espruinoBleNames } from '../../hal/boards/espruino';
import { SERVICE_UUID } from '../../hal/radio-uuids';
import type { ConsoleLink } from './relay-bench-session';
import { streamLink } from '../../tools/host/console-link';

export type { ConsoleLink };

/** Espruino's Bluetooth console: the Nordic UART service (TX: we write, RX: the board notifies). */
const NUS_SERVICE = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';
const NUS_TX = '6e400002-b5a3-f393-e0a9-e50e24dcca9e';
const NUS_RX = '6e400003-b5a3-f393-e0a9-e50e24dcca9e';
const RUN_MS = 10000;
/** Bytes per write: ATT MTU 23 - 3 (Web Bluetooth does not tell the MTU; every central manages 20). */
const CHUNK = 20;

/** Connects to the simulator's console bridge. */
export function simulatorConsole(url: string): Promise<ConsoleLink> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const waiting: { ok: (t: string) => void; fail: (e: Error) => void }[] = [];
    let open = false;
    const failAll = (why: string) => { for (const w of waiting.splice(0)) w.fail(new Error(why)); };
    ws.onopen = () => {
      open = true;
      resolve({
        name: 'simulator console',
        run: (code) => new Promise<string>((ok, fail) => {
          if (ws.readyState !== WebSocket.OPEN) { fail(new Error('the simulator console is closed')); return; }
          waiting.push({ ok, fail });
          ws.send(code);
        }),
        close: () => ws.close(),
      });
    };
    ws.onmessage = (ev) => { const w = waiting.shift(); if (w) w.ok(String(ev.data)); };
    ws.onerror = () => { if (!open) reject(new Error('cannot reach the simulator console at ' + url)); };
    ws.onclose = () => failAll('the simulator console closed');
  });
}

/** Asks the user to pick an Espruino board and opens its Nordic UART console (Chrome, https or localhost). */
export async function bluetoothConsole(): Promise<ConsoleLink> {
  const bt = navigator.bluetooth;
  if (!bt) throw new Error('this browser has no Web Bluetooth (try Chrome, on https:// or localhost)');
  // Our boards advertise the phone-key service; a bare Espruino its name (hal/boards/espruino.ts; often the UART too).
  const device = await bt.requestDevice({
    filters: [{ services: [SERVICE_UUID] }, { services: [NUS_SERVICE] }, ...espruinoBleNames().map((namePrefix) => ({ namePrefix }))],
    optionalServices: [NUS_SERVICE],
  });
  const gatt = await device.gatt!.connect();
  const service = await gatt.getPrimaryService(NUS_SERVICE);
  const tx = await service.getCharacteristic(NUS_TX);
  const rx = await service.getCharacteristic(NUS_RX);
  const decoder = new TextDecoder('latin1');
  const link = streamLink({
    write: async (text) => {
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 255;
      for (let i = 0; i < bytes.length; i += CHUNK) await tx.writeValueWithResponse(bytes.slice(i, i + CHUNK));
    },
  }, { timeoutMs: RUN_MS });
  rx.addEventListener('characteristicvaluechanged', () => {
    const v = rx.value;
    // XON/XOFF (flow control) are not text.
    if (v) link.received(decoder.decode(v).replace(/[\x11\x13]/g, ''));
  });
  device.addEventListener('gattserverdisconnected', () => link.ended('the board disconnected'));
  await rx.startNotifications();
  return {
    name: device.name || 'board',
    run: (code) => link.run(code),
    close: () => gatt.disconnect(),
  };
}
