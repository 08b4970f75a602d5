/**
 * Lockout: failed authentications are rate-limited per key and per board with escalating back-off
 * (threshold failures, then base, doubling per further failure, capped). Owners are exempt from the
 * board-wide lockout (so strangers cannot lock the owner out) but not from their own key's; the cap
 * means no one is locked out for ever. Lockouts are saved when they start (not on every failure, so
 * an attacker cannot wear out the flash) and resume with their remaining time after a reboot.
 * Memory is fixed: a few slots for the most recently failing keys, reused oldest first.
 */
import type { Crypto, FlashStorage } from '../hal/ports';
import { str32, u32 } from './binstr';
import { type Generation, genData, genLoad, genWriteSmall } from './genfile';

const LOCK_FILE = 'ck.lck.';
const SLOTS = 8;
/** Failures older than this are forgotten. */
const DECAY_MS = 3600000;
const BOARD = 0; // slot 0 is the board; 1..SLOTS are keys

export interface Lockout {
  threshold: number;
  baseMs: number;
  maxMs: number;
  /** Per slot. Typed views on one buffer: as five plain arrays they cost ~75 variables, here ~40. */
  ids: Float64Array;
  fails: Float64Array;
  levels: Float64Array;
  until: Float64Array;
  last: Float64Array;
  gen: Generation | undefined;
}

export function lockoutOpen(storage: FlashStorage, crypto: Crypto, threshold: number, baseMs: number, maxMs: number, nowMs: number): Lockout {
  const n = SLOTS + 1, b = new ArrayBuffer(5 * 8 * n);
  const lo: Lockout = {
    threshold, baseMs, maxMs, gen: undefined, ids: new Float64Array(b, 0, n), fails: new Float64Array(b, 8 * n, n),
    levels: new Float64Array(b, 16 * n, n), until: new Float64Array(b, 24 * n, n), last: new Float64Array(b, 32 * n, n),
  };
  lo.last.fill(-DECAY_MS);
  lo.gen = genLoad(storage, crypto, LOCK_FILE);
  const s = lo.gen ? genData(storage, lo.gen) : '';
  // Saved: per slot id u32 | level u32 | remaining ms u32
  for (let i = 0; i <= SLOTS && s.length >= (i + 1) * 12; i++) {
    lo.ids[i] = u32(s, i * 12);
    lo.levels[i] = u32(s, i * 12 + 4);
    const rem = u32(s, i * 12 + 8);
    if (rem > 0) { lo.until[i] = nowMs + Math.min(rem, maxMs); lo.fails[i] = threshold - 1; lo.last[i] = nowMs; }
  }
  return lo;
}

function slotOf(lo: Lockout, id: number): number {
  for (let i = 1; i <= SLOTS; i++) if (lo.ids[i] === id && id !== 0) return i;
  return -1;
}

function remaining(lo: Lockout, slot: number, nowMs: number): number {
  return slot < 0 || lo.until[slot] <= nowMs ? 0 : lo.until[slot] - nowMs;
}

/** Milliseconds before `keyId` may try again (0: it may). Owners skip the board-wide lockout. */
export function lockoutRemaining(lo: Lockout, keyId: number, isOwner: boolean, nowMs: number): number {
  const k = remaining(lo, slotOf(lo, keyId), nowMs);
  const b = isOwner ? 0 : remaining(lo, BOARD, nowMs);
  return k > b ? k : b;
}

function failSlot(lo: Lockout, slot: number, nowMs: number): boolean {
  if (nowMs - lo.last[slot] > DECAY_MS) { lo.fails[slot] = 0; lo.levels[slot] = 0; }
  // Quiet for a base period since the last lockout ended: a slow trickle of failures (which
  // cannot guess a 128-bit secret) must reach the threshold again rather than relock at once.
  // The level stays, so a determined attacker still escalates.
  else if (lo.until[slot] && nowMs - lo.until[slot] > lo.baseMs) lo.fails[slot] = 0;
  lo.last[slot] = nowMs;
  lo.fails[slot]++;
  if (lo.fails[slot] < lo.threshold) return false;
  let ms = lo.baseMs;
  for (let i = 0; i < lo.levels[slot] && ms < lo.maxMs; i++) ms *= 2;
  lo.until[slot] = nowMs + (ms < lo.maxMs ? ms : lo.maxMs);
  lo.levels[slot]++;
  lo.fails[slot] = lo.threshold - 1; // the next failure after this lockout locks again, for longer
  return true;
}

/**
 * Records a failed authentication (keyId 0 when no key was identified). Returns the lockout
 * length in ms if this failure started one (the caller logs it and calls lockoutSave), else 0.
 */
export function lockoutFail(lo: Lockout, keyId: number, nowMs: number): number {
  let started = failSlot(lo, BOARD, nowMs) ? lo.until[BOARD] - nowMs : 0;
  if (keyId !== 0) {
    let slot = slotOf(lo, keyId);
    if (slot < 0) {
      // Reuse the slot whose last failure is oldest.
      slot = 1;
      for (let i = 2; i <= SLOTS; i++) if (lo.last[i] < lo.last[slot]) slot = i;
      lo.ids[slot] = keyId; lo.fails[slot] = 0; lo.levels[slot] = 0; lo.until[slot] = 0; lo.last[slot] = nowMs;
    }
    if (failSlot(lo, slot, nowMs)) started = lo.until[slot] - nowMs;
  }
  return started;
}

/** A successful authentication clears that key's failures. */
export function lockoutSuccess(lo: Lockout, keyId: number): void {
  const slot = slotOf(lo, keyId);
  if (slot > 0) { lo.fails[slot] = 0; lo.levels[slot] = 0; lo.until[slot] = 0; }
}

export function lockoutSave(lo: Lockout, storage: FlashStorage, crypto: Crypto, nowMs: number): void {
  let s = '';
  for (let i = 0; i <= SLOTS; i++) s += str32(lo.ids[i]) + str32(lo.levels[i]) + str32(remaining(lo, i, nowMs));
  const gen = genWriteSmall(storage, crypto, LOCK_FILE, lo.gen, s);
  if (gen) lo.gen = gen;
}
