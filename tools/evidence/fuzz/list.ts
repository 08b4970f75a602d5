/**
 * Target `list`: LIST messages (protocol v2 revocation lists, docs/KEYS-THAT-TRAVEL.md section 6)
 * into the car's radio: the owner's valid lists (newer, older, for another board only), the same mutated in any
 * byte or length, lists signed by a driver, and random bytes. Per case: the answer is LISTED (or
 * REFUSED for what is not a message), nothing unlocks, no log entry of a proven key, the board
 * stays up; the list the board holds only changes to a newer one whose tag for this board
 * node:crypto verifies under the owner's secret (so never a bad MAC, never an older version).
 * At the end the owner still unlocks.
 */
import { performance } from 'node:perf_hooks';
import { makeList, type TravelKey } from '../../host/travel';
import { rng } from '../../host/random';
import { mutate } from '../common';
import { type FuzzResult, MAX_VIOLATIONS, add, hex, result } from './result';
import { checkCase, finalCheck } from './radio-rig';
import { listVerifies, send, storedListBytes, travelRig, versionOf } from './travel-rig';

const T0 = 1800000000;

export async function fuzzList(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0x4c);
  const g = await travelRig(seed);
  const car = g.car;
  const ownerSecret = g.owner.boards[0].secret;
  const driver: TravelKey = { keyId: car.keys.driver.keyId, boards: [{ boardId: g.boards[0], secret: car.keys.driver.secret }] };
  const v: string[] = [];
  const stats: Record<string, number> = { sent: 0, adopted: 0, legit: 0, listed: 0, refused: 0, badMac: 0, exists: 0, badInput: 0, wrongBoard: 0, other: 0, privileged: 0, faults: 0 };
  // Ids a list may name: never the owner (so the owner keeps getting in), sometimes the driver.
  const ids = (signer: number) => Array.from({ length: r.int(6) }, () => r.chance(0.2) ? car.keys.driver.keyId : 1 + r.int(0xfffffff0)).filter((x) => x !== g.owner.keyId && x !== signer);
  for (let c = 0; c < cases; c++) {
    const before = storedListBytes(g);
    const version = versionOf(before) + 1 + r.int(3);
    const kind = r.int(10);
    let list: Uint8Array;
    if (kind === 0) list = r.bytes(r.int(250));
    else if (kind === 1) list = makeList(driver, version, T0 + r.int(1000), ids(driver.keyId));
    else if (kind === 2) list = makeList(g.owner, Math.max(1, versionOf(before) - r.int(2)), T0, ids(g.owner.keyId));
    else if (kind === 3) list = makeList({ ...g.owner, boards: [g.owner.boards[1]] }, version, T0, ids(g.owner.keyId));
    else list = makeList(g.owner, version, T0 + r.int(1000), ids(g.owner.keyId));
    const intact = kind >= 4 && r.chance(0.15);
    if (!intact && kind >= 2 && r.chance(0.9)) list = mutate(r, list, 250);
    const m = new Uint8Array(1 + list.length);
    m[0] = 0x04;
    m.set(list, 1);
    const rises = { relay: g.out.relayRises, drive: g.out.driveRises };
    const a = send(g, m);
    stats.sent++;
    if (intact) stats.legit++;
    if (!a) add(v, `case ${c}: no answer to LIST ${hex(m).slice(0, 80)}`);
    else if (a[0] === 0x85 && a.length === 6) {
      stats.listed++;
      const s = a[1];
      if (s === 0) stats.adopted++; else if (s === 6) stats.badMac++; else if (s === 17) stats.exists++; else if (s === 19) stats.badInput++; else if (s === 25) stats.wrongBoard++; else stats.other++;
      if (intact && s !== 0) add(v, `case ${c}: the owner's valid newer list was refused (${s})`);
    } else if (a[0] === 0x83) stats.refused++;
    else add(v, `case ${c}: answer ${hex(a).slice(0, 40)} is neither LISTED nor REFUSED`);
    const after = storedListBytes(g);
    if (hex(after) !== hex(before)) {
      if (!listVerifies(after, ownerSecret)) add(v, `case ${c}: adopted a list whose tag does not verify: ${hex(after).slice(0, 80)}`);
      if (versionOf(after) <= versionOf(before)) add(v, `case ${c}: adopted version ${versionOf(after)} over ${versionOf(before)}`);
      if (hex(after) !== hex(list)) add(v, `case ${c}: the board holds a list it was not sent`);
    }
    checkCase(g, v, () => `list case ${c} ${hex(m).slice(0, 60)}`, [], rises, stats);
    if (v.length >= MAX_VIOLATIONS) break;
  }
  finalCheck(g, v, stats);
  return result('list', cases, seed, t0, v, stats);
}
