/** Bytes <-> lowercase hex, for the simulator's sockets, key files and pages (Node and browser). */

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
