/**
 * Reading and writing numbers in byte strings: the form Storage returns (flash-backed, no RAM
 * copy) and takes. Big-endian throughout. Byte arrays (Uint8Array) live in firmware/bytes.ts.
 */

export function u8(s: string, at: number): number {
  return s.charCodeAt(at) & 255;
}

export function u16(s: string, at: number): number {
  return ((s.charCodeAt(at) & 255) << 8) | (s.charCodeAt(at + 1) & 255);
}

export function u32(s: string, at: number): number {
  return (((s.charCodeAt(at) & 255) << 24) >>> 0) + (((s.charCodeAt(at + 1) & 255) << 16) | ((s.charCodeAt(at + 2) & 255) << 8) | (s.charCodeAt(at + 3) & 255));
}

export function str16(n: number): string {
  return String.fromCharCode((n >> 8) & 255, n & 255);
}

export function str32(n: number): string {
  return String.fromCharCode((n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255);
}

/** `text` cut or padded with NUL bytes to exactly `len` bytes (ASCII only; others become '?'). */
export function fixed(text: string, len: number): string {
  let out = '';
  for (let i = 0; i < len; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    out += String.fromCharCode(c > 126 || (c < 32 && c !== 0) ? 63 : c);
  }
  return out;
}

/** A fixed-width field back to text, without its NUL padding. */
export function unfixed(s: string): string {
  const end = s.indexOf('\0');
  return end < 0 ? s : s.substr(0, end);
}
