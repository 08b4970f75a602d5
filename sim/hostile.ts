/**
 * Hostile centrals for the simulator: cheap BLE devices parked next to the car that race for its
 * one link and reconnect the moment they are dropped, each time from a new address (an attacker
 * can rotate its random address). What each does once it holds the link:
 *
 * - 'silent': nothing; it only holds the link.
 * - 'bad-mac': a COMMAND under a victim's key id with a wrong MAC on every challenge or answer.
 * - 'replay': a recorded COMMAND (a real one, signed for a nonce long gone) again and again.
 *
 * They run on the board's virtual clock (host timers) until stop(). Used by the hostile-car-park
 * scenario and its tests; nothing here touches the firmware other than over the radio.
 */
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../hal/radio-uuids';
import type { SimCar } from './car';
import type { SimCentral } from './engine/nrf';
import { M, OP, command, createAnswerReader, nodeMac, packets } from '../tools/host/protocol';

export type HostileKind = 'silent' | 'bad-mac' | 'replay';

export interface Hostile {
  kind: HostileKind;
  /** Links it got, commands it sent. */
  links: number;
  sent: number;
  stop(): void;
}

export interface HostileOptions {
  /** The key id its bad MACs name (default: none, 'bad-mac' then uses 1). */
  victimId?: number;
  /** 'replay': the recorded command it plays back. */
  recording?: Uint8Array;
  /** Ms it takes to act after it got the link or an answer (default 1). */
  reactMs?: number;
}

let made = 0;

export function startHostile(car: SimCar, kind: HostileKind, opts: HostileOptions = {}): Hostile {
  const nrf = car.board.nrf;
  const timers = car.board.clock.hostTimers;
  const react = opts.reactMs ?? 1;
  let stopped = false;
  let central: SimCentral | undefined;
  const reader = createAnswerReader(4096);
  const h: Hostile = { kind, links: 0, sent: 0, stop: () => { stopped = true; if (central) { central.cancel(); central.disconnect(); } } };
  const write = (msg: Uint8Array) => {
    if (stopped || !central || !central.connected) return;
    reader.reset();
    try {
      for (const p of packets(msg, nrf.state.mtu - 3)) nrf.write(SERVICE_UUID, RX_UUID, p);
      h.sent++;
    } catch (e) { /* dropped meanwhile */ }
  };
  const writeRaw = (p: Uint8Array) => {
    if (stopped || !central || !central.connected) return;
    try { nrf.write(SERVICE_UUID, RX_UUID, p); } catch (e) { /* dropped meanwhile */ }
  };
  const act = (nonce: Uint8Array | undefined) => {
    if (kind === 'silent') return;
    if (kind === 'replay') { write(opts.recording || new Uint8Array([M.HELLO])); return; }
    if (nonce) write(command(nodeMac, { keyId: opts.victimId ?? 1, secret: new Uint8Array(16).fill(0x5a) }, nonce, OP.UNLOCK));
  };
  nrf.subscribe((n) => {
    if (stopped || !central || !central.connected || n.characteristic !== TX_UUID) return;
    // It reads answers as a phone does (PULLing their fragments: docs/PROTOCOL.md "Pacing").
    const r = reader.push(n.data);
    if (r.pull) timers.after(react, () => writeRaw(r.pull!));
    const m = r.message;
    if (!m) return;
    // Every challenge, refusal or response carries the next nonce at a known place.
    const nonce = m[0] === M.CHALLENGE ? m.slice(1, 17) : m[0] === M.REFUSED ? m.slice(2, 18) : m[0] === M.RESPONSE ? m.slice(3, 19) : undefined;
    timers.after(react, () => act(nonce));
  });
  /** A new address for every connection attempt, and at once. */
  const again = () => {
    if (stopped) return;
    const c = nrf.central('hostile-' + kind + '-' + (++made) + ' random', { hostile: true });
    central = c;
    c.onConnect = () => {
      h.links++;
      reader.reset();
      // A replayer does not wait for a challenge. A forger asks for one as a phone does
      // (notifications on, HELLO: docs/PROTOCOL.md "Connecting") and forges an answer to each.
      if (kind === 'replay') timers.after(react, () => act(undefined));
      else if (kind === 'bad-mac') timers.after(react, () => { if (central === c && c.connected) { nrf.startNotifications(SERVICE_UUID, TX_UUID); write(new Uint8Array([M.HELLO])); } });
    };
    c.onDrop = () => { if (central === c) timers.after(0, again); };
    c.initiate();
  };
  again();
  return h;
}
