/**
 * Small helpers for byte arrays (Uint8Array): joining, big-endian integers, constant-time
 * equality, hex for diagnostics. Byte *strings* (Storage's form) live in firmware/binstr.ts.
 * Must not: touch an Espruino global, allocate more than the result, or branch on secret bytes
 * in equalConstantTime.
 */

/** A new array holding `a` then `b`. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Big-endian u16 at `at`; bytes past the end read as 0 (callers check lengths first). */
export function readU16(b: Uint8Array, at: number): number {
  return ((b[at] & 255) << 8) | (b[at + 1] & 255);
}

/** Big-endian u32 at `at`, as an unsigned number. */
export function readU32(b: Uint8Array, at: number): number {
  return (((b[at] & 255) << 24) >>> 0) + (((b[at + 1] & 255) << 16) | ((b[at + 2] & 255) << 8) | (b[at + 3] & 255));
}

export function writeU16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >> 8) & 255;
  b[at + 1] = v & 255;
}

export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 255;
  b[at + 1] = (v >> 16) & 255;
  b[at + 2] = (v >> 8) & 255;
  b[at + 3] = v & 255;
}

/**
 * True when `a` and `b` hold the same bytes (a prefix: compare a subarray). Time depends only on
 * the lengths, never on where the bytes differ: every byte is read, with no early exit. A length
 * mismatch gives false after the same loop.
 */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  let diff = n ^ b.length;
  for (let i = 0; i < n; i++) diff |= (a[i] | 0) ^ (b[i] | 0);
  return diff === 0;
}

/** Lower-case hex of the bytes (diagnostics and tests; not for secrets on a console). */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

/** The bytes as a string, one character per byte; with `printable`, only bytes 32..126 are kept (key labels). */
export function strOf(b: Uint8Array, printable?: boolean): string {
  let s = '';
  for (let i = 0; i < b.length; i++) if (!printable || (b[i] >= 32 && b[i] < 127)) s += String.fromCharCode(b[i]);
  return s;
}
