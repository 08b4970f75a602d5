/**
 * Power-cut-safe files: two generations, `<base>a` and `<base>b`, each with a sequence number and
 * a CRC written last. A cut at any point leaves the old or the new generation intact, never
 * neither — Espruino's Storage erases a file's old copy before writing a replacement, so we never
 * replace: we write the other name, commit it, then erase the old one.
 *
 * Layout: 'CKG1' | seq u32 | length u32 | crc u32 (written last) | data (length bytes).
 * The data is written in chunks into a pre-sized file, so a large table never sits in RAM.
 */
import type { Crypto, FlashStorage } from './ports';
import { str32, u32 } from './binstr';
import { fileSize, fits } from './flashroom';

export const GEN_HEADER = 16;
const MAGIC = 'CKG1';
const UNWRITTEN = 0xffffffff;

export interface Generation {
  name: string;
  seq: number;
  length: number;
}

/** The newest intact generation of `base`, or undefined when there is none. */
export function genLoad(storage: FlashStorage, crypto: Crypto, base: string): Generation | undefined {
  const a = genCheck(storage, crypto, base + 'a');
  const b = genCheck(storage, crypto, base + 'b');
  if (!a) return b;
  if (!b) return a;
  return b.seq > a.seq ? b : a;
}

function genCheck(storage: FlashStorage, crypto: Crypto, name: string): Generation | undefined {
  const head = storage.read(name, 0, GEN_HEADER);
  if (!head || head.length < GEN_HEADER || head.substr(0, 4) !== MAGIC) return undefined;
  const length = u32(head, 8);
  const crc = u32(head, 12);
  if (crc === UNWRITTEN) return undefined; // never committed
  const data = length ? storage.read(name, GEN_HEADER, length) : '';
  if (data === undefined || data.length !== length) return undefined;
  if (((crypto.crc32(data) ^ crypto.crc32(head.substr(0, 12))) >>> 0) !== crc) return undefined;
  return { name, seq: u32(head, 4), length };
}

/**
 * Writes a new generation of `length` bytes. `chunk(offset)` returns the bytes starting at
 * `offset` (any non-empty size up to what is left). Returns the new generation, or undefined if
 * any write failed (full flash); then the previous generation is untouched and still current.
 */
export function genWrite(storage: FlashStorage, crypto: Crypto, base: string, current: Generation | undefined,
  length: number, chunk: (offset: number) => string): Generation | undefined {
  // Only where it fits without a compaction (firmware/flashroom.ts): else the update fails, nothing lost.
  if (!fits(storage, GEN_HEADER + length)) return undefined;
  const name = current && current.name === base + 'a' ? base + 'b' : base + 'a';
  const seq = current ? current.seq + 1 : 1;
  // The target is either absent or an older/broken generation: safe to erase.
  storage.erase(name);
  const head = MAGIC + str32(seq) + str32(length);
  let ok = storage.write(name, head, 0, fileSize(storage, GEN_HEADER + length));
  // Declared here, not in the loop: on Espruino a block with its own let/const costs a scope
  // (about 3 variables), and this loop sits at the bottom of the firmware's deepest call chain.
  let off = 0, part: string;
  while (ok && off < length) {
    part = chunk(off);
    if (!part.length || off + part.length > length) { ok = false; break; }
    ok = storage.write(name, part, GEN_HEADER + off);
    off += part.length;
  }
  if (ok) {
    const data = length ? storage.read(name, GEN_HEADER, length) : '';
    ok = data !== undefined && storage.write(name, str32((crypto.crc32(data) ^ crypto.crc32(head)) >>> 0), 12);
  }
  const written = ok ? genCheck(storage, crypto, name) : undefined;
  if (!written || written.seq !== seq) {
    storage.erase(name);
    return undefined;
  }
  if (current) storage.erase(current.name);
  return written;
}

/** The committed data of a generation as a flash-backed string. */
export function genData(storage: FlashStorage, gen: Generation): string {
  return gen.length ? storage.read(gen.name, GEN_HEADER, gen.length) || '' : '';
}

/** Convenience for small records (config, clock, lockout): one chunk. */
export function genWriteSmall(storage: FlashStorage, crypto: Crypto, base: string, current: Generation | undefined, data: string): Generation | undefined {
  return genWrite(storage, crypto, base, current, data.length, (off) => data.substr(off));
}
