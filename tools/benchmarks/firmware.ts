/**
 * `npm run bench:firmware`: every firmware benchmark, one JSON line at the end (never a test).
 *
 *   sizes       production bundle per board, and the Storage budget left for keys and the log
 *   phases      (ESPRUINO_BIN only; also part of phone) the owner UNLOCK's proof phase by phase (tools/benchmarks/phases.ts)
 *   sim         simulator throughput: owner unlocks per second of real time
 *   espruino    (ESPRUINO_BIN only) variables at idle for 0/200/1000 keys (production bundle booted
 *               from Storage), idle and peak during a phone-key session plus the interpreter time of
 *               an unlock decision (bench bundle, tools/benchmarks/board.ts), DESFire auth time with the
 *               JS and the native AES on a pre-recorded transcript, the card tap -> relay phase by
 *               phase (tools/benchmarks/card.ts), and the key-store bench
 *               (tools/benchmarks/keystore.ts) for 10..1000 keys
 *   readlog     (ESPRUINO_BIN only) READ_LOG's log read on a full journal, puckjs and xiaoble (tools/benchmarks/readlog.ts)
 *
 * docs/PERFORMANCE.md explains each figure. Host-only.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { boards, boardById } from '../../hal/boards/index';
import { bundleFirmware, ROOT } from '../host/build/bundle';
import { espruinoBinary } from '../host/espruino-binary';
import { createCar } from '../../sim/car';
import { storageBudget } from './storage-budget';
import * as C from '../../firmware/codes';
import { OP, hello } from '../host/protocol';
import { authenticateDesfire, diversifyAes128, type DesfireConfig } from '../../firmware/desfire';
import { hostCipher } from '../host/crypto';
import { SimDesfireCard } from '../../sim/cards/desfire';
import { type Spec, UsageError, help, parse, runMain } from '../host/cli-args';
import { bootImage, boardPhone, imageKeyId, memoryUsage, phoneKeyBenchBundle, provisionImage, referenceWays } from './board';
import { type PathEstimate, type Segment, bestRun, bothEstimates, describePath, preparedAfterChallenge, ratiosOf, splitPath } from './timeline';
import { proofPhases } from './phases';
import { cardTap, describeTap, recordTap } from './card';
import { readLogBench } from './readlog';
import type { PhoneKeyFile } from '../host/protocol';

async function sizes() {
  const out: any[] = [];
  for (const b of boards) {
    const bundle = await bundleFirmware(b);
    out.push({ board: b.id, bundleBytes: bundle.bytes, ...storageBudget(b, bundle.bytes) });
  }
  return out;
}

async function simThroughput(n = 3000) {
  const car = await createCar({ board: 'puckjs', demo: true, seed: 5 });
  const owner = car.phone(car.keys.owner);
  owner.connect();
  let ok = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) { if (owner.unlock().status === C.R_OK) ok++; car.advance(11000); }
  const s = (performance.now() - t0) / 1000;
  return { unlocks: n, accepted: ok, realSeconds: +s.toFixed(2), unlocksPerSecond: Math.round(n / s), simulatedHours: +((n * 11) / 3600).toFixed(1) };
}


async function idleProduction(bin: string, keys: number) {
  const bundle = (await bundleFirmware(boardById('puckjs')!)).code;
  const s = await bootImage(bin, provisionImage(keys, 9), bundle);
  try {
    const usage = await memoryUsage(s);
    return { keys, idleVars: usage, booted: /carkey \S+ on /.test(s.output()) };
  } finally { await s.quit(); }
}

async function phoneKeySession(bin: string, keys: number) {
  const img = provisionImage(keys, 9);
  const s = await bootImage(bin, img, await phoneKeyBenchBundle(), undefined, true);
  try {
    const idle = await memoryUsage(s);
    const refBefore = await referenceWays(s);
    const ph = boardPhone(s);
    await ph.connect();
    const key = keys ? img.owner : { keyId: 0x12345678, secret: new Uint8Array(16) };
    let peakLive = 0, peakNoGc = 0, ok = 0;
    const unlock = async (k: PhoneKeyFile, mode: number, nomarks?: boolean) => {
      const r = await ph.run(k, OP.UNLOCK, undefined, mode, nomarks);
      if (k === key && r.answer.status === C.R_OK && r.relay) ok++;
      if (mode === 2) peakLive = Math.max(peakLive, r.peak);
      if (mode === 1) peakNoGc = Math.max(peakNoGc, r.peak);
      await s.eval('print(1)');
      return r;
    };
    // The first command after boot (nothing kept yet), then memory, then the same key again and
    // again (timed with and without the timeline's marks), then the key after another key's command.
    // Timings are the best of their runs: a loaded host only adds time (../shared/device-time.md).
    const first = await unlock(key, 0);
    for (let i = 0; i < 8; i++) await unlock(key, i < 4 ? 2 : 1);
    const again: typeof first[] = [], plain: number[] = [], other: typeof first[] = [];
    // The reference loops again every 10 commands: their least disturbed sample sets the ratios (ratiosOf).
    const refs = [refBefore];
    for (let i = 0; i < 30; i++) { again.push(await unlock(key, 0)); if (i % 10 === 9) refs.push(await referenceWays(s)); }
    for (let i = 0; i < 12; i++) plain.push((await unlock(key, 0, true)).seconds * 1000);
    if (keys) for (let i = 0; i < 20; i++) { await unlock(img.guest, 0); other.push(await unlock(key, 0)); }
    // HELLO naming the key before each command (docs/PROTOCOL.md "HELLO naming a key"): the key's
    // work after the CHALLENGE, and the command's path once that work is done.
    const named: typeof first[] = [], prepared: { ms: number; marks: typeof first.marks }[] = [], bare: typeof prepared = [];
    for (let i = 0; i < 30; i++) {
      // A bare HELLO first: the same span after its last fragment is the baseline (unwinding, the bench's PULL loop).
      bare.push(await ph.hello(hello(2)));
      const h = await ph.hello(hello(2, key.keyId));
      prepared.push({ ms: h.ms, marks: h.marks });
      named.push(await unlock(key, 0));
      if (i % 10 === 9) refs.push(await referenceWays(s));
    }
    const refAfter = await referenceWays(s);
    const after = await memoryUsage(s);
    refs.push(refAfter);
    const { ratio, ratioStorage } = ratiosOf(refs);
    const ms = (r: typeof first) => r.seconds * 1000;
    // What a mark itself costs, timed in the interpreter (the loop's own cost included: an overestimate by a little).
    const markCost = Number((await s.eval('print(ev.markCost())')).trim().split('\n').pop());
    const path = (rs: typeof first[]) => bestRun(rs.map((r) => splitPath(r.marks, ms(r), ratio, markCost, ratioStorage)));
    const paths: Record<string, PathEstimate> = { first: path([first]), again: path(again) };
    if (other.length) paths.afterOtherKey = path(other);
    paths.named = path(named);
    const least = (hs: typeof prepared) => hs.map((h) => preparedAfterChallenge(h.marks, h.ms, ratio, markCost, ratioStorage)).reduce((a, b) => (b.hostMs < a.hostMs ? b : a));
    const prep = least(prepared), prepBare = least(bare);
    return { keys, idleVars: idle, peakLiveVars: peakLive, peakWithGarbageVars: peakNoGc, afterSessionVars: after,
      unlocksOk: ok, decisionMs: +Math.min(...plain).toFixed(2), reference: refs, ratio: +ratio.toFixed(1), ratioStorage: +ratioStorage.toFixed(1),
      markCostMs: +markCost.toFixed(4), paths, prepared: prep, afterBareHello: prepBare, roundTrips: roundTrips(prep, paths.named), what: keys ? 'owner UNLOCK, accepted' : 'UNLOCK from an unknown key, refused' };
  } finally { await s.quit(); }
}

/**
 * The phone's round trips the named path is told for, ms: from the CHALLENGE's last fragment
 * queued on the board to the COMMAND's last packet arriving. The notification leaves at the next
 * connection event, and the phone's write can only go at an event after the one that brought it:
 * one to two connection intervals (one more per further COMMAND packet written with response).
 * One interval of 7.5 ms (the shortest the Bluetooth Core Specification allows), 15 ms (the
 * shortest Apple's Accessory Design Guidelines accept), 30 ms (iOS's usual interval; the low end
 * of Android's CONNECTION_PRIORITY_BALANCED, 30-50 ms) and 50 ms; two of 30 and of 50 ms.
 */
const ROUND_TRIPS_MS = [7.5, 15, 30, 50, 60, 100];

/**
 * Last packet -> relay and -> answer after a HELLO naming the key, for each round trip: the key's
 * work still running when the COMMAND's last packet arrives (prepared - round trip, if above 0)
 * is added to the command's own path (docs/PERFORMANCE.md "The phone path").
 */
function roundTrips(prep: Segment, p: PathEstimate) {
  return ROUND_TRIPS_MS.map((rt) => {
    const left = (board: number) => Math.max(0, board - rt);
    const at = (x: { boardMs: number; boardMsStorage: number } | undefined) => x && ({ boardMs: left(prep.boardMs) + x.boardMs, boardMsStorage: left(prep.boardMsStorage) + x.boardMsStorage });
    return { roundTripMs: rt, leftMs: left(prep.boardMsStorage), leftMsConsole: left(prep.boardMs), relay: at(p.relay), answer: at(p.answer) };
  });
}

const CARD_ENTRY = `
import { authenticateDesfire } from './firmware/desfire';
import { aesEncryptBlock, aesDecryptBlock } from './firmware/aes';
import { espruinoCrypto } from './hal/espruino/crypto';
declare const global: any;
function unhex(h) { const b = new Uint8Array(h.length >> 1); for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16); return b; }
global.benchCard = function (site, uid, aid, sys, answers, rounds, native) {
  const c = espruinoCrypto(true);
  const cipher = native ? { encrypt: c.aesEncryptBlock, decrypt: c.aesDecryptBlock } : { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock };
  const fixed = { bytes: function (n) { const o = new Uint8Array(n); for (let i = 0; i < n; i++) o[i] = (i * 7 + 1) & 255; return o; } };
  const cfg = { siteKey: unhex(site), aid: unhex(aid), keyNo: 0, systemId: unhex(sys), cipher: cipher, random: fixed };
  const ans = []; for (let i = 0; i < answers.length; i++) ans.push(unhex(answers[i]));
  const u = unhex(uid);
  let ok = 0;
  const m0 = process.memory().usage;
  let t = 1e9; // best of the rounds: a loaded host only adds time
  for (let r = 0; r < rounds; r++) {
    let k = 0;
    const t0 = getTime();
    authenticateDesfire(cfg, function (apdu, cb) { cb(ans[k++]); }, u, 0x20, function (o) { if (o) ok++; });
    const d = (getTime() - t0) * 1000;
    if (d < t) t = d;
  }
  return JSON.stringify({ ms: t, ok: ok, rounds: rounds, varsAfter: process.memory().usage - m0 });
};
`;

async function cardDecision(bin: string) {
  const site = new Uint8Array(16).map((_, i) => i * 17 + 3);
  const uid = new Uint8Array([0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
  const aid = new Uint8Array([0x31, 0x4b, 0x43]), sys = new Uint8Array([0x63, 0x61, 0x72, 0x6b, 0x65, 0x79]);
  const card = new SimDesfireCard(uid, [{ aid, keys: [diversifyAes128(hostCipher, site, uid, aid, sys)] }], { random: (n) => new Uint8Array(n).map((_, i) => i * 13 + 5) });
  const answers: string[] = [];
  const cfg: DesfireConfig = { siteKey: site, aid, keyNo: 0, systemId: sys, cipher: hostCipher, random: { bytes: (n) => new Uint8Array(n).map((_, i) => (i * 7 + 1) & 255) } };
  let hostOk = false;
  authenticateDesfire(cfg, (apdu, cb) => { const a = card.apdu(apdu)!; answers.push(Buffer.from(a).toString('hex')); cb(a); }, uid, 0x20, (ok) => { hostOk = ok; });
  if (!hostOk) throw new Error('the recorded transcript does not authenticate on the host');
  const bundle = (await bundleFirmware(boardById('puckjs-nfc')!, { entry: CARD_ENTRY })).code; // a keycard build: the crypto port has AES
  const s = await bootImage(bin, undefined, bundle, undefined, true);
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  try {
    const run = async (native: boolean) => JSON.parse((await s.eval(`print(benchCard(${JSON.stringify(hex(site))},${JSON.stringify(hex(uid))},${JSON.stringify(hex(aid))},${JSON.stringify(hex(sys))},${JSON.stringify(answers)},10,${native}))`, 60000)).trim().split('\n').pop()!);
    const ref0 = await referenceWays(s);
    const jsAes = await run(false), nativeAes = await run(true);
    const { ratio, ratioStorage } = ratiosOf([ref0, await referenceWays(s)]);
    // Native AES calls stay in the host figure (a few µs each here; ~0.05 ms each on the board).
    const est = (ms: number) => ({ boardMs: Math.round(ms * ratio), boardMsStorage: Math.round(ms * ratioStorage) });
    return { jsAes: { ...jsAes, ...est(jsAes.ms) }, nativeAes: { ...nativeAes, ...est(nativeAes.ms) }, ratio: +ratio.toFixed(1), ratioStorage: +ratioStorage.toFixed(1), what: 'diversify + SelectApplication + AuthenticateAES (3 passes) on a recorded transcript, per authentication' };
  } finally { await s.quit(); }
}

function keystoreBench(): any {
  // tools/benchmarks/keystore.ts uploads through the same console, which the Linux build sometimes
  // aborts on (ASSERT in jsdevices.c): try twice, then report the failure instead of the figures.
  for (let attempt = 1; attempt <= 2; attempt++) {
    try { return keystoreOnce(); } catch (e) { if (attempt === 2) return { error: String((e as Error).message).split('\n').slice(0, 3).join(' ') }; }
  }
}

function keystoreOnce() {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'tools/benchmarks/keystore.ts')], { cwd: ROOT, env: process.env, encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const PARTS = ['sizes', 'sim', 'idle', 'phone', 'phases', 'card', 'keystore', 'readlog'];
const SPEC: Spec = { usage: 'npm run bench:firmware --', options: { only: { type: 'string', arg: 'PARTS', help: 'comma-separated subset of ' + PARTS.join(',') + ' (default: all)' },
  keys: { type: 'string', arg: 'N,N', help: 'key counts of the phone part (default: 0,200,1000)' } }, notes: 'Every firmware benchmark; one JSON line at the end. Set ESPRUINO_BIN for the real-interpreter figures.' };

async function main(argv: string[]): Promise<number> {
  const args = parse(argv, SPEC);
  if (args.help) { process.stdout.write(help(SPEC)); return 0; }
  const only = typeof args.values.only === 'string' ? args.values.only.split(',') : PARTS;
  const bad = only.filter((p) => !PARTS.includes(p));
  if (bad.length) throw new UsageError('--only: unknown part ' + bad.join(',') + ' (known: ' + PARTS.join(',') + ')');
  const want = (p: string) => only.includes(p);
  const keyCounts = typeof args.values.keys === 'string' ? args.values.keys.split(',').map(Number) : [0, 200, 1000];
  if (keyCounts.some((k) => !(Number.isInteger(k) && k >= 0 && k <= 1000))) throw new UsageError('--keys: whole numbers 0..1000, comma-separated');
  const bin = espruinoBinary();
  const report: any = { bench: 'firmware', espruino: bin ? path.basename(bin) : null };
  if (want('sizes')) report.sizes = await sizes();
  for (const s of report.sizes || []) console.log(`${s.board.padEnd(11)} bundle ${s.bundleBytes} B; Storage ${s.storageBytes}: code ${s.code}, ${s.keyCapacity} keys ${s.keysAtCapacity}, log ${s.logEntries} entries ${s.log}, small files ${s.smallFiles}, reserve ${s.reserve}, left ${s.left} B (${s.moreKeysThatWouldFit} more keys)`);
  if (want('sim')) report.sim = await simThroughput();
  if (report.sim) console.log(`simulator: ${report.sim.unlocksPerSecond} unlocks per second of real time (${report.sim.unlocks} unlocks, ${report.sim.simulatedHours} simulated hours in ${report.sim.realSeconds} s)`);
  if (bin) {
    if (want('idle')) report.idle = [];
    if (want('idle')) for (const k of [0, 200, 1000]) { const r = await idleProduction(bin, k); report.idle.push(r); console.log(`production puckjs bundle, ${k} keys: idle ${r.idleVars} vars (booted ${r.booted})`); }
    if (want('phone')) report.phoneKey = [];
    if (want('phone')) for (const k of keyCounts) {
      const r = await phoneKeySession(bin, k);
      report.phoneKey.push(r);
      console.log(`bench bundle, ${k} keys: idle ${r.idleVars}, peak live ${r.peakLiveVars}, peak incl. garbage ${r.peakWithGarbageVars}, after ${r.afterSessionVars}; ${r.what} in ${r.decisionMs} ms (best of 12, host)`);
      const names: Record<string, string> = { first: 'first command after boot', again: 'the same key again', afterOtherKey: 'after another key\'s command',
        named: 'after a HELLO naming the key, its work done before the COMMAND' };
      for (const [n, p] of Object.entries(r.paths)) for (const line of describePath(`  ${r.what}, ${names[n]}`, p)) console.log(line);
      const pr = r.prepared, f = (x: number) => Math.round(x);
      console.log(`  ${pr.phase}: ${pr.hostMs.toFixed(2)} ms host (${pr.interpretedMs.toFixed(2)} interpreted; ${Object.entries(pr.native).map(([k, n]) => n + ' ' + k).join(', ')}) = ${bothEstimates(pr.boardMsStorage, pr.boardMs)}`);
      const pb = r.afterBareHello;
      console.log(`  the same span after a bare HELLO (no key's work: unwinding, the bench's PULL loop): ${pb.hostMs.toFixed(2)} ms host = ~${f(pb.boardMsStorage)} / ~${f(pb.boardMs)} ms; so the key's work alone ~${f(pr.boardMsStorage - pb.boardMsStorage)} / ~${f(pr.boardMs - pb.boardMs)} ms (the figures below count it all)`);
      for (const t of r.roundTrips) console.log(`  named, the phone's round trip ${t.roundTripMs} ms: work left at the COMMAND ~${f(t.leftMs)} / ~${f(t.leftMsConsole)} ms; relay on ~${t.relay ? f(t.relay.boardMsStorage) : '-'} ms (Storage ratio) / ~${t.relay ? f(t.relay.boardMs) : '-'} ms (console ratio); answer sent ~${f(t.answer!.boardMsStorage)} / ~${f(t.answer!.boardMs)} ms`);
    }
    // 'phases' alone: the proof's phases without the end-to-end sessions (quicker, and steadier on a loaded host).
    if (want('phone') || want('phases')) {
      report.proofPhases = await proofPhases(bin, provisionImage(200, 9), imageKeyId(200));
      const pp = report.proofPhases;
      console.log(`owner UNLOCK's proof, phase by phase (200 keys, best of 12; ratios: Storage ${pp.ratioStorage.toFixed(0)}, console ${pp.ratio.toFixed(0)}):`);
      for (const p of pp.phases) console.log(`  ${p.phase}: ${p.hostMs.toFixed(3)} ms host${p.sha ? ' + ' + p.sha + ' SHA-256' : ''} = ${bothEstimates(p.boardMsStorage, p.boardMs)}`);
    }
    if (want('card')) report.card = await cardDecision(bin);
    if (want('card')) {
      const rec = recordTap();
      report.cardTap = [];
      for (const aes of ['native', 'javascript'] as const) {
        try { report.cardTap.push(await cardTap(bin, rec, aes)); } catch (e) { report.cardTap.push({ aes, error: String((e as Error).message).split('\n')[0] }); }
      }
      for (const t of report.cardTap) for (const line of t.error ? [`card tap -> relay, ${t.aes} AES: not measured (${t.error})`] : describeTap(t)) console.log(line);
    }
    if (report.card) console.log(`card decision (ratios: Storage ${report.card.ratioStorage.toFixed(0)}, console ${report.card.ratio.toFixed(0)}): JS AES ${report.card.jsAes.ms.toFixed(1)} ms host = ~${report.card.jsAes.boardMsStorage} / ~${report.card.jsAes.boardMs} ms, native AES ${report.card.nativeAes.ms.toFixed(1)} ms host = ~${report.card.nativeAes.boardMsStorage} / ~${report.card.nativeAes.boardMs} ms on an nRF52 (Storage / console ratio), per authentication without the card's radio time (ok ${report.card.jsAes.ok}/${report.card.jsAes.rounds})`);
    if (want('readlog')) {
      report.readLog = [];
      for (const id of ['puckjs', 'xiaoble']) {
        try { report.readLog.push(await readLogBench(bin, id)); } catch (e) { report.readLog.push({ board: id, error: String((e as Error).message).split('\n')[0] }); }
      }
      for (const r of report.readLog) {
        if (r.error) { console.log(`READ_LOG on ${r.board}: not measured (${r.error})`); continue; }
        for (const [how, m] of [['read as flash strings', r.flashStrings], ['each read copied to RAM (memory-mapped model)', r.ramCopies]] as const) {
          console.log(`READ_LOG's log read, full ${r.board} journal (${r.pages} pages, ${r.records} records written), ${how} (ratios: Storage ${m.ratioStorage.toFixed(0)}, console ${m.ratio.toFixed(0)}): `
            + `newest 8 entries ${m.newest.hostMs} ms host = ~${m.newest.boardMsStorage} / ~${m.newest.boardMs} ms, oldest 8 ${m.oldest.hostMs} ms host = ~${m.oldest.boardMsStorage} / ~${m.oldest.boardMs} ms on an nRF52 (Storage / console ratio)`);
        }
      }
    }
    if (want('keystore')) report.keystore = keystoreBench();
    for (const r of (report.keystore && report.keystore.results) || []) console.log(`keystore ${r.keys} keys: ${r.espruino ? r.espruino.usPerLookup.toFixed(1) + ' us/lookup on espruino, store ' + r.espruino.openVars + ' vars' : r.nodeUsPerLookup + ' us/lookup on node'}`);
  } else {
    console.log('(set ESPRUINO_BIN for the real-interpreter figures)');
  }
  console.log(JSON.stringify(report));
  return 0;
}

runMain('benchmarks', () => main(process.argv.slice(2)));
