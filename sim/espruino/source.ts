/**
 * Host values as the real interpreter reads them: everything handed to the board crosses the
 * pipe as JavaScript source (strings as byte literals, bytes as base64), and the Realm the shared
 * radio model (sim/engine/nrf.ts) makes its values in for this engine.
 */
import type { Realm } from '../engine/realm';
import { byteLiteral } from '../../tools/host/console-upload';

/** A Realm for values handed to the board: plain host values, turned into source when sent. */
export const hostRealm: Realm = {
  global: {},
  uint8: (b) => Uint8Array.from(b),
  arrayBuffer: (b) => Uint8Array.from(b).buffer,
  error: (m) => new Error(m),
  array: (items) => items.slice(),
  plain: (o) => o,
  // Nothing is handed over as a live value: everything crosses the pipe as source text.
  fn: (f) => f,
  adopt: (v) => v,
};

/** JavaScript source for a host value, as Espruino reads it (strings as byte literals). */
export function toSource(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return byteLiteral(v);
  // Bytes travel as base64: an array literal would cost the board a variable per byte while it is read.
  if (v instanceof ArrayBuffer) return bytesSource(new Uint8Array(v)) + '.buffer';
  if (ArrayBuffer.isView(v)) return bytesSource(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  if (Array.isArray(v)) return '[' + v.map(toSource).join(',') + ']';
  return '{' + Object.keys(v as object).map((k) => JSON.stringify(k) + ':' + toSource((v as Record<string, unknown>)[k])).join(',') + '}';
}

function bytesSource(b: Uint8Array): string {
  return 'E.toUint8Array(atob(' + JSON.stringify(Buffer.from(b).toString('base64')) + '))';
}
