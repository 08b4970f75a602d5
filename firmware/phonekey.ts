/**
 * The phone-key protocol over the Radio port (docs/PROTOCOL.md has the byte layouts and vectors).
 *
 * The phone subscribes to notifications, then asks with HELLO; the board answers CHALLENGE with a
 * fresh nonce from the hardware RNG (it sends nothing unasked: a notification sent before the phone
 * subscribed is lost on a real board). A HELLO may name the key the COMMAND will carry: once the
 * CHALLENGE is out the board looks it up and makes its HMAC pads (`prepare`), for that COMMAND only. Answers are paced: the board sends one fragment, and each
 * next one when the phone PULLs it (docs/PROTOCOL.md, "Pacing"). A COMMAND names
 * its key, an operation and how long it stays valid, and carries HMAC-SHA256 (first 16 bytes)
 * under the key's secret over the nonce and the command. Every command consumes the nonce; every
 * answer carries the next one, so a failure resyncs in one round trip. Answers to a proven key are
 * MACed too; a peer that proved nothing learns only "unauthenticated" (never whether a key id
 * exists). A new key's secret leaves the board only wrapped under the owner's key, or — for the
 * one key the enrolment window admits — over a link paired with the board's setup code.
 *
 * Protocol v2 (docs/KEYS-THAT-TRAVEL.md section 7; builds with firmware/build-flags.ts TRAVEL and
 * a site with a board id): HELLO says the phone's highest version; a v2 phone gets a CHALLENGE
 * with the board id and the list version; LIST hands the board a revocation list, which proves
 * itself (LISTED answers, unMACed); TICKET COMMAND is a COMMAND by a ticket, checked on first use
 * and MACed under the guest secret the board derives from it (answered by a RESPONSE under it).
 * A v1 phone, a v1 site (no board id) and a v1-only build speak v1 exactly as before.
 */
import type { Ports, Radio } from './ports';
import { equalConstantTime, readU16, readU32, strOf, writeU32 } from './bytes';
import * as C from './codes';
import { OP_ADD_KEY, OP_DRIVE, OP_ENROL_CARD, OP_LIST_KEYS, OP_LOCK, OP_READ_LOG, OP_REMOVE, OP_REVOKE, OP_SET_CONFIG, OP_SET_TIME, OP_STATUS, OP_UNLOCK } from './codes';
import { type Core, STATE_BITS, TIME_TRUSTED, auditFlush, authenticate, coreKeys, corePorts, coreStatus, coreTravel, enrolKey, lookupKey, newKeyId, request, safely, setLinked, timeAtLeast } from './core';
import { createReassembler, fragmentAt, isPull, type Reassembler } from './frames';
import { type HmacPads, hmacPads, hmacWithPads } from './hmac';
import { ENROL_PERMS, opPermission } from './access';
import { type KeyRecord, ksLookup } from './keystore';
import { type Site, keySecret } from './site';
import type { Cards } from './cards';
import { type OwnerAnswer, ownerCommand } from './owner-ops';
import { type LinkGuard, guardConnect, guardDisconnect, guardDrop, guardFailure, guardHeard, guardLink, guardStart } from './linkguard';
import { TRAVEL } from './build-flags';
import { PROTOCOL_VERSION } from './boardkeys';
import { M_LIST, M_TICKET_COMMAND, MIN_VERSION, TCMD_OP, challengeV2, helloVersion, listedAnswer, negotiate, ticketCommandShaped } from './travelmsg';
import { TICKET_BYTES, ticketAdmit } from './ticket';
import { listVersionOf } from './revlist';
import { storedList } from './travelfiles';
import { listAdopt, ticketRecord } from './travelboard';

// Message types
export const M_HELLO = 0x01;
export const M_COMMAND = 0x02;
export const M_ENROL = 0x03;
export const M_CHALLENGE = 0x81;
export const M_RESPONSE = 0x82;
export const M_REFUSED = 0x83;
export const M_ENROLLED = 0x84;

// Operations (in firmware/codes.ts, which the access policy reads too)
export { OP_ADD_KEY, OP_DRIVE, OP_ENROL_CARD, OP_LIST_KEYS, OP_LOCK, OP_READ_LOG, OP_REMOVE, OP_REVOKE, OP_SET_CONFIG, OP_SET_TIME, OP_STATUS, OP_UNLOCK };

export const NONCE_BYTES = 16;
/** After an unproven attempt that costs its link: time to PULL the rest of the refusal, then the link drops. */
export const DROP_GRACE_MS = 250;
export const TAG_BYTES = 16;
/** A challenge older than this is refused whatever the command says. */
export const MAX_VALID_MS = 30000;
const MAX_MESSAGE = 256;
const CMD_HEAD = 8; // type | key id u32 | op | valid ms u16

export interface PhoneKey {
  core: Core;
  /** The core's ports (corePorts), read once at start. */
  p: Ports;
  radio: Radio;
  site: Site;
  reasm: Reassembler;
  nonce?: Uint8Array;
  nonceAt?: number;
  /** The nonce answered last, to tell a replay from a forgery. */
  spent?: Uint8Array;
  cards: Cards | undefined;
  /** The last answer, kept for PULLs until the phone writes again or the link drops. */
  out?: Uint8Array;
  /** Packet size the answer is cut at (fixed per answer, so PULL indexes stay put). */
  outSize?: number;
  /** What an unproven peer costs (firmware/linkguard.ts). */
  guard: LinkGuard;
  /**
   * HELLO named a key (docs/PROTOCOL.md "HELLO naming a key"): its id until the CHALLENGE is out, then the
   * key's work `prepare` did. Only the next message may use it: every message drops it.
   */
  pre?: number | Prepared;
}

/** What a COMMAND by key `id` needs that depends only on the key: its HMAC pads (the core keeps its record: lookupKey). */
interface Prepared {
  id: number;
  pads: HmacPads;
}

export function phoneKeyStart(core: Core, radio: Radio, site: Site, cards?: Cards): PhoneKey {
  const p = corePorts(core); // outside the literal, so the minifier substitutes it (not resident)
  // What is absent until it is made is left out (an absent member costs the board no variable); `guard` is set next.
  const pk = { core, p, radio, site, reasm: createReassembler(MAX_MESSAGE), cards } as PhoneKey;
  // Not a local: the radio callbacks below keep this scope for good (a variable each).
  pk.guard = guardStart(core, pk.p, radio);
  radio.protect(site.setupCode);
  radio.start(
    // Nothing is sent unasked (the phone asks with HELLO once subscribed: docs/PROTOCOL.md "Connecting").
    (addr) => safely(core, () => { pk.reasm.reset(); pk.nonce = undefined; pk.out = undefined; setLinked(core, true); guardConnect(pk.guard, addr || ''); }),
    () => safely(core, () => { guardDisconnect(pk.guard); pk.reasm.reset(); setLinked(core, false); pk.nonce = pk.pre = undefined; pk.out = undefined; }),
    // NOINLINE (here and for ownerCommand in onCommand): the minifier would put each of these
    // single-use functions at its call as a function expression, which Espruino makes again, lexing
    // its whole body, every time the call runs: every packet would lex onPacket with the command
    // path and the owner operations in it (≈ 4.7 KB). As functions they cost ≈ 22 idle variables and
    // take ≈ 2.2 ms of host time off the last packet -> relay, ≈ 6.5 ms off -> answer
    // (docs/PERFORMANCE.md "The phone path").
    (packet) => /*#__NOINLINE__*/ onPacket(pk, packet),
  );
  return pk;
}

/**
 * A new answer of `size` bytes: `head` (its type and what follows it), then the next nonce. Every
 * answer carries one; the one before it is kept, to tell a replay from a forgery.
 */
function answerWithNonce(pk: PhoneKey, size: number, head: number[]): Uint8Array {
  const m = new Uint8Array(size);
  m.set(head);
  if (pk.nonce) pk.spent = pk.nonce;
  pk.nonce = pk.p.random.bytes(NONCE_BYTES);
  pk.nonceAt = pk.p.clock.uptimeMs();
  m.set(pk.nonce, head.length);
  return m;
}

/**
 * Sends an answer's first fragment; the phone PULLs the others (one notification in flight at a
 * time): then `msg` is undefined and `index` the fragment asked for. One function for both, as
 * each function the firmware keeps costs the board variables.
 */
function send(pk: PhoneKey, msg: Uint8Array | undefined, index?: number): void {
  if (msg) {
    pk.out = msg;
    pk.outSize = pk.radio.payloadSize();
  }
  const p = pk.out ? fragmentAt(pk.out, pk.outSize!, index || 0) : undefined;
  if (p) {
    pk.radio.send(p);
    // The CHALLENGE's last fragment is queued to the radio: the named key's work now, during the
    // phone's round trip (a PULL, or any message, arriving meanwhile waits for it).
    if (p[0] & 0x40 && typeof pk.pre === 'number') prepare(pk, pk.pre);
  }
}

/**
 * The work a COMMAND by key `id` needs that depends only on the key: its record (kept by the core
 * for the decision: lookupKey) and its HMAC pads (for the command's MAC, the replay check and the
 * answer's MAC). An unknown id gets the pads of
 * a secret under salt 0, as `prove` makes for one: the same SHA-256 work for known and unknown
 * ids. Runs after the CHALLENGE went out, so it delays no answer; on failure nothing is kept and
 * the COMMAND does the work itself.
 */
function prepare(pk: PhoneKey, id: number): void {
  pk.pre = undefined;
  try {
    const rec = lookupKey(pk.core, id);
    pk.pre = { id, pads: hmacPads(keySecret(pk.p.crypto, pk.site, id, rec ? rec.salt : 0)) };
  } catch (e) { /* e.g. no memory for a digest: nothing kept */ }
}

/**
 * CHALLENGE to `hello`: v1 (18 bytes), or with `v2` the 31-byte one with the board id and the list
 * version (travelmsg.ts challengeV2). A HELLO of 6 bytes or more names a key (bytes 2..5): its work
 * follows the CHALLENGE (send, prepare).
 */
function sendChallenge(pk: PhoneKey, hello: Uint8Array, v2?: boolean): void {
  const m = answerWithNonce(pk, 2 + NONCE_BYTES, [M_CHALLENGE]);
  const status = coreStatus(pk.core);
  m[1 + NONCE_BYTES] = (status & TIME_TRUSTED ? 1 : 0) | ((status & STATE_BITS) === C.S_ENROLLING ? 2 : 0);
  if (hello.length > 5) pk.pre = readU32(hello, 2);
  send(pk, TRAVEL && v2 ? challengeV2(pk.nonce!, m[1 + NONCE_BYTES], pk.site.boardId!, listVersionOf(storedList(coreTravel(pk.core)!))) : m);
}

/**
 * HELLO (v2 builds): the version to speak is the lower of the phone's and the board's highest (2
 * with a board id, else 1); a phone below the lowest gets REFUSED `version mismatch` with the range.
 */
function onHello(pk: PhoneKey, msg: Uint8Array): void {
  const v = negotiate(helloVersion(msg), pk.site.boardId ? PROTOCOL_VERSION : MIN_VERSION);
  if (v) sendChallenge(pk, msg, v > 1); else refuse(pk, C.R_VERSION, true);
}

/**
 * Bytes in, never an exception out: a hostile peer gets a refusal, the board stays up. The one
 * entry point not inside `safely` (firmware/core.ts): a packet from a peer never costs the key
 * holder, so an exception here is logged, answered R_ERROR and costs the peer its link (dropped
 * after the answer, as an unproven attempt's); the relay, the state and an unlock in progress stay
 * as they are. Core operations it calls (request, enrolKey, manageKey) still catch their own.
 */
export function onPacket(pk: PhoneKey, packet: Uint8Array): void {
  let msg: Uint8Array | undefined;
  try {
    if (isPull(packet)) { send(pk, undefined, packet[0]); return; }
    pk.out = undefined; // the phone writes again: it is done with the last answer
    const r = pk.reasm.push(packet);
    msg = r.message;
    if (!msg) return;
    guardHeard(pk.guard, false);
    // What HELLO's named key had prepared serves the next message only, if it is that key's
    // COMMAND: a key changed by any message in between is never judged on a record read before.
    const pre = pk.pre;
    pk.pre = undefined;
    if (msg[0] === M_HELLO) { if (TRAVEL) onHello(pk, msg); else sendChallenge(pk, msg); }
    else if (msg[0] === M_COMMAND) onCommand(pk, msg, pre);
    else if (msg[0] === M_ENROL) onEnrol(pk, msg);
    else if (TRAVEL && (msg[0] === M_LIST || msg[0] === M_TICKET_COMMAND)) {
      // A board without an identity (a v1 site) speaks v1 only.
      if (!pk.site.boardId) refuse(pk, C.R_VERSION, true);
      else if (msg[0] === M_LIST) onList(pk, msg);
      else onTicketCommand(pk, msg);
    }
    else unproven(pk, C.R_BAD_INPUT);
    // A request's audit entries, held until its answer was sent (core.ts request).
    auditFlush(pk.core);
  } catch (e) {
    try {
      pk.p.console.log('phonekey: ' + e);
      unproven(pk, C.R_ERROR, true);
    } catch (e2) { /* console or radio gone */ }
  }
}

/** MAC input: a 4-byte domain tag, the nonce, then the message body. */
function macOf(pk: PhoneKey, pads: HmacPads, domain: number, nonce: Uint8Array, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(4 + NONCE_BYTES + body.length);
  m.set([67, 75, 49, domain]); // 'CK1' + domain
  m.set(nonce, 4);
  m.set(body, 4 + NONCE_BYTES);
  return hmacWithPads(pk.p.crypto.sha256, pads, m).subarray(0, TAG_BYTES);
}

const DOMAIN_COMMAND = 67; // 'C'
const DOMAIN_RESPONSE = 82; // 'R'
const DOMAIN_WRAP = 87; // 'W'

/**
 * REFUSED: type | reason | next nonce 16 | retry s u16, and with `range` (version mismatch) the
 * lowest and highest version this board speaks. Retry is always 0 (at once): no lockout exists.
 */
function refuse(pk: PhoneKey, reason: number, range?: boolean): void {
  const m = answerWithNonce(pk, 4 + NONCE_BYTES + (TRAVEL && range ? 2 : 0), [M_REFUSED, reason]);
  if (TRAVEL && range) { m[4 + NONCE_BYTES] = MIN_VERSION; m[5 + NONCE_BYTES] = pk.site.boardId ? PROTOCOL_VERSION : MIN_VERSION; }
  send(pk, m);
}

/**
 * An unproven attempt: refused, at a cost to its link (firmware/linkguard.ts): dropped after its
 * answer when its time is up, or always with `drop` (an exception in onPacket: the peer pays).
 */
function unproven(pk: PhoneKey, reason: number, drop?: boolean, answer?: Uint8Array): void {
  const g = pk.guard, link = guardLink(g);
  if (!drop) drop = guardFailure(g);
  // The refusal may need PULLs ("Pacing"): the link goes DROP_GRACE_MS later, not before the peer
  // could read why (a phone with a revoked key must hear it, not retry in the dark).
  if (drop) pk.p.timers.after(DROP_GRACE_MS, () => safely(pk.core, () => guardDrop(g, link)));
  if (TRAVEL && answer) send(pk, answer); else refuse(pk, reason);
}

/**
 * LIST: type | list (firmware/revlist.ts). Adopted when newer and valid here (travelboard.ts
 * listAdopt), then its made-at time raises the time bound. LISTED says the outcome and the board's
 * list version (a phone with an older list then asks GET LIST). A bad tag or a malformed list
 * proved nothing: it costs the peer's link as any unproven attempt.
 */
function onList(pk: PhoneKey, msg: Uint8Array): void {
  const core = pk.core, tf = coreTravel(core)!, list = msg.subarray(1);
  const r = listAdopt(pk.p.crypto, tf, coreKeys(core), pk.site, list);
  if (r === C.R_OK) timeAtLeast(core, readU32(list, 5));
  const answer = listedAnswer(r, listVersionOf(storedList(tf)));
  if (r === C.R_BAD_MAC || r === C.R_BAD_INPUT) unproven(pk, r, false, answer); else send(pk, answer);
}

/**
 * TICKET COMMAND: type | ticket (body 38 | tag 16) | op | valid ms u16 | args | tag 16 under the
 * guest's secret. The ticket is checked first (ticket.ts ticketAdmit: shape, this board, an active
 * owner's tag); then the command is proven as a COMMAND is, by the ticket's record
 * (travelboard.ts ticketRecord); once its MAC holds, the ticket's made-at time (an owner's word)
 * raises the time bound, and the core checks the record against the list, the time and the book.
 */
function onTicketCommand(pk: PhoneKey, msg: Uint8Array): void {
  const nonce = pk.nonce, core = pk.core;
  if (!nonce || !ticketCommandShaped(msg)) { unproven(pk, nonce ? C.R_BAD_INPUT : C.R_EXPIRED_COMMAND); return; }
  const t = msg.subarray(1, 1 + TICKET_BYTES);
  const a = ticketAdmit(pk.p.crypto, pk.site, pk.site.boardId!, t, ksLookup(coreKeys(core), readU32(t, 5)));
  if (!a.secret) { unproven(pk, a.reason); return; }
  const tk = a.ticket!;
  const op = msg[TCMD_OP];
  const isRequest = op === OP_UNLOCK || op === OP_LOCK || op === OP_DRIVE;
  const proof = prove(pk, msg, nonce, tk.id, op, readU16(msg, TCMD_OP + 1), isRequest, undefined, ticketRecord(tk), a.secret, tk.madeAt);
  if (!proof) return;
  let r: OwnerAnswer = proof;
  // Only what any valid key may ask passes the core's check (status, get list): a ticket never manages.
  if (proof.reason === C.R_OK && !isRequest) r = ownerCommand(core, pk.p, pk.cards, op, msg.subarray(TCMD_OP + 3, msg.length - TAG_BYTES));
  respond(pk, proof.pads, nonce, op, r.reason, r.data);
}

/**
 * COMMAND: type | key id u32 | op u8 | valid ms u16 | args | tag 16. The proof is checked (and an
 * unlock, lock or drive-enable done) in `prove`, whose locals are gone before an owner's command
 * runs: that command may rewrite the key table, the deepest call chain the firmware has.
 */
function onCommand(pk: PhoneKey, msg: Uint8Array, pre: number | Prepared | undefined): void {
  const nonce = pk.nonce, keyId = readU32(msg, 1);
  if (!nonce || msg.length < CMD_HEAD + TAG_BYTES) { unproven(pk, nonce ? C.R_BAD_INPUT : C.R_EXPIRED_COMMAND); return; }
  const op = msg[5];
  // Unlock, lock and drive-enable are done in `prove`; anything else is an owner operation. (A
  // boolean here, not a function: every resident function costs the board variables.)
  const isRequest = op === OP_UNLOCK || op === OP_LOCK || op === OP_DRIVE;
  // HELLO's key prepared (not a number: still pending, the CHALLENGE's end not yet PULLed), and the same id.
  const proof = prove(pk, msg, nonce, keyId, op, readU16(msg, 6), isRequest, pre && (pre as Prepared).id === keyId ? pre as Prepared : undefined);
  if (!proof) return;
  let r: OwnerAnswer = proof;
  if (proof.reason === C.R_OK && !isRequest) r = wrapNewKey(pk, /*#__NOINLINE__*/ ownerCommand(pk.core, pk.p, pk.cards, op, msg.subarray(CMD_HEAD, msg.length - TAG_BYTES)), proof.pads, nonce);
  respond(pk, proof.pads, nonce, op, r.reason, r.data);
}

/**
 * Consumes the nonce and checks the command's MAC and the key's rights; does an unlock, lock or
 * drive-enable. Returns the reason and the key's HMAC pads for the answer, or undefined when nothing
 * was proven (the peer has then been refused). `pre`: this key's pads, prepared after the HELLO
 * that named it (`prepare`). `ticket` and `secret` (TICKET COMMAND): the
 * ticket's record and the guest's secret, in place of a table record and its derived secret;
 * `madeAt`: the ticket's made-at time, learnt as a time lower bound once the command's MAC holds.
 */
function prove(pk: PhoneKey, msg: Uint8Array, nonce: Uint8Array, keyId: number, op: number, validMs: number, isRequest: boolean,
  pre?: Prepared, ticket?: KeyRecord, secret?: Uint8Array, madeAt?: number): { reason: number; pads: HmacPads } | undefined {
  const core = pk.core;
  const body = msg.subarray(0, msg.length - TAG_BYTES);
  const tag = msg.subarray(msg.length - TAG_BYTES);
  const age = pk.p.clock.uptimeMs() - pk.nonceAt!;
  const spent = pk.spent;
  // This command consumes the nonce, whatever happens next; the next one is drawn when the answer
  // is made (respond, refuse), after the relay: 16 hardware words are not on the path to it.
  pk.spent = nonce;
  pk.nonce = undefined;
  let pads: HmacPads | undefined;
  const verify = (rec: KeyRecord) => {
    // The key's HMAC pads, made once for the command's MAC, the replay check and the answer's MAC.
    pads = pre ? pre.pads : hmacPads(secret || keySecret(pk.p.crypto, pk.site, rec.id, rec.salt));
    if (equalConstantTime(macOf(pk, pads, DOMAIN_COMMAND, nonce, body), tag)) {
      if (TRAVEL && madeAt) timeAtLeast(core, madeAt);
      return age > (validMs < MAX_VALID_MS ? validMs : MAX_VALID_MS) ? C.R_EXPIRED_COMMAND : C.R_OK;
    }
    if (spent && equalConstantTime(macOf(pk, pads, DOMAIN_COMMAND, spent, body), tag)) return C.R_REPLAY;
    pads = undefined;
    return C.R_BAD_MAC;
  };
  const perm = opPermission(op);
  // After `prepare`, the core decides on the record it found then (none: unknown key), not a lookup now.
  const reason = isRequest ? request(core, keyId, perm, verify, ticket, true) : authenticate(core, keyId, perm, verify, false, ticket);
  // A replay proves only that someone recorded the key's command: nothing about this peer.
  if (reason === C.R_REPLAY) pads = undefined;
  if (reason === C.R_UNKNOWN_KEY) {
    // The same work as a key that exists (its secret, the MAC over this nonce and the spent one;
    // named in HELLO, the secret was made then, for both), so neither the answer nor its time
    // tells which ids exist. Nothing it finds counts.
    verify({ id: keyId, salt: 0 } as KeyRecord);
    pads = undefined;
  }
  if (!pads) {
    // Nothing proven: say only that, with the next nonce. An internal error (the board could not
    // check, e.g. no memory for a digest) is said as such: it is not the peer's fault, and known
    // and unknown keys meet it alike, and it costs the link nothing. Retry at once (0 s): no
    // lockout exists; an unproven attempt costs only its link.
    if (reason === C.R_ERROR) refuse(pk, reason); else unproven(pk, reason === C.R_REPLAY ? reason : C.R_BAD_MAC);
    return undefined;
  }
  guardHeard(pk.guard, true);
  return { reason, pads };
}

/** RESPONSE: type | status | op | next nonce 16 | data | tag 16 (over the command's nonce). */
function respond(pk: PhoneKey, pads: HmacPads, nonce: Uint8Array, op: number, reason: number, data: Uint8Array | undefined): void {
  const n = data ? data.length : 0;
  const m = answerWithNonce(pk, 3 + NONCE_BYTES + n + TAG_BYTES, [M_RESPONSE, reason, op]);
  if (data) m.set(data, 3 + NONCE_BYTES);
  m.set(macOf(pk, pads, DOMAIN_RESPONSE, nonce, m.subarray(0, 3 + NONCE_BYTES + n)), 3 + NONCE_BYTES + n);
  send(pk, m);
}

/**
 * An owner operation's answer (firmware/owner-ops.ts). A key ADD_KEY made goes back as its id and
 * its secret wrapped under the owner's key for this nonce: never plaintext on the air.
 */
function wrapNewKey(pk: PhoneKey, r: OwnerAnswer, pads: HmacPads, nonce: Uint8Array): OwnerAnswer {
  const rec = r.added;
  if (!rec) return r;
  const out = new Uint8Array(20);
  writeU32(out, 0, rec.id);
  const pad = macOf(pk, pads, DOMAIN_WRAP, nonce, out.subarray(0, 4));
  const s = keySecret(pk.p.crypto, pk.site, rec.id, rec.salt);
  for (let i = 0; i < 16; i++) out[4 + i] = s[i] ^ pad[i];
  return { reason: r.reason, data: out };
}

/**
 * ENROL: type | label 6. Admitted only while the enrolment window is open (a physical act at the
 * board opened it) and only over a link paired with the board's setup code (encrypted, MITM
 * protected): the answer carries the new key's secret.
 * ENROLLED: type | status | key id u32 | secret 16.
 */
function onEnrol(pk: PhoneKey, msg: Uint8Array): void {
  const core = pk.core;
  if ((coreStatus(core) & STATE_BITS) !== C.S_ENROLLING) { unproven(pk, C.R_NO_WINDOW); return; }
  if (!pk.radio.linkProtected()) { unproven(pk, C.R_NOT_PERMITTED); return; }
  const rec: KeyRecord = { id: newKeyId(core), kind: C.KIND_PHONE, flags: 0, role: C.ROLE_GUEST, perms: ENROL_PERMS,
    weekdays: 0, notBefore: 0, notAfter: 0, winStart: 0, winEnd: 0, salt: readU32(pk.p.random.bytes(4), 0), label: strOf(msg.subarray(1, 7), true) };
  const reason = enrolKey(core, rec); // the window sets the role
  if (reason !== C.R_OK) { refuse(pk, reason); return; }
  guardHeard(pk.guard, true);
  const out = new Uint8Array(22);
  out[0] = M_ENROLLED;
  out[1] = C.R_OK;
  writeU32(out, 2, rec.id);
  out.set(keySecret(pk.p.crypto, pk.site, rec.id, rec.salt), 6);
  send(pk, out);
}
