/**
 * The relay bench: N authenticated unlock/lock cycles through the real phone-key path of a dev
 * build (its console bench hook, hal/espruino/relay-bench-hook.ts), with the relay's contact wired back to
 * the board's bench input. Latencies are the board's own timestamps, from the command reaching
 * the phone-key code to the contact closing (unlock) or opening (lock). Between cycles it tries a
 * wrong key and a replay, which must be refused without the contact moving, and it checks the
 * relay never stays closed past its hard maximum.
 * Not here: the command line (cli.ts) and the HTML report (report.ts).
 */
import type { ConsoleLink } from '../provision/link';
import { type Answer, OP, type PhoneKeyFile, collector, command, nodeMac, parseAnswer } from '../host/protocol';
import { HARD_MAX_HOLD_MS } from '../../firmware/config';
import { type Stats, stats } from '../host/stats';

export interface BenchOptions {
  cycles: number;
  key: PhoneKeyFile;
  /** Every this many cycles, try a wrong key and a replay. */
  attackEvery?: number;
  /** How long to wait for the contact to move, ms. */
  edgeTimeoutMs?: number;
  progress?: (done: number, total: number) => void;
}

export interface CycleResult {
  cycle: number;
  closeMs: number | null;
  openMs: number | null;
  heldMs: number | null;
}

export interface BenchReport {
  cycles: CycleResult[];
  closeMs: Stats;
  openMs: Stats;
  attacks: { tried: number; refused: number; contactMoved: number };
  problems: string[];
  ok: boolean;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function lastJson(text: string): any {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter((l) => l.startsWith('[') || l.startsWith('{'));
  if (!lines.length) throw new Error('the board did not answer the bench hook (is this a dev build? flash with --dev): ' + text.trim().slice(0, 200));
  return JSON.parse(lines[lines.length - 1]);
}

function messages(packetsHex: string[]): Uint8Array[] {
  const collect = collector();
  const out: Uint8Array[] = [];
  for (const h of packetsHex) { const m = collect(new Uint8Array(Buffer.from(h, 'hex'))); if (m) out.push(m); }
  return out;
}

/** A bench session over the board's console. */
export class BenchSession {
  nonce: Uint8Array | undefined;
  constructor(private readonly link: ConsoleLink, private readonly key: PhoneKeyFile) {}

  async open(): Promise<void> {
    const kind = (await this.link.run('print(typeof CKB)')).trim().split('\n').pop();
    if (kind !== 'object') throw new Error('the board has no bench hook (CKB is ' + kind + '): flash a dev build with npm run flash -- --dev');
    const [hello] = messages(lastJson(await this.link.run('print(CKB.open())')));
    const a = hello && parseAnswer(nodeMac, undefined, hello);
    if (!a || a.type !== 'challenge') throw new Error('no challenge from the bench hook');
    this.nonce = a.nonce;
  }

  /** Sends a message; returns the board's time it arrived and the parsed answer. */
  async send(msg: Uint8Array, key: PhoneKeyFile | undefined, sentNonce: Uint8Array | undefined): Promise<{ t0: number; answer: Answer }> {
    const r = lastJson(await this.link.run(`print(CKB.send(${JSON.stringify(hex(msg))}))`));
    const [m] = messages(r.a);
    if (!m) throw new Error('no answer from the phone-key code');
    const answer = parseAnswer(nodeMac, key, m, sentNonce);
    if (answer.nonce) this.nonce = answer.nonce;
    return { t0: r.t0, answer };
  }

  async run(op: number): Promise<{ t0: number; answer: Answer; sent: Uint8Array }> {
    // The board drops a link after its idle time, hard cap or unproven attempts (link rules,
    // docs/THREAT-MODEL.md); an answer then goes nowhere: open the bench link again, as a phone
    // connects again, and send once more.
    const alive = lastJson(await this.link.run('print(JSON.stringify({a:CKB.active()}))')).a;
    if (!alive) await this.open();
    const nonce = this.nonce!;
    const sent = command(nodeMac, this.key, nonce, op);
    const r = await this.send(sent, this.key, nonce);
    return { ...r, sent };
  }

  /** Edges on the contact input since the last call: [time s, level] pairs. */
  async edges(): Promise<Array<[number, number]>> {
    const flat: number[] = lastJson(await this.link.run('print(CKB.edges())'));
    const out: Array<[number, number]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
    return out;
  }

  /** Waits for the contact to reach `level`; returns the board time of that edge, or null. */
  async edge(level: number, timeoutMs: number): Promise<number | null> {
    const until = Date.now() + timeoutMs;
    do {
      const e = (await this.edges()).find(([, l]) => l === level);
      if (e) return e[0];
    } while (Date.now() < until);
    return null;
  }

  async close(): Promise<void> {
    await this.link.run('CKB.close()');
  }
}

export async function runBench(link: ConsoleLink, o: BenchOptions): Promise<BenchReport> {
  const s = new BenchSession(link, o.key);
  const timeout = o.edgeTimeoutMs ?? 2000;
  const every = o.attackEvery ?? 5;
  const problems: string[] = [];
  const cycles: CycleResult[] = [];
  const attacks = { tried: 0, refused: 0, contactMoved: 0 };
  await s.open();
  await s.edges(); // forget edges from before
  let lastUnlock: Uint8Array | undefined;
  for (let i = 1; i <= o.cycles; i++) {
    const un = await s.run(OP.UNLOCK);
    if (un.answer.status !== 0 || !un.answer.authentic) problems.push(`cycle ${i}: unlock answered ${un.answer.reason}${un.answer.authentic ? '' : ' (not authentic)'}`);
    lastUnlock = un.sent;
    const closed = await s.edge(1, timeout);
    const lo = await s.run(OP.LOCK);
    if (lo.answer.status !== 0) problems.push(`cycle ${i}: lock answered ${lo.answer.reason}`);
    const opened = await s.edge(0, timeout);
    const r: CycleResult = {
      cycle: i,
      closeMs: closed === null ? null : (closed - un.t0) * 1000,
      openMs: opened === null ? null : (opened - lo.t0) * 1000,
      heldMs: closed !== null && opened !== null ? (opened - closed) * 1000 : null,
    };
    if (closed === null) problems.push(`cycle ${i}: the contact never closed after an unlock`);
    if (opened === null) problems.push(`cycle ${i}: the contact never opened after a lock`);
    if (r.heldMs !== null && r.heldMs > HARD_MAX_HOLD_MS) problems.push(`cycle ${i}: relay held ${r.heldMs} ms, over the ${HARD_MAX_HOLD_MS} ms maximum`);
    cycles.push(r);
    if (i % every === 0) {
      // A wrong key, then a replay of this cycle's unlock: both refused, the contact still.
      const wrong = { keyId: o.key.keyId, secret: new Uint8Array(16).fill(0x5a) };
      const bad = await s.send(command(nodeMac, wrong, s.nonce!, OP.UNLOCK), undefined, undefined);
      const replay = await s.send(lastUnlock, undefined, undefined);
      for (const a of [bad.answer, replay.answer]) { attacks.tried++; if (a.status !== 0) attacks.refused++; }
      const moved = await s.edge(1, 300);
      if (moved !== null) { attacks.contactMoved++; problems.push(`cycle ${i}: the contact moved after a wrong key or a replay`); }
    }
    if (o.progress) o.progress(i, o.cycles);
  }
  await s.close();
  const closeMs = stats(cycles.map((c) => c.closeMs).filter((x): x is number => x !== null));
  const openMs = stats(cycles.map((c) => c.openMs).filter((x): x is number => x !== null));
  if (attacks.refused !== attacks.tried) problems.push(`${attacks.tried - attacks.refused} of ${attacks.tried} attacks were not refused`);
  return { cycles, closeMs, openMs, attacks, problems, ok: problems.length === 0 };
}
