/** A Radio port for tests: the test plays the phone, packet by packet. */
import type { Radio } from '../../hal/ports';
import { collector, packets } from '../../tools/phonekey/protocol';

export interface FakeRadio extends Radio {
  /** A central connects (from `addr`, default a new address each time, as a phone that rotates it). */
  connect(addr?: string): void;
  /** True while a central is connected (false after the board dropped it). */
  up: boolean;
  /** How often the board called disconnect(). */
  drops: number;
  drop(): void;
  /** Sends a whole message from the phone, fragmented at the current payload size. */
  write(message: Uint8Array): void;
  writeRaw(packet: Uint8Array): void;
  /** Messages the board sent, reassembled. */
  inbox: Uint8Array[];
  /** The link is encrypted with MITM protection (paired with the setup code). */
  encrypted: boolean;
  /** What the board asked pairing to use as its passkey. */
  passkey?: string;
  payload: number;
}

export function fakeRadio(): FakeRadio {
  let onConnect = (_a: string) => {}, onDisconnect = () => {}, onPacket = (_p: Uint8Array) => {};
  let collect = collector();
  let n = 0;
  const r: FakeRadio = {
    inbox: [], encrypted: false, payload: 20, up: false, drops: 0,
    start(c, d, p) { onConnect = c; onDisconnect = d; onPacket = p; },
    send(packet) { if (packet.length > r.payload) throw new Error('packet longer than the payload size'); const m = collect(packet); if (m) r.inbox.push(m); },
    payloadSize: () => r.payload,
    linkProtected: () => r.encrypted,
    protect: (passkey) => { r.passkey = passkey; },
    disconnect() { r.drops++; r.drop(); },
    connect(addr = 'phone-' + ++n) { collect = collector(); r.up = true; onConnect(addr); },
    drop() { if (!r.up) return; r.up = false; onDisconnect(); },
    write(message) { for (const p of packets(message, r.payload)) r.writeRaw(p); },
    writeRaw(packet) { if (!r.up) throw new Error('not connected'); onPacket(packet); },
  };
  return r;
}
