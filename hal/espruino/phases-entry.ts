/**
 * The proof-phases bench's board entry (tools/benchmarks/phases.ts bundles it for a Puck.js; never in
 * dist/): the firmware's own functions of an owner's UNLOCK proof, each called alone on a provisioned
 * image and timed best of n, as `phases(keyId, hexPackets, n)` on the console. The MAC input is built
 * as firmware/phonekey.ts `macOf` builds it ('CK1' + 'C', the nonce, the body). SHA-256 time is
 * counted apart (the host adds the chip's native figure per call).
 */
import type { Crypto } from '../../firmware/ports';
import { espruinoCrypto } from './crypto';
import { espruinoStorage } from './storage';
import { createReassembler } from '../../firmware/frames';
import { type KeyRecord, ksLookup, ksOpen } from '../../firmware/keystore';
import { slotAt } from '../../firmware/slotfile';
import { str32 } from '../../firmware/binstr';
import { keySecret, siteLoad } from '../../firmware/site';
import { type HmacPads, hmacPads, hmacWithPads } from '../../firmware/hmac';
import { equalConstantTime } from '../../firmware/bytes';
import { checkAccess } from '../../firmware/access';
import { logAppend, logOpen } from '../../firmware/auditlog';

declare const global: any;

function unhex(h: string): Uint8Array {
  const b = new Uint8Array(h.length >> 1);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16);
  return b;
}

let shaN = 0, shaMs = 0;
const c0 = espruinoCrypto(true);
const crypto: Crypto = { sha256: (d) => { const t = getTime(); const r = c0.sha256(d); shaMs += getTime() - t; shaN++; return r; }, crc32: c0.crc32 };
const storage = espruinoStorage();
/**
 * The same Storage, but every read handed over as a copy in RAM (the backing string of E.toUint8Array), its copy time
 * counted apart as a native call's: what the firmware then does with the string is what it does on an
 * nRF52, where Storage.read gives a native string over memory-mapped flash (src/jsflash.c
 * jsvAddressToVar). On this Linux build a Storage string is a flash string, and each access to it
 * (charCodeAt, indexOf) reads the file 16 bytes at a time (targets/linux/jshardware.c jshFlashRead).
 */
let readMs = 0;
const ramStorage = {
  read: (n: string, o?: number, z?: number) => { const t = getTime(); const r = storage.read(n, o, z); const c = r === undefined ? r : E.toString(E.toUint8Array(r)); readMs += getTime() - t; return c; },
  write: storage.write, erase: storage.erase, list: storage.list, free: storage.free, compact: storage.compact,
};

/** Best of n runs of f, in host ms, less the SHA-256 host time and the RAM copies' time (ramStorage) inside it; with the SHA-256 count per run. */
function best(n: number, f: () => void): number[] {
  let b = 1e9, sha = 0;
  for (let k = 0; k < n; k++) { shaN = 0; shaMs = 0; readMs = 0; const t = getTime(); f(); const d = getTime() - t - shaMs - readMs; if (d < b) b = d; sha = shaN; }
  return [b * 1000, sha];
}

/** `lastId`: the key written last to the table (the longest native search); `unknownId`: none (the whole table). */
global.phases = function (keyId: number, hexPackets: string[], n: number, lastId: number, unknownId: number): string {
  const site = siteLoad(storage, crypto, { bytes: (k: number) => new Uint8Array(k) })!;
  const ks = ksOpen(storage, crypto, 1000);
  const log = logOpen(storage, crypto, 3, 32); // puckjs: hal/boards/puckjs.ts
  const pk = hexPackets.map(unhex);
  const out: { [phase: string]: number[] } = {};
  let msg: Uint8Array | undefined;
  out.reassembly = best(n, () => { const r = createReassembler(256); for (let i = 0; i < pk.length; i++) msg = r.push(pk[i]).message || msg; });
  const m0 = msg!;
  let rec: KeyRecord | undefined;
  out.keyLookup = best(n, () => { rec = ksLookup(ks, keyId); });
  out.keyLookupLast = best(n, () => { ksLookup(ks, lastId); });
  out.keyLookupUnknown = best(n, () => { ksLookup(ks, unknownId); });
  const ksRam = ksOpen(ramStorage as any, crypto, 1000);
  out.keyLookupRam = best(n, () => { ksLookup(ksRam, keyId); });
  out.keyLookupLastRam = best(n, () => { ksLookup(ksRam, lastId); });
  out.keyLookupUnknownRam = best(n, () => { ksLookup(ksRam, unknownId); });
  // The native search alone over the used slots in RAM: C, as the board runs it over mapped flash.
  const sf = ksRam.sf!, used = E.toString(E.toUint8Array(storage.read(sf.name, 0, slotAt(sf, sf.used))!)), unknown = str32(unknownId);
  out.tableSearchRam = best(n, () => { used.indexOf(unknown); });
  const r0 = rec!;
  let secret = new Uint8Array(0);
  out.keySecret = best(n, () => { secret = keySecret(crypto, site, r0.id, r0.salt); });
  let pads: HmacPads | undefined;
  out.keyPads = best(n, () => { pads = hmacPads(secret); });
  const nonce = new Uint8Array(16), tag = m0.subarray(m0.length - 16);
  out.macCheck = best(n, () => {
    const body = m0.subarray(0, m0.length - 16);
    const m = new Uint8Array(20 + body.length);
    m[0] = 67; m[1] = 75; m[2] = 49; m[3] = 67;
    m.set(nonce, 4); m.set(body, 20);
    equalConstantTime(hmacWithPads(crypto.sha256, pads!, m).subarray(0, 16), tag);
  });
  out.decision = best(n, () => { checkAccess(r0, 1, -1, 0, false); });
  out.auditEntry = best(n < 4 ? n : 4, () => { logAppend(log, 1000, false, 1, 1, 0, keyId); });
  return JSON.stringify(out);
};
