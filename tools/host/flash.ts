/**
 * One in-memory flash for host code and tests: the firmware's FlashStorage port with Espruino's
 * Storage semantics at the level of files (src/jswrap_storage.c): a whole-file write (offset 0)
 * erases the old copy first; a sized first write pre-fills with 0xFF and later writes fill it at an
 * offset; written bytes cannot be rewritten with other data; names are cut to 28 characters;
 * capacity counts a 32-byte header per file. A power cut can be set for the n-th write from now.
 * Used to build provisioning images (tools/provision/image.ts), by the benches and fuzzers, and by
 * unit tests (test/support/fake-ports.ts).
 * Browser-safe (no Node API): the browser flasher's relayout uses it.
 * Not here: Espruino's Storage as bytes in pages with compaction (sim/engine/storage.ts), which the
 * simulated board runs on.
 */
import type { FlashStorage } from '../../firmware/ports';

/** Thrown by a write the power was cut in, and by any write after it. */
export class PowerCut extends Error {}

interface FlashFile { data: Uint8Array; written: boolean[] }

/** Bytes as a latin1 string, without Node's Buffer: the browser flasher runs this too (tools/host/relayout.ts). */
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, i + 8192)));
  return s;
}

export interface MemoryFlash extends FlashStorage {
  files: Map<string, FlashFile>;
  writes: number;
  /** The n-th write from now (1 = the next) writes only `keep` of its bytes, then power is cut. */
  cutAtWrite(n: number, keep?: number): void;
  dead: boolean;
  capacity: number;
}

const HEADER = 32;

export function memoryFlash(capacity = 40960): MemoryFlash {
  let cutIn = 0, keepFrac = 0.5;
  const used = () => { let n = 0; for (const f of flash.files.values()) n += HEADER + ((f.data.length + 3) & ~3); return n; };
  const flash: MemoryFlash = {
    files: new Map(), writes: 0, dead: false, capacity,
    cutAtWrite(n, keep = 0.5) { cutIn = n; keepFrac = keep; },
    read(name, offset, length) {
      const f = flash.files.get(name.slice(0, 28));
      if (!f) return undefined;
      const start = offset || 0;
      const end = length === undefined ? f.data.length : Math.min(f.data.length, start + length);
      return latin1(f.data.subarray(start, end));
    },
    write(name, data, offset, size) {
      if (flash.dead) throw new PowerCut('power is off');
      name = name.slice(0, 28);
      const bytes = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 255;
      offset = offset || 0;
      flash.writes++;
      let keep = bytes.length;
      const cut = cutIn > 0 && --cutIn === 0;
      if (cut) keep = Math.floor(bytes.length * keepFrac);
      let f = flash.files.get(name);
      if (offset === 0) {
        if (size === undefined && bytes.length === 0) throw new Error("Can't create zero length file");
        const total = size === undefined ? bytes.length : size;
        if (bytes.length > total) return false;
        flash.files.delete(name); // the old copy is erased before the new one is written
        if (used() + HEADER + total > capacity) { if (cut) { flash.dead = true; throw new PowerCut('cut'); } return false; }
        f = { data: new Uint8Array(total).fill(0xff), written: new Array(total).fill(false) };
        flash.files.set(name, f);
      } else if (!f || offset + bytes.length > f.data.length) {
        if (cut) { flash.dead = true; throw new PowerCut('cut'); }
        return false;
      }
      for (let i = 0; i < keep; i++) {
        const at = offset + i;
        if (f.written[at] && f.data[at] !== bytes[i]) throw new Error('File already written with different data');
        f.data[at] = bytes[i];
        f.written[at] = true;
      }
      if (cut) { flash.dead = true; throw new PowerCut('power cut during write ' + flash.writes); }
      return true;
    },
    erase(name) {
      if (flash.dead) throw new PowerCut('power is off');
      flash.files.delete(name.slice(0, 28));
    },
    list(prefix) { return [...flash.files.keys()].filter((k) => k.startsWith(prefix)); },
    free() { return capacity - used(); },
    compact() { return false; },
  };
  return flash;
}

