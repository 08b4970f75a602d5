/**
 * The bench protocol from the browser: a dev build's console bench hook (CKB, hal/espruino/relay-bench-hook.ts)
 * driven over a ConsoleLink, with COMMANDs signed by the imported key through WebCrypto
 * (keycrypto.ts). As tools/relay-bench/bench.ts does from a computer: unlock/lock cycles timed by
 * the board's own clock (command in -> relay contact edge), and attacks that must be refused with
 * the contact still: a wrong key, and a replay of the last unlock.
 * Runs in browsers and Node; no DOM. Not here: the page (bench.ts), the transport (console-link.ts).
 */
import { R_EXPIRED_COMMAND, R_OK } from '../../firmware/codes';
import { type Answer, M, OP, collector } from '../../tools/host/protocol';
import { hex, unhex } from '../../tools/host/bytes';
import { importSecret, readAnswer, signedCommand } from './keycrypto';

/** A board's JavaScript console: runs one line, resolves with what it printed (console-link.ts). */
export interface ConsoleLink {
  name: string;
  run(code: string): Promise<string>;
  close(): void;
}

export interface BenchKey { keyId: number; key: CryptoKey }

export interface Bench {
  link: ConsoleLink;
  key: BenchKey;
  nonce?: Uint8Array;
  /** The bytes of the last unlock sent (for the replay attack). */
  lastUnlock?: Uint8Array;
}

export interface Cycle { cycle: number; closeMs: number | null; openMs: number | null; heldMs: number | null; unlock: string; lock: string }

export interface BoardState { relay: number; drive: number; door: number | null; contact: number | null }

export interface Attack { refused: boolean; text: string; contactMoved: boolean }

/** The last line of console output that is JSON. */
export function lastJson(text: string): any {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter((l) => l.startsWith('[') || l.startsWith('{'));
  if (!lines.length) throw new Error('the board did not answer the bench hook: ' + (text.trim().slice(0, 200) || '(nothing printed)'));
  return JSON.parse(lines[lines.length - 1]);
}

function messages(packetsHex: string[]): Uint8Array[] {
  const collect = collector();
  const out: Uint8Array[] = [];
  for (const h of packetsHex) { const m = collect(unhex(h)); if (m) out.push(m); }
  return out;
}

/** Checks for the bench hook and opens a bench session (the board sends its CHALLENGE). */
export async function benchOpen(link: ConsoleLink, key: BenchKey): Promise<Bench> {
  const kind = (await link.run('print(typeof CKB)')).trim().split('\n').pop();
  if (kind !== 'object') throw new Error('the board has no bench hook (CKB is ' + kind + '): it runs a production build; use a dev build (npm start -- --dev, or npm run flash -- --dev)');
  const [hello] = messages(lastJson(await link.run('print(CKB.open())')));
  if (!hello || hello[0] !== M.CHALLENGE || hello.length < 18) throw new Error('no challenge from the bench hook');
  const b: Bench = { link, key, nonce: hello.slice(1, 17) };
  await edges(b); // forget edges from before
  return b;
}

/**
 * One message in through the bench hook; the board's time it arrived and its answer (checked as
 * authentic against our key over `sentNonce`; without it, as for attacks, never authentic).
 */
export async function send(b: Bench, msg: Uint8Array, sentNonce: Uint8Array | undefined): Promise<{ t0: number; answer: Answer }> {
  const r = lastJson(await b.link.run('print(CKB.send(' + JSON.stringify(hex(msg)) + '))'));
  const [m] = messages(r.a);
  if (!m) throw new Error('no answer from the phone-key code');
  const answer = await readAnswer(b.key.key, m, sentNonce);
  if (answer.nonce) b.nonce = answer.nonce;
  return { t0: r.t0, answer };
}

/** A signed command with the session's nonce (once more with a fresh nonce if it had gone stale). */
export async function runOp(b: Bench, op: number): Promise<{ t0: number; answer: Answer; sent: Uint8Array }> {
  // The board drops a link after its idle time, hard cap or unproven attempts (link rules,
  // docs/THREAT-MODEL.md): open the bench link again, as a phone connects again.
  if (!lastJson(await b.link.run('print(JSON.stringify({a:CKB.active()}))')).a) b.nonce = (await benchOpen(b.link, b.key)).nonce;
  for (let attempt = 0; ; attempt++) {
    const nonce = b.nonce!;
    const sent = await signedCommand(b.key.key, b.key.keyId, nonce, op);
    const r = await send(b, sent, nonce);
    if (r.answer.type === 'response' && r.answer.status === R_EXPIRED_COMMAND && attempt === 0) continue;
    return { ...r, sent };
  }
}

/** Edges on the contact input since the last call: [time s, level]. */
export async function edges(b: Bench): Promise<[number, number][]> {
  const flat: number[] = lastJson(await b.link.run('print(CKB.edges())'));
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the contact to reach `level`; the board time of that edge, or null. */
export async function waitEdge(b: Bench, level: number, timeoutMs: number): Promise<number | null> {
  const until = Date.now() + timeoutMs;
  do {
    const e = (await edges(b)).find(([, l]) => l === level);
    if (e) return e[0];
    await pause(20);
  } while (Date.now() < until);
  return null;
}

const said = (a: Answer) => (a.type === 'response' ? a.reason + (a.authentic ? '' : ' (NOT authentic)') : a.type + (a.reason ? ' ' + a.reason : ''));

/** One unlock/lock cycle, timed on the board. */
export async function cycle(b: Bench, n: number, edgeTimeoutMs = 2000): Promise<Cycle> {
  const un = await runOp(b, OP.UNLOCK);
  b.lastUnlock = un.sent;
  const closed = un.answer.status === R_OK ? await waitEdge(b, 1, edgeTimeoutMs) : null;
  const lo = await runOp(b, OP.LOCK);
  const opened = lo.answer.status === R_OK ? await waitEdge(b, 0, edgeTimeoutMs) : null;
  return {
    cycle: n,
    closeMs: closed === null ? null : (closed - un.t0) * 1000,
    openMs: opened === null ? null : (opened - lo.t0) * 1000,
    heldMs: closed !== null && opened !== null ? (opened - closed) * 1000 : null,
    unlock: said(un.answer),
    lock: said(lo.answer),
  };
}

let wrong: Promise<CryptoKey> | undefined;
/** A key the board does not know (a fixed, public secret). */
const wrongKey = () => (wrong = wrong || importSecret(new Uint8Array(16).fill(0x5a)));

async function attack(b: Bench, msg: Uint8Array, what: string): Promise<Attack> {
  const r = await send(b, msg, undefined);
  const refused = r.answer.type === 'refused' || (r.answer.type === 'response' && r.answer.status !== R_OK);
  const moved = (await waitEdge(b, 1, 300)) !== null;
  return { refused, contactMoved: moved, text: what + ': ' + (refused ? 'refused' : 'ACCEPTED') + ' (' + r.answer.reason + ')' + (moved ? ', the contact MOVED' : ', contact still') };
}

/** An unlock MACed with a key the board does not know, under our key id. */
export async function tryWrongKey(b: Bench): Promise<Attack> {
  return attack(b, await signedCommand(await wrongKey(), b.key.keyId, b.nonce!, OP.UNLOCK), 'wrong key');
}

/** The last unlock's bytes sent again. */
export async function tryReplay(b: Bench): Promise<Attack> {
  if (!b.lastUnlock) throw new Error('run a cycle first: there is no unlock to replay');
  return attack(b, b.lastUnlock, 'replay');
}

export async function boardState(link: ConsoleLink): Promise<BoardState> {
  return lastJson(await link.run('print(CKB.state())'));
}

export async function benchClose(b: Bench): Promise<void> {
  await b.link.run('CKB.close()');
}
