/**
 * The car the protocol v2 targets (list, ticket) fuzz: a demo car in slot 3 of a site, running the
 * xiaoble bundle (protocol v2; the 40 KB boards are v1-only), its outputs and log watched as radio-rig.ts watches them, and the
 * owner's v2 key (its secret on this board). An independent check of what the board adopted: the
 * list in its flash must carry a tag for this board that node:crypto's HMAC verifies under the
 * owner's secret (never the firmware's own functions).
 */
import { createHmac } from 'node:crypto';
import { createCar } from '../../../sim/car';
import { ask } from '../../../sim/central';
import { flashOf } from '../../../sim/provision';
import { hostCrypto } from '../../host/crypto';
import { type TravelKey, newBoardId } from '../../host/travel';
import { genData, genLoad } from '../../../firmware/genfile';
import { LIST_FILE } from '../../../firmware/travelfiles';
import { logMirror, watchOutputs } from '../common';
import type { RadioRig } from './radio-rig';

export const SLOT = 3;
export const OTHER_SLOT = 4;

export interface TravelRig extends RadioRig {
  owner: TravelKey;
  /** The owner's key as it would be on another board of the site (its lists carry a tag for both). */
  boards: Uint8Array[];
}

export async function travelRig(seed: number): Promise<TravelRig> {
  const boardId = newBoardId(SLOT, (n) => new Uint8Array(n).fill(seed & 255));
  const car = await createCar({ board: 'xiaoble', demo: true, seed, boardId });
  const out = watchOutputs(car);
  const log = logMirror(car);
  const phone = car.phone(car.keys.owner);
  car.board.nrf.setMtu(247);
  const other = newBoardId(OTHER_SLOT, (n) => new Uint8Array(n).fill(7));
  const owner: TravelKey = { keyId: car.keys.owner.keyId, boards: [{ boardId, secret: car.keys.owner.secret }, { boardId: other, secret: new Uint8Array(16).fill(9) }] };
  return { car, phone, out, log, resets: car.board.resets.length, owner, boards: [boardId, other] };
}

/** Sends one message on a fresh link; the answer (undefined when none came). */
export function send(g: TravelRig, m: Uint8Array): Uint8Array | undefined {
  try { return ask(g.car.board, m); } finally { g.car.board.nrf.disconnect(); }
}

/** The list the board holds now ('' for none), read from its flash. */
export function storedListBytes(g: TravelRig): Uint8Array {
  const flash = flashOf(g.car.board);
  const gen = genLoad(flash, hostCrypto, LIST_FILE);
  return new Uint8Array(Buffer.from(gen ? genData(flash, gen) : '', 'latin1'));
}

/** Does `list` carry a tag for slot SLOT that node:crypto verifies under `secret`? (Layout: docs/KEYS-THAT-TRAVEL.md section 6.) */
export function listVerifies(list: Uint8Array, secret: Uint8Array): boolean {
  if (list.length < 18 || list[0] !== 0x4c) return false;
  const boards = Buffer.from(list.subarray(13, 17)).readUInt32BE(0);
  const body = 18 + 4 * list[17];
  if (!((boards >>> (SLOT - 1)) & 1)) return false;
  let before = 0;
  for (let s = 1; s < SLOT; s++) before += (boards >>> (s - 1)) & 1;
  const tag = list.subarray(body + 16 * before, body + 16 * before + 16);
  const want = createHmac('sha256', secret).update(Buffer.from('CK2L')).update(list.subarray(0, body)).digest().subarray(0, 16);
  return tag.length === 16 && Buffer.from(tag).equals(want);
}

export const versionOf = (list: Uint8Array) => (list.length >= 5 ? Buffer.from(list.subarray(1, 5)).readUInt32BE(0) : 0);
