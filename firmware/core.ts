/**
 * The access core: wires the key store, trusted clock, audit log, outputs and the state machine
 * together, and is the only way in for the protocols (phone key, cards, USB tools).
 *
 * No lockout: a valid proof is always checked and honoured, whatever anyone else sent before
 * (docs/THREAT-MODEL.md, the principle). Unproven attempts cost the peer that made them, its link
 * (firmware/linkguard.ts), never a key.
 *
 * Every entry point runs inside `safely`, except the radio packet path, where the peer pays: an
 * exception turns every output off and puts the machine in FAULT, from which it recovers to
 * LOCKED after a short delay (never a crash loop, never a stuck relay). A packet from a peer never
 * costs the key holder: an exception in firmware/phonekey.ts onPacket is logged, answered R_ERROR
 * and drops that peer's link, and leaves the relay, the state and an unlock in progress as they
 * were. Every decision and every transition is written to the audit log.
 */
import type { Ports } from './ports';
import { ALL_PERMS, buttonWindowRole, checkAccess, mayManage } from './access';
import { type AuditLog, logAppend, logOpen } from './auditlog';
import { readU32 } from './bytes';
import { failureSeen, failuresDue } from './failures';
import { EV_BOOT, EV_DOOR_CLOSE, EV_DOOR_OPEN, EV_ENROL_DONE, EV_ENROL_OPEN, EV_ENROL_TIMEOUT, EV_ERROR, EV_FAULT_RECOVER,
  EV_LOCK, EV_RELOCK_TIMER, EV_UNLOCK, KIND_UID_CARD, LOG_CLOCK_SET, LOG_CONFIG, LOG_DENIED, LOG_DRIVE_ON, LOG_FAILURES, LOG_GRANTED,
  LOG_INSECURE_CARD, LOG_KEY_ADDED, LOG_KEY_CHANGED, LOG_KEY_REVOKED, LOG_OUTPUT_GUARD, LOG_RELAY_REST, PERM_DRIVE, PERM_LOCK,
  PERM_UNLOCK, R_BAD_INPUT, R_ERROR, R_IGNORED, R_NO_WINDOW, R_NOT_PERMITTED, R_OK, R_REVOKED, R_TIMEOUT, R_UNKNOWN_KEY,
  ROLE_DRIVER, S_ENROLLING, S_FAULT, S_LOCKED, S_UNLOCKED } from './codes';
import { type Config, loadConfig, sanitizeConfig, saveConfig } from './config';
import type { Generation } from './genfile';
import { watchInput } from './inputs';
import { FLAG_UNCONFIRMED, type KeyRecord, type KeyStore, ksActiveOwners, ksFind, ksLookup, ksOpen, ksPut, ksRetire } from './keystore';
import { KEY_SLOTS_FILE } from './keyslots';
import { A_ENROL_END, A_ENROL_START, A_FAULT, A_LOCK, A_UNLOCK, transition } from './machine';
import { journalMake, padToPage } from './flashroom';
import { type Journal, jOpen } from './journal';
import { type Outputs, allOff, driveOn, outputsGuard, outputsInit, relayIsOn, relayOff, relayOn } from './outputs';
import { type TrustedClock, clockLearn, clockLower, clockNow, clockOpen, clockSet, clockTick } from './trusted-clock';
import { type TravelFiles, travelOpen } from './travelfiles';
import { ticketUse, travelRevoked } from './travelboard';
import { TRAVEL } from './build-flags';

export const TICK_MS = 1000;
const FAULT_RECOVER_MS = 2000;
/** Core.wake: its slots. */
const W_RELOCK = 0;
const W_ENROL = 1;
const W_RECOVER = 2;
/**
 * Storage maintenance (firmware/flashroom.ts) waits for this long a quiet spell: locked, relay
 * off, no link, and not just booted. A compaction is not power-cut safe, and power is least
 * stable right after boot and around use (the engine cranks after an unlock). Only when the
 * log's next segment would not fit does it compact at the first idle tick (core.urgent).
 */
const COMPACT_QUIET_MS = 600000;

/**
 * The main loop compacts Storage (the journal layout without protocol v2 makes no file at run
 * time: nothing to compact, and none of the fields below is kept). Host tests: every feature.
 */
const COMPACTS = !(typeof __TILED__ !== 'undefined' && __TILED__) || TRAVEL;

/** Files of the lockouts earlier firmware saved (erased at boot). */
const OLD_LOCKOUT_FILES = 'ck.lck.';


export interface CoreOptions {
  keyCapacity: number;
  /** Protocol v2 in this build (hal/boards `travel`): the reserve holds a ticket book too. */
  travel?: boolean;
  logSegments: number;
  logPerSegment: number;
  /**
   * Bytes of a tile in the board's tiled Storage layout (docs/ESPRUINO.md "Flash"; 512, 2048 on the
   * XIAO BLE): the pad is written at the first boot and every file made at run time (log segments,
   * clock and other generation files) is whole tiles. 0 or absent: the older layout.
   */
  tile?: number;
}

export interface Core {
  p: Ports;
  config: Config;
  configGen: Generation | boolean | undefined;
  ks: KeyStore;
  log: AuditLog;
  tc: TrustedClock;
  out: Outputs;
  state: number;
  /** Timers that feed the state machine an event (dispatch, wakeAfter): the relock, the enrolment window's end, the recovery from FAULT. */
  wake: (number | undefined)[];
  /** Role the open enrolment window grants (decided by how it was opened, never by the enrolee). */
  enrolRole: number;
  /** The key that passed the last successful authenticate(), for the command it authorised. */
  actor?: KeyRecord;
  /**
   * A key looked up for a decision to come (`lookupKey`: a card tap before talking to the card, the
   * phone key after a HELLO that named it): its id and record (none: no such key). `authenticate`
   * for that id takes it (once) instead of reading the store again. Every key change goes through
   * this file and drops it first, so it is always what the store holds: the decision checks the
   * same record, revoked, disabled, time bounds, weekdays, hours and permissions alike.
   */
  seen?: { id: number; rec: KeyRecord | undefined };
  /** Free Storage the main loop keeps (storageReserve). */
  reserve: number;
  /**
   * Below this much free Storage (a log segment and a small record) the main loop compacts at the
   * first idle tick; the uptime before which it does not; a central is connected (set by the
   * phone-key protocol). Only in builds whose main loop compacts (COMPACTS).
   */
  urgent?: number;
  compactAt?: number;
  linked?: boolean;
  /** Protocol v2 builds: the ticket book and the adopted revocation list (firmware/travelfiles.ts). */
  tf?: TravelFiles;
  /**
   * Audit entries held back while a phone's request is answered (`request` with `hold`): each
   * audit's arguments [core, event, result, reason, key id, ago ms]; auditFlush writes them once the
   * answer is sent, and the main loop writes any left.
   */
  held?: Parameters<typeof audit>[];
}

/**
 * Free Storage the main loop keeps so that no update has to compact (flashroom.ts fileCost), in the
 * layouts without the journal (coreStart sets it for the journal layout: 0 on the 40 KB boards, which
 * make no file at run time; two tiles less 64 bytes with protocol v2's files). In the
 * tiled layout (`tile`): two tiles less 64 bytes, so the main loop compacts, once quiet, when at
 * most one tile is free, and the hourly clock save (which wants reserve + 64: two tiles) always
 * leaves a tile for a log segment; below one tile (`urgent`) it compacts at the first idle second.
 * A key change needs no room there: it writes into the key slot file in place (keystore.ts).
 * Without `tile` (no board build any more: every board is tiled; host tests that run the core
 * without it): the older layout's room, a second key table (32 + 16 + 32 per key), a log segment
 * (32 + 16 per entry) and a small record (32 + 16 + 128: the hourly clock save).
 * With protocol v2 (`travel`) also room for a ticket book (one more tile, or 32 + 16 + 72), so that
 * a ticket's first use can always be recorded (a list adoption that finds no room waits for the
 * next compaction).
 */
export function storageReserve(opts: { keyCapacity: number; logPerSegment: number; tile?: number; travel?: boolean }): number {
  // A board build is tiled or not (bundle.ts: __TILED__ is its `tile`): it carries one formula.
  const tiled = typeof __TILED__ !== 'undefined' ? __TILED__ : !!opts.tile;
  return tiled ? (opts.travel ? 3 : 2) * opts.tile! - 64 : (opts.keyCapacity * 2 + opts.logPerSegment) * 16 + 256 + (opts.travel ? 120 : 0);
}

/** Starts the core. Outputs are forced off before anything is read from flash. */
export function coreStart(p: Ports, opts: CoreOptions): Core {
  const out = outputsInit(p.relay, p.drive, p.timers, p.clock);
  // A key file made at this boot (a board flashed bundle first, never provisioned): no journal yet,
  // so that the USB tool's files written next (site, keys) find room without a compaction, which
  // would move the journal; it is made at the next boot, after them.
  const had = (typeof __TILED__ !== 'undefined' && __TILED__) && p.storage.read(KEY_SLOTS_FILE, 0, 1) !== undefined;
  const ks = ksOpen(p.storage, p.crypto, opts.keyCapacity);
  // Tiled layout: after the key file (made above if absent), the pad, then the journal (log, clock,
  // settings: firmware/journal.ts; `logSegments` pages of it), then only tiles.
  const tile = (typeof __TILED__ === 'undefined' || __TILED__) && opts.tile || 0;
  let j: Journal | undefined, jf;
  if (typeof __TILED__ !== 'undefined' && __TILED__) {
    p.storage.tile = tile;
    if (p.journal && had && journalMake(p.storage, opts.logSegments) && (jf = p.journal())) j = jOpen(jf, p.crypto.crc32);
    else p.console.log('no journal: nothing is logged');
    if (typeof __NFC__ === 'undefined' || __NFC__) p.jr = j;
  } else if (tile) {
    p.storage.tile = tile;
    padToPage(p.storage);
  }
  const loaded = loadConfig(p.storage, p.crypto, j);
  const config = loaded.config;
  // Opened before the object literal, not inside it: the minifier substitutes a single-use function
  // at its call (so its code does not stay resident) only outside array and object literals.
  const log = logOpen(p.storage, p.crypto, opts.logSegments, opts.logPerSegment, tile > 0, j);
  const tc = clockOpen(p.clock, p.storage, p.crypto, j);
  // With the journal, tiles hold only what protocol v2 keeps (ticket book, revocation list): a board
  // without it makes no file at run time and never compacts.
  const reserve = j ? (opts.travel ? 2 * tile - 64 : 0) : storageReserve(opts);
  const core: Core = {
    p, config, configGen: loaded.gen, out, ks, log, tc,
    state: S_LOCKED, wake: [],
    enrolRole: ROLE_DRIVER, reserve,
  };
  if (COMPACTS) {
    core.urgent = tile || opts.logPerSegment * 16 + 256;
    core.compactAt = COMPACT_QUIET_MS;
  }
  if (TRAVEL) core.tf = travelOpen(p.storage, p.crypto);
  // Earlier firmware kept lockouts in ck.lck.a|b: gone, so none can come back at a boot.
  for (const f of p.storage.list(OLD_LOCKOUT_FILES)) p.storage.erase(f);
  dispatch(core, EV_BOOT, R_OK, 0);
  if (p.door) watchInput(p.door, p.timers, config.debounceMs, (open) => safely(core, () => doorChanged(core, open)));
  if (p.button) watchInput(p.button, p.timers, config.debounceMs, undefined, config.buttonHoldMs, () => safely(core, () => buttonHeld(core)));
  p.watchdog.start(config.watchdogSeconds);
  p.timers.every(TICK_MS, () => tick(core));
  return core;
}

/*
 * What the protocols (phone key, owner operations, cards, link guard) read of the core: through
 * these functions, never its fields, so the core's layout stays its own. A store is read with its
 * own module's functions (keystore.ts, auditlog.ts); every change goes through the core.
 */

/** coreStatus: the state machine's state (S_*) is `status & STATE_BITS`; TIME_TRUSTED is set while the board's time is trusted. */
export const STATE_BITS = 3;
export const TIME_TRUSTED = 4;

/** The ports the core was started on (clock, random, crypto, timers, console, storage). */
export function corePorts(core: Core): Ports {
  return core.p;
}

/** The state and whether the time is trusted, in one number (one function, not two: each costs the board variables). */
export function coreStatus(core: Core): number {
  return core.state | (core.tc.trusted ? TIME_TRUSTED : 0);
}

/** Real time in seconds, or -1 while the board's time is not trusted. */
export function realTime(core: Core): number {
  return clockNow(core.tc);
}

/** The key table, to read with firmware/keystore.ts. */
export function coreKeys(core: Core): KeyStore {
  return core.ks;
}

/**
 * Looks a key up for a decision to come (a card tap reads the record before any card I/O; the
 * phone key when a HELLO named the key, firmware/phonekey.ts `prepare`): the decision's
 * `authenticate` for the same id takes what it found, a record or none, instead of a second
 * lookup (about 1.7 ms of the Linux interpreter, ≈ 40 ms on an nRF52). Any key change in between,
 * and the end of a phone's link, drops it.
 */
export function lookupKey(core: Core, id: number): KeyRecord | undefined {
  const rec = ksLookup(core.ks, id);
  core.seen = { id, rec };
  return rec;
}

/** The audit log, to read with firmware/auditlog.ts. */
export function coreLog(core: Core): AuditLog {
  return core.log;
}

/** The key the last successful authenticate() admitted, for the command it authorised. */
export function coreActor(core: Core): KeyRecord | undefined {
  return core.actor;
}

/** The settings in force (firmware/config.ts). */
export function coreConfig(core: Core): Config {
  return core.config;
}

/** Protocol v2: the ticket book and revocation list (firmware/travelfiles.ts); undefined in a v1 build. */
export function coreTravel(core: Core): TravelFiles | undefined {
  return core.tf;
}

/**
 * Real time in seconds; without trusted time (v2) the lower bound on it; 0 when neither is known.
 * `learn`: first raise the bound to that made-at time of a datum an owner made (its tag checked by
 * the caller): the trusted clock keeps and saves it (firmware/trusted-clock.ts).
 */
export function timeAtLeast(core: Core, learn?: number): number {
  if (learn) clockLearn(core.tc, learn);
  const t = clockNow(core.tc);
  return t >= 0 ? t : clockLower(core.tc);
}

/**
 * A central connected (true) or left (false): the main loop does not compact while one is. A key
 * its HELLO named and it never used is not kept past its link (lookupKey).
 */
export function setLinked(core: Core, on: boolean): void {
  if (COMPACTS) core.linked = on;
  if (!on) core.seen = undefined;
}

/** Runs `fn`; an exception turns the outputs off and enters FAULT instead of escaping (and gives `failed`). */
export function safely<T>(core: Core, fn: () => T, failed?: T): T | undefined {
  try {
    return fn();
  } catch (e) {
    fault(core, e);
    return failed;
  }
}

/** What `safely` does with an exception: every output off, then FAULT. */
function fault(core: Core, e: unknown): void {
  try { allOff(core.out); } catch (e2) { /* nothing more we can do; the watchdog will reset us */ }
  try {
    core.p.console.log('fault: ' + e);
    dispatch(core, EV_ERROR, R_ERROR, 0);
  } catch (e3) {
    core.state = S_FAULT;
  }
}

/** A random key id not yet in the table (never 0). */
export function newKeyId(core: Core): number {
  for (;;) {
    const id = readU32(core.p.random.bytes(4), 0);
    if (id !== 0 && ksFind(core.ks, id) < 0) return id;
  }
}

/**
 * Writes one audit log entry; true once it is in flash (or held: see `Core.held`). `agoMs`: what it
 * records happened that long ago.
 */
export function audit(core: Core, event: number, result: number, reason: number, keyId: number, agoMs?: number): boolean {
  // Held: its arguments (logAppend stays called from here only, so the minifier keeps it inside
  // this function: a resident function of seven parameters costs ~10 variables). Its time is taken
  // when written, milliseconds later, as an entry's always was: the log counts whole seconds.
  if (core.held) return core.held.push([core, event, result, reason, keyId, agoMs]) > 0;
  // Real time, or without it the uptime (seconds both).
  const real = clockNow(core.tc), now = real >= 0 ? real : Math.floor(core.p.clock.uptimeMs() / 1000);
  return logAppend(core.log, now - Math.floor((agoMs || 0) / 1000), core.tc.trusted, event, result, reason, keyId);
}

/** Writes the entries `request` held back, in order, and holds no more. */
export function auditFlush(core: Core): void {
  const h = core.held || [];
  delete core.held; // gone, not undefined: an absent member costs the board no variable
  for (const e of h) audit.apply(0, e);
}

/**
 * Feeds one event to the state machine, carries out its actions and logs the transition. `grant`:
 * the permission a key was just granted for this event, logged (LOG_GRANTED) after the outputs
 * switched and before the transition.
 */
export function dispatch(core: Core, event: number, reason: number, keyId: number, grant?: number): boolean {
  const t = transition(core.state, event);
  const done = t >= 0;
  if (done) {
    const next = t >> 8, actions = t & 255;
    const o = core.out, cfg = core.config;
    if (actions & A_FAULT) {
      allOff(o);
      wakeAfter(core, W_RECOVER, FAULT_RECOVER_MS, EV_FAULT_RECOVER, R_OK);
    }
    if (actions & A_LOCK) relayOff(o);
    // Successive unlocks keep the relay on; past its continuous cap it is forced off and rests.
    if (actions & A_UNLOCK && relayOn(o, cfg.holdMs)) audit(core, LOG_RELAY_REST, next, R_TIMEOUT, keyId);
    // The relock: set by an unlock, gone with a lock or a fault.
    if (actions & (A_FAULT | A_LOCK | A_UNLOCK)) wakeAfter(core, W_RELOCK, actions & A_UNLOCK ? cfg.relockMs : 0, EV_RELOCK_TIMER, R_OK);
    if (actions & (A_ENROL_START | A_ENROL_END)) {
      const open = (actions & A_ENROL_START) !== 0;
      wakeAfter(core, W_ENROL, open ? cfg.enrolWindowMs : 0, EV_ENROL_TIMEOUT, R_TIMEOUT);
      led(core, 'blue', open);
    }
    core.state = next;
    led(core, 'green', next === S_UNLOCKED);
  }
  if (grant) audit(core, LOG_GRANTED, grant, R_OK, keyId);
  // The transition, or the event the state ignored (the state it stayed in).
  audit(core, event, core.state, done ? reason : R_IGNORED, keyId);
  return done;
}

/**
 * Cancels the core's wake-up `i` (W_*); with `ms`, sets it to feed `event` (for `reason`) to the
 * state machine that much later. A wake-up that fired is forgotten first: a timer id is reused.
 */
function wakeAfter(core: Core, i: number, ms: number, event: number, reason: number): void {
  const timers = core.p.timers, w = core.wake;
  timers.cancel(w[i]);
  w[i] = ms ? timers.after(ms, () => { w[i] = undefined; safely(core, () => dispatch(core, event, reason, 0)); }) : undefined;
}

function led(core: Core, which: 'red' | 'green' | 'blue', on: boolean): void {
  const l = core.p.leds[which];
  if (l) l.set(on);
}

/** The main loop, every TICK_MS: second guard on the outputs, state invariants, clock, watchdog. */
function tick(core: Core): void {
  const healthy = safely(core, () => {
    const up = core.p.clock.uptimeMs(), log = core.log;
    auditFlush(core); // entries a phone's request held, if its answer never went out (an exception)
    if (outputsGuard(core.out)) {
      audit(core, LOG_OUTPUT_GUARD, core.state, R_TIMEOUT, 0);
      throw new Error('output on past its limit');
    }
    // Invariant: the relay is only ever energised while UNLOCKED.
    if (relayIsOn(core.out) && core.state !== S_UNLOCKED) throw new Error('relay on while not unlocked');
    if (core.state === S_ENROLLING) led(core, 'blue', Math.floor(up / TICK_MS) % 2 === 0);
    clockTick(core.tc, core.reserve + 64);
    const burst = failuresDue(log, up);
    if (burst) audit(core, LOG_FAILURES, log.bk, log.br, burst, up - log.bf);
    // Compact only here, with nothing pending: relay off, no link (the SoftDevice may fail flash
    // operations while one is up), no enrolment window, and after a quiet spell, unless the log
    // itself is about to run out of room (a busy board has no quiet spell, and a grant must be
    // logged). Locked or not: a board left unlocked (relockMs up to an hour) must still make room
    // for its log, and the relay being off is what matters for power around use.
    if (!COMPACTS) return true;
    let free;
    if (core.state === S_ENROLLING || core.linked || relayIsOn(core.out)) core.compactAt = up + COMPACT_QUIET_MS;
    else if ((free = core.p.storage.free()) < core.reserve && (up >= core.compactAt! || free < core.urgent!)) {
      if (core.p.storage.compact()) core.p.console.log('Storage compacted');
      else core.compactAt = up + COMPACT_QUIET_MS; // nothing gained (no trash, or no RAM): not every second
    }
    return true;
  });
  // Kick only after a healthy pass: a loop that keeps failing lets the watchdog reset the board.
  if (healthy) core.p.watchdog.kick();
}

/**
 * Authenticates `keyId` for `perm`: the key's own proof (`verify`, e.g. its MAC over the board's
 * nonce or the card's AES authentication, returns R_OK or a reason), then the key's rights now.
 * Logs the decision. Nothing is counted against a key: a failure proves nothing about who sent
 * it, and a valid proof is honoured whatever came before. On R_OK `core.actor` is the key.
 * `grantLater`: the caller logs the grant itself, after the relay switched (`request`).
 * Protocol v2: an id in the board's revocation list is revoked whatever kind of key it is; without
 * trusted time the lower bound decides what it can (access.ts checkAccess); `ticket` is a checked
 * ticket's record (firmware/travelboard.ts ticketRecord), used in place of a table record, whose
 * issuer must not be listed either and whose first use is recorded in the ticket book.
 */
export function authenticate(core: Core, keyId: number, perm: number, verify: (rec: KeyRecord) => number, grantLater?: boolean, ticket?: KeyRecord): number {
  core.actor = undefined;
  // What a lookup of this key found already (lookupKey), taken once; else the store's record.
  const seen = core.seen;
  core.seen = undefined;
  const rec = ticket || (seen && seen.id === keyId ? seen.rec : ksLookup(core.ks, keyId));
  let reason = rec ? verify(rec) : R_UNKNOWN_KEY;
  const proven = reason === R_OK;
  const cfg = core.config;
  if (proven) {
    reason = TRAVEL && travelRevoked(core.tf!, keyId, ticket) ? R_REVOKED
      : TRAVEL ? checkAccess(rec, perm, clockNow(core.tc), cfg.tzOffsetMin, cfg.insecureUidCards, clockLower(core.tc), cfg.strictTime)
      : checkAccess(rec, perm, clockNow(core.tc), cfg.tzOffsetMin, cfg.insecureUidCards);
  }
  if (TRAVEL && ticket && reason === R_OK) reason = ticketUse(core.tf!, ticket, timeAtLeast(core), cfg.maxTickets);
  if (reason !== R_OK) {
    // What proved nothing is counted into a burst, not written per attempt (firmware/failures.ts).
    if (proven || failureSeen(core.log, core.p.clock.uptimeMs(), reason)) audit(core, LOG_DENIED, perm, reason, keyId);
    return reason;
  }
  if (rec!.flags & FLAG_UNCONFIRMED) {
    // First use of a key enrolled through the window: its holder has the secret after all.
    rec!.flags &= ~FLAG_UNCONFIRMED;
    ksPut(core.ks, undefined, rec!, false);
  }
  if (rec!.kind === KIND_UID_CARD) audit(core, LOG_INSECURE_CARD, perm, R_OK, keyId);
  if (!grantLater) audit(core, LOG_GRANTED, perm, R_OK, keyId);
  core.actor = rec;
  return R_OK;
}

/**
 * Authenticates and performs unlock, lock or drive-enable. Returns R_OK or the reason it did not.
 * `ticket`: as for authenticate. `hold` (the phone key): the audit entries are held, not written,
 * until the caller has sent its answer and calls auditFlush: a flash write takes milliseconds on
 * the chip, and the relay and the answer come first (docs/PERFORMANCE.md "The phone path").
 */
export function request(core: Core, keyId: number, perm: number, verify: (rec: KeyRecord) => number, ticket?: KeyRecord, hold?: boolean): number {
  if (hold) core.held = core.held || [];
  // What `safely` does, without making a closure on every command (the phone path's glue).
  try {
    if (perm !== PERM_UNLOCK && perm !== PERM_LOCK && perm !== PERM_DRIVE) return R_BAD_INPUT;
    const reason = authenticate(core, keyId, perm, verify, perm !== PERM_DRIVE, ticket);
    // An unlock needs no actor afterwards; holding the key's record would cost ~25 variables.
    core.actor = undefined;
    if (reason !== R_OK) return reason;
    if (perm === PERM_DRIVE) {
      if (!driveOn(core.out, core.config.driveMs)) return R_NOT_PERMITTED;
      audit(core, LOG_DRIVE_ON, core.state, R_OK, keyId);
      return R_OK;
    }
    // Unlock and lock: the relay first, then the grant's log entry (a flash write takes
    // milliseconds on the chip; with `hold`, written after the answer went out).
    return dispatch(core, perm === PERM_UNLOCK ? EV_UNLOCK : EV_LOCK, R_OK, keyId, perm) ? R_OK : R_IGNORED;
  } catch (e) {
    fault(core, e);
    return R_ERROR;
  }
}

function doorChanged(core: Core, open: boolean): void {
  if (open || core.config.relockOnDoorClose) dispatch(core, open ? EV_DOOR_OPEN : EV_DOOR_CLOSE, R_OK, 0);
  else audit(core, EV_DOOR_CLOSE, core.state, R_IGNORED, 0);
}

/**
 * A long button hold: opens the enrolment window for the role the button policy gives
 * (firmware/access.ts buttonWindowRole), or logs the refusal. Owners enrolled through the window
 * but never used are not counted.
 */
export function buttonHeld(core: Core): void {
  const role = buttonWindowRole(ksActiveOwners(core.ks, FLAG_UNCONFIRMED), core.config.buttonEnrol);
  if (role < 0) audit(core, LOG_DENIED, EV_ENROL_OPEN, R_NOT_PERMITTED, 0);
  else openEnrolWindow(core, role);
}

/** Opens the enrolment window granting `role` to the one key it admits (physical act checked by the caller). */
export function openEnrolWindow(core: Core, role: number): boolean {
  core.seen = undefined; // an owner card's tap with the button held decides no access: its record is not needed
  if (core.state === S_FAULT) return false;
  core.enrolRole = role;
  return dispatch(core, EV_ENROL_OPEN, R_OK, 0);
}

/** Adds the one key the open window admits, with the window's role. */
export function enrolKey(core: Core, rec: KeyRecord): number {
  return safely(core, () => {
    if (core.state !== S_ENROLLING) {
      audit(core, LOG_DENIED, LOG_KEY_ADDED, R_NO_WINDOW, rec.id);
      return R_NO_WINDOW;
    }
    rec.role = core.enrolRole;
    rec.flags |= FLAG_UNCONFIRMED;
    core.seen = undefined; // a key changes: a record looked up before may be stale
    const reason = ksPut(core.ks, undefined, rec, true);
    audit(core, LOG_KEY_ADDED, rec.role, reason, rec.id);
    if (reason === R_OK) dispatch(core, EV_ENROL_DONE, R_OK, rec.id);
    return reason;
  }, R_ERROR)!;
}

/** Key management by an authenticated actor (core.actor after authenticate) or by USB provisioning (undefined). */
export function manageKey(core: Core, actor: KeyRecord | undefined, op: 'add' | 'update', rec: KeyRecord): number {
  return safely(core, () => {
    core.seen = undefined; // a key changes: a record looked up before may be stale
    const reason = ksPut(core.ks, actor, rec, op === 'add');
    audit(core, op === 'add' ? LOG_KEY_ADDED : LOG_KEY_CHANGED, rec.role, reason, rec.id);
    return reason;
  }, R_ERROR)!;
}

/**
 * Revokes (or, with `remove`, deletes) the key `id`, with the same rules as manageKey. It takes an
 * id, not a record, and catches in place of `safely`: this is an owner's revoke over the phone,
 * the deepest call chain the firmware has, and a decoded record or a closure here costs the
 * board variables it does not have (docs/PERFORMANCE.md).
 */
export function retireKey(core: Core, actor: KeyRecord | undefined, id: number, remove: boolean): number {
  try {
    core.seen = undefined; // a key changes: a record looked up before may be stale
    // The role is read into a number: a record held across the rewrite would cost ~25 variables.
    const role = remove ? 255 : (ksLookup(core.ks, id) || { role: 255 }).role;
    const reason = ksRetire(core.ks, actor, id, remove);
    audit(core, LOG_KEY_REVOKED, role, reason, id);
    return reason;
  } catch (e) {
    fault(core, e);
    return R_ERROR;
  }
}

/** Sets real time; only an active owner may. */
export function setTime(core: Core, actor: KeyRecord | undefined, seconds: number): number {
  if (!mayManage(actor)) {
    audit(core, LOG_DENIED, LOG_CLOCK_SET, R_NOT_PERMITTED, actor!.id);
    return R_NOT_PERMITTED;
  }
  const reason = clockSet(core.tc, seconds) ? R_OK : R_BAD_INPUT;
  audit(core, LOG_CLOCK_SET, 0, reason, actor ? actor.id : 0);
  return reason;
}

/** Changes settings (clamped to their hard limits); only an active owner may. */
export function setConfig(core: Core, actor: KeyRecord | undefined, changes: any): number {
  if (!mayManage(actor)) {
    audit(core, LOG_DENIED, LOG_CONFIG, R_NOT_PERMITTED, actor!.id);
    return R_NOT_PERMITTED;
  }
  const merged: any = {};
  for (const k in core.config) merged[k] = (core.config as any)[k];
  if (changes && typeof changes === 'object') for (const k in changes) merged[k] = changes[k];
  const next = sanitizeConfig(merged);
  const gen = saveConfig(core.p.storage, core.p.crypto, core.configGen as Generation | undefined, next, core.log.j);
  if (gen) {
    core.configGen = gen;
    core.config = next;
  }
  const reason = gen ? R_OK : R_ERROR;
  audit(core, LOG_CONFIG, 0, reason, actor ? actor.id : 0);
  return reason;
}

export { ALL_PERMS };
