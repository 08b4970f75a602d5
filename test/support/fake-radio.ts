/**
 * A Radio port for tests: the test plays the phone, packet by packet. Like a conforming phone it
 * PULLs each next fragment of an answer as soon as it has the previous one (docs/PROTOCOL.md "Pacing").
 */
import type { Radio } from '../../hal/ports';
import { createAnswerReader, packets } from '../../tools/phonekey/protocol';

export interface FakeRadio extends Radio {
  connect(): void;
  drop(): void;
  /** Sends a whole message from the phone, fragmented at the current payload size. */
  write(message: Uint8Array): void;
  writeRaw(packet: Uint8Array): void;
  /** Messages the board sent, reassembled. */
  inbox: Uint8Array[];
  /** Every packet the board sent. */
  sent: Uint8Array[];
  /** Every PULL the phone wrote. */
  pulls: Uint8Array[];
  encrypted: boolean;
  payload: number;
}

export function fakeRadio(): FakeRadio {
  let onConnect = () => {}, onDisconnect = () => {}, onPacket = (_p: Uint8Array) => {};
  const reader = createAnswerReader(4096);
  const r: FakeRadio = {
    inbox: [], sent: [], pulls: [], encrypted: false, payload: 20,
    start(c, d, p) { onConnect = c; onDisconnect = d; onPacket = p; },
    send(packet) {
      if (packet.length > r.payload) throw new Error('packet longer than the payload size');
      r.sent.push(packet);
      const got = reader.push(packet);
      if (got.message) r.inbox.push(got.message);
      if (got.pull) { r.pulls.push(got.pull); onPacket(got.pull); }
    },
    payloadSize: () => r.payload,
    linkEncrypted: () => r.encrypted,
    disconnect() { r.drop(); },
    connect() { reader.reset(); r.sent.length = 0; onConnect(); },
    drop() { onDisconnect(); },
    write(message) { reader.reset(); for (const p of packets(message, r.payload)) onPacket(p); },
    writeRaw(packet) { onPacket(packet); },
  };
  return r;
}
