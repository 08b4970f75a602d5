/**
 * The command-line phone key: holds a key file and talks to a car — the simulator over its local
 * radio bridge, or a real board over Bluetooth. One round trip per command after connecting.
 *
 *   npm run phonekey -- unlock --key owner.json [--sim ws://127.0.0.1:8080/ws/radio | --ble [--name Puck.js]]
 *   commands: unlock | lock | drive | status | settime [unix] | add --role guest --label Bob [--hours 24]
 *             | revoke <keyId> | log [fromSeq]
 *
 * Exit code 0 when the car answered "ok" with an authentic answer, 1 otherwise (the reason is printed).
 */
import * as fs from 'node:fs';
import { type Answer, OP, type PhoneKeyFile, REASONS, addKeyArgs, be32, collector, command, decodeLogEntries, nodeMac, packets, parseAnswer, unwrapNewKey } from './protocol';
import { type Link, bluetoothLink, simulatorLink } from './links';

export interface KeyJson { keyId: number; secret: string; label?: string }

export function readKeyFile(path: string): PhoneKeyFile {
  let j: KeyJson;
  try { j = JSON.parse(fs.readFileSync(path, 'utf8')); } catch (e) { throw new Error(`cannot read key file ${path}: ${(e as Error).message}`); }
  if (typeof j.keyId !== 'number' || typeof j.secret !== 'string' || !/^[0-9a-f]{32,64}$/i.test(j.secret)) throw new Error(`${path} is not a phone key file ({keyId, secret: hex})`);
  return { keyId: j.keyId >>> 0, secret: new Uint8Array(Buffer.from(j.secret, 'hex')), label: j.label };
}

/** A session with a car over a link: waits for answers, resyncs once on a stale nonce. */
export class CarSession {
  private inbox: Uint8Array[] = [];
  private waiters: Array<() => void> = [];
  private collect = collector();
  nonce: Uint8Array | undefined;
  link: Link | undefined;

  constructor(private readonly key: PhoneKeyFile | undefined) {}

  onPacket = (p: Uint8Array) => {
    const m = this.collect(p);
    if (m) { this.inbox.push(m); this.waiters.splice(0).forEach((w) => w()); }
  };

  async next(sentNonce?: Uint8Array, timeoutMs = 5000): Promise<Answer> {
    const start = Date.now();
    while (!this.inbox.length) {
      if (Date.now() - start > timeoutMs) throw new Error('the car did not answer within ' + timeoutMs + ' ms');
      await new Promise<void>((res) => { this.waiters.push(res); setTimeout(res, 50); });
    }
    const a = parseAnswer(nodeMac, this.key, this.inbox.shift()!, sentNonce);
    if (a.nonce) this.nonce = a.nonce;
    return a;
  }

  async open(link: Link): Promise<void> {
    this.link = link;
    const hello = await this.next();
    if (hello.type !== 'challenge') throw new Error('the car did not send a challenge');
  }

  async send(msg: Uint8Array): Promise<void> {
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

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf('--' + name);
  return i >= 0 ? argv[i + 1] : undefined;
}

const ROLES: Record<string, number> = { owner: 0, driver: 1, guest: 2 };

export async function main(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const cmd = argv[0];
  const keyPath = flag(argv, 'key');
  if (!cmd || !keyPath) {
    out('usage: npm run phonekey -- <unlock|lock|drive|status|settime|add|revoke|log> --key key.json [--sim ws://127.0.0.1:8080/ws/radio | --ble [--name NAME]]');
    return 2;
  }
  const key = readKeyFile(keyPath);
  const session = new CarSession(key);
  const t0 = Date.now();
  const link = argv.includes('--ble') ? await bluetoothLink(session.onPacket, flag(argv, 'name'))
    : await simulatorLink(flag(argv, 'sim') || 'ws://127.0.0.1:8080/ws/radio', session.onPacket);
  try {
    await session.open(link);
    const connected = Date.now();
    let op: number, args: Uint8Array | undefined;
    const arg1 = argv[1] && !argv[1].startsWith('--') ? argv[1] : undefined;
    switch (cmd) {
      case 'unlock': op = OP.UNLOCK; break;
      case 'lock': op = OP.LOCK; break;
      case 'drive': op = OP.DRIVE; break;
      case 'status': op = OP.STATUS; break;
      case 'settime': op = OP.SET_TIME; args = new Uint8Array(be32(Number(arg1 || Math.floor(Date.now() / 1000)))); break;
      case 'revoke': op = OP.REVOKE; args = new Uint8Array(be32(Number(arg1))); break;
      case 'log': op = OP.READ_LOG; args = new Uint8Array(be32(Number(arg1 || 0))); break;
      case 'add': {
        const role = ROLES[flag(argv, 'role') || 'guest'];
        if (role === undefined) throw new Error('--role owner|driver|guest');
        const hours = Number(flag(argv, 'hours') || 0);
        const now = Math.floor(Date.now() / 1000);
        op = OP.ADD_KEY;
        args = addKeyArgs({ role, perms: 3, label: flag(argv, 'label') || '', notBefore: hours ? now : 0, notAfter: hours ? now + hours * 3600 : 0 });
        break;
      }
      default: out(`unknown command ${cmd}`); return 2;
    }
    const { answer, sentNonce } = await session.run(op, args);
    const ms = Date.now() - connected;
    out(`${cmd}: ${answer.reason}${answer.type === 'response' ? (answer.authentic ? ' (authentic answer from the car)' : ' (ANSWER NOT AUTHENTIC)') : ''} in ${ms} ms after connecting (${Date.now() - t0} ms in all)`);
    if (answer.type === 'refused' && answer.retrySeconds) out(`retry in ${answer.retrySeconds} s`);
    if (cmd === 'status' && answer.data && answer.status === 0) {
      const d = answer.data;
      out(`state ${['locked', 'unlocked', 'enrolling', 'fault'][d[0]] || d[0]}, real time ${d[1] ? 'known' : 'unknown'}, ${(d[6] << 8) | d[7]} keys`);
    }
    if (cmd === 'add' && answer.status === 0 && answer.data) {
      const k = unwrapNewKey(nodeMac, key, sentNonce, answer.data);
      const file = flag(argv, 'out') || `key-${k.keyId}.json`;
      fs.writeFileSync(file, JSON.stringify({ keyId: k.keyId, secret: Buffer.from(k.secret).toString('hex'), label: flag(argv, 'label') }, null, 2), { mode: 0o600 });
      out(`new key ${k.keyId} written to ${file} (keep it secret; hand it over privately)`);
    }
    if (cmd === 'log' && answer.data) {
      for (const e of decodeLogEntries(answer.data)) {
        const when = e.trusted ? new Date(e.time * 1000).toISOString().slice(0, 19).replace('T', ' ') : `+${e.time} s`;
        if (e.count !== undefined) out(`#${e.seq} ${when} failures: ${e.count} over ${e.span} s (reasons seen 0x${e.result.toString(16)}), last ${REASONS[e.reason]}`);
        else out(`#${e.seq} ${when} event ${e.event} result ${e.result} ${REASONS[e.reason]} key ${e.keyId}`);
      }
    }
    return answer.status === 0 && (answer.type !== 'response' || answer.authentic) ? 0 : 1;
  } finally {
    await link.close();
  }
}


if (require.main === module) {
  // Exit explicitly: a Bluetooth library may keep handles open after an error.
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => { console.error('error: ' + (e as Error).message); process.exit(1); });
}
