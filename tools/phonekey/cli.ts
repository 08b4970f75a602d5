/**
 * The command-line phone key: holds a key file and talks to a car — the simulator over its local
 * radio bridge, or a real board over Bluetooth. After connecting and subscribing it asks with HELLO
 * (saying it speaks protocol v2, and naming its key so the board prepares it: docs/PROTOCOL.md); a v2 key proves itself with its secret for the board the CHALLENGE
 * names (a ticket with a TICKET COMMAND); then one round trip per command (plus a PULL per further
 * fragment of a long answer), then the revocation-list exchange (docs/PROTOCOL.md "Protocol v2").
 *
 *   npm run phonekey -- unlock --key owner.json [--sim ws://127.0.0.1:8080/ws/radio | --ble [--name Puck.js]]
 *   commands: unlock | lock | drive | status | settime [unix] | add --role guest --label Bob [--hours 24h|1d]
 *             | revoke <keyId> [--travel] | log [fromSeq] | share --role driver --hours 24h --label Ann | sync
 *             (arguments: args.ts; --help lists them)
 *
 * Exit code 0 when the car answered "ok" with an authentic answer, 1 otherwise (the reason is printed).
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { type Answer, OP, PULL_RETRIES, PULL_RETRY_MS, type PhoneKeyFile, addKeyArgs, be32, createAnswerReader, listMessage, nodeMac, packets, parseAnswer, unwrapNewKey, statusVersion } from '../host/protocol';
import { type Link, bluetoothLink, simulatorLink } from './links';
import { SPEC, phonekeyArgs, type PhonekeyArgs } from './args';
import { CliError, UsageError, help, runMain } from '../host/cli-args';
import { userPath, writeFileSafe } from '../host/cli-files';
import { describeEntryAt, stateName } from '../host/names';
import { decodeLogAnswer } from '../host/logdecode';
import { type ClientKey, type TravelKey, isTravelKey, parseClientKey, travelFragment, travelKeyJson } from '../host/travelkey';
import { makeList, makeTicket } from '../host/travel';
import { listIds, sharedTicketFields } from '../host/travelmake';
import { type Credential, credentialFor, helloFor, listSync, listVersion, requestFor, takeBoardList, versionMismatch } from '../host/visit';
import { listParse } from '../../firmware/revlist';
import { boardSlot } from '../../firmware/boardkeys';
import { qrTerminal } from '../provision/qr';

export interface KeyJson { keyId: number; secret: string; label?: string }

/** Any phone key file (v1 or v2; a v2 link in a file too). Throws one clear line. */
export function readClientKey(path: string): ClientKey {
  let text: string;
  try { text = fs.readFileSync(path, 'utf8'); } catch (e) { throw new CliError(`cannot read key file ${path}: ${(e as Error).message}`); }
  try {
    return parseClientKey(text);
  } catch (e) {
    throw new CliError(`${path} is not a phone key file: ${(e as Error).message}`);
  }
}

/** A key file for one board's COMMANDs (the relay bench): a v1 file, or a v2 file for one board that is not a ticket. */
export function readKeyFile(path: string): PhoneKeyFile {
  const k = readClientKey(path);
  if (!isTravelKey(k)) return k;
  if (k.ticket || k.boards.length !== 1) throw new CliError(`${path} holds a ${k.ticket ? 'ticket' : 'key for ' + k.boards.length + ' boards'}: give a key file for this one board`);
  return { keyId: k.keyId, secret: k.boards[0].secret, label: k.label };
}

/** Rewrites a v2 key file whole (a newer list): the old file stays until the new one is complete. */
function saveKey(path: string, k: TravelKey): void {
  writeFileSafe(path, travelKeyJson(k), 'key file', { mode: 0o600 });
}

/**
 * A session with a car over a link (docs/PROTOCOL.md): asks with HELLO once the link is up and
 * subscribed, picks the key's credential for the board that answers, PULLs each next fragment of
 * an answer (again after PULL_RETRY_MS without one), and resyncs once on a stale nonce.
 */
export class CarSession {
  private inbox: Uint8Array[] = [];
  private waiters: Array<() => void> = [];
  private reader = createAnswerReader(4096);
  /** Date.now() of the last packet written or received: a PULL is repeated after PULL_RETRY_MS of silence. */
  private lastActivity = 0;
  nonce: Uint8Array | undefined;
  link: Link | undefined;
  /** The board's CHALLENGE (its version, board id and list version for a v2 board). */
  challenge: Answer | undefined;
  /** What the key proves itself with at this board. */
  cred: Credential | undefined;

  constructor(readonly key: ClientKey | undefined) {}

  onPacket = (p: Uint8Array) => {
    const r = this.reader.push(p);
    this.lastActivity = Date.now();
    if (r.pull && this.link) this.link.write(r.pull).catch(() => { /* the wait below times out and says so */ });
    if (r.message) { this.inbox.push(r.message); this.waiters.splice(0).forEach((w) => w()); }
  };

  async next(sentNonce?: Uint8Array, timeoutMs = PULL_RETRY_MS * (PULL_RETRIES + 1)): Promise<Answer> {
    let retries = 0;
    this.lastActivity = Date.now();
    while (!this.inbox.length) {
      if (Date.now() - this.lastActivity >= PULL_RETRY_MS) {
        if (retries++ >= PULL_RETRIES) throw new CliError('the car did not answer within ' + timeoutMs + ' ms');
        this.lastActivity = Date.now();
        await this.link!.write(this.reader.again());
      }
      await new Promise<void>((res) => { this.waiters.push(res); setTimeout(res, 50); });
    }
    const a = parseAnswer(nodeMac, this.cred, this.inbox.shift()!, sentNonce);
    if (a.nonce) this.nonce = a.nonce;
    return a;
  }

  /** The link is up and subscribed: ask for a CHALLENGE (the car sends nothing unasked), then pick the key's credential. */
  async open(link: Link): Promise<void> {
    this.link = link;
    await this.send(helloFor(this.key));
    const c = await this.next();
    const mismatch = versionMismatch(c);
    if (mismatch) throw new CliError(mismatch);
    if (c.type !== 'challenge') throw new CliError('the car did not answer HELLO with a challenge');
    this.challenge = c;
    if (this.key) {
      try { this.cred = credentialFor(this.key, c); } catch (e) { throw new CliError((e as Error).message); }
    }
  }

  async send(msg: Uint8Array): Promise<void> {
    this.reader.reset();
    this.inbox = [];
    for (const p of packets(msg, this.link!.payload)) await this.link!.write(p);
  }

  async run(op: number, args?: Uint8Array): Promise<{ answer: Answer; sentNonce: Uint8Array }> {
    for (let attempt = 0; ; attempt++) {
      const nonce = this.nonce!;
      await this.send(requestFor(nodeMac, this.cred!, nonce, op, args));
      const answer = await this.next(nonce);
      if (answer.status === 8 /* expired command */ && attempt === 0) continue;
      return { answer, sentNonce: nonce };
    }
  }

  /**
   * The revocation-list exchange after the command (a v2 key at a v2 board): hands over the key's
   * newer list with LIST, or fetches the board's newer one with GET LIST and keeps it when the
   * answer is authentic and the list newer. Returns what happened, in words, and whether the key changed.
   */
  async syncList(): Promise<{ said?: string; changed: boolean }> {
    const k = this.key;
    const what = listSync(k, this.challenge);
    if (!what || !isTravelKey(k)) return { changed: false };
    if (what === 'send') {
      await this.send(listMessage(k.list!));
      const a = await this.next();
      if (a.type !== 'listed') return { said: 'revocation list: the car did not answer LIST', changed: false };
      return { said: 'revocation list version ' + listVersion(k.list) + ' handed to the car: ' + (a.status === 0 ? 'adopted' : a.reason) + ' (the car holds version ' + a.listVersion + ')', changed: false };
    }
    const { answer } = await this.run(OP.GET_LIST);
    if (takeBoardList(k, answer)) return { said: 'revocation list version ' + listVersion(k.list) + ' taken from the car (saved in the key file)', changed: true };
    return { said: 'revocation list: the car\'s newer list was not taken (' + (answer.authentic ? answer.reason : 'answer not authentic') + ')', changed: false };
  }
}

export { SHARE_SKEW_S } from '../host/travelmake';

function fmtTime(s: number): string {
  return new Date(s * 1000).toISOString().replace('.000Z', 'Z');
}

/** The owner's v2 key of `path`, or one clear line why it cannot share or sign lists. */
function ownerTravelKey(key: ClientKey, path: string, what: string): TravelKey {
  if (!isTravelKey(key)) throw new CliError(path + ' is a v1 key file (one secret, no board ids): ' + what + ' needs a v2 owner key file (provision issue writes one with a secret per board)');
  if (key.ticket) throw new CliError('a ticket cannot ' + what.replace(/^\w+ /, '') + ': only an owner key can');
  return key;
}

/** `share`: a ticket made offline from an owner key: its key file (never overwritten), its link and on request its QR code. */
async function share(a: PhonekeyArgs, key: ClientKey, out: (s: string) => void): Promise<number> {
  const s = a.share!;
  const owner = ownerTravelKey(key, a.keyPath, 'sharing');
  const now = Math.floor(Date.now() / 1000);
  const fields = sharedTicketFields(0, s.role, s.perms, s.validForMs / 1000, now, s.label);
  const from = fields.notBefore;
  let id = 0;
  while (!id || id === owner.keyId) id = randomBytes(4).readUInt32BE(0);
  let guest: TravelKey;
  try {
    guest = makeTicket(owner, { ...fields, id }, s.boards);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const file = s.out || userPath(`ticket-${id}.json`);
  writeFileSafe(file, travelKeyJson(guest), 'ticket file', { mode: 0o600, exclusive: true });
  const t = listParse(guest.list || new Uint8Array(0));
  out(`ticket ${id}${s.label ? ' "' + s.label + '"' : ''}: ${s.role === 1 ? 'driver' : 'guest'}, ${['unlock', 'lock', 'drive'].filter((_, i) => s.perms & (1 << i)).join(',')}, valid ${fmtTime(from)} .. ${fmtTime(fields.notAfter)}, boards ${guest.boards.map((b) => 'slot ' + boardSlot(b.boardId)).join(', ')}${typeof t !== 'number' ? ', with revocation list version ' + t.version : ''}`);
  out(`ticket file: ${file} (it holds the guest's secrets: hand it over privately; it cannot make tickets)`);
  const link = s.linkBase + travelFragment(guest);
  out('web phone key link (holds the guest\'s secrets):');
  out(link);
  if (s.qr) out((await qrTerminal(link)).trimEnd());
  return 0;
}

/** `revoke KEYID --travel`: a new version of the owner's list, with KEYID, saved in its key file. */
function revokeTravel(a: PhonekeyArgs, key: ClientKey, out: (s: string) => void): number {
  const owner = ownerTravelKey(key, a.keyPath, 'signing a revocation list');
  const ids = listIds(owner.list);
  const version = listVersion(owner.list) + 1;
  if (ids.indexOf(a.number!) >= 0) { out(`key ${a.number} is already in your revocation list (version ${version - 1}); nothing changed`); return 0; }
  let list: Uint8Array;
  try {
    list = makeList(owner, version, Math.floor(Date.now() / 1000), [...ids, a.number!]);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  saveKey(a.keyPath, { ...owner, list });
  out(`revocation list version ${version} revokes ${ids.length + 1} id(s), ${a.number} added; saved in ${a.keyPath}`);
  out('it reaches each car with the next v2 key that visits it: this key hands it over at its next connect (npm run phonekey -- sync), and every key made or met from now carries it');
  return 0;
}

/** `link`: how to reach the car instead of --sim/--ble (tests: a stand-in board). */
export interface MainDeps { link?: (onPacket: (p: Uint8Array) => void) => Promise<Link> }

export async function main(argv: string[], out: (s: string) => void = console.log, deps: MainDeps = {}): Promise<number> {
  const a = phonekeyArgs(argv);
  if (!a) { out(help(SPEC).trimEnd()); return 0; }
  const { cmd } = a;
  const key = readClientKey(a.keyPath);
  for (const o of [a.add && a.add.out, a.share && a.share.out]) if (o && fs.existsSync(o)) throw new UsageError(o + ' exists; choose another --out');
  if (cmd === 'share') return share(a, key, out);
  if (a.travel) return revokeTravel(a, key, out);
  const session = new CarSession(key);
  const t0 = Date.now();
  const link = deps.link ? await deps.link(session.onPacket) : a.ble ? await bluetoothLink(session.onPacket, a.name) : await simulatorLink(a.sim, session.onPacket);
  try {
    await session.open(link);
    const connected = Date.now();
    /** After the command: the list exchange, and the key file saved when it took a newer list. */
    const sync = async () => {
      const r = await session.syncList();
      if (r.said) out(r.said);
      if (r.changed && isTravelKey(key)) saveKey(a.keyPath, key);
    };
    if (cmd === 'sync') {
      if (!listSync(key, session.challenge)) out('revocation list: ' + (isTravelKey(key) && (session.challenge!.version || 1) >= 2 ? 'the car and this key hold the same version (' + listVersion(key.list) + ')' : 'nothing to exchange (a v1 key or a v1 car)'));
      await sync();
      return 0;
    }
    let op: number, args: Uint8Array | undefined;
    switch (cmd) {
      case 'unlock': op = OP.UNLOCK; break;
      case 'lock': op = OP.LOCK; break;
      case 'drive': op = OP.DRIVE; break;
      case 'status': op = OP.STATUS; break;
      case 'settime': op = OP.SET_TIME; args = new Uint8Array(be32(a.number!)); break;
      case 'revoke': op = OP.REVOKE; args = new Uint8Array(be32(a.number!)); break;
      case 'log': op = OP.READ_LOG; args = new Uint8Array(be32(a.number!)); break;
      default: {
        const add = a.add!;
        const now = Math.floor(Date.now() / 1000);
        const valid = add.validForMs === undefined ? 0 : Math.max(1, Math.round(add.validForMs / 1000));
        op = OP.ADD_KEY;
        args = addKeyArgs({ role: add.role, perms: 3, label: add.label, notBefore: valid ? now : 0, notAfter: valid ? now + valid : 0 });
        break;
      }
    }
    const { answer, sentNonce } = await session.run(op, args);
    const ms = Date.now() - connected;
    out(`${cmd}: ${answer.reason}${answer.type === 'response' ? (answer.authentic ? ' (authentic answer from the car)' : ' (ANSWER NOT AUTHENTIC)') : ''} in ${ms} ms after connecting (${Date.now() - t0} ms in all)`);
    if (answer.type === 'refused' && answer.retrySeconds) out(`retry in ${answer.retrySeconds} s`);
    if (cmd === 'status' && answer.data && answer.status === 0) {
      const d = answer.data;
      out(`state ${stateName(d[0])}, real time ${d[1] ? 'known' : 'unknown'}, ${(d[6] << 8) | d[7]} keys, firmware ${statusVersion(d) || 'older than 0.2.0'}`);
    }
    if (cmd === 'add' && answer.status === 0 && answer.data) {
      const k = unwrapNewKey(nodeMac, session.cred!, sentNonce, answer.data);
      const file = a.add!.out || userPath(`key-${k.keyId}.json`);
      try {
        // At a v2 board the new key's secret is for this board: a v2 key file naming it.
        const bid = session.cred!.boardId;
        const text = bid ? travelKeyJson({ keyId: k.keyId, label: a.add!.label || undefined, boards: [{ boardId: bid, secret: k.secret }] })
          : JSON.stringify({ keyId: k.keyId, secret: Buffer.from(k.secret).toString('hex'), label: a.add!.label || undefined }, null, 2);
        writeFileSafe(file, text, 'key file', { mode: 0o600, exclusive: true });
      } catch (e) {
        throw new CliError(`the car added key ${k.keyId} but its file could not be written (${(e as Error).message}); revoke it with: revoke ${k.keyId}`);
      }
      out(`new key ${k.keyId} written to ${file} (keep it secret; hand it over privately)`);
    }
    if (cmd === 'log' && answer.data) {
      // The same words as the simulator's page, REPL and scenarios (tools/host/names.ts).
      const keyName = (id: number) => (id === key.keyId ? (key.label || 'this key') + ' (#' + id + ')' : '#' + id);
      for (const e of decodeLogAnswer(answer.data)) out(describeEntryAt(e, keyName));
    }
    const ok = answer.status === 0 && (answer.type !== 'response' || answer.authentic);
    // The person's command first (the owner gets in at once), then the lists, on a link still proven.
    if (answer.type === 'response' && answer.authentic) await sync();
    return ok ? 0 : 1;
  } finally {
    await link.close();
  }
}


if (require.main === module) {
  // Exit explicitly: a Bluetooth library may keep handles open after an error.
  runMain('phonekey', () => main(process.argv.slice(2)), { exit: true });
}
