/**
 * The flash: Espruino's Storage file system as a model that outlives reboots (one per board).
 * Semantics follow Espruino's src/jsflash.c (jsfWriteFile, _jsfCreateFile) and src/jswrap_storage.c
 * (StorageFile). Linear model: no 4 KB page boundaries (real files must fit inside one page).
 * Here: files, trash, compaction, StorageFile chunks, power-cut injection on the n-th write.
 * Not here: anything about VM contexts (vm-context.ts builds require('Storage') from this).
 */

export const HEADER_BYTES = 32;
export const NAME_MAX = 28;
/** Espruino's STORAGEFILE_CHUNKSIZE on 4 KB flash pages: page minus the file header. */
export const CHUNK_BYTES = 4096 - HEADER_BYTES;
const SF_FLAG = 64;

export interface FlashFile {
  name: string;
  data: Uint8Array;
  flags: number;
  erased: boolean;
}

export interface Flash {
  capacity: number;
  /** Every file ever written since the last compaction, in flash order; erased ones are trash. */
  files: FlashFile[];
  /** Pending fault: the `n`-th counted write from now keeps `keep` of its bytes, then the power is cut. */
  cut?: { n: number; keep: number };
  writes: number;
  /** Fault injection: sees (and may change) the bytes of every Storage.write before they are programmed. */
  onWrite?: (name: string, offset: number, bytes: Uint8Array) => void;
}

/** What a write asks of its caller: an error in the right realm, and what a power cut does. */
export interface FlashHooks {
  error(message: string): Error;
  /** Marks the board dead and returns the error to throw. */
  powerCut(): Error;
}

export function createFlash(capacity: number): Flash {
  return { capacity, files: [], writes: 0 };
}

export function fileCost(size: number): number {
  return HEADER_BYTES + ((size + 3) & ~3);
}

export function truncName(name: string): string {
  return String(name).substr(0, NAME_MAX);
}

export function find(flash: Flash, name: string): FlashFile | undefined {
  const n = truncName(name);
  for (let i = 0; i < flash.files.length; i++) if (!flash.files[i].erased && flash.files[i].name === n) return flash.files[i];
  return undefined;
}

export function stats(flash: Flash) {
  let fileBytes = 0, trashBytes = 0, fileCount = 0, trashCount = 0;
  for (const f of flash.files) {
    if (f.erased) { trashBytes += fileCost(f.data.length); trashCount++; }
    else { fileBytes += fileCost(f.data.length); fileCount++; }
  }
  return { totalBytes: flash.capacity, freeBytes: flash.capacity - fileBytes - trashBytes, fileBytes, trashBytes, fileCount, trashCount };
}

export function compact(flash: Flash): void {
  flash.files = flash.files.filter((f) => !f.erased);
}

export function erase(flash: Flash, name: string): void {
  const f = find(flash, name);
  if (f) f.erased = true;
}

/** Bytes from a string (low 8 bits of each char, as Espruino's byte strings) or array-like. */
export function toBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 255;
    return out;
  }
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]') return new Uint8Array(data as ArrayBuffer).slice();
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (Array.isArray(data)) return Uint8Array.from(data, (v) => Number(v) & 255);
  return toBytes(String(data));
}

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function allErased(b: Uint8Array, from: number, len: number): boolean {
  for (let i = from; i < from + len; i++) if (b[i] !== 255) return false;
  return true;
}

/** Counts a flash write; true when this is the one the pending fault cuts. */
function cutsNow(flash: Flash): boolean {
  flash.writes++;
  if (!flash.cut) return false;
  flash.cut.n--;
  return flash.cut.n <= 0;
}

function programBytes(flash: Flash, hooks: FlashHooks, dst: Uint8Array, at: number, src: Uint8Array, raw: boolean): void {
  let n = src.length;
  const cut = cutsNow(flash);
  const keep = flash.cut ? flash.cut.keep : 1;
  if (cut) { n = Math.floor(src.length * Math.max(0, Math.min(1, keep))); flash.cut = undefined; }
  // Flash programming only clears bits: a raw write over written bytes ANDs them (StorageFile does this).
  for (let i = 0; i < n && at + i < dst.length; i++) dst[at + i] = raw ? dst[at + i] & src[i] : src[i];
  if (cut) throw hooks.powerCut();
}

function createFile(flash: Flash, name: string, size: number, flags: number): FlashFile | undefined {
  const need = fileCost(size);
  let s = stats(flash);
  if (s.freeBytes < need && s.freeBytes + s.trashBytes >= need) { compact(flash); s = stats(flash); }
  if (s.freeBytes < need) return undefined;
  const f: FlashFile = { name, data: new Uint8Array(size).fill(255), flags, erased: false };
  flash.files.push(f);
  return f;
}

/** Espruino's jsfWriteFile: see the file header. Throws hooks.error(...) where Espruino throws. */
export function write(flash: Flash, hooks: FlashHooks, nameIn: string, dataIn: unknown, offsetIn?: number, sizeIn?: number, flags = 0): boolean {
  const name = truncName(nameIn);
  const offset = offsetIn === undefined ? 0 : Math.floor(Number(offsetIn)) || 0;
  const size0 = sizeIn === undefined ? 0 : Math.floor(Number(sizeIn)) || 0;
  if (offset < 0 || size0 < 0) return false;
  const data = toBytes(dataIn);
  const size = size0 || data.length;
  if (!size) throw hooks.error("Can't create zero length file");
  let f = find(flash, name);
  if (offset === 0 && (!f || f.flags !== flags || f.data.length !== size || !allErased(f.data, 0, size))) {
    if (f && f.data.length === size && f.flags === flags && data.length === size && equal(f.data, data)) return true;
    if (f) f.erased = true; // the old copy is gone before the new one exists
    f = createFile(flash, name, size, flags);
  }
  if (!f) throw hooks.error('Unable to find or create file');
  if (offset + data.length > f.data.length) throw hooks.error('Too much data for file size');
  if (!allErased(f.data, offset, data.length)) throw hooks.error('File already written with different data');
  if (flash.onWrite) flash.onWrite(name, offset, data);
  programBytes(flash, hooks, f.data, offset, data, false);
  return true;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Espruino's Storage.read: the file's bytes as a latin1 string, or undefined. */
export function read(flash: Flash, name: string, offset?: number, length?: number): string | undefined {
  const f = find(flash, name);
  if (!f) return undefined;
  const from = Math.max(0, Math.min(f.data.length, offset === undefined ? 0 : Number(offset) || 0));
  const len = length === undefined ? f.data.length - from : Math.max(0, Math.min(Number(length) || 0, f.data.length - from));
  return latin1(f.data.subarray(from, from + len));
}

export function list(flash: Flash, pattern?: unknown, filter?: { sf?: boolean }): string[] {
  const out: string[] = [];
  for (const f of flash.files) {
    if (f.erased) continue;
    const sf = (f.flags & SF_FLAG) !== 0;
    if (filter && filter.sf !== undefined && filter.sf !== sf) continue;
    if (pattern instanceof Object && typeof (pattern as RegExp).test === 'function') { if (!(pattern as RegExp).test(f.name)) continue; }
    else if (typeof pattern === 'string' && f.name.indexOf(pattern) < 0) continue;
    out.push(f.name);
  }
  return out;
}

/** A StorageFile (Storage.open): 4064-byte chunks named name + chr(1..255); a \xFF byte ends the data. */
export function openFile(flash: Flash, hooks: FlashHooks, nameIn: string, mode: string) {
  if (mode !== 'r' && mode !== 'w' && mode !== 'a') throw hooks.error('Invalid mode ' + JSON.stringify(mode));
  const base = String(nameIn).substr(0, NAME_MAX - 1);
  const chunkName = (c: number) => base + String.fromCharCode(c);
  const st = { chunk: 1, offset: 0, mode };
  const eraseAll = () => { for (let c = 1; c <= 255; c++) erase(flash, chunkName(c)); };
  if (mode === 'w') eraseAll();
  if (mode === 'a') {
    let f = find(flash, chunkName(1));
    while (f && f.data[f.data.length - 1] !== 255 && st.chunk < 255) { st.chunk++; f = find(flash, chunkName(st.chunk)); }
    if (f) { let i = 0; while (i < f.data.length && f.data[i] !== 255) i++; st.offset = i; }
  }
  const file = {
    write(dataIn: unknown): void {
      if (st.mode !== 'w' && st.mode !== 'a') throw hooks.error("Can't write in this mode");
      let data = toBytes(dataIn);
      if (!data.length) return;
      const f = find(flash, chunkName(st.chunk));
      if (!f) {
        let ok = false;
        try { ok = write(flash, hooks, chunkName(st.chunk), data, 0, CHUNK_BYTES, SF_FLAG); } finally { if (!ok) st.mode = ''; }
        st.offset = data.length;
        return;
      }
      const remaining = f.data.length - st.offset;
      if (data.length < remaining) { programBytes(flash, hooks, f.data, st.offset, data, true); st.offset += data.length; return; }
      programBytes(flash, hooks, f.data, st.offset, data.subarray(0, remaining), true);
      st.offset += remaining;
      if (st.chunk === 255) throw hooks.error('File too big!');
      st.chunk++;
      data = data.subarray(remaining);
      let ok = false;
      try { ok = write(flash, hooks, chunkName(st.chunk), data, 0, CHUNK_BYTES, SF_FLAG); } finally { if (!ok) st.mode = ''; }
      st.offset = data.length;
    },
    read(len: number): string | undefined {
      let out = '';
      while (out.length < len) {
        const f = find(flash, chunkName(st.chunk));
        if (!f) break;
        let i = st.offset;
        while (i < f.data.length && f.data[i] !== 255 && out.length + (i - st.offset) < len) i++;
        out += latin1(f.data.subarray(st.offset, i));
        if (i < f.data.length && f.data[i] === 255) { st.offset = i; break; }
        if (i >= f.data.length) { st.chunk++; st.offset = 0; } else st.offset = i;
      }
      return out.length ? out : undefined;
    },
    readLine(): string | undefined {
      let line = '';
      for (;;) {
        const c = file.read(1);
        if (c === undefined) break;
        line += c;
        if (c === '\n') break;
      }
      return line.length ? line : undefined;
    },
    getLength(): number {
      let n = 0;
      for (let c = 1; c <= 255; c++) {
        const f = find(flash, chunkName(c));
        if (!f) break;
        let i = 0;
        while (i < f.data.length && f.data[i] !== 255) i++;
        n += i;
        if (i < f.data.length) break;
      }
      return n;
    },
    erase(): void { eraseAll(); st.mode = ''; },
  };
  return file;
}

/** Host side: arm a power cut at the n-th flash write from now (1 = the next one). */
export function cutPowerAtWrite(flash: Flash, n: number, keepFraction: number): void {
  flash.cut = { n: Math.max(1, Math.floor(n)), keep: keepFraction };
}
