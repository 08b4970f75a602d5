/**
 * The flash: Espruino's Storage file system as bytes in 4 KB pages that outlive reboots (one per
 * board), following src/jsflash.c and src/jswrap_storage.c (StorageFile) line for line where it
 * matters. Files are a chain of 32-byte headers (size | flags << 24, then a 28-byte name), each
 * followed by its data, 4-byte aligned. Erasing a file zeroes the first 4 bytes of its name: it
 * stays as trash until a compaction copies the live files down over it.
 *
 * Here: where a new file goes (after the last file of a page, else at the start of a later page;
 * a file longer than the rest of its page only where every later page is blank), compaction when
 * a new file finds no hole (_jsfCreateFile) or when asked (Storage.compact), done as
 * jsfCompactInternal does it: live files stream through a RAM buffer of up to a page + 32 bytes,
 * and a page is erased and rewritten once everything on it has been read into that buffer. Every
 * data write and every step of a compaction (a page erase, a page write) is a counted flash write
 * where a power cut can fall. Two faults the firmware cannot see: no RAM for the compaction buffer
 * (jsfBankCompact then compacts nothing and the write fails), and flash operations that the
 * SoftDevice fails while a link is up, which Espruino reports as done (targets/nrf5x/jshardware.c:
 * jsh_sys_evt_handler treats NRF_EVT_FLASH_OPERATION_ERROR as the end of the operation).
 * Not here: anything about VM contexts (vm-context.ts builds require('Storage') from this).
 */

export const HEADER_BYTES = 32;
export const NAME_MAX = 28;
export const PAGE_BYTES = 4096;
/** Espruino's STORAGEFILE_CHUNKSIZE on 4 KB flash pages: page minus the file header. */
export const CHUNK_BYTES = PAGE_BYTES - HEADER_BYTES;
const SF_FLAG = 64;
const UNSET = 0xffffffff;

/** A file as found in flash: `data` is a live view of its bytes in the flash. */
export interface FlashFile {
  name: string;
  /** Address of its data (its header is the 32 bytes before). */
  addr: number;
  data: Uint8Array;
  flags: number;
  erased: boolean;
}

export interface Flash {
  capacity: number;
  /** The flash itself: 0xFF where erased. */
  mem: Uint8Array;
  /** Pending fault: the `n`-th counted write from now keeps `keep` of its bytes, then the power is cut. */
  cut?: { n: number; keep: number };
  /** Counted flash writes so far: Storage data writes and every page erase and page write of a compaction. */
  writes: number;
  /** Fault injection: sees (and may change) the bytes of every Storage.write before they are programmed. */
  onWrite?: (name: string, offset: number, bytes: Uint8Array) => void;
  /**
   * Fault knob: bytes of RAM a compaction can get for its buffer (Espruino takes it from the stack,
   * else as one flat string of variables: about 318 contiguous variables on an nRF52). Undefined:
   * always enough. Below what it needs (the live bytes, at most a page + 32), compaction does nothing.
   */
  compactRam?: number;
  /** Fault knob: while a link is up (`linkUp`), every flash write and erase does nothing and reports success. */
  failWhileConnected?: boolean;
  /** Set by the board: whether a central is connected. */
  linkUp?: () => boolean;
  /** Compactions started (Storage.compact or a write that needed room), and those that found no RAM. */
  compactions: number;
  compactionsNoRam: number;
  /** Times a boot found the Storage corrupt and erased all of it, the firmware's own code included. */
  resets?: number;
}

/** What a write asks of its caller: an error in the right realm, and what a power cut does. */
export interface FlashHooks {
  error(message: string): Error;
  /** Marks the board dead and returns the error to throw. */
  powerCut(): Error;
}

export function createFlash(capacity: number): Flash {
  return { capacity, mem: new Uint8Array(capacity).fill(255), writes: 0, compactions: 0, compactionsNoRam: 0 };
}

const align = (n: number) => (n + 3) & ~3;

export function fileCost(size: number): number {
  return HEADER_BYTES + align(size);
}

export function truncName(name: string): string {
  return String(name).substr(0, NAME_MAX);
}

// ---- headers (jsfGetFileHeader, jsfGetNextFileHeader) -------------------------------------------

function rd32(m: Uint8Array, a: number): number {
  return (m[a] | (m[a + 1] << 8) | (m[a + 2] << 16) | (m[a + 3] << 24)) >>> 0;
}

const sizeAt = (f: Flash, a: number) => rd32(f.mem, a) & 0xffffff;
const flagsAt = (f: Flash, a: number) => rd32(f.mem, a) >>> 24;
const erasedAt = (f: Flash, a: number) => rd32(f.mem, a + 4) === 0;

function headerValid(f: Flash, a: number): boolean {
  if (a < 0 || a + HEADER_BYTES > f.capacity) return false;
  const w = rd32(f.mem, a);
  return w !== UNSET && w !== 0 && a + HEADER_BYTES + (w & 0xffffff) <= f.capacity;
}

function nameAt(f: Flash, a: number): string {
  let s = '';
  for (let i = 0; i < NAME_MAX && f.mem[a + 4 + i]; i++) s += String.fromCharCode(f.mem[a + 4 + i]);
  return s;
}

/** Start of the page after the one holding `a`, or -1 past the end (jsfGetAddressOfNextPage). */
function nextPage(f: Flash, a: number): number {
  const n = a - (a % PAGE_BYTES) + PAGE_BYTES;
  return n >= f.capacity ? -1 : n;
}

/** The header after the one at `a`: [address or -1, valid]. `all`: look on the next page after a gap (GNFH_GET_ALL). */
function nextHeader(f: Flash, a: number, all: boolean, size = sizeAt(f, a)): [number, boolean] {
  let n = align(a + size + HEADER_BYTES);
  if (n + HEADER_BYTES > f.capacity) return [-1, false];
  let valid = headerValid(f, n);
  if (all && !valid) {
    n = nextPage(f, n);
    if (n < 0) return [-1, false];
    valid = headerValid(f, n);
  }
  return [n, valid];
}

/** Calls `visit` with the address of every header in the chain, as Espruino walks it; stops when it returns true. */
function walk(f: Flash, visit: (a: number) => boolean | void): number {
  let a = 0;
  if (!headerValid(f, 0)) return 0;
  let valid = true;
  do {
    if (visit(a)) return a;
    [a, valid] = nextHeader(f, a, true);
  } while (valid);
  return a;
}

function view(f: Flash, a: number): FlashFile {
  const size = sizeAt(f, a);
  return { name: nameAt(f, a), addr: a + HEADER_BYTES, data: f.mem.subarray(a + HEADER_BYTES, a + HEADER_BYTES + size), flags: flagsAt(f, a), erased: erasedAt(f, a) };
}

/** Every file in the chain, trash included, in flash order. */
export function files(f: Flash): FlashFile[] {
  const out: FlashFile[] = [];
  walk(f, (a) => { out.push(view(f, a)); });
  return out;
}

export function find(flash: Flash, name: string): FlashFile | undefined {
  const n = truncName(name);
  let found = -1;
  walk(flash, (a) => { if (!erasedAt(flash, a) && nameAt(flash, a) === n) { found = a; return true; } return false; });
  return found < 0 ? undefined : view(flash, found);
}

/** jsfGetStorageStats(0, true); `firstPageWithErasedFiles` is where a compaction starts (-1: no trash). */
function scan(f: Flash) {
  let fileBytes = 0, trashBytes = 0, fileCount = 0, trashCount = 0, lastAddr = 0, lastUnbroken = 0, firstTrashPage = -1;
  walk(f, (a) => {
    if (a % PAGE_BYTES === 0) lastUnbroken = a;
    const cost = fileCost(sizeAt(f, a));
    lastAddr = a + cost;
    if (!erasedAt(f, a)) { fileBytes += cost; fileCount++; }
    else { trashBytes += cost; trashCount++; if (firstTrashPage < 0) firstTrashPage = lastUnbroken; }
  });
  return { fileBytes, trashBytes, fileCount, trashCount, freeBytes: f.capacity - lastAddr, firstTrashPage };
}

/** Storage.getStats(): `freeBytes` is what follows the last file (Storage.getFree()). */
export function stats(flash: Flash) {
  const s = scan(flash);
  return { totalBytes: flash.capacity, freeBytes: s.freeBytes, fileBytes: s.fileBytes, trashBytes: s.trashBytes, fileCount: s.fileCount, trashCount: s.trashCount };
}

/**
 * jsfIsStorageValid(JSFSTT_NORMAL), which Espruino runs at every hardware boot (jsinteractive.c
 * jsiSemiInit, JSIS_FIRST_BOOT): false when the header chain ends on bytes that are neither a
 * header nor erased, e.g. a file that a compaction cut short claims bytes of a page not yet rewritten.
 */
export function storageValid(f: Flash): boolean {
  let addr = 0, hdr = 0;
  if (headerValid(f, 0)) {
    let cur = 0;
    for (;;) {
      const n = align(cur + sizeAt(f, cur) + HEADER_BYTES);
      if (n + HEADER_BYTES > f.capacity) return true; // full to the end: fine
      hdr = n;
      if (headerValid(f, n)) { cur = n; continue; }
      const p = nextPage(f, n);
      if (p < 0) { addr = -1; break; }
      hdr = p;
      if (headerValid(f, p)) { cur = p; continue; }
      addr = p;
      break;
    }
  }
  const allFF = hdr + HEADER_BYTES > f.capacity || allErased(f.mem, hdr, HEADER_BYTES);
  if (allFF && addr === 0) return allErased(f.mem, 0, f.capacity); // no files: all of it must be blank
  return allFF;
}

/** What Espruino does at a hardware boot: a corrupt Storage is erased whole (jsfResetStorage), code included. True if it was. */
export function checkAtBoot(f: Flash, print: (text: string) => void): boolean {
  if (storageValid(f)) return false;
  print('Storage is corrupt.');
  print('Erasing Storage Area...');
  f.mem.fill(255);
  f.resets = (f.resets || 0) + 1;
  print('Erase complete.');
  return true;
}

// ---- programming (jshFlashWrite, jshFlashErasePage) ---------------------------------------------

const dropping = (f: Flash) => !!f.failWhileConnected && !!f.linkUp && f.linkUp();

/** Counts a flash write; true when this is the one the pending fault cuts. */
function cutsNow(flash: Flash): boolean {
  flash.writes++;
  if (!flash.cut) return false;
  flash.cut.n--;
  return flash.cut.n <= 0;
}

/** Programs `src` at `at` (flash only clears bits). Counted: a power cut may fall here, keeping part of it. */
function program(flash: Flash, hooks: FlashHooks, at: number, src: Uint8Array, counted: boolean): void {
  let n = src.length;
  const cut = counted && cutsNow(flash);
  if (cut) { n = Math.floor(src.length * Math.max(0, Math.min(1, flash.cut!.keep))); flash.cut = undefined; }
  if (!dropping(flash)) for (let i = 0; i < n && at + i < flash.capacity; i++) flash.mem[at + i] &= src[i];
  if (cut) throw hooks.powerCut();
}

/**
 * Erases the page at `at`, a counted step. A cut keeping nothing leaves it as it was, keeping all
 * erases it whole, and keeping a part leaves it partly erased: its first `keep` of bytes blank,
 * the rest as it was (an interrupted nRF52 page erase leaves the page's contents undefined).
 */
function erasePage(flash: Flash, hooks: FlashHooks, at: number): void {
  const cut = cutsNow(flash);
  const keep = cut ? Math.max(0, Math.min(1, flash.cut!.keep)) : 1;
  if (cut) flash.cut = undefined;
  if (!dropping(flash)) flash.mem.fill(255, at, Math.min(flash.capacity, at + Math.floor(PAGE_BYTES * keep)));
  if (cut) throw hooks.powerCut();
}

/**
 * Espruino's Flash module, erasePage(addr) (jswrap_flash.c): erases the page holding `addr` under Storage's
 * feet, a counted step. Host side only here (a tool over the console), not a board global.
 */
export function erasePageAt(flash: Flash, hooks: FlashHooks, addr: number): void {
  erasePage(flash, hooks, addr - (addr % PAGE_BYTES));
}

/**
 * Espruino's Flash module, write(data, addr) (jswrap_flash.c): programs bytes under Storage's feet
 * (flash only clears bits), a counted step where a power cut can fall. Host side only here.
 */
export function programAt(flash: Flash, hooks: FlashHooks, addr: number, bytes: Uint8Array): void {
  program(flash, hooks, addr, bytes, true);
}

// ---- compaction (jsfBankCompact, jsfCompactInternal, jsfCompactWriteBuffer) ----------------------

/** Storage.compact(): true if it freed something. Page by page, through a RAM buffer, as Espruino does. */
export function compact(flash: Flash, hooks: FlashHooks): boolean {
  const s = scan(flash);
  if (!s.trashBytes) return false;
  flash.compactions++;
  const bufSize = Math.min(s.fileBytes, PAGE_BYTES + HEADER_BYTES);
  if (flash.compactRam !== undefined && bufSize > flash.compactRam) { flash.compactionsNoRam++; return false; } // "Not enough memory to compact anything"
  return compactFrom(flash, hooks, s.firstTrashPage, bufSize);
}

function compactFrom(flash: Flash, hooks: FlashHooks, start: number, bufSize: number): boolean {
  const buf = new Uint8Array(Math.max(1, bufSize));
  let head = 0, tail = 0, used = 0, w = start;
  const pageEnd = (a: number) => { const n = nextPage(flash, a); return n < 0 ? flash.capacity : n; };
  const put = (src: Uint8Array) => { for (let i = 0; i < src.length; i++) { buf[head] = src[i]; head = (head + 1) % bufSize; } };
  // Writes out what is buffered, but never into a page that is still to be read from.
  const flush = (readAddr: number) => {
    let limit = pageEnd(w);
    while (used) {
      let n = used;
      if (n + tail > bufSize) n = bufSize - tail;
      if (n + w > limit) n = limit - w;
      if (readAddr < limit) return;
      if (w % PAGE_BYTES === 0) erasePage(flash, hooks, w);
      program(flash, hooks, w, buf.slice(tail, tail + n), true);
      w += n;
      limit = pageEnd(w);
      tail = (tail + n) % bufSize;
      used -= n;
    }
  };
  let a = start, valid = headerValid(flash, a);
  while (valid) {
    // The header as read now: by the time the next one is looked for, this page may be rewritten.
    const flags = flagsAt(flash, a), fileSize = sizeAt(flash, a);
    if (!erasedAt(flash, a) && (flags === 0 || flags === SF_FLAG || flags === 128)) {
      put(flash.mem.slice(a, a + HEADER_BYTES));
      used += HEADER_BYTES;
      let size = align(fileSize), ptr = a + HEADER_BYTES;
      flush(ptr);
      while (size) {
        let n = bufSize - used;
        if (n > bufSize - head) n = bufSize - head;
        if (tail > head && n > tail - head) n = tail - head;
        if (n <= 0) return false; // "compact> error - no space left!"
        if (n > size) n = size;
        buf.set(flash.mem.subarray(ptr, ptr + n), head);
        size -= n; ptr += n; used += n;
        head = (head + n) % bufSize;
        flush(ptr);
      }
    }
    [a, valid] = nextHeader(flash, a, true, fileSize);
  }
  flush(flash.capacity);
  // Erase the pages left behind.
  let from = w !== start ? nextPage(flash, w - 1) : w;
  const to = a < 0 ? flash.capacity : a;
  while (from >= 0 && from < to) { erasePage(flash, hooks, from); from = nextPage(flash, from); }
  return true;
}

// ---- files (_jsfCreateFile, jsfWriteFile, jsfEraseFile) -----------------------------------------

/** Room between `a` and the next page, or to the end if the next page is blank (jsfGetSpaceLeftInPage). */
function spaceLeftInPage(f: Flash, a: number): number {
  let next = a - (a % PAGE_BYTES) + PAGE_BYTES;
  if (next < f.capacity && !headerValid(f, next)) next = f.capacity;
  return Math.min(next, f.capacity) - a;
}

/** A new file's data address, or -1 when there is no room even after a compaction. */
function createFile(flash: Flash, hooks: FlashHooks, name: string, size: number, flags: number): number {
  const required = fileCost(size);
  let compacted = false, freeAddr = -1;
  while (freeAddr < 0) {
    let a = 0, freeSpace = 0, trashSpace = 0;
    do {
      if (headerValid(flash, a)) {
        let valid = true;
        do {
          if (erasedAt(flash, a)) trashSpace += sizeAt(flash, a);
          [a, valid] = nextHeader(flash, a, false);
        } while (valid);
      }
      const space = a < 0 ? 0 : spaceLeftInPage(flash, a);
      freeSpace += space;
      if (space < required) a = a < 0 ? -1 : nextPage(flash, a);
      else freeAddr = a;
    } while (a >= 0 && freeAddr < 0);
    if (freeAddr < 0) {
      if (compacted || required >= freeSpace + trashSpace) return -1; // fail fast when compaction cannot help
      compacted = true;
      if (!compact(flash, hooks)) return -1;
    }
  }
  const head = new Uint8Array(HEADER_BYTES);
  const word = (size | (flags << 24)) >>> 0;
  head[0] = word & 255; head[1] = (word >>> 8) & 255; head[2] = (word >>> 16) & 255; head[3] = word >>> 24;
  for (let i = 0; i < name.length; i++) head[4 + i] = name.charCodeAt(i) & 255;
  program(flash, hooks, freeAddr, head, false);
  return freeAddr + HEADER_BYTES;
}

function eraseAt(flash: Flash, hooks: FlashHooks | undefined, headerAddr: number): void {
  if (dropping(flash)) return;
  flash.mem.fill(0, headerAddr + 4, headerAddr + 8);
  void hooks;
}

export function erase(flash: Flash, name: string): void {
  const f = find(flash, name);
  if (f) eraseAt(flash, undefined, f.addr - HEADER_BYTES);
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

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Espruino's jsfWriteFile. Throws hooks.error(...) where Espruino throws. */
export function write(flash: Flash, hooks: FlashHooks, nameIn: string, dataIn: unknown, offsetIn?: number, sizeIn?: number, flags = 0): boolean {
  const name = truncName(nameIn);
  const offset = offsetIn === undefined ? 0 : Math.floor(Number(offsetIn)) || 0;
  const size0 = sizeIn === undefined ? 0 : Math.floor(Number(sizeIn)) || 0;
  if (offset < 0 || size0 < 0) return false;
  const data = toBytes(dataIn);
  const size = size0 || data.length;
  if (!size) throw hooks.error("Can't create zero length file");
  let f = find(flash, name);
  let addr = f ? f.addr : -1;
  if (offset === 0 && (!f || f.flags !== flags || f.data.length !== size || !allErased(f.data, 0, size))) {
    if (f && f.data.length === size && f.flags === flags && data.length === size && equal(f.data, data)) return true;
    if (f) eraseAt(flash, hooks, f.addr - HEADER_BYTES); // the old copy is gone before the new one exists
    addr = createFile(flash, hooks, name, size, flags);
    f = addr < 0 ? undefined : { name, addr, data: flash.mem.subarray(addr, addr + size), flags, erased: false };
  }
  if (!f || addr < 0) throw hooks.error('Unable to find or create file');
  if (offset + data.length > f.data.length) throw hooks.error('Too much data for file size');
  if (!allErased(f.data, offset, data.length)) throw hooks.error('File already written with different data');
  if (flash.onWrite) flash.onWrite(name, offset, data);
  program(flash, hooks, addr + offset, data, true);
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
  for (const f of files(flash)) {
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
      if (data.length < remaining) { program(flash, hooks, f.addr + st.offset, data, true); st.offset += data.length; return; }
      program(flash, hooks, f.addr + st.offset, data.subarray(0, remaining), true);
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
