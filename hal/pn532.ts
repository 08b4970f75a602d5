/**
 * PN532 card reader driver over the I2CBus, Timers and Output ports (plain TypeScript, no
 * Espruino globals; runs on the board and against sim/pn532 in tests).
 *
 * Frames: `00 00 FF LEN LCS D4 cmd params DCS 00` out; in, every I2C read starts with a status
 * byte (bit 0 = ready) followed by an ACK (`00 00 FF 00 FF 00`) or a normal information frame
 * `00 00 FF LEN LCS D5 cmd+1 data DCS 00`, validated strictly (preamble, LEN/LCS, DCS, postamble,
 * TFI, response code; an error frame 0x7F, an ACK, a NACK or an extended frame is no answer).
 * Flow: callback-driven, one command at a time, one timer for everything. A command is written on
 * a fresh timer tick; readiness is polled every STEP_MS with reads of the status byte and the ACK
 * or answer behind it; nothing busy-waits. The answer is handed over from the poll that read it.
 * Between polls (POLL_MS) the RF field is switched off and the chip is put into PowerDown (wake on
 * I2C). A card the consumer leaves alone for HOLD_MS (after it was found or after its last answer)
 * is released by the driver. When the chip stops answering it is reset (reset output pulsed,
 * GetFirmwareVersion + SAMConfiguration + MaxRetries again); after MAX_RESETS failed attempts
 * 'reader-fault' is reported and retries continue on a back-off doubling from 1 s to 60 s.
 * The timings are constants, not options: the board has no reason to change them, and tests run
 * on fake timers (a few seconds of virtual time cost nothing).
 * Reset output: set(true) asserts RSTPDN (the board file maps that to the pin's low level);
 * stop() leaves the chip held in reset: hard power-down, field off.
 * Reasons given to callbacks: 'timeout', 'bad-checksum', 'protocol', 'bus', 'card-removed',
 * 'card-error', 'no-card', 'busy', 'too-long', 'stopped', 'reader-fault'.
 * Byte views use subarray, never slice: Espruino's Uint8Array.slice returns a plain Array.
 * Must not: decide anything about a card (firmware/ does), throw out of a callback, or leave the
 * field on when no card is being talked to.
 */
import type { CardReader, I2CBus, Output, Timers } from '../firmware/ports';

/** 7-bit I2C address. */
const ADDRESS = 0x24;
/** Ready-bit polling step (ms). */
const STEP_MS = 5;
/** Pause between card polls, field off and chip powered down (ms). */
const POLL_MS = 500;
/** Ready timeouts (ms): plain commands, InListPassiveTarget, InDataExchange. Multiples of STEP_MS. */
const CMD_MS = 100;
const LIST_MS = 300;
const EXCHANGE_MS = 500;
/** A card the consumer leaves alone this long is released (ms). */
const HOLD_MS = 3000;
/** Largest frame read back (bytes after the status byte). */
const MAX_FRAME = 64;
/** Resets in a row before 'reader-fault'; first and largest back-off after it (ms). */
const MAX_RESETS = 3;
const BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60000;

/** Sum of a byte array, for the frame checksums: the board passes Espruino's native `E.sum`, hosts `pn532Sum`. */
export type Sum = (d: Uint8Array | number[]) => number;

type Done = (r: Pn532, data: Uint8Array | undefined, err: string | undefined) => void;
export type ExchangeCallback = (resp: Uint8Array | undefined, err?: string) => void;

/** The reader's state. Use the pn532* functions; fields are internal. */
export interface Pn532 {
  bus: I2CBus;
  timers: Timers;
  rst: Output | undefined;
  /** Pn532's checksum sum (a per-byte loop was the driver's largest cost per frame on the board). */
  sum: Sum;
  running: boolean;
  onCard: (uid: Uint8Array, sak: number) => void;
  onError: (reason: string) => void;
  /** The one timer (command steps, polls, the pause between polls, a held card); `due` runs when it fires. */
  timer: number;
  due: ((r: Pn532) => void) | undefined;
  tick: () => void;
  /** Current command: code, frame (until written), polls left, 0 = awaiting ACK / 1 = awaiting response, continuation. */
  code: number;
  frame: Uint8Array | undefined;
  polls: number;
  phase: number;
  k: Done | undefined;
  asleep: boolean;
  /** A card was found and not released yet. */
  card: boolean;
  xcb: ExchangeCallback | undefined;
  /** Where the init sequence (initStep) or the poll cycle (cycle) is: one counter, as they never overlap. */
  step: number;
  resets: number;
  errors: number;
  backoff: number;
}

/** Sum of the bytes of `d`: the checksum sum for hosts (the board passes the native E.sum). */
export function pn532Sum(d: Uint8Array | number[]): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i];
  return s;
}

/** Builds a host-to-PN532 normal information frame. params.length must be <= 253. */
export function pn532Frame(code: number, params: Uint8Array | number[], sum: Sum): Uint8Array {
  const n = params.length;
  const f = new Uint8Array(n + 9);
  f[2] = 0xff;
  f[3] = n + 2;
  f[4] = (254 - n) & 255;
  f[5] = 0xd4;
  f[6] = code;
  f.set(params, 7);
  f[7 + n] = -(0xd4 + code + sum(params)) & 255;
  return f;
}

/**
 * Parses a PN532-to-host frame starting at buf[off] (the first preamble byte) as the answer to
 * command `code`. Returns the data after the response code, or a reason: 'bad-checksum' (LCS or
 * DCS), 'protocol' (anything else: preamble, a frame longer than the buffer, postamble, TFI,
 * code; an error frame, or an ACK, NACK or extended frame where they fit in the buffer).
 */
export function pn532Parse(buf: Uint8Array, off: number, code: number, sum: Sum): Uint8Array | string {
  const len = buf[off + 3];
  // `!(a >= b)`: also true when the buffer is too short to hold LEN (undefined).
  if (!(buf.length >= off + 7 + len) || buf[off] || buf[off + 1] || buf[off + 2] !== 0xff) return 'protocol';
  // LEN + LCS, and TFI + data + DCS, each sum to 0 (mod 256).
  if ((len + buf[off + 4]) & 255 || sum(buf.subarray(off + 5, off + 6 + len)) & 255) return 'bad-checksum';
  if (buf[off + 6 + len] || len < 2 || buf[off + 5] !== 0xd5 || buf[off + 6] !== ((code + 1) & 255)) return 'protocol';
  return buf.subarray(off + 7, off + 5 + len);
}

function schedule(r: Pn532, ms: number, fn: (r: Pn532) => void): void {
  // From a tick (most calls) no timer is pending: skip the port call.
  if (r.timer) r.timers.cancel(r.timer);
  r.due = fn;
  r.timer = r.timers.after(ms, r.tick);
}

/** Sends one command; `k` gets its data or a reason. Polls the ready bit through the timer. */
function command(r: Pn532, code: number, params: Uint8Array | number[], timeoutMs: number, k: Done): void {
  r.code = code;
  r.frame = pn532Frame(code, params, r.sum);
  r.polls = timeoutMs / STEP_MS + 1;
  r.phase = 0;
  r.k = k;
  // The write goes out on a fresh timer tick, not inside the caller's call chain: a card's
  // authentication is callbacks within callbacks (its answers are handed over from the poll that
  // read them), and an I2C transfer at their bottom was the card tap's highest point for memory
  // (written at once, the live peak at the write rose by about 170 variables).
  schedule(r, 0, send);
}

function send(r: Pn532): void {
  try {
    r.bus.writeTo(ADDRESS, r.frame!);
  } catch (e) {
    // A chip in PowerDown may miss the transaction that wakes it: resend once.
    if (r.asleep) { r.asleep = false; schedule(r, STEP_MS, send); return; }
    answer(r, undefined, 'bus');
    return;
  }
  r.asleep = false;
  r.frame = undefined; // not kept alive until the next command
  schedule(r, STEP_MS, poll);
}

/**
 * One read per poll: the status byte and, when it says ready, the ACK or the answer behind it (as
 * Seeed's PN532_I2C does; half the polls of reading the status alone first). A NACK counts as not
 * ready yet. Espruino runs JavaScript from its source text: a call reads the function's whole text
 * (the statements after a `return` too). A poll that finds the chip busy is the commonest call (two
 * per exchange on the simulated chip, while the card works), so it reads only this short function;
 * what a ready chip answered is looked at in `answer`.
 */
function poll(r: Pn532): void {
  let b: Uint8Array | undefined;
  try { b = r.bus.readFrom(ADDRESS, r.phase ? MAX_FRAME + 1 : 7); } catch (e) { b = undefined; }
  if (b && b[0] & 1) answer(r, b);
  else if (--r.polls > 0) schedule(r, STEP_MS, poll);
  else answer(r, undefined, 'timeout');
}

/**
 * The chip was ready with `b`: the ACK (then poll for the answer), or the answer, handed to the
 * command's continuation; or, without `b`, the command failed (`why`). One function for the three
 * (its several callers keep the minifier from inlining it into `poll`, which would have a busy poll
 * read this text too).
 */
function answer(r: Pn532, b: Uint8Array | undefined, why?: string): void {
  let res: Uint8Array | string | undefined = why;
  if (b && !r.phase) {
    if (!(b[1] | b[2] | b[4] | b[6]) && b[3] === 0xff && b[5] === 0xff) {
      r.phase = 1;
      schedule(r, STEP_MS, poll);
      return;
    }
    res = 'protocol';
  } else if (b) res = pn532Parse(b, 1, r.code, r.sum);
  const k = r.k;
  r.k = undefined;
  if (k) {
    if (typeof res === 'string') k(r, undefined, res);
    else k(r, res, undefined);
  }
}

/** Tells the consumer what went wrong; its throw must not stop the reader. */
function report(r: Pn532, reason: string): void {
  try { r.onError(reason); } catch (e) { /* the reader goes on */ }
}

// ---- init: reset pulse, GetFirmwareVersion, SAMConfiguration, RFConfiguration(MaxRetries) ----

function init(r: Pn532): void {
  r.asleep = false;
  r.step = 0;
  if (r.rst) r.rst.set(true);
  schedule(r, 10, initStep);
}

/**
 * The init sequence, one step per call (one resident function, not five): 0 reset released, 1
 * GetFirmwareVersion, 2 SAMConfiguration (normal mode, virtual-card timeout 1 s, unused; no IRQ
 * pin: the driver polls the ready bit), 3 RFConfiguration MaxRetries (MxRtyPassiveActivation 2:
 * InListPassiveTarget tries twice before answering "no card"), 4 done: poll for cards.
 * Steps 2-4 check the answer to the step before (the firmware version must name a PN532, IC
 * 0x32); any wrong answer resets again (initFailed).
 */
function initStep(r: Pn532, d?: Uint8Array): void {
  const s = r.step++;
  if (!s) {
    if (r.rst) r.rst.set(false);
    schedule(r, 50, initStep);
  } else if (s > 1 && (!d || d.length !== (s === 2 ? 4 : 0) || (s === 2 && d[0] !== 0x32))) initFailed(r);
  else if (s < 4) command(r, s === 1 ? 0x02 : s === 2 ? 0x14 : 0x32, s === 1 ? [] : s === 2 ? [1, 0x14, 0] : [5, 0xff, 1, 2], CMD_MS, initStep);
  else {
    r.resets = r.backoff = r.errors = 0;
    idle(r);
  }
}

/** Init failed (the cause does not matter: the chip is not usable); reset again, or back off. */
function initFailed(r: Pn532): void {
  if (++r.resets < MAX_RESETS) { init(r); return; }
  r.resets = 0;
  r.backoff = r.backoff ? Math.min(r.backoff * 2, MAX_BACKOFF_MS) : BACKOFF_MS;
  report(r, 'reader-fault');
  if (r.rst) r.rst.set(true);
  schedule(r, r.backoff, init);
}

// ---- poll cycle: InListPassiveTarget, then field off + PowerDown, wait POLL_MS ----

function idle(r: Pn532): void {
  r.card = false;
  r.step = 1;
  command(r, 0x32, [1, 0], CMD_MS, cycle);
}

/**
 * The rest of the poll cycle, one step per call: 1 the field is off: PowerDown (wake-up on I2C,
 * bit 7); 2 powered down: wait POLL_MS; 3 InListPassiveTarget. A failed command is a cycle error.
 */
function cycle(r: Pn532, d?: Uint8Array, err?: string): void {
  const s = r.step++;
  if (s < 3 && !d) cycleError(r, err || 'protocol');
  else if (s === 1) command(r, 0x16, [0x80], CMD_MS, cycle);
  else if (s === 2) {
    r.asleep = true;
    schedule(r, POLL_MS, cycle);
  } else command(r, 0x4a, [1, 0], LIST_MS, afterList);
}

function afterList(r: Pn532, d: Uint8Array | undefined, err: string | undefined): void {
  if (!d || d.length < 1) { cycleError(r, err || 'protocol'); return; }
  if (d[0] === 0) { r.errors = 0; idle(r); return; }
  // NbTg Tg SENS_RES(2) SEL_RES NFCIDLength NFCID1 [ATS]: the UID and SEL_RES (SAK) are reported;
  // SENS_RES (ATQA) and the ATS are checked for their place only (nothing reads them).
  const n = d.length;
  const ul = n > 5 ? d[5] : 0;
  // The ATS, when there is one, starts with its own length (at least 1) and ends the answer.
  const al = n > 6 + ul ? d[6 + ul] : 0;
  if (d[0] !== 1 || n !== 6 + ul + al || ul < 4 || ul > 10) { cycleError(r, 'protocol'); return; }
  r.errors = 0;
  r.card = true;
  // Handed over from the poll that read it: a tick of its own cost a timer and a callback. The
  // firmware's decision, the card tap's deepest point, runs on a fresh tick of its own (cards.ts).
  try { r.onCard(d.subarray(6, 6 + ul), d[4]); } catch (e) { /* a consumer's throw must not stop the reader */ }
  held(r);
}

/** The card is the consumer's and nothing is under way: release it by itself after HOLD_MS. */
function held(r: Pn532): void {
  if (r.card && !r.due) schedule(r, HOLD_MS, pn532Release);
}

/** A command in the poll cycle failed: report, abort it, then field off, or reset if the chip seems stuck. */
function cycleError(r: Pn532, reason: string): void {
  report(r, reason);
  if (!r.running) return;
  // An ACK from the host aborts the command under way.
  try { r.bus.writeTo(ADDRESS, new Uint8Array([0, 0, 0xff, 0, 0xff, 0])); } catch (e) { /* the reset below covers it */ }
  if (reason === 'timeout' || reason === 'bus' || ++r.errors >= 3) { r.errors = 0; init(r); }
  else idle(r);
}

function afterExchange(r: Pn532, d: Uint8Array | undefined, err: string | undefined): void {
  let res: Uint8Array | undefined;
  let reason: string | undefined = err;
  if (d) {
    const st = d.length ? d[0] & 0x3f : 0xff;
    // 0x01 target timeout, 0x29 target released, 0x0A RF field error: the card left the field.
    if (st === 0) res = d.subarray(1);
    else reason = st === 0x01 || st === 0x29 || st === 0x0a ? 'card-removed' : 'card-error';
  }
  // The reader itself failed mid-exchange: the card is dropped and the reader recovered below.
  if (err) r.card = false;
  // Handed over from the poll that read it (the consumer may send its next APDU from here).
  const cb = r.xcb;
  r.xcb = undefined;
  try { if (cb) cb(res, reason); } catch (e) { /* a consumer's throw must not stop the reader */ }
  // Nothing under way (no next APDU, no release): recover, turn to the next poll, or hold the card.
  if (r.running && !r.due) {
    if (err) cycleError(r, err);
    else if (!r.card) idle(r);
    else held(r);
  }
}

// ---- public API ----

/** Creates the reader; nothing happens on the bus until pn532Start. `resetPin` may be absent. */
export function createPn532(bus: I2CBus, timers: Timers, resetPin: Output | undefined, sum: Sum): Pn532 {
  // Only what is read before it is written: pn532Start sets the callbacks and the counters, a
  // command its own fields (each field made here would cost bytes and a variable for good).
  const r = { bus: bus, timers: timers, rst: resetPin, sum: sum, timer: 0 } as Pn532;
  // The timer's callback, written out here: a function called from it alone would be inlined by
  // the minifier and read twice per tick (see poll()).
  r.tick = function () {
    r.timer = 0;
    const fn = r.due;
    r.due = undefined;
    if (r.running && fn) fn(r);
  };
  return r;
}

/** Resets the chip and starts polling. onCard runs for each card found; call pn532Release when done with it. */
export function pn532Start(r: Pn532, onCard: (uid: Uint8Array, sak: number) => void, onError: (reason: string) => void): void {
  if (r.running) return;
  r.onCard = onCard;
  r.onError = onError;
  r.running = true;
  r.resets = r.errors = r.backoff = 0;
  init(r);
}

/** Stops polling and holds the chip in reset (field off, ~2 uA). A pending exchange gets 'stopped'. */
export function pn532Stop(r: Pn532): void {
  r.running = r.card = false;
  r.timers.cancel(r.timer);
  r.timer = 0;
  r.due = r.k = undefined;
  if (r.rst) r.rst.set(true);
  const cb = r.xcb;
  r.xcb = undefined;
  try { if (cb) cb(undefined, 'stopped'); } catch (e) { /* a consumer's throw must not stop the caller */ }
}

/** Ends the conversation with the current card: field off, PowerDown, next poll after POLL_MS. */
export function pn532Release(r: Pn532): void {
  if (!r.running || !r.card) return;
  r.card = false;
  // An exchange under way ends first (afterExchange then turns to the next poll).
  if (!r.xcb) idle(r);
}

/** Sends an APDU to the card found last (InDataExchange); cb gets the card's answer or a reason. */
export function pn532Transceive(r: Pn532, apdu: Uint8Array, cb: ExchangeCallback): void {
  const why = !r.running || !r.card ? 'no-card' : r.xcb || r.k ? 'busy' : apdu.length > 252 ? 'too-long' : '';
  if (why) {
    try { cb(undefined, why); } catch (e) { /* a consumer's throw must not stop the reader */ }
    return;
  }
  const p = new Uint8Array(apdu.length + 1);
  p[0] = 1;
  p.set(apdu, 1);
  r.xcb = cb;
  command(r, 0x40, p, EXCHANGE_MS, afterExchange);
}

/** The reader as the CardReader port the firmware sees. */
export function pn532Reader(r: Pn532): CardReader {
  return {
    start: (onCard, onError) => pn532Start(r, onCard, onError),
    // Kept a function (NOINLINE): inlined here, its text would be read twice per APDU.
    transceive: (apdu, cb) => pn532Transceive(r, apdu, cb),
    release: () => pn532Release(r),
  };
}
