/**
 * Dev builds only (the build drops this file from production bundles): a bench hook on the USB
 * console for `npm run relay-bench`. It puts a second, wired link in front of the phone-key radio, so the
 * host drives the real phone-key path (same parser, MACs, nonces, core) from the console, and it
 * timestamps edges on an input wired back to the relay's contact. Times are the board's own
 * (getTime()), so console latency is not in the figures.
 *
 *   CKB.open()        -> JSON [packet hex...]  (the CHALLENGE to a HELLO of a new bench session)
 *   CKB.send(hex)     -> JSON {t0, a: [packet hex...]}  (one message in; the answer packets out,
 *                        each after the first PULLed at once as a phone does)
 *   CKB.edges()       -> JSON [time, level, ...] since the last call
 *   CKB.state()       -> JSON {relay, drive, door, contact}: read-only; relay/drive as the firmware
 *                        last drove them (1 = on), door and contact as their inputs read (null: no pin)
 *   CKB.close()
 * Outputs are not read with digitalRead: on Espruino that turns a pin in automatic mode (as
 * digitalWrite leaves it) into an input, which would drop the relay. benchOutput records them.
 */
import type { Output, Radio } from '../../firmware/ports';
import { fragment } from '../../firmware/frames';
import { toHex } from '../../firmware/bytes';

function unhex(s: string): Uint8Array {
  const b = new Uint8Array(s.length >> 1);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.substr(i * 2, 2), 16);
  return b;
}

/** What the firmware last drove: [relay, drive], 1 = on. */
const driven = [0, 0];

/** Wraps an output so CKB.state() can report it (slot 0 = relay, 1 = drive). */
export function benchOutput(o: Output, slot: number): Output {
  return { set: (on) => { driven[slot] = on ? 1 : 0; o.set(on); } };
}

function level(pin: number | undefined): number | null {
  return pin === undefined ? null : digitalRead(pin);
}

export function benchRadio(inner: Radio, contactPin: number | undefined, doorPin: number | undefined): Radio {
  let onConnect: (addr: string) => void = () => {}, onDisconnect: () => void = () => {}, onPacket: (p: Uint8Array) => void = () => {};
  let active = false;
  let out: string[] = [];
  const edges: number[] = [];
  if (contactPin !== undefined) {
    pinMode(contactPin, 'input_pulldown');
    setWatch((e) => { edges.push(e.time, e.state ? 1 : 0); if (edges.length > 400) edges.splice(0, 2); }, contactPin, { repeat: true, edge: 'both' });
  }
  // One message in, then each next fragment of the answer PULLed at once, as a phone would.
  const exchange = (message: Uint8Array) => {
    out = [];
    const parts = fragment(message, 244);
    for (let i = 0; i < parts.length; i++) onPacket(parts[i]);
    for (let k = 1; out.length === k && !(parseInt(out[k - 1].substr(0, 2), 16) & 0x40); k++) onPacket(new Uint8Array([k]));
  };
  global.CKB = {
    // A new session: connect, then HELLO (the board sends nothing unasked).
    open: () => { active = true; out = []; onConnect('bench'); exchange(new Uint8Array([1])); return JSON.stringify(out); },
    send: (message: string) => {
      const t0 = getTime();
      exchange(unhex(message));
      return JSON.stringify({ t0: t0, a: out });
    },
    edges: () => { const r = JSON.stringify(edges); edges.splice(0, edges.length); return r; },
    state: () => JSON.stringify({ relay: driven[0], drive: driven[1], door: level(doorPin), contact: level(contactPin) }),
    close: () => { if (active) { active = false; onDisconnect(); } },
    active: () => active,
  };
  return {
    start: (c, d, p) => {
      onConnect = c; onDisconnect = d; onPacket = p;
      inner.start((addr) => { active = false; c(addr); }, d, p);
    },
    send: (packet) => { if (active) out.push(toHex(packet)); else inner.send(packet); },
    payloadSize: () => (active ? 244 : inner.payloadSize()),
    // The bench link is a wire on the desk, not the air.
    linkProtected: () => active || inner.linkProtected(),
    protect: (passkey) => inner.protect(passkey),
    disconnect: () => { if (active) { active = false; onDisconnect(); } else inner.disconnect(); },
  };
}
