/**
 * The vehicle behind the web view: a demo SimCar, what a person can do to it (actions), and what
 * they can see of it (snapshot). Everything is read from the outside, as a mechanic would: pins,
 * LEDs, the radio and the audit log in flash. The board's state and whether its time is trusted
 * come from the newest audit log entries (every transition and every clock change is logged).
 * Also the arbiter of the board's single radio link between the server's own phones and the web
 * phone keys bridged in by sim/radio-bridge.ts.
 * Not here: HTTP/WebSocket (sim/server.ts), real-time ticking (sim/server.ts drives `tick`).
 */
import type { LogEntry } from '../firmware/auditlog';
import * as C from '../firmware/codes';
import type { SimCar, SimPhone } from './car';
import { cardKeyIdOf } from '../tools/host/provision/site';
import { describeEntry, isStateEvent, outcomeOf, stateName, reasonName } from '../tools/host/names';

/** One audit log entry as the page shows it. */
export interface LogLine {
  seq: number;
  /** Seconds: real time (Unix) if `trusted`, else seconds since that boot. */
  time: number;
  trusted: boolean;
  event: number;
  reason: number;
  text: string;
}

export interface Snapshot {
  board: { id: string; nfc: boolean; drive: boolean; door: boolean; button: boolean };
  powered: boolean;
  /** The state machine's state, from the newest logged transition; 'off' without power. */
  state: string;
  relay: boolean;
  drive: boolean;
  doorOpen: boolean;
  leds: { red: boolean; green: boolean; blue: boolean };
  /** Virtual ms since the simulation started. */
  simMs: number;
  /** The simulated world's wall clock (ms since 1970). */
  worldMs: number;
  /** The board trusts its real time (set by an owner since its last boot). */
  timeTrusted: boolean;
  /** The board's real time (ms since 1970) when trusted. */
  carTimeMs?: number;
  /** ms since the board last booted. */
  uptimeMs: number;
  resets: number;
  radio: string;
  phones: string[];
  cards: string[];
  /** Newest first. */
  log: LogLine[];
  console: string[];
  /** A long action under way (a clock jump): every other action waits until it is done. */
  busy?: Busy;
}

export interface Busy {
  what: string;
  done: number;
  total: number;
}

/** Something that can hold the radio link (a bridged web phone key). */
export interface LinkHolder {
  /** The board dropped the link or someone else took it. */
  lost(why: string): void;
  name: string;
}

export type Action =
  | { do: 'phone'; key: string; op: 'unlock' | 'lock' | 'drive' | 'status' }
  | { do: 'tap'; card: string }
  | { do: 'door'; open: boolean }
  | { do: 'button' }
  | { do: 'powerCut' } | { do: 'powerOn' } | { do: 'reset' }
  | { do: 'advance'; ms: number }
  | { do: 'setTime' };

export interface Vehicle {
  car: SimCar;
  snapshot(): Snapshot;
  /** Carries out an action at once (a clock jump too); returns one line saying what happened. */
  act(a: Action): string;
  /**
   * Carries out an action as a person on the page sees it: a clock jump in steps, with progress in
   * the snapshot's `busy`, giving the event loop room between steps; any other action at once.
   * While a jump runs, every other action is refused with "busy: ...".
   */
  perform(a: Action): Promise<string>;
  busy(): Busy | undefined;
  /** Advances virtual time (the server calls this in step with real time). */
  tick(ms: number): void;
  /** Called after anything that may have changed the snapshot. */
  onChange(cb: () => void): () => void;
  /** Takes the radio link for `who` (dropping whoever had it); false when the board is off. */
  claimLink(who: LinkHolder): boolean;
  releaseLink(who: LinkHolder): void;
  holder(): LinkHolder | undefined;
  /** Name of a key id (a demo phone or card) or its number. */
  keyName(id: number): string;
}

const LOG_KEEP = 200;
const BUTTON_HOLD_MS = 5000;
/**
 * A person takes one card away before bringing the next: at least this long between taps. The
 * board counts a card held on its reader once (firmware/cards.ts ignores the same card id for 2 s),
 * so a clone tapped right after its original would otherwise be ignored rather than refused.
 */
const TAP_GAP_MS = 2500;
/** A clock jump advances in steps of this much virtual time, and yields every JUMP_SLICE_MS of real time. */
const JUMP_STEP_MS = 60000;
const JUMP_SLICE_MS = 100;
const MAX_JUMP_MS = 7 * 86400000;

export function createVehicle(car: SimCar, opts: { startEpochMs?: number } = {}): Vehicle {
  const board = car.board;
  const cfg = car.config;
  const startEpochMs = opts.startEpochMs ?? Date.now();
  const listeners: (() => void)[] = [];
  const phones: Record<string, SimPhone> = {};
  let doorOpen = false;
  let link: LinkHolder | undefined;
  let busy: Busy | undefined;
  let lastTapEnd = -TAP_GAP_MS;
  const keyName = keyNamer(car);

  // The log, read incrementally; `seenAt` is the virtual time we first saw an entry.
  const log: (LogEntry & { seenAt: number })[] = [];
  const readLog = () => {
    const from = log.length ? log[log.length - 1].seq + 1 : 0;
    for (const e of car.auditLog(from)) log.push({ ...e, seenAt: board.clock.now() });
    if (log.length > LOG_KEEP) log.splice(0, log.length - LOG_KEEP);
  };

  const changed = () => {
    readLog();
    // nrfReset() drops the link without an event: tell a bridged phone it is gone.
    if (link && !board.nrf.connected) { const h = link; link = undefined; h.lost(board.dead ? 'the board lost power' : 'the board dropped the link'); }
    // The engine keeps every notification and console line; a long-running server does not need them.
    if (board.nrf.notifications.length > 1000) board.nrf.notifications.splice(0, board.nrf.notifications.length - 100);
    for (const cb of listeners.slice()) cb();
  };

  const takeLink = (who: LinkHolder | undefined) => {
    if (link && link !== who) { const h = link; link = undefined; h.lost('another phone took the link'); }
    link = who;
  };

  const phone = (name: string): SimPhone => {
    const key = car.keys[name];
    if (!key) throw new Error('no phone ' + name);
    return phones[name] || (phones[name] = car.phone(key));
  };

  const newest = (pred: (e: LogEntry) => boolean) => {
    for (let i = log.length - 1; i >= 0; i--) if (pred(log[i])) return log[i];
    return undefined;
  };

  const runPhone = (name: string, op: string): string => {
    if (board.dead) return name + ' phone: no answer (the car has no power)';
    takeLink(undefined);
    const p = phone(name);
    try {
      p.connect();
      const a = op === 'setTime' ? p.setTime(Math.floor((startEpochMs + board.clock.now()) / 1000))
        : op === 'unlock' ? p.unlock() : op === 'lock' ? p.lock() : op === 'drive' ? p.drive() : p.status();
      const what = name + ' phone ' + (op === 'setTime' ? 'set time' : op) + ': ';
      if (a.type === 'refused') return what + 'refused, ' + a.reason + (a.retrySeconds ? ' (retry in ' + a.retrySeconds + ' s)' : '');
      if (a.type !== 'response') return what + 'unexpected answer';
      let text = what + reasonName(a.status!) + (a.authentic ? '' : ' (NOT authentic)');
      if (op === 'status' && a.status === C.R_OK && a.data && a.data.length >= 12) {
        text += ' \u2014 state ' + stateName(a.data[0]) + ', time ' + (a.data[1] ? 'trusted' : 'not trusted') + ', ' + ((a.data[6] << 8) | a.data[7]) + ' keys';
      }
      return text;
    } catch (e) {
      return name + ' phone: ' + (e as Error).message;
    } finally {
      p.disconnect();
    }
  };

  /** A card tap and what the board made of it, from what it logged (or printed) meanwhile. */
  const tap = (name: string): string => {
    const card = car.cards[name];
    if (!card) return 'no card ' + name;
    const what = 'tapped the ' + name.replace(/-/g, ' ').replace(/^uid only/, 'UID-only') + ': ';
    if (board.dead) return what + 'nothing happens (the car has no power)';
    const gap = board.clock.now() - lastTapEnd;
    if (gap < TAP_GAP_MS) board.clock.advance(TAP_GAP_MS - gap);
    readLog();
    const seen = log.length ? log[log.length - 1].seq : -1;
    const printedFrom = board.log.length;
    const stateBefore = currentState();
    car.tap(card);
    lastTapEnd = board.clock.now();
    readLog();
    const id = cardKeyIdOf(card.uid);
    const outcome = outcomeOf(log.filter((e) => e.seq > seen), id);
    if (outcome) return what + outcome;
    // The board may print why a card failed without logging each failure (card <id>: <why>).
    const said = board.log.slice(printedFrom).map((l) => /^card \d+: (.*)$/.exec(l.text)).find((m) => m);
    if (said) return what + 'refused (' + said[1] + ')';
    const stateAfter = currentState();
    if (stateAfter !== stateBefore) return what + stateBefore + ' \u2192 ' + stateAfter;
    return what + 'no answer (the board logged nothing about it)';
  };

  const act = (a: Action): string => {
    if (busy) return busyText(busy);
    try {
      switch (a.do) {
        case 'phone': return runPhone(a.key, a.op);
        case 'setTime': return runPhone('owner', 'setTime');
        case 'tap': return tap(a.card);
        case 'door':
          doorOpen = a.open;
          car.setDoor(a.open);
          board.clock.advance(cfg.pins.door === undefined ? 0 : 200);
          return 'door ' + (a.open ? 'opened' : 'closed');
        case 'button':
          car.holdButton(BUTTON_HOLD_MS);
          return 'held the button for ' + BUTTON_HOLD_MS / 1000 + ' s';
        case 'powerCut': car.powerCut(); return 'power cut';
        case 'powerOn': if (!board.dead) return 'the car already has power'; car.powerOn(); return 'power on';
        case 'reset': car.reset(); return 'board reset';
        case 'advance': car.advance(jumpMs(a.ms)); return 'advanced the clock by ' + duration(jumpMs(a.ms));
        default: return 'unknown action';
      }
    } finally {
      changed();
    }
  };

  const currentState = () => {
    const last = newest((e) => isStateEvent(e.event));
    return board.dead ? 'off' : last ? stateName(last.result) : 'booting';
  };

  const perform = async (a: Action): Promise<string> => {
    if (busy) return busyText(busy);
    if (a.do !== 'advance') return act(a);
    const total = jumpMs(a.ms);
    const b: Busy = { what: 'advancing the clock by ' + duration(total), done: 0, total };
    busy = b;
    try {
      changed(); // every page shows the jump (and turns its buttons off) before it starts
      await new Promise((r) => setTimeout(r, 0));
      while (b.done < total) {
        const t0 = performance.now();
        while (b.done < total && performance.now() - t0 < JUMP_SLICE_MS) {
          const step = Math.min(JUMP_STEP_MS, total - b.done);
          car.advance(step);
          b.done += step;
        }
        changed();
        if (b.done < total) await new Promise((r) => setTimeout(r, 0));
      }
    } finally {
      busy = undefined;
      changed();
    }
    return 'advanced the clock by ' + duration(total);
  };

  const snapshot = (): Snapshot => {
    const now = board.clock.now();
    const last = board.resets[board.resets.length - 1];
    const bootAt = last ? last.at : 0;
    const lastAny = log[log.length - 1];
    const trusted = !board.dead && !!lastAny && lastAny.trusted;
    const clockSet = trusted ? newest((e) => e.event === C.LOG_CLOCK_SET && e.reason === C.R_OK && e.trusted) : undefined;
    return {
      board: { id: cfg.id, nfc: cfg.nfc, drive: cfg.pins.drive !== undefined, door: cfg.pins.door !== undefined, button: cfg.pins.button !== undefined },
      powered: !board.dead,
      state: currentState(),
      relay: car.relayOn(),
      drive: car.driveOn(),
      doorOpen,
      leds: { red: car.led('red'), green: car.led('green'), blue: car.led('blue') },
      simMs: now,
      worldMs: startEpochMs + now,
      timeTrusted: trusted,
      carTimeMs: clockSet ? clockSet.time * 1000 + (now - clockSet.seenAt) : undefined,
      uptimeMs: board.dead ? 0 : now - bootAt,
      resets: board.resets.length - bootsBefore,
      radio: board.dead ? 'off (no power)' : link ? 'connected: ' + link.name : board.nrf.connected ? 'connected' : 'advertising',
      phones: Object.keys(car.keys),
      cards: Object.keys(car.cards),
      log: log.slice().reverse().map((e) => ({ seq: e.seq, time: e.time, trusted: e.trusted, event: e.event, reason: e.reason, text: describeEntry(e, keyName) })),
      console: board.log.slice(-6).map((l) => (l.from === 'sim' ? '[sim] ' : '') + l.text),
      busy: busy ? { ...busy } : undefined,
    };
  };

  // An unconnected door input floats high through its pull-up, which reads as open: the demo car's
  // door starts closed (one 'door close' entry in the log).
  if (cfg.pins.door !== undefined) { car.setDoor(false); board.clock.advance(100); }
  // Boots before this one were provisioning's: they are not the person's reboots.
  const bootsBefore = board.resets.length;
  readLog();
  return {
    car, snapshot, act, perform, keyName,
    busy: () => busy,
    tick: (ms) => { if (ms > 0) car.advance(ms); changed(); },
    onChange: (cb) => { listeners.push(cb); return () => { const i = listeners.indexOf(cb); if (i >= 0) listeners.splice(i, 1); }; },
    claimLink: (who) => {
      if (board.dead) return false;
      takeLink(who);
      if (board.nrf.connected) board.nrf.disconnect();
      board.nrf.connect();
      return true;
    },
    releaseLink: (who) => {
      if (link !== who) return;
      link = undefined;
      board.nrf.disconnect();
      changed();
    },
    holder: () => link,
  };
}

/** Names of a car's demo phones and cards by key id ('#id' for others): the same in the page, the REPL and the scenarios. */
export function keyNamer(car: SimCar): (id: number) => string {
  const names: Record<number, string> = {};
  for (const n in car.keys) names[car.keys[n].keyId] = n;
  for (const n in car.cards) { const id = cardKeyIdOf(car.cards[n].uid); if (!names[id]) names[id] = n; }
  return (id) => names[id] || '#' + id;
}

const jumpMs = (ms: number) => Math.max(0, Math.min(Number(ms) || 0, MAX_JUMP_MS));

function busyText(b: Busy): string {
  return 'busy: ' + b.what + ' (' + Math.floor((100 * b.done) / b.total) + ' %), try again when it is done';
}

export function duration(ms: number): string {
  if (ms >= 86400000 && ms % 86400000 === 0) return ms / 86400000 + ' day' + (ms === 86400000 ? '' : 's');
  if (ms >= 3600000 && ms % 3600000 === 0) return ms / 3600000 + ' h';
  if (ms >= 60000 && ms % 60000 === 0) return ms / 60000 + ' min';
  return ms / 1000 + ' s';
}
