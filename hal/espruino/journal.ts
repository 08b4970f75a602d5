/**
 * JournalFlash port (firmware/journal.ts) on Espruino's Flash module: the journal file's payload,
 * read through Storage (a flash-backed string, no RAM copy) and erased and programmed with
 * require("Flash") at its address. Never through Storage.write: at offset 0 that erases and
 * re-creates the file (src/jsflash.c jsfWriteFile), and the firmware must never make trash.
 * The address: the page whose last 32 bytes before it hold the journal's Storage header (its size,
 * flags 0, its name), looked for page by page from where Storage starts.
 */
import type { JournalFlash } from '../../firmware/ports';
import { JOURNAL_FILE, JPAGE } from '../../firmware/journal';

// Set at the first call, not at load: a require at module level would stay in builds without the journal.
let Sto: any, F: any;
let base = 0;

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
const port: JournalFlash = {
  size: 0,
  read: (o, l) => Sto.read(JOURNAL_FILE, o, l) || '',
  // A call the SoftDevice refuses throws ("NRF ERROR"); one it fails later reports success: the
  // firmware reads back either way.
  write: (o, d) => { try { F.write(d, base + o); } catch (e) { /* read back */ } },
  // A journal page is 4096 bytes; a flash page may be smaller (1 KB on the Linux build).
  erase: (o) => { try { for (let a = base + o; a < base + o + JPAGE; a += F.getPage(a).length) F.erasePage(a); } catch (e) { /* read back */ } },
};

export function espruinoJournal(): JournalFlash | undefined {
  Sto = require('Storage');
  const n = (Sto.read(JOURNAL_FILE) || '').length;
  if (!n) return undefined;
  F = require('Flash');
  // Linux builds (the real-interpreter engine) have no flash_code_start: there Storage is the whole
  // fake flash, which Flash.getFree reports.
  const start = process.memory().flash_code_start || F.getFree()[0].addr, end = start + Sto.getStats().totalBytes;
  const head = String.fromCharCode(n & 255, (n >> 8) & 255, (n >> 16) & 255, 0) + JOURNAL_FILE + '\0';
  for (let a = start + JPAGE; a < end; a += JPAGE) {
    if (E.toString(F.read(12, a - 32)) === head) {
      base = a;
      port.size = n;
      return port;
    }
  }
  return undefined;
}
