/**
 * A test-only stand-in for a protocol v2 board (docs/PROTOCOL.md "Protocol v2"), for testing the
 * clients apart from the firmware (and on v2 features the 40 KB builds lack): it answers whole messages with the board's own v2
 * functions (firmware/travelmsg.ts negotiate/challengeV2/listedAnswer/ticketCommandMacOk,
 * ticket.ts ticketAdmit, revlist.ts listAdmit/listHasId, site.ts keySecret) and the v1 COMMAND and
 * RESPONSE layouts. It keeps its key table, its adopted list and a clock in plain fields; no flash,
 * no link guard, no ticket book. `standInLink` carries it over packets (framing and PULLs) for the CLI.
 * NOT the firmware: what it proves is that the clients speak the documented bytes.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as C from '../../firmware/codes';
import { type KeyRecord, isActiveOwner } from '../../firmware/keystore';
import { type Site, keySecret } from '../../firmware/site';
import { readU32 } from '../../firmware/bytes';
import { ticketAdmit, TICKET_BYTES } from '../../firmware/ticket';
import { listAdmit, listHasId, listVersionOf } from '../../firmware/revlist';
import { MIN_VERSION, M_LIST, M_TICKET_COMMAND, OP_GET_LIST, TCMD_OP, challengeV2, helloVersion, listedAnswer, negotiate, ticketCommandMacOk, ticketCommandShaped } from '../../firmware/travelmsg';
import { PROTOCOL_VERSION } from '../../firmware/boardkeys';
import { createReassembler, fragment, isPull } from '../../firmware/frames';
import { boardSecretsFor } from '../../tools/host/travel';
import { hostCrypto } from '../../tools/host/crypto';
import type { Link, OnPacket } from '../../tools/phonekey/links';

const latin = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const mac16 = (key: Uint8Array, domain: string, nonce: Uint8Array, body: Uint8Array) =>
  new Uint8Array(createHmac('sha256', key).update(Buffer.from(domain, 'latin1')).update(nonce).update(body).digest().subarray(0, 16));

export interface StandInBoard {
  site: Site;
  /** undefined: a board that speaks v1 only (answers every HELLO with an 18-byte CHALLENGE). */
  boardId: Uint8Array | undefined;
  keys: KeyRecord[];
  /** The adopted list as the board stores it (a latin1 string, '' for none). */
  list: string;
  /** Board time in seconds (trusted). */
  now: number;
  unlocked: boolean;
  /** Every message it received, in order (type bytes tell which). */
  heard: Uint8Array[];
  /** Answers one whole message. */
  handle(msg: Uint8Array): Uint8Array;
}

/**
 * `boardId`: the board's identity (its own secrets, derived from the site secret); without it the
 * board holds the site secret and speaks v1. `v1Only`: per-board secrets but v1 answers (a board
 * provisioned with per-board secrets whose firmware has no v2). `versions`: the range a future
 * board speaks (default 1..2).
 */
export function standInBoard(opts: { siteSecret: Uint8Array; boardId?: Uint8Array; keys?: KeyRecord[]; now?: number; v1Only?: boolean; versions?: [number, number] }): StandInBoard {
  const secrets = opts.boardId ? boardSecretsFor(opts.siteSecret, opts.boardId) : { secret: opts.siteSecret, cardMaster: new Uint8Array(16) };
  let nonce: Uint8Array | undefined;
  let spent: Uint8Array | undefined;
  const fresh = () => { spent = nonce; nonce = new Uint8Array(randomBytes(16)); return nonce; };
  const refused = (reason: number, extra: number[] = []) => {
    const m = new Uint8Array(20 + extra.length);
    m[0] = 0x83; m[1] = reason; m.set(fresh(), 2); m.set(extra, 20);
    return m;
  };
  const respond = (secret: Uint8Array, answered: Uint8Array, op: number, reason: number, data: Uint8Array = new Uint8Array(0)) => {
    const body = new Uint8Array(19 + data.length);
    body[0] = 0x82; body[1] = reason; body[2] = op; body.set(fresh(), 3); body.set(data, 19);
    const out = new Uint8Array(body.length + 16);
    out.set(body);
    out.set(mac16(secret, 'CK1R', answered, body), body.length);
    return out;
  };
  const lookup = (id: number) => b.keys.find((k) => k.id === id);
  /** The operation once the key is proven: what it may do, and time and list checks. */
  const operate = (id: number, role: number, perms: number, notBefore: number, notAfter: number, op: number): { reason: number; data?: Uint8Array } => {
    if (listHasId(b.list, id)) return { reason: C.R_REVOKED };
    if (notAfter && b.now > notAfter) return { reason: C.R_EXPIRED };
    if (notBefore && b.now < notBefore) return { reason: C.R_NOT_YET_VALID };
    if (op === OP_GET_LIST) return { reason: C.R_OK, data: new Uint8Array(Buffer.from(b.list, 'latin1')) };
    const need = op === C.OP_UNLOCK ? C.PERM_UNLOCK : op === C.OP_LOCK ? C.PERM_LOCK : op === C.OP_DRIVE ? C.PERM_DRIVE : op === C.OP_STATUS ? 0 : -1;
    if (need < 0 && role !== C.ROLE_OWNER) return { reason: C.R_NOT_PERMITTED };
    if (need > 0 && !(perms & need) && role !== C.ROLE_OWNER) return { reason: C.R_NOT_PERMITTED };
    if (op === C.OP_UNLOCK) b.unlocked = true;
    if (op === C.OP_LOCK) b.unlocked = false;
    return { reason: C.R_OK };
  };
  let v2 = false;
  const b: StandInBoard = {
    site: { secret: secrets.secret, cardMaster: secrets.cardMaster, setupCode: '', gen: undefined },
    boardId: opts.boardId, keys: opts.keys || [], list: '', now: opts.now ?? 1800000000, unlocked: false, heard: [],
    handle(msg) {
      b.heard.push(msg.slice());
      if (msg[0] === 0x01) {
        const asked = helloVersion(msg);
        const [lo, hi] = opts.versions || [MIN_VERSION, PROTOCOL_VERSION];
        const v = asked < lo ? 0 : opts.versions ? Math.min(asked, hi) : negotiate(asked);
        if (!v) return refused(C.R_VERSION, [lo, hi]);
        v2 = v >= 2 && !!b.boardId && !opts.v1Only;
        const n = fresh();
        if (v2) return challengeV2(n, 1, b.boardId!, listVersionOf(b.list));
        const c = new Uint8Array(18); c[0] = 0x81; c.set(n, 1); c[17] = 1;
        return c;
      }
      const sent = nonce;
      if (!sent) return refused(C.R_EXPIRED_COMMAND);
      if (msg[0] === 0x02 && msg.length >= 24) {
        const rec = lookup(readU32(msg, 1));
        const body = msg.subarray(0, msg.length - 16);
        const secret = keySecret(hostCrypto, b.site, rec ? rec.id : 0, rec ? rec.salt : 0);
        const tag = latin(msg.subarray(msg.length - 16));
        fresh();
        if (!rec || latin(mac16(secret, 'CK1C', sent, body)) !== tag) return refused(spent && rec && latin(mac16(secret, 'CK1C', spent, body)) === tag ? C.R_REPLAY : C.R_BAD_MAC);
        const r = (rec.flags & 2) ? { reason: C.R_REVOKED } : operate(rec.id, rec.role, rec.perms, rec.notBefore, rec.notAfter, msg[5]);
        return respond(secret, sent, msg[5], r.reason, r.data);
      }
      if (msg[0] === M_TICKET_COMMAND && v2) {
        if (!ticketCommandShaped(msg)) return refused(C.R_BAD_INPUT);
        const t = msg.subarray(1, 1 + TICKET_BYTES);
        const issuer = lookup(readU32(t, 5));
        const adm = ticketAdmit(hostCrypto, b.site, b.boardId!, t, issuer);
        fresh();
        if (adm.reason !== C.R_OK) return refused(adm.reason);
        if (!ticketCommandMacOk(hostCrypto, adm.secret!, sent, msg)) return refused(spent && ticketCommandMacOk(hostCrypto, adm.secret!, spent, msg) ? C.R_REPLAY : C.R_BAD_MAC);
        const tk = adm.ticket!;
        const r = listHasId(b.list, tk.issuer) ? { reason: C.R_REVOKED } : operate(tk.id, tk.role, tk.perms, tk.notBefore, tk.notAfter, msg[TCMD_OP]);
        return respond(adm.secret!, sent, msg[TCMD_OP], r.reason, r.data);
      }
      if (msg[0] === M_LIST && v2) {
        const list = msg.subarray(1);
        const signer = list.length >= 13 ? lookup(readU32(list, 9)) : undefined;
        const r = listAdmit(hostCrypto, b.site, b.boardId!, list, b.list, signer && isActiveOwner(signer) ? signer : undefined);
        if (r === C.R_OK) b.list = latin(list);
        return listedAnswer(r, listVersionOf(b.list));
      }
      fresh();
      return refused(C.R_BAD_INPUT);
    },
  };
  return b;
}

/**
 * The stand-in over packets, as the CLI's links carry a board: what the phone writes is
 * reassembled; each answer goes out as its first fragment, the others when the phone PULLs them
 * (docs/PROTOCOL.md "Pacing"). `payload`: bytes per packet.
 */
export function standInLink(board: StandInBoard, onPacket: OnPacket, payload = 20): Link & { closed: boolean } {
  const reasm = createReassembler(512);
  let answer: Uint8Array[] = [];
  const deliver = (p: Uint8Array | undefined) => { if (p) setImmediate(() => onPacket(p)); };
  const link = {
    payload, closed: false,
    write: async (p: Uint8Array) => {
      if (isPull(p)) { deliver(answer[p[0] & 63]); return; }
      const r = reasm.push(p);
      if (!r.message) return;
      answer = fragment(board.handle(r.message), payload);
      deliver(answer[0]);
    },
    close: async () => { link.closed = true; },
  };
  return link;
}
