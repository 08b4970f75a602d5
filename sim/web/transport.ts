/**
 * How the web phone key reaches a car: Web Bluetooth (a real board: write RX, notify TX) or the
 * simulator's radio bridge over a WebSocket (sim/radio-bridge.ts). Both carry the same packets;
 * messages are cut and joined with the board's own framing code (firmware/frames.ts), each next
 * fragment of an answer PULLed (docs/PROTOCOL.md "Pacing"). Notifications are on before `send`.
 * Not here: what the messages mean (phonekey.ts, keycrypto.ts).
 */
import { PULL_RETRIES, PULL_RETRY_MS, createAnswerReader, fragment } from '../../firmware/frames';
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../../hal/radio-uuids';
import { hex, unhex } from '../../tools/host/bytes';

/** Packet payload: ATT MTU 23 - 3. Web Bluetooth does not tell us the MTU, and every central manages 20. */
const PAYLOAD = 20;

export interface Link {
  name: string;
  send(message: Uint8Array): Promise<void>;
  /** Whole messages from the board (those that came before this call first), and the end of the link. */
  listen(onMessage: (m: Uint8Array) => void, onClose: (why: string) => void): void;
  close(): void;
}

/**
 * The receiving half of a link: packets in, messages out; holds what arrives before anyone listens.
 * It PULLs each next fragment of an answer through `write`, and again after PULL_RETRY_MS without
 * one (docs/PROTOCOL.md "Pacing"); `sent()` starts a new answer.
 */
function receiver(write: (p: Uint8Array) => void) {
  const r = createAnswerReader(4096);
  const early: Uint8Array[] = [];
  let onMessage: ((m: Uint8Array) => void) | undefined;
  let onClose: ((why: string) => void) | undefined;
  let closed: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retries = 0;
  const stop = () => { if (timer !== undefined) clearTimeout(timer); timer = undefined; };
  const arm = () => {
    stop();
    timer = setTimeout(() => { timer = undefined; if (closed === undefined && retries++ < PULL_RETRIES) { write(r.again()); arm(); } }, PULL_RETRY_MS);
  };
  return {
    sent() { r.reset(); retries = 0; arm(); },
    packet(p: Uint8Array) {
      const out = r.push(p);
      if (out.pull) { retries = 0; write(out.pull); arm(); }
      if (out.message) { stop(); if (onMessage) onMessage(out.message); else early.push(out.message); }
    },
    closed(why: string) { stop(); if (closed !== undefined) return; closed = why; if (onClose) onClose(why); },
    listen(m: (m: Uint8Array) => void, c: (why: string) => void) {
      onMessage = m; onClose = c;
      for (const x of early.splice(0)) m(x);
      if (closed !== undefined) c(closed);
    },
  };
}

/** Connects to the simulator's radio (ws://<this host>/ws/radio). */
export function simulatorLink(url: string): Promise<Link> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let open = false;
    const write = (p: Uint8Array) => ws.send(JSON.stringify({ t: 'write', data: hex(p) }));
    const rx = receiver(write);
    const link: Link = {
      name: 'simulator',
      listen: rx.listen,
      send: async (m) => {
        for (const p of fragment(m, PAYLOAD)) write(p);
        rx.sent();
      },
      close: () => { try { ws.send(JSON.stringify({ t: 'disconnect' })); } catch (e) { /* closing anyway */ } ws.close(); },
    };
    ws.onopen = () => ws.send(JSON.stringify({ t: 'connect' }));
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data));
      if (m.t === 'notify') rx.packet(unhex(m.data));
      else if (m.t === 'connected') { open = true; resolve(link); }
      else if (m.t === 'disconnected') { if (open) { open = false; ws.close(); rx.closed(m.why); } else reject(new Error(m.why)); }
      else if (m.t === 'error') rx.closed(m.text);
    };
    ws.onerror = () => { if (!open) reject(new Error('cannot reach the simulator at ' + url)); };
    ws.onclose = () => { if (open) { open = false; rx.closed('the simulator closed the connection'); } };
  });
}

/** Asks the user to pick a board advertising the phone-key service, and connects (Chrome, over HTTPS or localhost). */
export async function bluetoothLink(): Promise<Link> {
  const bt = navigator.bluetooth;
  if (!bt) throw new Error('this browser has no Web Bluetooth (try Chrome, on https:// or localhost)');
  const device = await bt.requestDevice({ filters: [{ services: [SERVICE_UUID] }] });
  const gatt = await device.gatt!.connect();
  const service = await gatt.getPrimaryService(SERVICE_UUID);
  const rx = await service.getCharacteristic(RX_UUID);
  const tx = await service.getCharacteristic(TX_UUID);
  // Writes are queued: a message's packets (and PULLs) must arrive in order.
  let writing = Promise.resolve();
  const write = (p: Uint8Array) => (writing = writing.then(() => rx.writeValueWithResponse(p as Uint8Array<ArrayBuffer>)).catch(() => { /* the link's end is reported */ }));
  const r = receiver((p) => { write(p); });
  const link: Link = {
    name: device.name || 'board',
    listen: r.listen,
    send: async (m) => { for (const p of fragment(m, PAYLOAD)) write(p); await writing; r.sent(); },
    close: () => gatt.disconnect(),
  };
  tx.addEventListener('characteristicvaluechanged', () => {
    const v = tx.value;
    if (v) r.packet(new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
  });
  device.addEventListener('gattserverdisconnected', () => r.closed('the board disconnected'));
  await tx.startNotifications();
  return link;
}
