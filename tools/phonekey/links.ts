/**
 * How the command-line phone key reaches a car: a packet link with the board's RX (write) and TX
 * (notify) characteristics. Two kinds: the simulator's radio bridge over a local WebSocket
 * (sim/radio-bridge.ts), and a real board over the host's Bluetooth adapter with @stoprocent/noble
 * (an optional dependency, loaded only when asked for; not exercised by CI, which has no adapter).
 */
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../../hal/radio-uuids';

export interface Link {
  /** Bytes per packet the link carries (MTU - 3). */
  payload: number;
  write(packet: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export type OnPacket = (packet: Uint8Array) => void;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * The simulator's sockets want the per-run token its pages carry (sim/local-guard.ts): without
 * `?token=` in the URL, read it from the simulator's page as a browser would.
 */
async function withSimToken(url: string): Promise<string> {
  const u = new URL(url);
  if (u.searchParams.get('token')) return url;
  let html = '';
  try { html = await (await fetch('http://' + u.host + '/', { signal: AbortSignal.timeout(5000) })).text(); } catch (e) { return url; } // the socket reports it
  const m = /<meta name="sim-token" content="([0-9a-f]+)">/.exec(html);
  if (m) u.searchParams.set('token', m[1]);
  return u.toString();
}

/** The simulator's radio bridge: ws://127.0.0.1:PORT/ws/radio (see `npm start`). */
export async function simulatorLink(url: string, onPacket: OnPacket, timeoutMs = 5000): Promise<Link> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(await withSimToken(url));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no answer from the simulator at ${url}`)); }, timeoutMs);
    ws.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot reach the simulator at ${url}: ${e.message}`)); });
    ws.on('open', () => ws.send(JSON.stringify({ t: 'connect' })));
    ws.on('message', (raw) => {
      let m: { t?: string; data?: string; mtu?: number; why?: string; text?: string };
      try { m = JSON.parse(String(raw)); } catch (e) { return; }
      if (m.t === 'connected') {
        clearTimeout(timer);
        resolve({
          payload: (m.mtu || 23) - 3,
          write: async (p) => { ws.send(JSON.stringify({ t: 'write', data: hex(p) })); },
          close: async () => { try { ws.send(JSON.stringify({ t: 'disconnect' })); } catch (e) { /* gone */ } ws.close(); },
        });
      } else if (m.t === 'notify' && m.data) onPacket(new Uint8Array(Buffer.from(m.data, 'hex')));
      else if (m.t === 'disconnected' || m.t === 'error') { clearTimeout(timer); reject(new Error('simulator: ' + (m.why || m.text))); }
    });
  });
}

/** A real board over Bluetooth: the first device advertising our service (or named `name`). */
export async function bluetoothLink(onPacket: OnPacket, name?: string, timeoutMs = 15000): Promise<Link> {
  let noble: any;
  try {
    noble = (await import('@stoprocent/noble' as string)).default;
  } catch (e) {
    throw new Error('Bluetooth needs the optional package @stoprocent/noble (npm install @stoprocent/noble) and a BLE adapter');
  }
  const svc = SERVICE_UUID.replace(/-/g, '');
  const peripheral: any = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { noble.stopScanning(); reject(new Error('no car found advertising the phone-key service')); }, timeoutMs);
    noble.on('discover', (p: any) => {
      if (name && p.advertisement && p.advertisement.localName !== name) return;
      clearTimeout(timer);
      noble.stopScanning();
      resolve(p);
    });
    const start = () => noble.startScanning([svc], false);
    const onState = (s: string) => {
      if (s === 'poweredOn') start();
      else if (s === 'unsupported' || s === 'unauthorized' || s === 'poweredOff') {
        clearTimeout(timer);
        reject(new Error(`Bluetooth adapter ${s === 'poweredOff' ? 'is off' : s === 'unauthorized' ? 'not permitted (try as root or grant the capability)' : 'not found or without BLE'}`));
      }
    };
    if (noble.state === 'poweredOn') start(); else { onState(noble.state); noble.on('stateChange', onState); }
  });
  await peripheral.connectAsync();
  const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([svc], [RX_UUID.replace(/-/g, ''), TX_UUID.replace(/-/g, '')]);
  const rx = characteristics.find((c: any) => c.uuid === RX_UUID.replace(/-/g, ''));
  const tx = characteristics.find((c: any) => c.uuid === TX_UUID.replace(/-/g, ''));
  if (!rx || !tx) throw new Error('the device does not offer the phone-key characteristics');
  tx.on('data', (d: Buffer) => onPacket(new Uint8Array(d)));
  await tx.subscribeAsync();
  return {
    payload: Math.max(20, (peripheral.mtu || 23) - 3),
    write: (p) => rx.writeAsync(Buffer.from(p), false),
    close: () => peripheral.disconnectAsync(),
  };
}
