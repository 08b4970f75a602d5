/**
 * READ_LOG's log read on a full journal, in the real interpreter (ESPRUINO_BIN): the firmware's own
 * code that OP_READ_LOG runs (firmware/owner-ops.ts: logRead over firmware/auditlog.ts logReadJ,
 * firmware/journal.ts jEach, on hal/espruino/journal.ts's port), with the same visitor filling the
 * 8-entry answer, bundled for the board (its journal's page count, `logSegments`). The journal is
 * made and filled on the interpreter's Storage by the firmware's own journalMake and jAppend until
 * every page is used and it has wrapped (a full board: every page scanned). Timed: the newest 8 entries (what a phone
 * asks first; every older page is scanned before them) and the oldest 8. The command's MAC and send
 * are the phone path's (tools/benchmarks/board.ts), not counted here. Board time = host ms x the
 * same run's ratios (docs/PERFORMANCE.md "Which ratio models the board"). Host-only.
 */
import { boardById } from '../../hal/boards/index';
import { bundleFirmware } from '../host/build/bundle';
import { bootImage, referenceWays } from './board';
import { ratiosOf } from './timeline';

const ENTRY = `
import { espruinoStorage } from './hal/espruino/storage';
import { espruinoJournal } from './hal/espruino/journal';
import { espruinoCrypto } from './hal/espruino/crypto';
import { journalMake } from './firmware/flashroom';
import { jAppend, jOpen, jRec, SLOTS } from './firmware/journal';
import { logOpenJ, logRead } from './firmware/auditlog';
declare const global: any;
let j: any, log: any, last = 0;
global.rl = {
  // ram: each read copied into RAM (E.toString), the model of a Puck.js, whose internal flash is
  // memory-mapped: its Storage strings are read as from RAM, not 16 bytes at a time from a file.
  fill: function (pages: number, ram: boolean) {
    if (!journalMake(espruinoStorage(), pages)) return 'no journal';
    const jf = espruinoJournal()!;
    j = jOpen(ram ? { size: jf.size, read: function (o: number, l: number) { return E.toString(jf.read(o, l)); }, write: jf.write, erase: jf.erase } : jf, espruinoCrypto(false).crc32);
    // Every page used and wrapped once: more records than the journal holds.
    const n = pages * (SLOTS - 2) + SLOTS / 2;
    for (let i = 1; i <= n; i++) if (jAppend(j, jRec(i, 1800000000 + i, 21, 0, 0, 0x10000001)) < 0) return 'append failed at ' + i;
    log = logOpenJ(espruinoStorage(), j);
    last = n;
    return 'ok ' + n;
  },
  // OP_READ_LOG's read (firmware/owner-ops.ts), best of the rounds; returns ms and the entries read.
  read: function (fromNewest: boolean, rounds: number) {
    const from = fromNewest ? last - 7 : 0;
    let best = 1e9, got = 0, seqs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const out = new Uint8Array(8 * 16);
      let at = 0;
      const t0 = getTime();
      seqs = [];
      logRead(log, from, 8, function (e: any) {
        seqs.push(e.seq);
        out[at] = e.seq >>> 24; out[at + 1] = e.seq >> 16; out[at + 2] = e.seq >> 8; out[at + 3] = e.seq;
        out[at + 8] = e.event | (e.trusted ? 128 : 0); out[at + 9] = e.result; out[at + 10] = e.reason;
        at += 16;
      });
      const d = (getTime() - t0) * 1000;
      if (d < best) best = d;
      got = at / 16;
    }
    return JSON.stringify({ ms: best, entries: got, from: from, seqs: seqs, last: last });
  },
};
`;

/** The bench's bundle for `boardId` booted in the interpreter: `fill()` makes and fills the journal ("ok N" or why not), `read(newest, rounds)` one timed log read. */
export async function journalSession(bin: string, boardId: string, ram = false) {
  const board = boardById(boardId)!;
  const s = await bootImage(bin, undefined, (await bundleFirmware(board, { entry: ENTRY })).code, undefined, true);
  return {
    s, board,
    fill: async () => (await s.eval(`print(rl.fill(${board.logSegments}, ${ram}))`, 300000)).trim().split('\n').pop()!,
    read: async (newest: boolean, rounds: number): Promise<{ ms: number; entries: number; from: number; seqs: number[]; last: number }> =>
      JSON.parse((await s.eval(`print(rl.read(${newest}, ${rounds}))`, 120000)).trim().split('\n').pop()!),
  };
}

/** One board's figures: the journal read as Storage strings (flash strings here), and each read copied into RAM (the memory-mapped model). */
export async function readLogBench(bin: string, boardId: string) {
  const one = async (ram: boolean) => {
    const { s, fill, read } = await journalSession(bin, boardId, ram);
    try {
      const filled = await fill();
      if (!/^ok /.test(filled)) throw new Error('filling the journal: ' + filled);
      const refs = [await referenceWays(s)];
      const newest = await read(true, 8), oldest = await read(false, 8);
      refs.push(await referenceWays(s));
      const { ratio, ratioStorage } = ratiosOf(refs);
      const est = (r: { ms: number; entries: number }) => ({ hostMs: +r.ms.toFixed(2), boardMsStorage: Math.round(r.ms * ratioStorage), boardMs: Math.round(r.ms * ratio), entries: r.entries });
      return { records: Number(filled.slice(3)), ratio: +ratio.toFixed(1), ratioStorage: +ratioStorage.toFixed(1), newest: est(newest), oldest: est(oldest) };
    } finally { await s.quit(); }
  };
  const flash = await one(false), ram = await one(true);
  return {
    board: boardId, pages: boardById(boardId)!.logSegments, records: flash.records, flashStrings: flash, ramCopies: ram,
    what: 'READ_LOG\'s log read (8 entries) on a full journal, best of 8; without the command\'s MAC and send. flashStrings: as this host reads Storage (a file read per 16 bytes; the XIAO BLE\'s SPI flash is read the same way); ramCopies: each read copied to RAM first (a Puck.js\'s memory-mapped flash)',
  };
}
