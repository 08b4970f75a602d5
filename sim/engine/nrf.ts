/**
 * The radio: Espruino's NRF object (GATT server, advertising, security, connection events) on the
 * board side, and a test central on the host side (connect, exchange the MTU, subscribe, write a
 * characteristic, capture notifications, disconnect). Services and the connection die with each boot.
 * What Espruino on an nRF52 does with notifications and writes, and the central's steps it needs,
 * are modelled from Espruino's source (radio-model.ts has the facts and where they come from):
 * a notification is dropped without a word before the central subscribed (CCCD), during an MTU
 * exchange and when the SoftDevice's send queue is full; queued ones go out at connection events;
 * a write becomes a board event through Espruino's event queue, which drops it when full.
 *
 * Connections (as a peripheral on Espruino's nRF5x port): one central at a time. Several centrals
 * may be trying to connect (`central()`); while the board holds no link it advertises (Espruino
 * restarts advertising as soon as a link drops), and the centrals waiting race for it: a hostile
 * one wins with probability `race.hostileWins` (seeded), as a tight connect loop wins most races.
 * NRF.disconnect() really drops the link (the disconnect event, then advertising again).
 * NRF.setWhitelist is recorded and does nothing to who connects: Espruino 2v29 only fills the Peer
 * Manager's whitelist and still advertises with BLE_GAP_ADV_FP_ANY (targets/nrf5x/bluetooth.c).
 *
 * Link security as targets/nrf5x/bluetooth.c does it: a characteristic's `security` option gives
 * the level a write needs (set_security_mode: none 1; encrypted 2; encrypted+mitm 3; lesc 4, LESC
 * with MITM, whatever else is set); pairing reaches 2 by Just Works (the board has no display or
 * keyboard: io caps NONE), 3 or 4 (lesc on both sides) by passkey entry when NRF.setSecurity has
 * `display` (the phone types the static `passkey`), and nothing when the board asks for `mitm` it
 * cannot get, `pair: false`, or the passkey typed is wrong. A write below its level is refused at
 * the GATT level (ATT "insufficient authentication"): the board never sees it.
 * Not here: pins, timers, storage (globals.ts); how board callbacks are run (the `call` it is given).
 */
import { toBytes } from './storage';
import { prng } from '../../tools/host/random';
import type { Realm } from './realm';
import { type RadioModel, DEFAULT_RADIO, EVENT_SLACK, writeEventBytes } from './radio-model';

export interface Characteristic {
  value: Uint8Array;
  maxLen?: number;
  readable: boolean;
  writable: boolean;
  notify: boolean;
  indicate: boolean;
  /** The board's callback: a function in the VM engine, a handle number in the real-interpreter engine. */
  onWrite?: unknown;
  security?: unknown;
  description?: string;
}

export interface Notification {
  service: string;
  characteristic: string;
  data: Uint8Array;
  /** True when the firmware's value was longer than MTU-3 and the central got a cut copy. */
  truncated: boolean;
  /** Virtual ms since the simulation started (when the central received it). */
  at: number;
}

/** A notification the board asked for that never left it, and why (NRF.updateServices says nothing). */
export interface DroppedNotification {
  characteristic: string;
  data: Uint8Array;
  why: 'not subscribed' | 'mtu exchange' | 'queue full';
  at: number;
}

export interface NrfState {
  address: string;
  services: Record<string, Record<string, Characteristic>>;
  options: { uart: boolean; advertise?: string[] } & Record<string, unknown>;
  advertising?: { data: unknown; options: unknown };
  security?: unknown;
  handlers: Record<string, unknown[]>;
  peer?: string;
  /** The link is encrypted (the central paired). */
  encrypted: boolean;
  /** The link's security level (1 open, 2 encrypted, 3 encrypted with MITM protection, 4 LESC with MITM). */
  level: number;
  /** NRF.setWhitelist(on): recorded only; Espruino 2v29 admits any central whatever it says. */
  whitelist?: boolean;
  /** Set by createNrf: the link ended (advertising resumes, waiting centrals race). */
  linkEnded?: () => void;
  /** The effective ATT MTU of this link (23 until an exchange completes). */
  mtu: number;
  /** Virtual ms the link came up: connection events fall every `model.intervalMs` from here. */
  linkAt: number;
  /** Characteristics ("service/char") whose CCCD the central has set for this link. */
  subscribed: Record<string, boolean>;
  /** An MTU exchange the central started: done at the next connection event. */
  mtuExchange?: number;
  /** Notifications queued in the SoftDevice, sent at the next connection event. */
  txQueue: Notification[];
  /** Characteristic writes waiting in Espruino's event queue. */
  events: { ch: Characteristic; data: Uint8Array }[];
  model: RadioModel;
  /** Delivers a notification to the host side; virtual time for its stamp. */
  notify: (n: Notification) => void;
  /** Records a notification the board lost. */
  dropped: (d: DroppedNotification) => void;
  /** Runs `fn` on the virtual clock `ms` from now (a timer of the simulator, not the board's). */
  schedule: (ms: number, fn: () => void) => void;
  /** Connection events scheduled and not yet run (one is enough at a time). */
  eventPending: boolean;
  now: () => number;
  /** Set by the board for the current boot. */
  boot?: { realm: Realm; call: (fn: unknown, args: unknown[]) => void; later: (fn: unknown, args: unknown[]) => void; alive: () => boolean };
}

export interface NrfHost {
  /** A central connects (fires NRF.on('connect', addr)). Nothing is subscribed yet; the MTU is 23. */
  connect(address?: string): void;
  /** The central disconnects (fires NRF.on('disconnect', 0x13)) after the writes already queued. */
  disconnect(): void;
  /**
   * The central writes a characteristic: the write waits in Espruino's event queue (dropped when
   * full) and reaches its onWrite({data: ArrayBuffer}) when the board's event loop next runs
   * (the next step of virtual time).
   */
  write(service: string, characteristic: string, bytes: ArrayLike<number>): void;
  read(service: string, characteristic: string): Uint8Array | undefined;
  /**
   * The central starts an ATT MTU exchange asking for `n`: notifications are dropped until it
   * completes at the next connection event; the MTU is then min(max(23, n), the board's cap).
   * Espruino fires no 'mtu' event for it (only for exchanges it starts as a central).
   */
  exchangeMtu(n: number): void;
  /** An MTU exchange that completes at once (older tests): the MTU becomes min(max(23, n), the board's cap). */
  setMtu(n: number): void;
  /**
   * The central writes the CCCD of a characteristic (every notifying one when none is named):
   * from now on the board's notifications on it are sent, not dropped. `false` turns them off.
   */
  startNotifications(service?: string, characteristic?: string, on?: boolean): void;
  /**
   * The connected central (a phone: keyboard and display, LE Secure Connections) pairs; with the
   * board's passkey typed when the board asks for one. Returns the level reached (1: failed).
   */
  pair(passkey?: string): number;
  /** The central (made by central()) holding the link, if any. */
  holder(): SimCentral | undefined;
  /** A central that tries to connect and races the others for the board's one link. */
  central(address: string, opts?: { hostile?: boolean }): SimCentral;
  /** Connection races: how often a hostile central wins one, the PRNG seed, the ms from advertising to a link. */
  race: { hostileWins: number; seed: number; ms: number };
  /** What the central received, in order. */
  notifications: Notification[];
  /** What the board sent that the central never received, and why. */
  dropped: DroppedNotification[];
  /** Characteristic writes Espruino's event queue had no room for. */
  droppedWrites: number;
  /** Calls `cb` for every later notification; returns the unsubscribe function. */
  subscribe(cb: (n: Notification) => void): () => void;
  readonly connected: boolean;
  /** True unless setServices(..., {uart:false}): the Nordic UART console is open to anyone in range. */
  readonly uartExposed: boolean;
  /** The radio facts in force (mutable: a test may shrink the queue or change the interval). */
  readonly model: RadioModel;
  readonly state: NrfState;
}

/** Espruino's default advertising interval (libs/bluetooth/bluetooth.h BLUETOOTH_ADVERTISING_INTERVAL). */
export const ADVERTISING_MS = 375;

/** One central in range: it connects when it wins a race, and hears when its link ends. */
export interface SimCentral {
  readonly address: string;
  readonly hostile: boolean;
  /** True while this central holds the board's link. */
  readonly connected: boolean;
  /** True while it waits for the board to advertise and races for the link. */
  readonly waiting: boolean;
  /** Starts connecting (a phone app's connect(); a hostile central's loop). */
  initiate(): void;
  /** Stops waiting. */
  cancel(): void;
  /** Leaves the link it holds. */
  disconnect(): void;
  /** Called when it got the link, and when its link ended (by the board, by itself or a reboot). */
  onConnect?: () => void;
  onDrop?: () => void;
}

/** The level NRF.setServices' `security` read/write option requires (set_security_mode). */
export function requiredLevel(sec: unknown): number {
  const s = (sec && typeof sec === 'object' ? sec : {}) as Record<string, unknown>;
  if (s.signed) return s.mitm ? 3 : 2; // signed writes: not used here; their levels as the SDK counts them
  if (s.lesc) return 4;
  if (s.encrypted) return s.mitm ? 3 : 2;
  return 1;
}

/**
 * The level a phone (keyboard + display, LE Secure Connections) reaches pairing with a board set
 * up by NRF.setSecurity(opts) (get_gap_sec_params and jsble_can_pair_with_peer): 1 when it cannot
 * pair, 2 Just Works, 3 legacy passkey, 4 LESC passkey. `typed` is the passkey the phone enters.
 */
export function pairingLevel(opts: unknown, typed?: string): number {
  const o = (opts && typeof opts === 'object' ? opts : {}) as Record<string, unknown>;
  if (o.pair !== undefined && !o.pair) return 1;
  const io = o.display || o.keyboard ? 'io' : 'none';
  // The phone is keyboard+display: the pairing is authenticated whenever the board has any I/O.
  const authenticated = io !== 'none';
  if (o.mitm && !authenticated) return 1; // the board wants MITM protection this phone cannot give it
  if (!authenticated) return 2; // Just Works
  // Passkey entry: the board "displays" its static passkey (or a random one nobody can see); the phone types it.
  const shown = typeof o.passkey === 'string' && o.passkey ? o.passkey : undefined;
  if (shown === undefined || typed !== shown) return 1;
  return o.lesc ? 4 : 3;
}

/** The highest level any phone can reach with this board: what a production build must be able to meet. */
export function bestPairingLevel(opts: unknown): number {
  const o = (opts && typeof opts === 'object' ? opts : {}) as Record<string, unknown>;
  return Math.max(1, pairingLevel(opts, typeof o.passkey === 'string' ? o.passkey : undefined));
}

export function uuid(u: unknown): string {
  return String(u).toLowerCase().replace(/^0x/, '');
}

/** Milliseconds from now to the link's next connection event. */
export function toNextEvent(state: NrfState): number {
  const iv = state.model.intervalMs;
  const since = state.now() - state.linkAt;
  return (Math.floor(since / iv) + 1) * iv - since;
}

/** A connection event: the MTU exchange completes, queued notifications reach the central. */
function connectionEvent(state: NrfState, link: number): void {
  state.eventPending = false;
  if (!state.peer || link !== state.linkAt) return;
  if (state.mtuExchange !== undefined) {
    state.mtu = Math.min(Math.max(23, state.mtuExchange), state.model.mtuMax);
    state.mtuExchange = undefined;
  }
  const out = state.txQueue.splice(0);
  for (const n of out) { n.at = state.now(); state.notify(n); }
}

function wantEvent(state: NrfState): void {
  if (state.eventPending || !state.peer) return;
  state.eventPending = true;
  const link = state.linkAt;
  state.schedule(toNextEvent(state), () => connectionEvent(state, link));
}

/** Runs the writes waiting in the event queue, oldest first (Espruino's idle loop). */
export function runEvents(state: NrfState): void {
  const b = state.boot;
  while (state.events.length) {
    const e = state.events.shift()!;
    if (!b || !b.alive()) continue;
    if (e.ch.onWrite !== undefined) b.call(e.ch.onWrite, [b.realm.plain({ data: b.realm.arrayBuffer(e.data) })]);
  }
}

/** Bytes of Espruino's event queue the waiting writes take. */
function eventBytes(state: NrfState): number {
  let n = 0;
  for (const e of state.events) n += writeEventBytes(e.data.length);
  return n;
}

export interface NrfOptions {
  /** Radio facts of the board (radio-model.ts); DEFAULT_RADIO when absent. */
  model?: RadioModel;
  /** Runs `fn` `ms` of virtual time from now; without it queued things happen at once (no time). */
  schedule?: (ms: number, fn: () => void) => void;
}

export function createNrf(address: string, now: () => number, opts: NrfOptions = {}): { state: NrfState; host: NrfHost } {
  const schedule = opts.schedule || ((_ms: number, fn: () => void) => fn());
  const state: NrfState = {
    address, services: {}, options: { uart: true }, handlers: {}, encrypted: false, level: 1, mtu: 23, linkAt: 0, subscribed: {},
    txQueue: [], events: [], model: { ...(opts.model || DEFAULT_RADIO) }, eventPending: false, schedule,
    notify: (n) => notify(n), dropped: (d) => host.dropped.push(d), now,
  };
  const after = opts.schedule;
  const centrals: SimCentralImpl[] = [];
  let holder: SimCentralImpl | undefined;
  const race = { hostileWins: 0.75, seed: 1, ms: 10 };
  let rs = prng(1), rseed = -1;
  const rand = () => {
    if (rseed !== race.seed) { rseed = race.seed; rs = prng(race.seed); }
    return rs() / 4294967296;
  };
  const alive = () => !!state.boot && state.boot.alive();
  /** The link ended: tell its central, and let the waiting ones race for the next. */
  const ended = () => {
    const h = holder;
    holder = undefined;
    if (h && h.onDrop) h.onDrop();
    startRace();
  };
  state.linkEnded = ended;
  /** Due time of the next race, or -1: one is held when a link ends, or while the board is off. */
  let raceAt = -1;
  const startRace = (delay = race.ms) => {
    if (!after || !centrals.some((c) => c.waiting)) return;
    const due = now() + delay;
    if (raceAt >= 0 && raceAt <= due) return;
    raceAt = due;
    after(delay, () => {
      if (raceAt !== due) return;
      raceAt = -1;
      const waiting = centrals.filter((c) => c.waiting);
      // A link is up: the next race comes when it ends (ended()). The board is off: look again
      // at the next advertising interval.
      if (!waiting.length || state.peer) return;
      if (!alive()) { startRace(ADVERTISING_MS); return; }
      const hostile = waiting.filter((c) => c.hostile), friendly = waiting.filter((c) => !c.hostile);
      const pool = hostile.length && friendly.length ? (rand() < race.hostileWins ? hostile : friendly) : waiting;
      const winner = pool[Math.floor(rand() * pool.length)];
      winner.waiting = false;
      link(winner.address, winner);
      if (winner.onConnect && holder === winner) winner.onConnect();
    });
  };
  const subscribers: ((n: Notification) => void)[] = [];
  const emit = (ev: string, args: unknown[]) => {
    const b = state.boot;
    if (!b || !b.alive()) return;
    for (const fn of (state.handlers[ev] || []).slice()) b.call(fn, args);
  };
  const running = () => { if (!state.boot || !state.boot.alive()) throw new Error('the board is not running'); };
  const charOf = (s: string, c: string) => {
    const svc = state.services[uuid(s)];
    const ch = svc && svc[uuid(c)];
    if (!ch) throw new Error('no characteristic ' + c + ' in service ' + s);
    return ch;
  };
  let eventsPending = false;
  /** A link to `addr` (held by `by` when a central() made it): the board hears NRF.on('connect', addr). */
  const link = (addr: string, by: SimCentralImpl | undefined) => {
    state.peer = addr;
    holder = by;
    state.encrypted = false;
    state.level = 1;
    newLink(state);
    emit('connect', [addr]);
  };
  const host: NrfHost = {
    connect(addr = 'c0:ff:ee:00:00:01 random') {
      running();
      if (state.peer) throw new Error('already connected');
      link(addr, undefined);
    },
    disconnect() {
      if (!state.peer) return;
      runEvents(state); // writes already in the event queue come before the disconnect event
      state.peer = undefined;
      state.encrypted = false;
      state.level = 1;
      newLink(state);
      emit('disconnect', [0x13]);
      ended();
    },
    pair(passkey) {
      if (!state.peer) throw new Error('not connected');
      const level = pairingLevel(state.security, passkey);
      if (level > state.level) { state.level = level; state.encrypted = level >= 2; }
      return level;
    },
    central(address, opts) {
      const c = new SimCentralImpl(address, !!(opts && opts.hostile), host, () => holder === c && state.peer === address, startRace);
      centrals.push(c);
      return c;
    },
    race,
    holder: () => (state.peer ? holder : undefined),
    write(s, c, bytes) {
      running();
      if (!state.peer) throw new Error('not connected');
      const ch = charOf(s, c);
      if (!ch.writable) throw new Error('characteristic ' + c + ' is not writable');
      const data = Uint8Array.from(Array.from(bytes, (b) => b & 255));
      if (ch.maxLen !== undefined && data.length > ch.maxLen) throw new Error('write longer than maxLen ' + ch.maxLen);
      // As on a real link, a central cannot write more than the negotiated ATT MTU - 3.
      if (data.length > state.mtu - 3) throw new Error('write of ' + data.length + ' bytes is longer than the MTU (' + state.mtu + ') allows');
      // The SoftDevice refuses a write below the characteristic's level: the board never sees it.
      const need = requiredLevel(ch.security && (ch.security as Record<string, unknown>).write);
      if (state.level < need) throw new Error('insufficient authentication: the write needs security level ' + need + ', the link has ' + state.level);
      ch.value = data;
      // The SoftDevice has accepted the write (the central is told so); Espruino may still lose it.
      if (state.model.eventQueueBytes - eventBytes(state) - EVENT_SLACK < writeEventBytes(data.length)) { host.droppedWrites++; return; }
      state.events.push({ ch, data });
      if (!eventsPending) {
        eventsPending = true;
        schedule(0, () => { eventsPending = false; runEvents(state); });
      }
    },
    read(s, c) {
      const ch = charOf(s, c);
      return ch.readable ? ch.value.slice() : undefined;
    },
    exchangeMtu(n) {
      if (!state.peer) throw new Error('not connected');
      state.mtuExchange = Math.floor(n);
      wantEvent(state);
    },
    setMtu(n) {
      state.mtu = Math.min(Math.max(23, Math.floor(n)), state.model.mtuMax);
    },
    startNotifications(s, c, on = true) {
      if (!state.peer) throw new Error('not connected');
      const keys: string[] = [];
      if (s !== undefined && c !== undefined) {
        const ch = charOf(s, c);
        if (!ch.notify && !ch.indicate) throw new Error('characteristic ' + c + ' cannot notify');
        keys.push(uuid(s) + '/' + uuid(c));
      } else {
        for (const su of Object.keys(state.services)) for (const cu of Object.keys(state.services[su])) {
          const ch = state.services[su][cu];
          if (ch.notify || ch.indicate) keys.push(su + '/' + cu);
        }
      }
      for (const k of keys) state.subscribed[k] = on;
    },
    notifications: [],
    dropped: [],
    droppedWrites: 0,
    subscribe(cb) {
      subscribers.push(cb);
      return () => { const i = subscribers.indexOf(cb); if (i >= 0) subscribers.splice(i, 1); };
    },
    get connected() { return !!state.peer; },
    get uartExposed() { return state.options.uart !== false; },
    get model() { return state.model; },
    get state() { return state; },
  };
  const notify = (n: Notification) => {
    host.notifications.push(n);
    for (const cb of subscribers.slice()) cb(n);
  };
  return { state, host };
}

class SimCentralImpl implements SimCentral {
  waiting = false;
  onConnect?: () => void;
  onDrop?: () => void;
  constructor(readonly address: string, readonly hostile: boolean, private host: NrfHost, private holds: () => boolean, private race: () => void) {}
  get connected(): boolean { return this.holds(); }
  initiate(): void { if (!this.connected) { this.waiting = true; this.race(); } }
  cancel(): void { this.waiting = false; }
  disconnect(): void { if (this.connected) this.host.disconnect(); }
}

/** Link state that starts afresh with every connection (and ends with it). */
function newLink(state: NrfState): void {
  state.mtu = 23;
  state.linkAt = state.now();
  state.subscribed = {};
  state.mtuExchange = undefined;
  state.txQueue = [];
  state.eventPending = false;
}

/** A new boot: the connection drops (no event: the old boot is gone) and services are forgotten. */
export function nrfReset(state: NrfState): void {
  state.services = {};
  state.options = { uart: true };
  state.advertising = undefined;
  state.security = undefined;
  state.handlers = {};
  const had = !!state.peer;
  state.peer = undefined;
  state.events = [];
  state.encrypted = false;
  state.level = 1;
  state.whitelist = undefined;
  newLink(state);
  state.boot = undefined;
  if (had && state.linkEnded) state.linkEnded();
}

function toChar(def: Record<string, unknown>): Characteristic {
  return {
    value: def.value === undefined ? new Uint8Array(0) : toBytes(def.value),
    maxLen: typeof def.maxLen === 'number' ? def.maxLen : undefined,
    readable: !!def.readable,
    writable: !!def.writable,
    notify: !!def.notify,
    indicate: !!def.indicate,
    onWrite: def.onWrite,
    security: def.security,
    description: typeof def.description === 'string' ? def.description : undefined,
  };
}

/** NRF.setServices: the board's GATT table for this boot (callbacks stay whatever handle the engine uses). */
export function applyServices(state: NrfState, services?: Record<string, Record<string, Record<string, unknown>>>, options?: Record<string, unknown>): void {
  state.services = {};
  for (const su of Object.keys(services || {})) {
    const chars: Record<string, Characteristic> = {};
    for (const cu of Object.keys(services![su])) chars[uuid(cu)] = toChar(services![su][cu]);
    state.services[uuid(su)] = chars;
  }
  const o = options || {};
  state.options = Object.assign({}, o, { uart: o.uart !== false, advertise: Array.isArray(o.advertise) ? o.advertise.map(uuid) : undefined });
}

/**
 * NRF.updateServices: new values, and where a notification is asked for on a link, one queued for
 * the next connection event (cut to MTU-3, as sd_ble_gatts_hvx does) — or dropped without a word
 * when the central has not subscribed, an MTU exchange is under way or the queue is full, the
 * errors Espruino ignores (libs/bluetooth/jswrap_bluetooth.c, after sd_ble_gatts_hvx).
 */
export function applyUpdates(state: NrfState, updates: Record<string, Record<string, Record<string, unknown>>>, error: (m: string) => Error): void {
  for (const su of Object.keys(updates || {})) {
    const svc = state.services[uuid(su)];
    if (!svc) throw error('Unable to find service with UUID ' + su);
    for (const cu of Object.keys(updates[su])) {
      const ch = svc[uuid(cu)];
      if (!ch) throw error('Unable to find characteristic with UUID ' + cu);
      const u = updates[su][cu];
      if (u.value !== undefined) ch.value = toBytes(u.value);
      if ((u.notify || u.indicate) && (ch.notify || ch.indicate) && state.peer && ch.value.length) queueNotification(state, uuid(su), uuid(cu), ch.value);
    }
  }
}

function queueNotification(state: NrfState, su: string, cu: string, value: Uint8Array): void {
  const drop = (why: DroppedNotification['why']) => state.dropped({ characteristic: cu, data: value.slice(), why, at: state.now() });
  if (!state.subscribed[su + '/' + cu]) return drop('not subscribed');
  if (state.mtuExchange !== undefined) return drop('mtu exchange');
  if (state.txQueue.length >= state.model.txQueue) return drop('queue full');
  const max = state.mtu - 3;
  state.txQueue.push({ service: su, characteristic: cu, data: value.slice(0, max), truncated: value.length > max, at: state.now() });
  wantEvent(state);
}

/** NRF.getSecurityStatus as the board sees its link. */
export function securityStatus(state: NrfState): { connected: boolean; encrypted: boolean; mitm_protected: boolean; bonded: boolean } {
  const sec = (state.security || {}) as Record<string, unknown>;
  const up = !!state.peer;
  return { connected: up, encrypted: up && state.level >= 2, mitm_protected: up && state.level >= 3, bonded: up && state.level >= 2 && sec.bond !== false };
}

/** NRF.disconnect from the board: the link drops now, the event comes later from the event loop. */
export function boardDisconnect(state: NrfState): void {
  if (!state.peer) return;
  state.peer = undefined;
  state.encrypted = false;
  state.level = 1;
  newLink(state);
  const b = state.boot;
  if (b) for (const fn of (state.handlers.disconnect || []).slice()) b.later(fn, [0x16]);
  if (state.linkEnded) state.linkEnded();
}

/** The board-side NRF object for one boot; `gate` stops it working once the boot is over. */
export function nrfGlobal(state: NrfState, realm: Realm, gate: <F extends (...a: any[]) => any>(f: F) => F): object {
  const noop = gate(() => undefined);
  return realm.plain({
    setServices: gate((services?: Record<string, Record<string, Record<string, unknown>>>, options?: Record<string, unknown>) => applyServices(state, services, options)),
    updateServices: gate((updates: Record<string, Record<string, Record<string, unknown>>>) => applyUpdates(state, updates, realm.error)),
    setAdvertising: gate((data: unknown, options: unknown) => { state.advertising = { data, options }; }),
    setSecurity: gate((opts: unknown) => { state.security = opts; }),
    setWhitelist: gate((on: unknown) => { state.whitelist = !!on; }),
    getAddress: gate(() => state.address),
    getSecurityStatus: gate(() => realm.plain(securityStatus(state))),
    disconnect: gate(() => boardDisconnect(state)),
    on: gate((ev: string, fn: unknown) => { (state.handlers[ev] = state.handlers[ev] || []).push(fn); }),
    removeAllListeners: gate((ev?: string) => { if (ev === undefined) state.handlers = {}; else delete state.handlers[ev]; }),
    sleep: noop,
    wake: noop,
    setConnectionInterval: noop,
    setTxPower: noop,
  });
}
