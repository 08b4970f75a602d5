/**
 * Collection: an owner key reads a board's audit log (docs/PROTOCOL.md op 7, READ LOG: up to 8
 * entries from a seq on, again from the last seq + 1 until a page of fewer than 8) and the registry
 * stores each page as it comes, in one transaction per page (logstore.ts). A collection stopped
 * anywhere — link lost, process killed — leaves whole pages stored; the next one starts after the
 * highest seq stored and INSERT OR IGNORE drops what was already there.
 * How the owner key reaches the board is the caller's: `ask` runs one signed operation and returns
 * the board's answer — the simulator's phone (sim/car.ts), or the command-line phone key's
 * session over the simulator's radio bridge or Bluetooth (tools/phonekey/cli.ts CarSession).
 * The board logs each READ LOG it answers, so its log always has one entry more than was read:
 * a short page (fewer than 8) ends the collection, and the last reads' own entries come with the
 * next collection.
 * Over USB: `collectConsole` reads the board's log files through its JavaScript console
 * (tools/host/logdecode.ts READ_LOG_LINE, decoded by the firmware's own reader) over the one
 * console link (tools/host/console-link.ts: a serial port, or the simulator's TCP console). No key:
 * the console is the board's owner's by physical access, as provisioning is. Every entry the board
 * holds comes in one dump and is stored in one transaction; reading it logs nothing on the board.
 * Not here: the schema, the key's secret (boards.ts ownerKeyOf derives it in memory).
 */
import { type Answer, OP, be32, statusVersion } from '../host/protocol';
import { READ_LOG_LINE, decodeLogAnswer, decodeLogDump } from '../host/logdecode';
import type { ConsoleLink } from '../host/console-link';
import { CliError } from '../host/cli-error';
import type { Registry } from './registry';
import type { BoardRow } from './boards';
import { lastSeq, storeEntries } from './logstore';

/** Entries in a full READ LOG answer (docs/PROTOCOL.md op 7). */
const PAGE = 8;

export type Ask = (op: number, args?: Uint8Array) => Promise<Answer> | Answer;

export interface CollectResult { read: number; added: number; pages: number; firmware?: string }

/** Test hook: called after each page is stored (a kill test stops the process there). */
export const collectHooks: { afterPage?: (pages: number) => void } = {};

function ok(a: Answer, what: string, board: string): Uint8Array {
  if (a.type !== 'response' || a.status !== 0) throw new CliError(board + ': ' + what + ' refused: ' + (a.reason || a.type));
  if (!a.authentic) throw new CliError(board + ': the answer to ' + what + ' is not authentic (not MACed with our key): not stored');
  return a.data || new Uint8Array(0);
}

export async function collectBoard(r: Registry, b: BoardRow, ask: Ask, now = () => Math.floor(Date.now() / 1000)): Promise<CollectResult> {
  const status = ok(await ask(OP.STATUS), 'status', b.label);
  const firmware = statusVersion(status) || undefined;
  let from = lastSeq(r, b.id);
  from = from ? from + 1 : 0;
  const res: CollectResult = { read: 0, added: 0, pages: 0, firmware };
  for (;;) {
    const entries = decodeLogAnswer(ok(await ask(OP.READ_LOG, new Uint8Array(be32(from))), 'read log', b.label));
    res.read += entries.length;
    res.added += storeEntries(r, b.id, entries, now());
    res.pages++;
    if (!entries.length) break;
    if (collectHooks.afterPage) collectHooks.afterPage(res.pages);
    const top = entries.reduce((m, e) => Math.max(m, e.seq >>> 0), 0);
    if (top + 1 <= from) throw new CliError(b.label + ': the board answered entries older than asked for; stopped');
    from = top + 1;
    if (entries.length < PAGE) break;
  }
  r.db.prepare('UPDATE boards SET last_seen = ?, firmware_version = coalesce(?, firmware_version) WHERE id = ?').run(now(), firmware ?? null, b.id);
  return res;
}

/**
 * Collection over the board's console (USB): one dump of its log files, every entry stored in one
 * transaction (INSERT OR IGNORE: what an earlier collection, over the air or here, stored is not
 * added twice). A console that prints no log file, or an error, stores nothing and says so.
 */
export async function collectConsole(r: Registry, b: BoardRow, link: ConsoleLink, now = () => Math.floor(Date.now() / 1000)): Promise<CollectResult> {
  const printed = await link.run(READ_LOG_LINE);
  if (!/(^|\s)ck\.(log\.f?\d+|jrnl):/.test(printed)) throw new CliError(b.label + ': the console printed no log files (is it this car\'s board, running the firmware?): ' + JSON.stringify(printed.slice(0, 120)));
  const entries = decodeLogDump(printed);
  const added = storeEntries(r, b.id, entries, now());
  r.db.prepare('UPDATE boards SET last_seen = ? WHERE id = ?').run(now(), b.id);
  return { read: entries.length, added, pages: 1 };
}
