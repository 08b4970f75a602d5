/**
 * The phone path's proof, phase by phase, inside the real interpreter (ESPRUINO_BIN): the firmware's
 * own functions called one at a time on a provisioned image (tools/benchmarks/board.ts), each timed best
 * of N in the same run as the reference loop (../shared/device-time.md). The end-to-end timeline
 * (tools/benchmarks/timeline.ts) says where the relay and the answer happen; this says what the proof
 * before them is made of. The MAC input is built as firmware/phonekey.ts `macOf` builds it.
 * Host-only (the entry string is bundled for the board by tools/build).
 */
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { bundleFirmware } from '../host/build/bundle';
import { OP, command, nodeMac, packets } from '../host/protocol';
import { type Image, bootImage, referenceMs } from './board';
import { NATIVE_BOARD_MS, ratioOf } from './timeline';

const PHASES_ENTRY = `
import { espruinoCrypto } from './hal/espruino/crypto';
import { espruinoStorage } from './hal/espruino/storage';
import { createReassembler } from './firmware/frames';
import { ksOpen, ksLookup } from './firmware/keystore';
import { siteLoad, keySecret } from './firmware/site';
import { hmacPads, hmacWithPads } from './firmware/hmac';
import { equalConstantTime } from './firmware/bytes';
import { checkAccess } from './firmware/access';
import { logOpen, logAppend } from './firmware/auditlog';
declare const global: any;
function unhex(h) { const b = new Uint8Array(h.length >> 1); for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16); return b; }
let shaN = 0, shaMs = 0;
const c0 = espruinoCrypto(true);
const crypto = { sha256: (d) => { const t = getTime(); const r = c0.sha256(d); shaMs += getTime() - t; shaN++; return r; }, crc32: c0.crc32 };
const storage = espruinoStorage();
/** Best of n runs of f, in host ms, less the SHA-256 host time inside it; with the SHA-256 count per run. */
function best(n, f) {
  let b = 1e9, sha = 0;
  for (let k = 0; k < n; k++) { shaN = 0; shaMs = 0; const t = getTime(); f(); const d = getTime() - t - shaMs; if (d < b) b = d; sha = shaN; }
  return [b * 1000, sha];
}
global.phases = function (keyId, hexPackets, n) {
  const site = siteLoad(storage, crypto, { bytes: (k) => new Uint8Array(k) });
  const ks = ksOpen(storage, crypto, 1000);
  const log = logOpen(storage, crypto, 3, 32); // puckjs: hal/boards/puckjs.ts
  const pk = hexPackets.map(unhex);
  const out: any = {};
  let msg;
  out.reassembly = best(n, () => { const r = createReassembler(256); for (let i = 0; i < pk.length; i++) msg = r.push(pk[i]).message || msg; });
  let rec;
  out.keyLookup = best(n, () => { rec = ksLookup(ks, keyId); });
  let secret;
  out.keySecret = best(n, () => { secret = keySecret(crypto, site, rec.id, rec.salt); });
  let pads;
  out.keyPads = best(n, () => { pads = hmacPads(crypto.sha256, secret); });
  const nonce = new Uint8Array(16), tag = msg.subarray(msg.length - 16);
  out.macCheck = best(n, () => {
    const body = msg.subarray(0, msg.length - 16);
    const m = new Uint8Array(20 + body.length);
    m[0] = 67; m[1] = 75; m[2] = 49; m[3] = 67;
    m.set(nonce, 4); m.set(body, 20);
    equalConstantTime(hmacWithPads(crypto.sha256, pads, m).subarray(0, 16), tag);
  });
  out.decision = best(n, () => { checkAccess(rec, 1, -1, 0, false); });
  out.auditEntry = best(Math.min(n, 4), () => { logAppend(log, 1000, false, 1, 1, 0, keyId); });
  return JSON.stringify(out);
};
`;

const WHAT: Record<string, string> = {
  reassembly: 'reassembly (the command\'s packets)', keyLookup: 'key lookup (ksLookup)', keySecret: 'key secret (keySecret, site pads kept)',
  keyPads: 'the key\'s HMAC pads (hmacPads)', macCheck: 'MAC check (kept pads: input, HMAC, compare)', decision: 'decision (checkAccess)',
  auditEntry: 'one audit entry (logAppend, write and read-back)',
};

export interface Phase { phase: string; hostMs: number; sha: number; boardMs: number }

/** Times each phase of an owner's UNLOCK proof on `image` (its owner key); `n` runs each. */
export async function proofPhases(bin: string, image: Image, n = 12): Promise<{ ratio: number; phases: Phase[] }> {
  const bundle = (await bundleFirmware(boardById('puckjs') as BoardConfig, { entry: PHASES_ENTRY })).code;
  const s = await bootImage(bin, image, bundle);
  try {
    const pk = packets(command(nodeMac, image.owner, new Uint8Array(16), OP.UNLOCK)).map((p) => Buffer.from(p).toString('hex'));
    const ref0 = await referenceMs(s);
    const raw = JSON.parse((await s.eval(`print(phases(${image.owner.keyId},${JSON.stringify(pk)},${n}))`, 120000)).trim().split('\n').pop()!);
    const ref1 = await referenceMs(s);
    const ratio = ratioOf((ref0 + ref1) / 2);
    const phases = Object.keys(WHAT).map((k) => {
      const [hostMs, sha] = raw[k];
      // Storage calls are not separated here: their host time stays in (Linux reads a file; the board reads mapped flash).
      return { phase: WHAT[k], hostMs, sha, boardMs: hostMs * ratio + sha * NATIVE_BOARD_MS.sha };
    });
    return { ratio, phases };
  } finally { await s.quit(); }
}
