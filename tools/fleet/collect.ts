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
 * Not here: the schema, the key's secret (boards.ts ownerKeyOf derives it in memory).
 */
import { type Answer, OP, be32, statusVersion } from '../host/protocol';
import { decodeLogAnswer } from '../host/logdecode';
import { CliError } from '../host/cli-error';
import type { Registry } from './registry';
import type { BoardRow } from './boards';
import { lastSeq, storeEntries } from './logstore';

/** Runs one signed operation with the owner's key and returns the board's answer. */
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
