/**
 * The radio: Espruino's NRF object (GATT server, advertising, security, connection events) on the
 * board side, and a test central on the host side (connect, write a characteristic, capture
 * notifications, disconnect, MTU). Services and the connection die with each boot.
 * Notifications carry at most MTU-3 bytes (23 by default, so 20), as a central receives them.
 * Not here: pins, timers, storage (globals.ts); how board callbacks are run (the `call` it is given).
 */
import { toBytes } from './storage';
import type { Realm } from './realm';

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
  /** Virtual ms since the simulation started. */
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
  mtu: number;
  /** Delivers a notification to the host side; virtual time for its stamp. */
  notify: (n: Notification) => void;
  now: () => number;
  /** Set by the board for the current boot. */
  boot?: { realm: Realm; call: (fn: unknown, args: unknown[]) => void; later: (fn: unknown, args: unknown[]) => void; alive: () => boolean };
}

export interface NrfHost {
  /** A central connects (fires NRF.on('connect', addr)). */
  connect(address?: string): void;
  /** The central disconnects (fires NRF.on('disconnect', 0x13)). */
  disconnect(): void;
  /** The central writes a characteristic: calls its onWrite({data: ArrayBuffer}). */
  write(service: string, characteristic: string, bytes: ArrayLike<number>): void;
  read(service: string, characteristic: string): Uint8Array | undefined;
  setMtu(n: number): void;
  /** The central pairs (LE Secure Connections): the link is encrypted until it disconnects. */
  pair(): void;
  notifications: Notification[];
  /** Calls `cb` for every later notification; returns the unsubscribe function. */
  subscribe(cb: (n: Notification) => void): () => void;
  readonly connected: boolean;
  /** True unless setServices(..., {uart:false}): the Nordic UART console is open to anyone in range. */
  readonly uartExposed: boolean;
  readonly state: NrfState;
}

export function uuid(u: unknown): string {
  return String(u).toLowerCase().replace(/^0x/, '');
}

export function createNrf(address: string, now: () => number): { state: NrfState; host: NrfHost } {
  const state: NrfState = { address, services: {}, options: { uart: true }, handlers: {}, encrypted: false, mtu: 23, notify: (n) => notify(n), now };
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
  const host: NrfHost = {
    connect(addr = 'c0:ff:ee:00:00:01 random') {
      running();
      if (state.peer) throw new Error('already connected');
      state.peer = addr;
      state.encrypted = false;
      state.mtu = 23;
      emit('connect', [addr]);
    },
    disconnect() {
      if (!state.peer) return;
      state.peer = undefined;
      state.encrypted = false;
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
      const b = state.boot!;
      if (ch.onWrite !== undefined) b.call(ch.onWrite, [b.realm.plain({ data: b.realm.arrayBuffer(data) })]);
    },
    read(s, c) {
      const ch = charOf(s, c);
      return ch.readable ? ch.value.slice() : undefined;
    },
    setMtu(n) {
      state.mtu = Math.max(23, Math.floor(n));
      emit('mtu', [state.mtu]);
    },
    notifications: [],
    subscribe(cb) {
      subscribers.push(cb);
      return () => { const i = subscribers.indexOf(cb); if (i >= 0) subscribers.splice(i, 1); };
    },
    get connected() { return !!state.peer; },
    get uartExposed() { return state.options.uart !== false; },
    get state() { return state; },
  };
  const notify = (n: Notification) => {
    host.notifications.push(n);
    for (const cb of subscribers.slice()) cb(n);
  };
  return { state, host };
}

/** A new boot: the connection drops (no event: the old boot is gone) and services are forgotten. */
export function nrfReset(state: NrfState): void {
  state.services = {};
  state.options = { uart: true };
  state.advertising = undefined;
  state.security = undefined;
  state.handlers = {};
  state.peer = undefined;
  state.mtu = 23;
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

/** NRF.updateServices: new values, and a notification (cut to MTU-3) where asked for and connected. */
export function applyUpdates(state: NrfState, updates: Record<string, Record<string, Record<string, unknown>>>, error: (m: string) => Error): void {
  for (const su of Object.keys(updates || {})) {
    const svc = state.services[uuid(su)];
    if (!svc) throw error('Unable to find service with UUID ' + su);
    for (const cu of Object.keys(updates[su])) {
      const ch = svc[uuid(cu)];
      if (!ch) throw error('Unable to find characteristic with UUID ' + cu);
      const u = updates[su][cu];
      if (u.value !== undefined) ch.value = toBytes(u.value);
      if ((u.notify || u.indicate) && (ch.notify || ch.indicate) && state.peer) {
        const max = state.mtu - 3;
        state.notify({ service: uuid(su), characteristic: uuid(cu), data: ch.value.slice(0, max), truncated: ch.value.length > max, at: state.now() });
      }
    }
  }
}

/** NRF.getSecurityStatus as the board sees its link. */
export function securityStatus(state: NrfState): { connected: boolean; encrypted: boolean; mitm_protected: boolean; bonded: boolean } {
  return { connected: !!state.peer, encrypted: !!state.peer && state.encrypted, mitm_protected: false, bonded: state.encrypted };
}

/** NRF.disconnect from the board: the link drops now, the event comes later from the event loop. */
export function boardDisconnect(state: NrfState): void {
  if (!state.peer) return;
  state.peer = undefined;
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
