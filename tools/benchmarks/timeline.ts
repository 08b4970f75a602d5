/**
 * Board-time estimates for one phone command from the bench bundle's timeline (tools/benchmarks/board.ts,
 * "perf instrumentation"): the marks of every native call (SHA-256, Storage read and write), the
 * relay switching on and each radio send, in host ms after the last packet arrived.
 *
 * Method (../shared/device-time.md): interpreted time = host time minus the native calls' host time
 * minus the marks' own cost; board estimate = interpreted time x the same-run ratio (280 ms / the
 * reference loop's host ms), plus each native call at its board cost (NATIVE_BOARD_MS). The path is
 * cut where the marks say it changes phase, so the cuts hold whatever the firmware does inside.
 *
 * Two ratios, two estimates (docs/PERFORMANCE.md "Which ratio models the board"): the reference loop
 * typed at the console (RAM code) gives `ratio`, an upper bound for code run from Storage, since the
 * Linux build reads Storage code 16 bytes at a time through file I/O and an nRF52 maps it into
 * memory; the same loop run from a Storage file, as the firmware runs, gives `ratioStorage`, whose
 * estimate (`boardMsStorage`) is the one that models the board.
 * Host-only.
 */
import type { Mark } from './board';

/** The published reference loop's time on an nRF52 (Espruino README_JIT.md). */
export const REFERENCE_BOARD_MS = 280;

/**
 * Board cost of one native call, ms (docs/PERFORMANCE.md "Native calls" gives the sources):
 * sha    crypto.SHA256 over at most 2 blocks (device-time.md: 0.1-0.3 ms)
 * read   Storage.read: a walk of the file headers in memory-mapped flash, no copy
 * write  Storage.write of a 16-byte log entry: 4 flash words (t_WRITE: tens to a few hundred us each)
 *        plus the file lookup; with a link up the SoftDevice fits it between radio events
 * send   one notification queued to the SoftDevice (NRF.updateServices)
 * relay  digitalWrite
 */
export const NATIVE_BOARD_MS: Record<string, number> = { sha: 0.2, read: 0.05, write: 1.5, send: 0.5, relay: 0.01 };

export interface Segment {
  phase: string;
  hostMs: number;
  /** Host ms spent inside native calls, and their number by kind. */
  nativeHostMs: number;
  native: Record<string, number>;
  /** Interpreted host ms (host - native - marks' own cost). */
  interpretedMs: number;
  /** Interpreted ms x the console ratio + natives (an upper bound). */
  boardMs: number;
  /** Interpreted ms x the Storage ratio + natives (the model of the board). */
  boardMsStorage: number;
}

export interface PathEstimate {
  ratio: number;
  ratioStorage: number;
  segments: Segment[];
  /** Host and estimated board ms (both ratios) from the last packet to the relay on (undefined: it did not switch) and to the answer sent. */
  relay?: { hostMs: number; boardMs: number; boardMsStorage: number };
  answer?: { hostMs: number; boardMs: number; boardMsStorage: number };
}

export function ratioOf(referenceHostMs: number): number {
  return REFERENCE_BOARD_MS / referenceHostMs;
}

/** The reference loop's host ms, three ways in one run (tools/benchmarks/board.ts referenceWays). */
export interface Reference {
  /** Typed at the console (its code in RAM), as ../shared/device-time.md publishes it. */
  console: number;
  /** Defined by a Storage file evaluated from Storage, as the firmware's code is. */
  storage: number;
  /** Defined by eval of a string in RAM. */
  ram: number;
}

/**
 * The two ratios of a run: console-calibrated (an upper bound for Storage code) and
 * Storage-calibrated (the board's model), each from the least disturbed of the run's loops (load
 * only adds time, and the work they scale is also the best of its runs; the Storage loop, being file
 * I/O here, swings most: 8.6 to 25 ms in one day on this shared host).
 */
export function ratiosOf(refs: Reference[]): { ratio: number; ratioStorage: number } {
  const least = (k: keyof Reference) => Math.min(...refs.map((r) => r[k]));
  return { ratio: ratioOf(least('console')), ratioStorage: ratioOf(least('storage')) };
}

/**
 * Splits one command's timeline into phases. With the relay switched: the proof (reassembly, key
 * lookup, key secret, MAC check: up to the end of the last SHA-256 before the relay), the decision
 * and the relay, what follows up to the answer's first SHA-256 (timers, LEDs, and the audit entries
 * unless they are held for after the answer), the answer's MAC and send, and what follows it.
 * Without: the proof, then the refusal and its send.
 */
export function splitPath(marks: Mark[], totalMs: number, ratio: number, markCostMs: number, ratioStorage = ratio): PathEstimate {
  const relayAt = marks.findIndex((m) => m[0] === 'relay');
  const sendAt = marks.findIndex((m) => m[0] === 'send');
  const lastShaBefore = (i: number) => { let k = -1; for (let j = 0; j < i; j++) if (marks[j][0] === 'sha') k = j; return k; };
  const cuts: [string, number][] = [];
  if (relayAt >= 0) {
    const proofEnd = lastShaBefore(relayAt);
    const answerSha = marks.findIndex((m, j) => j > relayAt && m[0] === 'sha');
    if (proofEnd >= 0) cuts.push(['proof: reassembly, key lookup, key secret, MAC check', marks[proofEnd][2]]);
    cuts.push(['decision, relay switched', marks[relayAt][2]]);
    if (answerSha >= 0) cuts.push(['after the relay, up to the answer (timers, LEDs, log entries unless held)', marks[answerSha][1]]);
    if (sendAt >= 0) cuts.push(['answer MAC and send', marks[sendAt][2]]);
  } else if (sendAt >= 0) {
    const proofEnd = lastShaBefore(sendAt);
    if (proofEnd >= 0) cuts.push(['proof: reassembly, key lookup, key secret, MAC check', marks[proofEnd][2]]);
    cuts.push(['refusal and send', marks[sendAt][2]]);
  }
  cuts.push(['after the answer (and log entries held for it)', Math.max(totalMs, cuts.length ? cuts[cuts.length - 1][1] : 0)]);
  const segments: Segment[] = [];
  let from = 0;
  for (const [phase, to] of cuts) {
    segments.push(segmentOf(phase, marks, from, to, ratio, markCostMs, ratioStorage));
    from = to;
  }
  const upTo = (n: number) => ({ hostMs: cuts[n][1], boardMs: segments.slice(0, n + 1).reduce((a, s) => a + s.boardMs, 0), boardMsStorage: segments.slice(0, n + 1).reduce((a, s) => a + s.boardMsStorage, 0) });
  const relayCut = cuts.findIndex((c) => c[0] === 'decision, relay switched');
  const answerCut = cuts.findIndex((c) => c[0] === 'answer MAC and send' || c[0] === 'refusal and send');
  return { ratio, ratioStorage, segments, relay: relayCut >= 0 ? upTo(relayCut) : undefined, answer: answerCut >= 0 ? upTo(answerCut) : undefined };
}

/** The board estimate of the timeline between host ms `from` and `to`: the marks inside it counted as native calls. */
export function segmentOf(phase: string, marks: Mark[], from: number, to: number, ratio: number, markCostMs: number, ratioStorage = ratio): Segment {
  const inside = marks.filter((m) => m[1] >= from && m[2] <= to);
  const native: Record<string, number> = {};
  let nativeHostMs = 0, nativeBoardMs = 0;
  for (const m of inside) {
    native[m[0]] = (native[m[0]] || 0) + 1;
    nativeHostMs += m[2] - m[1];
    nativeBoardMs += NATIVE_BOARD_MS[m[0]] ?? 0;
  }
  const hostMs = to - from;
  const interpretedMs = Math.max(0, hostMs - nativeHostMs - inside.length * markCostMs);
  return { phase, hostMs, nativeHostMs, native, interpretedMs, boardMs: interpretedMs * ratio + nativeBoardMs, boardMsStorage: interpretedMs * ratioStorage + nativeBoardMs };
}

/**
 * A HELLO naming a key (docs/PROTOCOL.md "HELLO naming a key"): the board's work after its
 * CHALLENGE's last fragment went to the radio (the end of the last send mark) until it was done.
 */
export function preparedAfterChallenge(marks: Mark[], totalMs: number, ratio: number, markCostMs: number, ratioStorage = ratio): Segment {
  let from = 0;
  for (const m of marks) if (m[0] === 'send') from = m[2];
  return segmentOf('the named key\'s work after the CHALLENGE (lookup, key secret, pads)', marks, from, Math.max(from, totalMs), ratio, markCostMs, ratioStorage);
}

/**
 * Of several runs of the same path, the fastest to its answer: a loaded host only ever adds time,
 * so the best run is the one least disturbed (the reference loop is also taken best of 20).
 */
export function bestRun(runs: PathEstimate[]): PathEstimate {
  const end = (p: PathEstimate) => (p.answer ? p.answer.hostMs : p.segments.reduce((a, s) => a + s.hostMs, 0));
  return runs.reduce((a, b) => (end(b) < end(a) ? b : a));
}

const f1 = (x: number) => x.toFixed(x < 10 ? 2 : 1);

/** A board time both ways, as every bench line prints it: the Storage-calibrated estimate (the board's model) first, the console-calibrated upper bound after. */
export function bothEstimates(storageMs: number, consoleMs: number): string {
  return `~${Math.round(storageMs)} ms (Storage ratio) / ~${Math.round(consoleMs)} ms (console ratio)`;
}

/**
 * Lines such as `  decision, relay switched: 1.20 ms host (0.80 interpreted; native 0.40 ms host: 2 write, 4 read) = ~28 ms (Storage ratio 24) / ~97 ms (console ratio 118)`:
 * the Storage-calibrated estimate (the board's model) first, the console-calibrated upper bound after.
 */
export function describePath(what: string, p: PathEstimate): string[] {
  const out: string[] = [];
  const both = (x: { boardMs: number; boardMsStorage: number }) => bothEstimates(x.boardMsStorage, x.boardMs);
  const head = (k: 'relay' | 'answer', label: string) => p[k] ? `${label} ${f1(p[k]!.hostMs)} ms host -> ${both(p[k]!)}` : '';
  out.push(`${what} (ratios: Storage ${p.ratioStorage.toFixed(0)}, console ${p.ratio.toFixed(0)}): ` + [head('relay', 'relay on'), head('answer', 'answer sent')].filter(Boolean).join('; '));
  for (const s of p.segments) {
    const nat = Object.entries(s.native).map(([k, n]) => `${n} ${k}`).join(', ');
    out.push(`  ${s.phase}: ${f1(s.hostMs)} ms host (${f1(s.interpretedMs)} interpreted${nat ? '; native ' + f1(s.nativeHostMs) + ' ms host: ' + nat : ''}) = ${both(s)}`);
  }
  return out;
}
