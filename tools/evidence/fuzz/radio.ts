/**
 * Targets `frames` and `commands`: random and structured packets, and signed phone-key commands
 * mutated (message bytes or fragments), into the car's radio (sim/car.ts, the real bundle).
 */
import { performance } from 'node:perf_hooks';
import { DROP_GRACE_MS } from '../../../firmware/phonekey';
import { type SimCar } from '../../../sim/car';
import { createReassembler, isPull } from '../../../firmware/frames';
import { OP, type PhoneKeyFile, command, nodeMac, packets } from '../../host/protocol';
import { mutate, sameBytes } from '../common';
import { type Rng, rng } from '../../host/random';
import { type FuzzResult, result, add, hex, MAX_VIOLATIONS } from './result';
import { randomConfigText, radioRig, checkCase, finalCheck } from './radio-rig';

function opArgs(r: Rng, op: number, car: SimCar): Uint8Array {
  const ids = Object.values(car.keys).map((k) => k.keyId);
  const be = (v: number) => new Uint8Array([(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255]);
  switch (op) {
    case OP.SET_TIME: return be(r.chance(0.5) ? 1500000000 + r.int(500000000) : r.u32());
    // Lockout settings are left alone here (set-config covers them): a fuzzed threshold of 1 would
    // keep the owner locked out and hide the deeper paths from the rest of the run.
    case OP.SET_CONFIG: return new Uint8Array(Buffer.from(randomConfigText(r, 'lockout').slice(0, 200), 'latin1'));
    case OP.READ_LOG: return be(r.int(200));
    case OP.LIST_KEYS: return new Uint8Array([0, r.int(8)]);
    case OP.REVOKE: case OP.REMOVE: return be(r.chance(0.7) ? r.pick(ids) : r.u32());
    case OP.ADD_KEY: case OP.ENROL_CARD: return r.bytes(r.chance(0.8) ? 23 : r.int(40));
    default: return r.chance(0.8) ? new Uint8Array(0) : r.bytes(r.int(12));
  }
}

/** Ops a valid signed command may carry unmutated: none of them changes the key table. */
const SAFE_OPS = [OP.UNLOCK, OP.UNLOCK, OP.UNLOCK, OP.LOCK, OP.DRIVE, OP.STATUS, OP.READ_LOG, OP.LIST_KEYS, OP.SET_TIME, OP.SET_CONFIG];
const TABLE_OPS = [OP.ADD_KEY, OP.REVOKE, OP.REMOVE, OP.ENROL_CARD];

function randomPacket(r: Rng): Uint8Array {
  return r.bytes(r.chance(0.1) ? r.int(245) : r.int(25));
}

/** A random message of a plausible shape, fragmented as a phone would, sometimes with a broken fragment. */
function structuredPackets(r: Rng, car: SimCar): Uint8Array[] {
  const ids = Object.values(car.keys).map((k) => k.keyId);
  const type = r.pick([1, 2, 2, 2, 3, r.int(256)]);
  let msg: Uint8Array;
  if (type === 2) {
    const args = r.bytes(r.pick([0, 0, 4, 23, r.int(60)]));
    msg = new Uint8Array(8 + args.length + 16);
    msg[0] = 2;
    msg.set(new Uint8Array([0, 0, 0, 0]).map((_, i) => ((r.chance(0.6) ? r.pick(ids) : r.u32()) >>> (24 - 8 * i)) & 255), 1);
    msg[5] = r.chance(0.8) ? r.int(14) : r.int(256);
    msg[6] = r.int(256); msg[7] = r.int(256);
    msg.set(args, 8);
    msg.set(r.bytes(16), 8 + args.length);
  } else {
    msg = r.bytes(1 + r.int(40));
    msg[0] = type;
  }
  const pk = packets(msg, r.chance(0.8) ? 20 : 4 + r.int(240));
  if (r.chance(0.3) && pk.length) { const i = r.int(pk.length); pk[i] = mutate(r, pk[i]); }
  return pk;
}

/** Fragment-level faults on a valid message: a mutated, dropped, repeated, swapped or extra packet. */
function mangleFragments(r: Rng, pk: Uint8Array[]): Uint8Array[] {
  const out = pk.slice();
  const n = 1 + r.int(2);
  for (let k = 0; k < n; k++) {
    const i = r.int(out.length);
    const f = r.int(6);
    if (f === 0 || f === 1) out[i] = mutate(r, out[i]);
    else if (f === 2 && out.length > 1) out.splice(i, 1);
    else if (f === 3) out.splice(i, 0, out[i]);
    else if (f === 4 && out.length > 1) { const j = r.int(out.length); const t = out[i]; out[i] = out[j]; out[j] = t; }
    else out.splice(i, 0, randomPacket(r));
  }
  return out;
}


export async function fuzzRadio(mode: 'frames' | 'commands', cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ (mode === 'frames' ? 0xf7 : 0xc0));
  const g = await radioRig(seed, 'puckjs');
  const car = g.car;
  const v: string[] = [];
  const stats: Record<string, number> = { packets: 0, messages: 0, answers: 0, legit: 0, privileged: 0, faults: 0, refused: 0, responses: 0 };
  const oracle = createReassembler(256);
  const realKeys: PhoneKeyFile[] = [car.keys.owner, car.keys.driver, car.keys.guest];
  const fakeKeys: PhoneKeyFile[] = [
    { keyId: car.keys.owner.keyId, secret: r.bytes(16) }, // right id, wrong secret
    { keyId: (r.u32() | 1) >>> 0, secret: r.bytes(16) }, // unknown id
  ];
  for (let c = 0; c < cases; c++) {
    let pk: Uint8Array[];
    let valid: Uint8Array | undefined;
    let validOp = 0;
    let desc = '';
    if (mode === 'frames') {
      pk = r.chance(0.5) ? Array.from({ length: 1 + r.int(4) }, () => randomPacket(r)) : structuredPackets(r, car);
    } else {
      const real = r.chance(0.8);
      const key = real ? r.pick(realKeys) : r.pick(fakeKeys);
      const kind = r.int(20);
      const tableOp = kind === 0;
      const op = tableOp ? r.pick(TABLE_OPS) : r.chance(0.97) ? r.pick(SAFE_OPS) : r.int(256);
      const nonce = g.phone.nonce || new Uint8Array(16);
      const msg = command(nodeMac, key, nonce, op, opArgs(r, op, car), r.chance(0.8) ? 5000 : r.int(65536));
      const mtu = r.chance(0.8) ? 20 : 4 + r.int(car.board.nrf.state.mtu - 6);
      if (!tableOp && kind <= 2) { pk = packets(msg, mtu); desc = 'unmutated'; }
      else if (tableOp || kind < 11) {
        let m = mutate(r, msg, 300);
        for (let i = 0; i < 5 && sameBytes(m, msg); i++) m = mutate(r, msg, 300);
        if (sameBytes(m, msg)) continue;
        pk = packets(m, mtu).length ? packets(m, mtu) : [m.subarray(0, 244)];
        desc = 'message-mutated';
      } else { pk = mangleFragments(r, packets(msg, mtu)); desc = 'fragments-mangled'; }
      if (real) { valid = msg; validOp = op; }
    }
    const rises = { relay: g.out.relayRises, drive: g.out.driveRises };
    const legitOps: number[] = [];
    // Unproven attempts cost the link (firmware/linkguard.ts): a dropped fuzzer connects again, and
    // the board starts a fresh reassembler for the new link.
    if (!g.phone.connected()) { g.phone.connect(); car.board.nrf.setMtu(247); oracle.reset(); stats.reconnects = (stats.reconnects || 0) + 1; }
    const most = car.board.nrf.state.mtu - 3;
    for (const p of pk) {
      if (!g.phone.connected()) break; // dropped after an answer in this case: the rest goes nowhere
      const q = p.length > most ? p.subarray(0, most) : p;
      // A PULL asks for a fragment of the last answer (docs/PROTOCOL.md "Pacing"): not framing.
      const pull = isPull(q);
      const expect = pull ? undefined : oracle.push(q).message;
      stats.packets++;
      let a;
      try { a = g.phone.sendRaw(q); } catch (e) { add(v, 'radio write failed: ' + (e as Error).message); break; }
      if (expect) {
        stats.messages++;
        if (valid && sameBytes(expect, valid)) { legitOps.push(validOp); stats.legit++; }
      }
      if (a) { stats.answers++; if (a.type === 'refused') stats.refused++; if (a.type === 'response') stats.responses++; }
      if (!pull && !!a !== !!expect) add(v, (expect ? 'no answer to a complete message' : 'an answer without a complete message') + ` (case ${c}, packet ${hex(q)})`);
    }
    checkCase(g, v, () => `${mode} case ${c} ${desc} [${pk.map(hex).join(' ')}]`, legitOps, rises, stats);
    // A link the case cost goes once its refusal could be PULLed (DROP_GRACE_MS): let that happen
    // before the next case, which would otherwise lose its packets to the drop.
    car.advance(DROP_GRACE_MS);
    // Time passes between attempts (relock timers fire); a stale nonce is part of the fuzz.
    if (mode === 'commands') car.advance(r.int(300));
    if (v.length >= MAX_VIOLATIONS) break;
  }
  finalCheck(g, v, stats);
  return result(mode, cases, seed, t0, v, stats);
}
