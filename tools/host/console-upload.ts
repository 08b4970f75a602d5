/**
 * Bytes into a board's Storage through its JavaScript console, verified by reading back: the one
 * uploader behind the provisioning CLI (upload.ts) and the browser flasher (sim/web/flasher.ts).
 * Bytes go as printable-ASCII string literals, a line at a time, and every write is checked.
 *   - writeGenFile: a power-cut-safe generation file (firmware/genfile.ts): header first with its
 *     CRC left unwritten, the data, the CRC last — a cut link leaves a file the firmware rejects.
 *   - writePlainFile: any file (the bundle as .bootcde): pre-sized, filled in chunks.
 *   - readRemoteFile: a file's bytes back, in base64 chunks.
 * Browser-safe: nothing here imports Node. Not here: what to write (image.ts, the flasher page).
 */
import { GEN_HEADER } from '../../firmware/genfile';
import { SLOT_HEADER } from '../../firmware/slotfile';
import { ProvisionError } from './provision/errors';
import { crc32 } from './bytes';
import type { ConsoleLink } from './console-link';

/** A board's console: runs one line, resolves with what it printed (the one interface, tools/host). */
export type { ConsoleLink };

/** The files a board image replaces, by base name: both generations (a, b) of each are erased first. */
export const IMAGE_BASES = ['ck.site.', 'ck.keys.', 'ck.cfg.'];
/** Slot files (firmware/slotfile.ts) a board image replaces, erased first as well. */
export const IMAGE_SLOT_FILES = ['ck.keys', 'ck.cfg'];

/** Raw bytes per Storage.write line (up to 4x that once escaped). */
export const WRITE_CHUNK = 128;
const S = 'require("Storage")';

/** A JavaScript string literal for a string of bytes, ASCII only (the console link is bytes). */
export function byteLiteral(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 255;
    out += c === 34 || c === 92 ? '\\' + s[i] : c >= 32 && c < 127 ? s[i] : '\\x' + (c < 16 ? '0' : '') + c.toString(16);
  }
  return out + '"';
}

async function expectOk(link: ConsoleLink, call: string, what: string): Promise<void> {
  const out = await link.run('print(' + call + '?"ok":"fail")');
  if (out.trim() !== 'ok') throw new ProvisionError(what + ' failed on the board: ' + JSON.stringify(out.trim().slice(0, 200)));
}

/** The board's CRC32 and length of a Storage file, or undefined when it is absent. */
export async function remoteCrc(link: ConsoleLink, name: string): Promise<{ crc: number; length: number } | undefined> {
  const out = await link.run(`var f=${S}.read(${JSON.stringify(name)});print(f===undefined?"none":E.CRC32(f)+" "+f.length)`);
  const t = out.trim();
  if (t === 'none') return undefined;
  const m = /^(-?\d+) (\d+)$/.exec(t);
  if (!m) throw new ProvisionError('unexpected answer reading ' + name + ': ' + JSON.stringify(t.slice(0, 200)));
  return { crc: Number(m[1]) >>> 0, length: Number(m[2]) };
}

/** SHA-256 (hex) of a Storage file as the board computes it, or undefined when it is absent. */
export async function remoteSha256(link: ConsoleLink, name: string): Promise<string | undefined> {
  const out = (await link.run(`var f=${S}.read(${JSON.stringify(name)});print(f===undefined?"none":btoa(require("crypto").SHA256(f)))`)).trim();
  if (out === 'none') return undefined;
  if (!/^[A-Za-z0-9+/]{43}=$/.test(out)) throw new ProvisionError('unexpected answer hashing ' + name + ': ' + JSON.stringify(out.slice(0, 200)));
  const bin = atob(out);
  let hex = '';
  for (let i = 0; i < bin.length; i++) hex += (bin.charCodeAt(i) + 256).toString(16).slice(1);
  return hex;
}

/** Raw bytes per read line (base64 on the way back, so nothing large is built in the board's RAM). */
export const READ_CHUNK = 192;

/** Reads `length` bytes of a Storage file through the console, in base64 chunks. */
export async function readRemoteFile(link: ConsoleLink, name: string, length: number): Promise<string> {
  let out = '';
  for (let off = 0; off < length; off += READ_CHUNK) {
    const b64 = (await link.run(`print(btoa(${S}.read(${JSON.stringify(name)},${off},${Math.min(READ_CHUNK, length - off)})))`)).trim();
    if (!/^[A-Za-z0-9+/=]*$/.test(b64)) throw new ProvisionError('unexpected answer reading ' + name + ': ' + JSON.stringify(b64.slice(0, 200)));
    out += atob(b64);
  }
  if (out.length !== length) throw new ProvisionError(name + ': read ' + out.length + ' bytes, expected ' + length);
  return out;
}

/** Checks that `name` on the board has exactly `data`'s length and CRC32. */
async function verifyCrc(link: ConsoleLink, name: string, data: string): Promise<void> {
  const back = await remoteCrc(link, name);
  const want = crc32(data);
  if (!back || back.crc !== want || back.length !== data.length) {
    throw new ProvisionError(name + ' reads back wrong: ' + (back ? 'CRC ' + back.crc + ', ' + back.length + ' bytes' : 'missing') + ', expected CRC ' + want + ', ' + data.length + ' bytes');
  }
}

/** Writes a generation file (firmware/genfile.ts layout) so that a cut link never leaves a valid-looking wrong file, then verifies it. */
async function writeGenFile(link: ConsoleLink, name: string, data: string): Promise<void> {
  if (data.length < GEN_HEADER) throw new ProvisionError(name + ' is not a generation file');
  const n = JSON.stringify(name);
  await expectOk(link, `${S}.write(${n},${byteLiteral(data.slice(0, 12))},0,${data.length})`, 'creating ' + name);
  for (let off = GEN_HEADER; off < data.length; off += WRITE_CHUNK) {
    await expectOk(link, `${S}.write(${n},${byteLiteral(data.slice(off, off + WRITE_CHUNK))},${off})`, 'writing ' + name + ' at ' + off);
  }
  await expectOk(link, `${S}.write(${n},${byteLiteral(data.slice(12, 16))},12)`, 'committing ' + name);
  await verifyCrc(link, name, data);
}

/**
 * Writes a slot file (firmware/slotfile.ts): pre-sized, its header and used slots written, its
 * blank slots left erased (0xFF, as the firmware fills them in place); then verified by length and
 * CRC32. A file of the same shape with no slot used yet (what the firmware makes at its first boot,
 * in its place in the layout) is filled in place: nothing erased, so no trash and no compaction
 * under the running firmware. Otherwise it is erased and made again. A cut link leaves a file whose
 * slots were written in order: a torn slot is dead, never wrong. Returns whether it erased a file.
 */
async function writeSlotFile(link: ConsoleLink, name: string, data: string): Promise<boolean> {
  let end = data.length;
  while (end > 0 && data.charCodeAt(end - 1) === 255) end--;
  const n = JSON.stringify(name);
  const back = await remoteCrc(link, name);
  const blank = data.slice(0, SLOT_HEADER) + '\xff'.repeat(Math.max(0, data.length - SLOT_HEADER));
  const inPlace = !!back && back.length === data.length && back.crc === crc32(blank);
  if (!inPlace && back) await link.run(`${S}.erase(${n});print("ok")`);
  for (let off = inPlace ? SLOT_HEADER : 0; off < Math.max(end, 1); off += WRITE_CHUNK) {
    const chunk = byteLiteral(data.slice(off, Math.min(end, off + WRITE_CHUNK)) || data.slice(0, 1));
    await expectOk(link, off === 0 ? `${S}.write(${n},${chunk},0,${data.length})` : `${S}.write(${n},${chunk},${off})`, 'writing ' + name + ' at ' + off);
  }
  await verifyCrc(link, name, data);
  return !inPlace && !!back;
}

/**
 * Writes any file: erased, pre-sized, filled in chunks (a chunk of nothing but 0xFF after the first
 * is left unwritten, so a slot file's blank slots stay writable); then verified by length and CRC32.
 */
export async function writePlainFile(link: ConsoleLink, name: string, data: string, progress?: (done: number, total: number) => void): Promise<void> {
  const n = JSON.stringify(name);
  await link.run(`${S}.erase(${n});print("ok")`);
  for (let off = 0; off < data.length; off += WRITE_CHUNK) {
    const raw = data.slice(off, off + WRITE_CHUNK);
    if (off > 0 && /^\xff*$/.test(raw)) continue;
    const chunk = byteLiteral(raw);
    await expectOk(link, off === 0 ? `${S}.write(${n},${chunk},0,${data.length})` : `${S}.write(${n},${chunk},${off})`, 'writing ' + name + ' at ' + off);
    if (progress) progress(Math.min(data.length, off + WRITE_CHUNK), data.length);
  }
  await verifyCrc(link, name, data);
}

/**
 * Replaces a board image's files: erases both generations (a, b) of every IMAGE_BASES file first
 * (a newer generation left behind would win over ours), then writes each file as a verified
 * generation file. Calls `wrote` after each. Returns the names it erased.
 */
export async function replaceImageFiles(link: ConsoleLink, files: { name: string; data: string }[], wrote?: (name: string, bytes: number) => void): Promise<string[]> {
  const erased: string[] = [];
  for (const base of IMAGE_BASES) {
    for (const g of ['a', 'b']) {
      await link.run(`${S}.erase(${JSON.stringify(base + g)});print("ok")`);
      erased.push(base + g);
    }
  }
  for (const name of IMAGE_SLOT_FILES) {
    // A slot file the image brings is filled in place when the board's is still blank (writeSlotFile).
    if (files.some((f) => f.name === name)) continue;
    await link.run(`${S}.erase(${JSON.stringify(name)});print("ok")`);
    erased.push(name);
  }
  for (const f of files) {
    if (IMAGE_SLOT_FILES.includes(f.name)) { if (await writeSlotFile(link, f.name, f.data)) erased.push(f.name); }
    else await writeGenFile(link, f.name, f.data);
    if (wrote) wrote(f.name, f.data.length);
  }
  return erased;
}
