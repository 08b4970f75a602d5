/**
 * A Radio port for tests: the test plays the phone, packet by packet. Like a conforming phone it
 * PULLs each next fragment of an answer as soon as it has the previous one (docs/PROTOCOL.md "Pacing").
 */
import type { Radio } from '../../firmware/ports';
import { createAnswerReader, packets } from '../../tools/host/protocol';

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
  /** Every packet the board sent. */
  sent: Uint8Array[];
  /** Every PULL the phone wrote. */
  pulls: Uint8Array[];
  /** The link is encrypted with MITM protection (paired with the setup code). */
  encrypted: boolean;
  /** What the board asked pairing to use as its passkey. */
  passkey?: string;
  payload: number;
}

export function fakeRadio(): FakeRadio {
  let onConnect = (_a: string) => {}, onDisconnect = () => {}, onPacket = (_p: Uint8Array) => {};
  const reader = createAnswerReader(4096);
  let n = 0;
  const r: FakeRadio = {
    inbox: [], sent: [], pulls: [], encrypted: false, payload: 20, up: false, drops: 0,
    start(c, d, p) { onConnect = c; onDisconnect = d; onPacket = p; },
    send(packet) {
      if (packet.length > r.payload) throw new Error('packet longer than the payload size');
      r.sent.push(packet);
      const got = reader.push(packet);
      if (got.message) r.inbox.push(got.message);
      if (got.pull) { r.pulls.push(got.pull); onPacket(got.pull); }
    },
    payloadSize: () => r.payload,
    linkProtected: () => r.encrypted,
    protect: (passkey) => { r.passkey = passkey; },
    disconnect() { r.drops++; r.drop(); },
    connect(addr = 'phone-' + ++n) { reader.reset(); r.sent.length = 0; r.up = true; onConnect(addr); },
    drop() { if (!r.up) return; r.up = false; onDisconnect(); },
    write(message) { reader.reset(); for (const p of packets(message, r.payload)) r.writeRaw(p); },
    writeRaw(packet) { if (!r.up) throw new Error('not connected'); onPacket(packet); },
  };
  return r;
}
