/**
 * Byte helpers the host shares (Node and browser, no Node imports): bytes <-> lowercase hex for the
 * simulator's sockets, key files and pages, and CRC-32 as Espruino's E.CRC32 computes it.
 * Not here: the firmware's own byte helpers (firmware/bytes.ts, binstr.ts), which run on the board.
 */

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => (x < 16 ? '0' : '') + x.toString(16)).join('');
}

/** Throws on anything but an even number of hex digits. */
export function unhex(s: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(s)) throw new Error('not hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/**
 * CRC-32 (IEEE 802.3) as Espruino's E.CRC32 computes it: over a string of bytes (one char per byte,
 * latin1, as Storage holds them) or over byte values.
 */
export function crc32(data: string | ArrayLike<number>): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    c ^= (typeof data === 'string' ? data.charCodeAt(i) : data[i]) & 255;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
