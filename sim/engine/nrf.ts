/**
 * The radio: Espruino's NRF object (GATT server, advertising, security, connection events) on the
 * board side, and a test central on the host side (connect, exchange the MTU, subscribe, write a
 * characteristic, capture notifications, disconnect). Services and the connection die with each boot.
 * What Espruino on an nRF52 does with notifications and writes, and the central's steps it needs,
 * are modelled from Espruino's source (radio-model.ts has the facts and where they come from):
 * a notification is dropped without a word before the central subscribed (CCCD), during an MTU
 * exchange and when the SoftDevice's send queue is full; queued ones go out at connection events;
 * a write becomes a board event through Espruino's event queue, which drops it when full.
 * Not here: pins, timers, storage (globals.ts); how board callbacks are run (the `call` it is given).
 */
import { toBytes } from './storage';
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
  /** The link is encrypted (the central paired with LE Secure Connections). */
  encrypted: boolean;
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
  /** The central pairs (LE Secure Connections): the link is encrypted until it disconnects. */
  pair(): void;
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
    address, services: {}, options: { uart: true }, handlers: {}, encrypted: false, mtu: 23, linkAt: 0, subscribed: {},
    txQueue: [], events: [], model: { ...(opts.model || DEFAULT_RADIO) }, eventPending: false, schedule,
    notify: (n) => notify(n), dropped: (d) => host.dropped.push(d), now,
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
  const host: NrfHost = {
    connect(addr = 'c0:ff:ee:00:00:01 random') {
      running();
      if (state.peer) throw new Error('already connected');
      state.peer = addr;
      state.encrypted = false;
      newLink(state);
      emit('connect', [addr]);
    },
    disconnect() {
      if (!state.peer) return;
      runEvents(state); // writes already in the event queue come before the disconnect event
      state.peer = undefined;
      state.encrypted = false;
      newLink(state);
      emit('disconnect', [0x13]);
    },
    pair() {
      if (!state.peer) throw new Error('not connected');
      state.encrypted = true;
    },
    write(s, c, bytes) {
      running();
      if (!state.peer) throw new Error('not connected');
      const ch = charOf(s, c);
      if (!ch.writable) throw new Error('characteristic ' + c + ' is not writable');
      const data = Uint8Array.from(Array.from(bytes, (b) => b & 255));
      if (ch.maxLen !== undefined && data.length > ch.maxLen) throw new Error('write longer than maxLen ' + ch.maxLen);
      // As on a real link, a central cannot write more than the negotiated ATT MTU - 3.
      if (data.length > state.mtu - 3) throw new Error('write of ' + data.length + ' bytes is longer than the MTU (' + state.mtu + ') allows');
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
  state.peer = undefined;
  state.events = [];
  newLink(state);
  state.boot = undefined;
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
  return { connected: !!state.peer, encrypted: !!state.peer && state.encrypted, mitm_protected: false, bonded: state.encrypted };
}

/** NRF.disconnect from the board: the link drops now, the event comes later from the event loop. */
export function boardDisconnect(state: NrfState): void {
  if (!state.peer) return;
  state.peer = undefined;
  newLink(state);
  const b = state.boot;
  if (b) for (const fn of (state.handlers.disconnect || []).slice()) b.later(fn, [0x16]);
}

/** The board-side NRF object for one boot; `gate` stops it working once the boot is over. */
export function nrfGlobal(state: NrfState, realm: Realm, gate: <F extends (...a: any[]) => any>(f: F) => F): object {
  const noop = gate(() => undefined);
  return realm.plain({
    setServices: gate((services?: Record<string, Record<string, Record<string, unknown>>>, options?: Record<string, unknown>) => applyServices(state, services, options)),
    updateServices: gate((updates: Record<string, Record<string, Record<string, unknown>>>) => applyUpdates(state, updates, realm.error)),
    setAdvertising: gate((data: unknown, options: unknown) => { state.advertising = { data, options }; }),
    setSecurity: gate((opts: unknown) => { state.security = opts; }),
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
