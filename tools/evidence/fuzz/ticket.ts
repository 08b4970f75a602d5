/**
 * Target `ticket`: TICKET COMMANDs (protocol v2 tickets, docs/KEYS-THAT-TRAVEL.md sections 5 and
 * 7) into the car's radio after a v2 HELLO: commands for the owner's tickets (random role,
 * permissions, validity, op), the same mutated in any byte or length, tickets made by a driver
 * (whose tags prove nothing) and random bytes. Per case: an unlock (relay edge, GRANTED) only for
 * an intact command of the owner's ticket that grants it; the answer is a RESPONSE or REFUSED; the
 * board stays up. At the end the owner still unlocks.
 */
import { performance } from 'node:perf_hooks';
import * as C from '../../../firmware/codes';
import { type TravelKey, hello, makeTicket, parseChallenge, ticketCommand } from '../../host/travel';
import { rng } from '../../host/random';
import { mutate, sameBytes } from '../common';
import { type FuzzResult, MAX_VIOLATIONS, add, hex, result } from './result';
import { checkCase, finalCheck } from './radio-rig';
import { travelRig } from './travel-rig';
import { ask } from '../../../sim/central';

const T0 = 1800000000;
/** The answers a message of type `t` may get (a mutation may turn a TICKET COMMAND into another type). */
const ANSWERS: Record<number, number[]> = { 1: [0x81, 0x83], 2: [0x82, 0x83], 3: [0x83, 0x84], 4: [0x85, 0x83], 5: [0x82, 0x83] };

const OPS = [C.OP_UNLOCK, C.OP_UNLOCK, C.OP_UNLOCK, C.OP_LOCK, C.OP_DRIVE, C.OP_STATUS, C.OP_GET_LIST, C.OP_ADD_KEY, C.OP_SET_CONFIG, C.OP_REVOKE];

export async function fuzzTicket(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0x54);
  const g = await travelRig(seed);
  const car = g.car;
  const driver: TravelKey = { keyId: car.keys.driver.keyId, boards: [{ boardId: g.boards[0], secret: car.keys.driver.secret }] };
  const v: string[] = [];
  const stats: Record<string, number> = { sent: 0, legit: 0, responses: 0, ok: 0, refused: 0, unlocks: 0, privileged: 0, faults: 0 };
  for (let c = 0; c < cases; c++) {
    const issuer = r.chance(0.1) ? driver : g.owner;
    const perms = 1 + r.int(7);
    // A few ids, so the ticket book (cap 4) sees known tickets as well as new ones.
    const notAfter = r.chance(0.2) ? T0 - 60 : T0 + 86400;
    const t = makeTicket(issuer, { id: 0x7e000000 + r.int(6), role: r.chance(0.5) ? C.ROLE_DRIVER : C.ROLE_GUEST, perms, weekdays: 0, winStart: 0, winEnd: 0,
      notBefore: T0 - 3600, notAfter, madeAt: Math.min(notAfter, r.chance(0.2) ? T0 - 7200 : T0), label: 'fz' }, issuer === g.owner && r.chance(0.1) ? [g.boards[1]] : [g.boards[0]]);
    const op = r.pick(OPS);
    const rises = { relay: g.out.relayRises, drive: g.out.driveRises };
    let m: Uint8Array;
    let intact = false;
    const ch = ask(car.board, hello());
    if (!ch || ch[0] !== 0x81) { add(v, `case ${c}: no CHALLENGE`); car.board.nrf.disconnect(); continue; }
    const nonce = parseChallenge(ch).nonce;
    if (r.chance(0.05)) m = r.bytes(1 + r.int(200));
    else {
      const good = ticketCommand(t, { ...t.boards[0], boardId: g.boards[0] }, nonce, op, op === C.OP_SET_CONFIG ? new Uint8Array(Buffer.from('{"maxTickets":8}')) : new Uint8Array(op === C.OP_REVOKE || op === C.OP_ADD_KEY ? 23 : 0));
      m = r.chance(0.35) ? good : mutate(r, good, 250);
      intact = sameBytes(m, good);
      if (!m.length) m = good.subarray(0, 1); // an empty write carries no message: send the type byte alone
    }
    // What may open: an intact command of the owner's ticket for this board, within its permissions and validity.
    const grants = intact && issuer === g.owner && t.boards[0].boardId === g.boards[0] && Buffer.from(t.ticket!.subarray(16, 20)).readUInt32BE(0) > T0;
    const legit = grants && ((op === C.OP_UNLOCK && perms & 1) || (op === C.OP_LOCK && perms & 2) || (op === C.OP_DRIVE && perms & 4) || op === C.OP_STATUS || op === C.OP_GET_LIST) ? [op] : [];
    if (legit.length) stats.legit++;
    let a: Uint8Array | undefined;
    try { a = ask(car.board, m); } finally { car.board.nrf.disconnect(); }
    stats.sent++;
    if (!a) add(v, `case ${c}: no answer to ${hex(m).slice(0, 60)}`);
    else if ((ANSWERS[m[0]] || [0x83]).indexOf(a[0]) < 0) add(v, `case ${c}: a message of type ${m[0]} answered ${hex(a).slice(0, 40)}`);
    else if (a[0] === 0x82) { stats.responses++; if (a[1] === 0) stats.ok++; if (a[1] === 0 && op === C.OP_UNLOCK) stats.unlocks++; }
    else if (a[0] === 0x83) stats.refused++;
    else stats.otherType = (stats.otherType || 0) + 1;
    if (a && a[0] === 0x82 && a[1] === 0 && !legit.length) add(v, `case ${c}: op ${op} accepted for a ticket that grants nothing: ${hex(m).slice(0, 80)}`);
    checkCase(g, v, () => `ticket case ${c} op ${op} ${hex(m).slice(0, 60)}`, legit, rises, stats);
    if (legit.includes(C.OP_UNLOCK)) car.advance(15000); // relocks
    if (v.length >= MAX_VIOLATIONS) break;
  }
  finalCheck(g, v, stats);
  return result('ticket', cases, seed, t0, v, stats);
}
