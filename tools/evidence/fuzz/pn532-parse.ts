/**
 * Target `pn532-parse`: pn532Parse against an independent reference parser (differential).
 */
import { performance } from 'node:perf_hooks';
import { pn532Parse, pn532Sum } from '../../../hal/pn532';
import { mutate, sameBytes } from '../common';
import { type Rng, rng } from '../../host/random';
import { type FuzzResult, result, add, hex, MAX_VIOLATIONS } from './result';

/** An independent reading of the PN532 user manual's normal information frame, PN532 to host. */
export function referenceParse(buf: Uint8Array, off: number, code: number): Uint8Array | undefined {
  if (off + 7 > buf.length) return undefined;
  if (buf[off] !== 0x00 || buf[off + 1] !== 0x00 || buf[off + 2] !== 0xff) return undefined;
  const len = buf[off + 3], lcs = buf[off + 4];
  if (((len + lcs) & 0xff) !== 0 || len < 2) return undefined;
  const end = off + 5 + len; // index of DCS
  if (end + 1 >= buf.length) return undefined; // the postamble must be inside the buffer
  let s = 0;
  for (let i = off + 5; i <= end; i++) s = (s + buf[i]) & 0xff;
  if (s !== 0 || buf[end + 1] !== 0x00) return undefined;
  if (buf[off + 5] !== 0xd5 || buf[off + 6] !== ((code + 1) & 0xff)) return undefined;
  return buf.slice(off + 7, end);
}

function validFrame(r: Rng, code: number): Uint8Array {
  const data = r.bytes(r.pick([0, 1, 2, 4, 16, r.int(60), r.int(250)]));
  const len = data.length + 2;
  const f = new Uint8Array(len + 7);
  f[2] = 0xff; f[3] = len & 255; f[4] = (256 - len) & 255; f[5] = 0xd5; f[6] = (code + 1) & 255;
  let s = 0xd5 + ((code + 1) & 255);
  data.forEach((b, i) => { f[7 + i] = b; s += b; });
  f[5 + len] = (256 - (s & 255)) & 255;
  return f;
}

export async function fuzzPn532Parse(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0x532);
  const v: string[] = [];
  const stats: Record<string, number> = { accepted: 0, rejected: 0, checksum: 0 };
  for (let c = 0; c < cases; c++) {
    const code = r.pick([0x02, 0x14, 0x32, 0x4a, 0x40, 0x16, 0xff, r.int(256)]);
    const off = r.chance(0.8) ? 1 : r.int(4);
    let frame: Uint8Array;
    const k = r.int(10);
    if (k < 2) frame = r.bytes(r.int(70));
    else if (k < 4) frame = validFrame(r, code);
    else if (k < 5) { frame = validFrame(r, code); frame[3] = r.int(256); frame[4] = (256 - frame[3]) & 255; } // consistent LCS, wrong LEN
    else if (k < 6) frame = r.pick([new Uint8Array([0, 0, 0xff, 0, 0xff, 0]), new Uint8Array([0, 0, 0xff, 0xff, 0, 0]), new Uint8Array([0, 0, 0xff, 0xff, 0xff, 0, 5, 0xfb, 0xd5])]);
    else frame = mutate(r, validFrame(r, code), 300);
    const buf = new Uint8Array(off + frame.length + (r.chance(0.5) ? r.int(8) : 0));
    buf.set(r.bytes(off), 0);
    buf.set(frame, off);
    let got: Uint8Array | string;
    try { got = pn532Parse(buf, off, code, pn532Sum); } catch (e) { add(v, 'pn532Parse threw ' + e + ' on ' + hex(buf)); continue; }
    const want = referenceParse(buf, off, code);
    if (typeof got === 'string') {
      stats.rejected++;
      if (got === 'bad-checksum') stats.checksum++;
      if (got !== 'protocol' && got !== 'bad-checksum') add(v, 'unknown reason ' + got);
      if (want) add(v, `pn532Parse rejected (${got}) a valid frame: off ${off} code ${code} ${hex(buf)}`);
    } else {
      stats.accepted++;
      if (!want || !sameBytes(got, want)) add(v, `pn532Parse accepted a frame the reference rejects or read other data: off ${off} code ${code} ${hex(buf)}`);
      if (got.byteOffset < buf.byteOffset || got.byteOffset + got.length > buf.byteOffset + buf.length) add(v, 'data outside the buffer');
    }
    if (v.length >= MAX_VIOLATIONS) break;
  }
  return result('pn532-parse', cases, seed, t0, v, stats);
}
