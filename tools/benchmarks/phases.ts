/**
 * The phone path's proof, phase by phase, inside the real interpreter (ESPRUINO_BIN): the firmware's
 * own functions called one at a time on a provisioned image (tools/benchmarks/board.ts), each timed best
 * of N in the same run as the reference loop (../shared/device-time.md). The end-to-end timeline
 * (tools/benchmarks/timeline.ts) says where the relay and the answer happen; this says what the proof
 * before them is made of. The board side, `phases()`, is hal/espruino/phases-entry.ts; this file
 * bundles it (tools/host/build/bundle.ts), boots the image and turns host ms into board ms.
 */
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { bundleFirmware } from '../host/build/bundle';
import { OP, command, nodeMac, packets } from '../host/protocol';
import { type Image, bootImage, referenceWays } from './board';
import { NATIVE_BOARD_MS, ratiosOf } from './timeline';

/** The board side: hal/espruino/phases-entry.ts (type-checked with the board code), bundled for a Puck.js. */
const PHASES_ENTRY = `import './hal/espruino/phases-entry';`;

const WHAT: Record<string, string> = {
  reassembly: 'reassembly (the command\'s packets)', keyLookup: 'key lookup (ksLookup), the owner (first in the table)',
  keyLookupLast: 'key lookup, the key written last', keyLookupUnknown: 'key lookup, an unknown id (the whole table)',
  keyLookupRam: 'key lookup, the owner, the table read as a board reads it (a RAM copy; the copy not counted)',
  keyLookupLastRam: 'key lookup, the key written last, the table as a board reads it', keyLookupUnknownRam: 'key lookup, an unknown id, the table as a board reads it',
  tableSearchRam: 'of which the native search (indexOf over the used slots in RAM; C: read it with the console ratio)', keySecret: 'key secret (keySecret, site pads kept)',
  keyPads: 'the key\'s HMAC pads (hmacPads)', macCheck: 'MAC check (kept pads: input, HMAC, compare)', decision: 'decision (checkAccess)',
  auditEntry: 'one audit entry (logAppend, write and read-back)',
};

/** boardMs: with the console ratio (an upper bound); boardMsStorage: with the Storage ratio (the board's model). */
export interface Phase { phase: string; hostMs: number; sha: number; boardMs: number; boardMsStorage: number }

/** Times each phase of an owner's UNLOCK proof on `image` (its owner key; `lastId`: the id written last, see provisionImage); `n` runs each. */
export async function proofPhases(bin: string, image: Image, lastId: number, n = 12): Promise<{ ratio: number; ratioStorage: number; phases: Phase[] }> {
  const bundle = (await bundleFirmware(boardById('puckjs') as BoardConfig, { entry: PHASES_ENTRY })).code;
  const s = await bootImage(bin, image, bundle, undefined, true);
  try {
    const pk = packets(command(nodeMac, image.owner, new Uint8Array(16), OP.UNLOCK)).map((p) => Buffer.from(p).toString('hex'));
    const ref0 = await referenceWays(s);
    const raw = JSON.parse((await s.eval(`print(phases(${image.owner.keyId},${JSON.stringify(pk)},${n},${lastId},${0x7eadbeef}))`, 120000)).trim().split('\n').pop()!);
    const { ratio, ratioStorage } = ratiosOf([ref0, await referenceWays(s)]);
    const phases = Object.keys(WHAT).map((k) => {
      const [hostMs, sha] = raw[k];
      // Storage calls are not separated here: their host time stays in (Linux reads a file; the board reads mapped flash).
      return { phase: WHAT[k], hostMs, sha, boardMs: hostMs * ratio + sha * NATIVE_BOARD_MS.sha, boardMsStorage: hostMs * ratioStorage + sha * NATIVE_BOARD_MS.sha };
    });
    return { ratio, ratioStorage, phases };
  } finally { await s.quit(); }
}
