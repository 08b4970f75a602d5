/** A Radio port for tests: the test plays the phone, packet by packet. */
import type { Radio } from '../../hal/ports';
import { collector, packets } from '../../tools/phonekey/protocol';

export interface FakeRadio extends Radio {
  connect(): void;
  drop(): void;
  /** Sends a whole message from the phone, fragmented at the current payload size. */
  write(message: Uint8Array): void;
  writeRaw(packet: Uint8Array): void;
  /** Messages the board sent, reassembled. */
  inbox: Uint8Array[];
  encrypted: boolean;
  payload: number;
}

export function fakeRadio(): FakeRadio {
  let onConnect = () => {}, onDisconnect = () => {}, onPacket = (_p: Uint8Array) => {};
  let collect = collector();
  const r: FakeRadio = {
    inbox: [], encrypted: false, payload: 20,
    start(c, d, p) { onConnect = c; onDisconnect = d; onPacket = p; },
    send(packet) { if (packet.length > r.payload) throw new Error('packet longer than the payload size'); const m = collect(packet); if (m) r.inbox.push(m); },
    payloadSize: () => r.payload,
    linkEncrypted: () => r.encrypted,
    disconnect() { r.drop(); },
    connect() { collect = collector(); onConnect(); },
    drop() { onDisconnect(); },
    write(message) { for (const p of packets(message, r.payload)) onPacket(p); },
    writeRaw(packet) { onPacket(packet); },
  };
  return r;
}
