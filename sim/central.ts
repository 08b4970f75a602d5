/**
 * A phone's radio steps against a simulated board, as docs/PROTOCOL.md asks a client to take them:
 * connect, (optionally) exchange the MTU, subscribe to TX, then write a message and read the paced
 * answer, PULLing each next fragment (and PULLing again when one is slow to come). Virtual time
 * moves one connection interval at a time while it waits. The simulated phone (car.ts), tests and
 * tools use it; what the messages mean is theirs.
 */
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../hal/radio-uuids';
import { PULL_RETRIES, PULL_RETRY_MS, createAnswerReader, packets } from '../tools/host/protocol';
import type { SimBoard } from './engine/board';

/** Virtual ms a phone waits for a whole answer before it gives up. */
export const ANSWER_MS = PULL_RETRY_MS * (PULL_RETRIES + 1);

export interface LinkOptions {
  /** ATT MTU the phone asks for in an exchange before it subscribes (none: the link stays at 23). */
  mtu?: number;
  /** Virtual ms between the link coming up and the phone subscribing to notifications. */
  subscribeAfterMs?: number;
}

/**
 * A phone's steps once it has the link: an MTU exchange if asked, a wait if asked, then TX
 * notifications on. False when the link dropped meanwhile (the board may drop a slow phone).
 */
export function linkSteps(board: SimBoard, opts: LinkOptions = {}, mine: () => boolean = () => board.nrf.connected): boolean {
  const nrf = board.nrf;
  if (opts.mtu && mine()) { nrf.exchangeMtu(opts.mtu); board.clock.advance(nrf.model.intervalMs); }
  if (opts.subscribeAfterMs) board.clock.advance(opts.subscribeAfterMs);
  if (!mine()) return false;
  nrf.startNotifications(SERVICE_UUID, TX_UUID);
  return true;
}

/** Connects (dropping any link first), then linkSteps. */
export function linkUp(board: SimBoard, opts: LinkOptions = {}, connected?: () => void): void {
  const nrf = board.nrf;
  if (nrf.connected) nrf.disconnect();
  nrf.connect();
  if (connected) connected();
  if (!linkSteps(board, opts)) throw new Error('the link dropped before the phone subscribed');
}

export interface Central {
  /** Writes a message, cut to the link's MTU; forgets any answer in progress. */
  send(message: Uint8Array): void;
  /** Writes one packet as it is. */
  sendRaw(packet: Uint8Array): void;
  /**
   * The whole answer, or undefined when none came within `patienceMs` (ANSWER_MS by default; an
   * answer already begun is followed until the PULL retries run out) or the link is not ours.
   */
  take(patienceMs?: number): Uint8Array | undefined;
  /** Stops listening. */
  close(): void;
}

/** A phone's receiving side on `board`'s radio; `mine` says whether the link is still this phone's. */
export function central(board: SimBoard, mine: () => boolean = () => board.nrf.connected): Central {
  const nrf = board.nrf;
  const reader = createAnswerReader(4096);
  let arrived: Uint8Array[] = [];
  const off = nrf.subscribe((n) => { if (n.characteristic === TX_UUID && mine()) arrived.push(n.data); });
  const write = (p: Uint8Array) => nrf.write(SERVICE_UUID, RX_UUID, p);
  const c: Central = {
    send(message) {
      reader.reset();
      arrived = [];
      for (const p of packets(message, nrf.state.mtu - 3)) write(p);
    },
    sendRaw(packet) {
      reader.reset();
      arrived = [];
      write(packet);
    },
    take(patienceMs = ANSWER_MS) {
      let idle = 0, retries = 0;
      for (let waited = 0; waited <= patienceMs || reader.wanted > 0;) {
        while (arrived.length) {
          const r = reader.push(arrived.shift()!);
          if (r.message) return r.message;
          if (r.pull) { write(r.pull); idle = 0; retries = 0; }
        }
        if (!mine()) return undefined;
        if (idle >= PULL_RETRY_MS) {
          if (retries++ >= PULL_RETRIES) return undefined;
          write(reader.again());
          idle = 0;
        }
        const step = nrf.model.intervalMs;
        board.clock.advance(step);
        waited += step;
        idle += step;
      }
      return undefined;
    },
    close: off,
  };
  return c;
}

/** One message and its answer on a fresh link (tests and tools that need no more than that). */
export function ask(board: SimBoard, message: Uint8Array, opts?: LinkOptions): Uint8Array | undefined {
  const c = central(board);
  try {
    if (!board.nrf.connected) linkUp(board, opts);
    c.send(message);
    return c.take();
  } finally {
    c.close();
  }
}
