/**
 * What the evidence tests of a firmware update's move into the journal layout check after every
 * re-run (test/evidence/update-move-cuts.test.ts for earlier tiled boards, update-move-nfc.test.ts
 * for puckjs-nfc's older layout): the journal read straight from the flash, and the earlier board's
 * log, settings and clock found in it, with the owner unlocking at once. Not here: the cuts, the
 * fixtures, what each layout keeps besides the journal (site, key files).
 */
import { strict as assert } from 'node:assert';
import type { SimBoard } from '../../sim/engine/board';
import { journalOf, storedConfig } from '../../sim/provision';
import { type LogEntry, logOpenJ, logReadJ } from '../../firmware/auditlog';
import { REC } from '../../firmware/journal';
import { u32 } from '../../firmware/binstr';
import * as C from '../../firmware/codes';
import { OP, type PhoneKeyFile } from '../../tools/host/protocol';
import { decodeLogAnswer } from '../../tools/host/logdecode';
import { be32, ownerCommand } from './owner-command';

/** The journal's log entries and clock as the flash holds them, read without writing. */
export function journalState(b: SimBoard) {
  const j = journalOf(b);
  if (!j) return undefined;
  const log: LogEntry[] = [];
  logReadJ(logOpenJ(undefined as never, j), 0, 1e6, (e) => log.push(e));
  return { log, clock: j.cl < 0 ? -1 : u32(j.f.read(j.cl, REC), 4) };
}

/** A log entry's fields as one comparable string. */
export const logFields = (e: LogEntry) => JSON.stringify([e.seq, e.time, e.event, !!e.trusted, e.result, e.reason, e.keyId]);

/** What the earlier board held before the move. */
export interface EarlierBoard { log: LogEntry[]; settings: { holdMs: number; tzOffsetMin: number }; clock: number }

/**
 * Every earlier entry unchanged and in order in the journal, entries written since numbered after
 * them, the settings and the clock kept, and the owner unlocking at once, with READ_LOG and the
 * unlock's entry after every older one.
 */
export function assertMovedJournal(b: SimBoard, fx: EarlierBoard, owner: PhoneKeyFile, where: string): void {
  const j = journalState(b)!;
  const got = new Map(j.log.map((e) => [e.seq, logFields(e)] as [number, string]));
  const lost = fx.log.filter((e) => got.get(e.seq) !== logFields(e));
  assert.deepEqual(lost.map((e) => e.seq), [], where + ': entries of the earlier log missing or changed in the journal');
  const seqs = j.log.map((e) => e.seq);
  assert.deepEqual(seqs, seqs.slice().sort((x, y) => x - y), where + ': in order');
  // Entries written since (the earlier firmware at a power-on between the cut and the re-run)
  // come after the earlier log's, never among them.
  const newest = fx.log[fx.log.length - 1].seq;
  const later = j.log.filter((e) => !fx.log.some((o) => logFields(o) === logFields(e)));
  assert.deepEqual(later.filter((e) => e.seq <= newest).map(logFields), [], where + ': entries written since, numbered among the earlier ones');
  const cfg = storedConfig(b);
  assert.deepEqual([cfg.holdMs, cfg.tzOffsetMin], [fx.settings.holdMs, fx.settings.tzOffsetMin], where + ': the settings');
  assert.ok(j.clock >= fx.clock, where + `: the saved clock (${j.clock}, was ${fx.clock})`);
  assert.equal(ownerCommand(b, owner, OP.UNLOCK).status, C.R_OK, where + ': the owner unlocks at once');
  const read = decodeLogAnswer(ownerCommand(b, owner, OP.READ_LOG, be32(newest - 3)).data!);
  for (let s = newest - 3; s <= newest; s++) assert.ok(read.some((e) => e.seq === s), `${where}: READ_LOG lacks ${s}`);
  const unlock = journalState(b)!.log.filter((e) => e.event === C.EV_UNLOCK).pop()!;
  assert.ok(unlock.seq > seqs[seqs.length - 1], where + ': the unlock is logged after every older entry');
}
