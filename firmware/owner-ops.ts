/**
 * Owner operations over the phone key: what a proven key asks for beyond unlock, lock and drive
 * (docs/PROTOCOL.md "Operations"): add, revoke, remove and list keys, enrol a card, read the log,
 * set the time, change the settings, and the status and (protocol v2) the board's revocation list,
 * which any valid key may read. A REVOKE naming an id that is not in the key table marks that
 * ticket in the ticket book (firmware/travelboard.ts ticketRevoke; v2 builds). The phone-key
 * protocol (firmware/phonekey.ts) has checked the command's MAC and the key's right to the
 * operation (firmware/access.ts opPermission) before it calls here; the core applies the owner
 * rules again on every change.
 *
 * Must not: send anything (the protocol answers, and wraps a new key's secret under the owner's
 * key), or hold a decoded record across a key-table write (an owner's revoke is the deepest call
 * chain the firmware has: docs/PERFORMANCE.md).
 */
import type { Ports } from './ports';
import { readU16, readU32, strOf, writeU16, writeU32 } from './bytes';
import * as C from './codes';
import { OP_ADD_KEY, OP_ENROL_CARD, OP_GET_LIST, OP_LIST_KEYS, OP_READ_LOG, OP_REMOVE, OP_REVOKE, OP_SET_CONFIG, OP_SET_TIME, OP_STATUS } from './codes';
import { ENTRY_SIZE, logRead } from './auditlog';
import { type Core, STATE_BITS, TIME_TRUSTED, audit, coreActor, coreKeys, coreLog, coreStatus, coreTravel, manageKey, newKeyId, realTime, retireKey, setConfig, setTime, timeAtLeast } from './core';
import { type KeyRecord, RECORD_SIZE, encodeRecord, ksCount, ksFind, ksGet } from './keystore';
import { type Cards, expectCard } from './cards';
import { FIRMWARE_VERSION } from './version';
import { TRAVEL } from './build-flags';
import { storedList } from './travelfiles';
import { ticketRevoke } from './travelboard';

/** An owner operation's outcome: the reason, the answer's data, and the key ADD_KEY made (its secret goes back wrapped). */
export interface OwnerAnswer { reason: number; data?: Uint8Array; added?: KeyRecord }

/** Carries out `op` with arguments `a` for the key the last authenticate() admitted (the core's actor). */
export function ownerCommand(core: Core, p: Ports, cards: Cards | undefined, op: number, a: Uint8Array): OwnerAnswer {
  const actor = coreActor(core)!;
  const ks = coreKeys(core);
  if (op === OP_ADD_KEY) {
    // args: role | perms | weekdays | notBefore u32 | notAfter u32 | winStart u16 | winEnd u16 | kind | label 6
    if (a.length < 23) return { reason: C.R_BAD_INPUT };
    const rec = recordFromArgs(a, newKeyId(core), readU32(p.random.bytes(4), 0));
    const reason = manageKey(core, actor, 'add', rec);
    return reason === C.R_OK ? { reason, added: rec } : { reason };
  }
  if (op === OP_ENROL_CARD) {
    // Same arguments as ADD_KEY; the key id comes from the card tapped within 30 s (see the log).
    if (a.length < 23 || !cards) return { reason: cards ? C.R_BAD_INPUT : C.R_NOT_PERMITTED };
    // Called outside the answer's literal: the minifier substitutes a single-use function at its
    // call only outside object literals, so expectCard is not a resident function.
    const reason = expectCard(cards, actor, recordFromArgs(a, 1, 0));
    return { reason };
  }
  if (op === OP_REVOKE || op === OP_REMOVE) {
    if (a.length < 4) return { reason: C.R_BAD_INPUT };
    const id = readU32(a, 0);
    if (ksFind(ks, id) < 0) {
      if (!TRAVEL || op === OP_REMOVE || !id) return { reason: C.R_UNKNOWN_KEY };
      const reason = ticketRevoke(coreTravel(core)!, id, timeAtLeast(core));
      audit(core, C.LOG_KEY_REVOKED, 255, reason, id); // 255: role not known here, as for a removed key
      return { reason };
    }
    return { reason: retireKey(core, actor, id, op === OP_REMOVE) };
  }
  if (op === OP_LIST_KEYS) {
    // args: first index u16 -> total u16 | up to 4 records
    const from = a.length >= 2 ? readU16(a, 0) : 0;
    const total = ksCount(ks);
    const n = Math.max(0, Math.min(4, total - from));
    const out = new Uint8Array(2 + n * RECORD_SIZE);
    writeU16(out, 0, total);
    for (let i = 0; i < n; i++) {
      const s = encodeRecord(ksGet(ks, from + i));
      for (let j = 0; j < RECORD_SIZE; j++) out[2 + i * RECORD_SIZE + j] = s.charCodeAt(j);
    }
    return { reason: C.R_OK, data: out };
  }
  if (op === OP_READ_LOG) {
    // args: from seq u32 -> up to 8 entries of 16 bytes (seq | time | event | result | reason | 0 | key id)
    const out = new Uint8Array(8 * ENTRY_SIZE);
    let at = 0;
    logRead(coreLog(core), a.length >= 4 ? readU32(a, 0) : 0, 8, (e) => {
      writeU32(out, at, e.seq); writeU32(out, at + 4, e.time);
      out[at + 8] = e.event | (e.trusted ? 128 : 0); out[at + 9] = e.result; out[at + 10] = e.reason;
      writeU32(out, at + 12, e.keyId);
      at += ENTRY_SIZE;
    });
    return { reason: C.R_OK, data: out.subarray(0, at) };
  }
  if (op === OP_SET_TIME) return { reason: a.length < 4 ? C.R_BAD_INPUT : setTime(core, actor, readU32(a, 0)) };
  if (op === OP_SET_CONFIG) {
    let changes: any;
    try {
      changes = JSON.parse(strOf(a));
    } catch (e) {
      return { reason: C.R_BAD_INPUT };
    }
    return { reason: setConfig(core, actor, changes) };
  }
  if (op === OP_STATUS) {
    // state | time trusted | time u32 | keys u16 | free storage u32 | firmware version (ASCII)
    const out = new Uint8Array(12 + FIRMWARE_VERSION.length);
    for (let i = 0; i < FIRMWARE_VERSION.length; i++) out[12 + i] = FIRMWARE_VERSION.charCodeAt(i) & 127;
    const status = coreStatus(core);
    out[0] = status & STATE_BITS;
    out[1] = status & TIME_TRUSTED ? 1 : 0;
    writeU32(out, 2, Math.max(0, realTime(core)));
    writeU16(out, 6, ksCount(ks));
    writeU32(out, 8, p.storage.free());
    return { reason: C.R_OK, data: out };
  }
  if (TRAVEL && op === OP_GET_LIST) {
    const l = storedList(coreTravel(core)!);
    const out = new Uint8Array(l.length);
    for (let i = 0; i < l.length; i++) out[i] = l.charCodeAt(i);
    return { reason: C.R_OK, data: out };
  }
  return { reason: C.R_BAD_INPUT };
}

function recordFromArgs(a: Uint8Array, id: number, salt: number): KeyRecord {
  return {
    id, kind: a[16] === C.KIND_CARD ? C.KIND_CARD : C.KIND_PHONE, flags: 0, role: a[0], perms: a[1] & 7, weekdays: a[2] & 127,
    notBefore: readU32(a, 3), notAfter: readU32(a, 7), winStart: readU16(a, 11), winEnd: readU16(a, 13), salt, label: strOf(a.subarray(17, 23), true),
  };
}
