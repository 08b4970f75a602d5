/**
 * The command-line phone key: holds a key file and talks to a car — the simulator over its local
 * radio bridge, or a real board over Bluetooth. After connecting and subscribing it asks with HELLO;
 * then one round trip per command (plus a PULL per further fragment of a long answer).
 *
 *   npm run phonekey -- unlock --key owner.json [--sim ws://127.0.0.1:8080/ws/radio | --ble [--name Puck.js]]
 *   commands: unlock | lock | drive | status | settime [unix] | add --role guest --label Bob [--hours 24h|1d]
 *             | revoke <keyId> | log [fromSeq]        (arguments: args.ts; --help lists them)
 *
 * Exit code 0 when the car answered "ok" with an authentic answer, 1 otherwise (the reason is printed).
 */
import * as fs from 'node:fs';
import { type Answer, M, OP, PULL_RETRIES, PULL_RETRY_MS, type PhoneKeyFile, addKeyArgs, be32, command, createAnswerReader, nodeMac, packets, parseAnswer, unwrapNewKey, statusVersion } from '../host/protocol';
import { type Link, bluetoothLink, simulatorLink } from './links';
import { SPEC, phonekeyArgs } from './args';
import { CliError, UsageError, help, runMain } from '../host/cli-args';
import { userPath, writeFileSafe } from '../host/cli-files';
import { describeEntryAt, stateName } from '../host/names';
import { decodeLogAnswer } from '../host/logdecode';

export interface KeyJson { keyId: number; secret: string; label?: string }

export function readKeyFile(path: string): PhoneKeyFile {
  let j: KeyJson;
  try { j = JSON.parse(fs.readFileSync(path, 'utf8')); } catch (e) { throw new Error(`cannot read key file ${path}: ${(e as Error).message}`); }
  if (typeof j.keyId !== 'number' || typeof j.secret !== 'string' || !/^[0-9a-f]{32,64}$/i.test(j.secret)) throw new Error(`${path} is not a phone key file ({keyId, secret: hex})`);
  return { keyId: j.keyId >>> 0, secret: new Uint8Array(Buffer.from(j.secret, 'hex')), label: j.label };
}

/**
 * A session with a car over a link (docs/PROTOCOL.md): asks with HELLO once the link is up and
 * subscribed, PULLs each next fragment of an answer (again after PULL_RETRY_MS without one), and
 * resyncs once on a stale nonce.
 */
export class CarSession {
  private inbox: Uint8Array[] = [];
  private waiters: Array<() => void> = [];
  private reader = createAnswerReader(4096);
  /** Date.now() of the last packet written or received: a PULL is repeated after PULL_RETRY_MS of silence. */
  private lastActivity = 0;
  nonce: Uint8Array | undefined;
  link: Link | undefined;

  constructor(private readonly key: PhoneKeyFile | undefined) {}

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
        if (retries++ >= PULL_RETRIES) throw new Error('the car did not answer within ' + timeoutMs + ' ms');
        this.lastActivity = Date.now();
        await this.link!.write(this.reader.again());
      }
      await new Promise<void>((res) => { this.waiters.push(res); setTimeout(res, 50); });
    }
    const a = parseAnswer(nodeMac, this.key, this.inbox.shift()!, sentNonce);
    if (a.nonce) this.nonce = a.nonce;
    return a;
  }

  /** The link is up and subscribed: ask for a CHALLENGE (the car sends nothing unasked). */
  async open(link: Link): Promise<void> {
    this.link = link;
    await this.send(new Uint8Array([M.HELLO]));
    const hello = await this.next();
    if (hello.type !== 'challenge') throw new Error('the car did not answer HELLO with a challenge');
  }

  async send(msg: Uint8Array): Promise<void> {
    this.reader.reset();
    this.inbox = [];
    for (const p of packets(msg, this.link!.payload)) await this.link!.write(p);
  }

  async run(op: number, args?: Uint8Array): Promise<{ answer: Answer; sentNonce: Uint8Array }> {
    for (let attempt = 0; ; attempt++) {
      const nonce = this.nonce!;
      await this.send(command(nodeMac, this.key!, nonce, op, args));
      const answer = await this.next(nonce);
      if (answer.status === 8 /* expired command */ && attempt === 0) continue;
      return { answer, sentNonce: nonce };
    }
  }
}

export async function main(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const a = phonekeyArgs(argv);
  if (!a) { out(help(SPEC).trimEnd()); return 0; }
  const { cmd } = a;
  const key = readKeyFile(a.keyPath);
  if (a.add && a.add.out && fs.existsSync(a.add.out)) throw new UsageError(a.add.out + ' exists; choose another --out');
  const session = new CarSession(key);
  const t0 = Date.now();
  const link = a.ble ? await bluetoothLink(session.onPacket, a.name) : await simulatorLink(a.sim, session.onPacket);
  try {
    await session.open(link);
    const connected = Date.now();
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
      const k = unwrapNewKey(nodeMac, key, sentNonce, answer.data);
      const file = a.add!.out || userPath(`key-${k.keyId}.json`);
      try {
        writeFileSafe(file, JSON.stringify({ keyId: k.keyId, secret: Buffer.from(k.secret).toString('hex'), label: a.add!.label || undefined }, null, 2), 'key file', { mode: 0o600, exclusive: true });
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
    return answer.status === 0 && (answer.type !== 'response' || answer.authentic) ? 0 : 1;
  } finally {
    await link.close();
  }
}


if (require.main === module) {
  // Exit explicitly: a Bluetooth library may keep handles open after an error.
  runMain('phonekey', () => main(process.argv.slice(2)), { exit: true });
}
