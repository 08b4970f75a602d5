/**
 * A simulated phone holding a phone key: it races other centrals for the board's radio link,
 * takes the protocol's steps (docs/PROTOCOL.md: link, MTU, notifications, HELLO, paced answers)
 * and retries as an app does. `car.phone(key)` (sim/car.ts) makes one; this file is its behaviour.
 * It speaks protocol v2 (docs/PROTOCOL.md "Protocol v2"): HELLO `01 02` and its key's id (none for a
 * ticket or without a key: tools/host/visit.ts helloFor); a v2 key (TravelKey: a
 * secret per board, or a ticket) proves itself with its secret for the board the CHALLENGE names,
 * and after each command hands over or takes the newer revocation list. A v1 key file works as ever.
 * Not here: the radio steps themselves (central.ts), the protocol's bytes (tools/host/protocol.ts),
 * the v2 decisions shared with every client (tools/host/visit.ts).
 */
import type { SimBoard } from './engine/board';
import { type Answer, type PhoneKeyFile, OP, addKeyArgs, be32, listMessage, nodeMac, parseAnswer, unwrapNewKey, M } from '../tools/host/protocol';
import { type ClientKey, type TravelKey, isTravelKey } from '../tools/host/travelkey';
import { credentialFor, helloFor, listSync, requestFor, takeBoardList, versionMismatch } from '../tools/host/visit';
import { type LinkOptions, central, linkSteps } from './central';
import * as C from '../firmware/codes';

/** What a phone needs of its car: the board's radio and clock, and the setup code on its label (pairing). */
export interface PhoneCar {
  board: SimBoard;
  site: { setupCode: string };
}

/** How a simulated phone behaves on the air (defaults: an app with a cached GATT table). */
export interface PhoneOptions {
  /** Ms from getting the link to its first write: GATT discovery and subscribing (default 0). */
  setupMs?: number;
  /** How long it keeps trying to get the link and an answer before it gives up (default 30 s, Android's GATT connect timeout). */
  timeoutMs?: number;
  /** Its radio address (default a new one per phone). */
  address?: string;
}

export interface SimPhone {
  /** The key its COMMANDs are MACed with: a v1 key file, or a v2 key's credential at the board it last connected to. */
  key: PhoneKeyFile | undefined;
  /** The v2 key it holds (a secret per board, or a ticket), with the newest revocation list it knows. */
  travel: TravelKey | undefined;
  /** The board's last CHALLENGE (v2: its version, board id and list version). */
  challenge: Answer | undefined;
  /** What the last list exchange did: 'sent' (LIST answered LISTED), 'taken' (a newer list kept), or undefined. */
  lastSync: { did: 'sent' | 'taken' | 'refused'; answer: Answer } | undefined;
  connected(): boolean;
  /**
   * Connects as a phone does: the link, then (with `mtu`) an MTU exchange, then notifications on,
   * then HELLO; returns the CHALLENGE. `subscribeAfterMs` waits that long before subscribing (a
   * slow phone); the board sends nothing unasked, so nothing is lost meanwhile.
   */
  connect(opts?: PhoneConnectOptions): Answer;
  disconnect(): void;
  /**
   * Pairs the link, typing `passkey` when the board asks for one (default: the board's setup code,
   * as read from its label). Returns the security level reached (1 when pairing failed).
   */
  pair(passkey?: string): number;
  /** Virtual ms from the start of the last run() or connect() until it had its answer (or link). */
  lastMs: number;
  /**
   * Runs one operation in one round trip (connecting first if needed); then, for a v2 key at a v2
   * board, the revocation-list exchange (LIST or GET LIST) on the same link.
   */
  run(op: number, args?: Uint8Array): Answer;
  /** The revocation-list exchange alone (connecting first if needed); undefined when there is nothing to exchange. */
  syncList(): Answer | undefined;
  unlock(): Answer;
  lock(): Answer;
  drive(): Answer;
  status(): Answer;
  setTime(seconds: number): Answer;
  addKey(req: Parameters<typeof addKeyArgs>[0]): { answer: Answer; key?: PhoneKeyFile };
  revoke(keyId: number): Answer;
  enrolCard(req: Parameters<typeof addKeyArgs>[0]): Answer;
  /** ENROL through an open window; keeps the key it is given. */
  enrol(label: string): Answer;
  /** Sends raw bytes as one packet (for fuzzing and fault scenarios). */
  sendRaw(packet: Uint8Array): Answer | undefined;
  /** Sends a whole message as it is (e.g. one recorded off the air) and reads the answer. */
  sendMessage(message: Uint8Array): Answer | undefined;
  /** The last nonce we were given. */
  nonce: Uint8Array | undefined;
}

export type PhoneConnectOptions = LinkOptions;

let phoneCount = 0;

/**
 * A phone as a real one behaves: it asks its central to connect and waits for the board's link
 * (losing races to whoever wins them), needs `setupMs` before its first write, then takes the
 * steps docs/PROTOCOL.md asks for (an MTU exchange if it wants one, notifications on, HELLO) and
 * reads each answer PULLing its fragments (sim/central.ts). When its link is dropped or no answer
 * comes it connects again and retries, until `timeoutMs`. A phone the user stops using (another
 * phone of ours needs the car) leaves the link.
 */
export function simPhone(car: PhoneCar, key?: ClientKey, opts: PhoneOptions = {}): SimPhone {
  const nrf = car.board.nrf;
  const air = nrf.central(opts.address || 'phone-' + (++phoneCount) + ' random');
  const timeoutMs = opts.timeoutMs ?? 30000;
  const setupMs = opts.setupMs ?? 0;
  const mine = () => air.connected;
  const radio = central(car.board, mine);
  const now = () => car.board.clock.now();
  let lastSent: Uint8Array | undefined;
  let lastOpts: PhoneConnectOptions = {};
  const take = (sentNonce?: Uint8Array, patienceMs?: number): Answer | undefined => {
    const m = radio.take(patienceMs);
    if (!m) return undefined;
    const a = parseAnswer(nodeMac, phone.key, m, sentNonce);
    if (a.nonce) phone.nonce = a.nonce;
    return a;
  };
  const send = (msg: Uint8Array) => radio.send(msg);
  /** Gets the link (racing any other central for it) by `deadline`; false if it never came. */
  const link = (deadline: number): boolean => {
    const holder = nrf.holder();
    // Another phone of ours: its user is done with the car (the old single-phone behaviour).
    if (nrf.connected && !mine() && (!holder || !holder.hostile)) nrf.disconnect();
    phone.nonce = undefined;
    while (!mine() && now() < deadline) {
      // Dropped the moment it got the link (or never got it): an app keeps trying to connect.
      if (!air.waiting) air.initiate();
      car.board.clock.advance(20);
    }
    if (!mine()) { air.cancel(); return false; }
    if (setupMs) car.board.clock.advance(setupMs);
    return true;
  };
  /** A link, its steps and HELLO's CHALLENGE by `deadline`, trying again as an app does. */
  const connectBy = (deadline: number): Answer | undefined => {
    while (now() < deadline) {
      if (!link(deadline)) return undefined;
      if (!linkSteps(car.board, lastOpts, mine)) continue;
      try { send(helloFor(phone.travel || phone.key)); } catch (e) { if (mine()) throw e; continue; }
      const a = take();
      if (a && a.type === 'challenge') {
        phone.challenge = a;
        // A v2 key: its credential for the board that answered (throws one clear line when none).
        if (phone.travel) phone.key = credentialFor(phone.travel, a);
        return a;
      }
      const mismatch = a && versionMismatch(a);
      if (mismatch) throw new Error(mismatch);
      // Dropped, or no challenge: try again.
      if (mine()) air.disconnect();
    }
    return undefined;
  };
  /** One signed request and its answer on the current link (undefined: dropped or no answer). */
  const ask = (op: number, args?: Uint8Array): Answer | undefined => {
    const nonce = phone.nonce!;
    lastSent = nonce;
    try { send(requestFor(nodeMac, phone.key!, nonce, op, args)); } catch (e) { if (mine()) throw e; return undefined; }
    return take(nonce);
  };
  /** The list exchange on the current link, after a command (tools/host/visit.ts listSync). */
  const exchange = (): Answer | undefined => {
    const what = listSync(phone.travel, phone.challenge);
    if (!what || !mine() || !phone.nonce) return undefined;
    const t = phone.travel!;
    let a: Answer | undefined;
    if (what === 'send') {
      try { send(listMessage(t.list!)); } catch (e) { if (mine()) throw e; return undefined; }
      a = take();
      if (a && a.type === 'listed') phone.challenge = { ...phone.challenge!, listVersion: a.listVersion };
      phone.lastSync = a ? { did: a.type === 'listed' && a.status === 0 ? 'sent' : 'refused', answer: a } : undefined;
    } else {
      a = ask(OP.GET_LIST);
      if (a && takeBoardList(t, a)) phone.lastSync = { did: 'taken', answer: a };
      else phone.lastSync = a ? { did: 'refused', answer: a } : undefined;
    }
    return a;
  };
  const phone: SimPhone = {
    key: isTravelKey(key) ? undefined : key, travel: isTravelKey(key) ? key : undefined, challenge: undefined, lastSync: undefined, nonce: undefined, lastMs: 0,
    connected: () => mine(),
    connect: (o) => {
      lastOpts = o || lastOpts;
      const t0 = now();
      if (mine()) air.disconnect();
      const a = connectBy(t0 + timeoutMs);
      phone.lastMs = now() - t0;
      if (!a) throw new Error('the board sent no challenge for HELLO');
      return a;
    },
    disconnect: () => air.disconnect(),
    pair: (passkey) => nrf.pair(passkey === undefined ? car.site.setupCode : passkey),
    run: (op, args) => {
      if (!phone.key && !phone.travel) throw new Error('this phone holds no key');
      const t0 = now(), deadline = t0 + timeoutMs;
      let resynced = false;
      for (;;) {
        if (!mine() || !phone.nonce) {
          if (!connectBy(deadline)) throw new Error('no answer from the board');
        }
        const a = ask(op, args);
        if (!a) {
          // Dropped before the answer, or none came: a real app connects again and retries.
          if (now() >= deadline) throw new Error('no answer from the board');
          if (mine()) air.disconnect();
          continue;
        }
        // A nonce that went stale while we were idle: resync with the fresh one, once, as a phone app does.
        if (a.status === C.R_EXPIRED_COMMAND && !resynced) { resynced = true; continue; }
        phone.lastMs = now() - t0;
        // The person's command came first (the owner gets in at once); then the lists, on a proven link.
        if (a.type === 'response' && a.authentic) exchange();
        return a;
      }
    },
    syncList: () => {
      if (!mine() || !phone.nonce) phone.connect();
      return exchange();
    },
    unlock: () => phone.run(OP.UNLOCK),
    lock: () => phone.run(OP.LOCK),
    drive: () => phone.run(OP.DRIVE),
    status: () => phone.run(OP.STATUS),
    setTime: (seconds) => phone.run(OP.SET_TIME, new Uint8Array(be32(seconds))),
    addKey: (req) => {
      const answer = phone.run(OP.ADD_KEY, addKeyArgs(req));
      return { answer, key: answer.status === 0 && answer.data ? unwrapNewKey(nodeMac, phone.key!, lastSent!, answer.data) : undefined };
    },
    revoke: (keyId) => phone.run(OP.REVOKE, new Uint8Array(be32(keyId))),
    enrolCard: (req) => phone.run(OP.ENROL_CARD, addKeyArgs(req)),
    enrol: (label) => {
      if (!mine()) phone.connect();
      const msg = new Uint8Array(1 + Math.min(6, label.length));
      msg[0] = M.ENROL;
      for (let i = 1; i < msg.length; i++) msg[i] = label.charCodeAt(i - 1) & 127;
      send(msg);
      const a = take();
      if (!a) throw new Error('no answer from the board');
      if (a.type === 'enrolled' && a.status === 0) phone.key = { keyId: a.keyId!, secret: a.secret!, label };
      return a;
    },
    // A raw packet may well get no answer (half a message): wait a few connection events, no more.
    sendRaw: (packet) => { radio.sendRaw(packet); return take(undefined, 3 * nrf.model.intervalMs); },
    sendMessage: (message) => { send(message); return take(); },
  };
  return phone;
}
