/**
 * The card tap, tap -> relay, phase by phase, inside the real interpreter (ESPRUINO_BIN): the real
 * firmware and PN532 driver on bench ports (hal/espruino/card-bench-entry.ts) replaying the I2C
 * reads recorded here from the simulated PN532 and DESFire card (sim/pn532, sim/cards) for the same
 * tap. The board entry times only the board's own code (virtual time for the reader's waits);
 * this file records the transcript, provisions the image (puckjs-nfc: an owner card among 20 keys),
 * boots it, and turns host ms into board ms with the same-run ratios the phone bench uses
 * (tools/benchmarks/board.ts referenceWays, timeline.ts ratiosOf; ../shared/device-time.md): the
 * Storage ratio (the board's model) and the console ratio (an upper bound), printed the same way.
 * Native calls are counted apart and added at their board cost (NATIVE_BOARD_MS; AES below).
 * Host-only.
 */
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { bundleFirmware } from '../host/build/bundle';
import { memoryFlash } from '../host/flash';
import { addKey, cardKeyOf, cardKeyIdOf, keyRecord, newSite, writeSite } from '../host/provision/site';
import { rng } from '../host/random';
import { timerQueue } from '../host/timer-queue';
import { authenticateDesfire, type DesfireConfig } from '../../firmware/desfire';
import { CARD_AID, CARD_SYSTEM_ID } from '../../firmware/cards';
import { createPn532, pn532Reader, pn532Sum } from '../../hal/pn532';
import { SimPn532 } from '../../sim/pn532/pn532';
import { SimDesfireCard } from '../../sim/cards/desfire';
import { hostCipher } from '../host/crypto';
import * as C from '../../firmware/codes';
import { type Image, bootImage, referenceWays } from './board';
import { NATIVE_BOARD_MS, type Reference, bothEstimates, ratiosOf } from './timeline';

const ENTRY = `import './hal/espruino/card-bench-entry';`;
/**
 * One native AES call on the board (mbedtls, software AES on the nRF52's Cortex-M4 at 64 MHz: key
 * schedule + about 1-2 µs a byte; the call's own argument handling dominates): an estimate, as
 * NATIVE_BOARD_MS's other entries.
 */
export const AES_BOARD_MS = 0.1;
/** setTimeout / clearTimeout: a native call that links or unlinks one timer (jstimer.c). */
export const TIMER_BOARD_MS = 0.05;
/**
 * I2C transfers are the reader's own time (bytes at 400 kHz: docs/PERFORMANCE.md "The card's own
 * radio time"), stated apart, so 0 here.
 */
const BOARD_MS: Record<string, number> = { ...NATIVE_BOARD_MS, 'aes-block': AES_BOARD_MS, 'timer-call': TIMER_BOARD_MS, i2c: 0 };

/** The firmware's fixed bench RndA (card-bench-entry.ts), and the card's own fixed RndB. */
const rndA = (n: number) => new Uint8Array(n).map((_, i) => (i * 7 + 1) & 255);
const rndB = (n: number) => new Uint8Array(n).map((_, i) => (i * 13 + 5) & 255);
/** The bench's transcript file in the image (card-bench-entry.ts reads it). */
const TAP_FILE = 'bench.tap';
export const UID = new Uint8Array([0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);

export interface Recording { reads: string[]; writes: string[]; tap: number; image: Image }

/** A puckjs-nfc image (owner card + phone keys, 20 in all) and the I2C transcript of that card's tap. */
export function recordTap(): Recording {
  const r = rng(15);
  const flash = memoryFlash(1 << 20);
  const site = newSite((k) => r.bytes(k));
  writeSite(flash, site);
  const nfc = boardById('puckjs-nfc')!;
  const owner = addKey(flash, site, nfc.keyCapacity, keyRecord(0x10000001, C.ROLE_OWNER, { label: 'owner' }));
  const guest = addKey(flash, site, nfc.keyCapacity, keyRecord(0x10000002, C.ROLE_GUEST, { label: 'guest' }));
  addKey(flash, site, nfc.keyCapacity, keyRecord(cardKeyIdOf(UID), C.ROLE_OWNER, { kind: C.KIND_CARD, label: 'card' }));
  for (let i = 4; i <= nfc.keyCapacity; i++) addKey(flash, site, nfc.keyCapacity, keyRecord((0x20000000 + i * 7919) >>> 0, C.ROLE_GUEST, { label: 'k' + i }));

  const t = timerQueue();
  const sim = new SimPn532(t);
  sim.card = new SimDesfireCard(UID, [{ aid: CARD_AID, keys: [cardKeyOf(site, UID)] }], { random: rndB });
  const reads: string[] = [], writes: string[] = [];
  let tap = -1;
  const bus = {
    writeTo: (a: number, d: Uint8Array) => { writes.push(Buffer.from(d).toString('hex')); sim.bus.writeTo(a, d); },
    readFrom: (a: number, n: number) => {
      const b = sim.bus.readFrom(a, n);
      // The card is reported by InListPassiveTarget's answer: D5 4B with one target.
      if (tap < 0 && b.length > 9 && b[7] === 0x4b && b[8] === 1) tap = reads.length;
      reads.push(Buffer.from(b).toString('hex'));
      return b;
    },
  };
  const reader = pn532Reader(createPn532(bus, t, sim.resetPin, pn532Sum));
  const cfg: DesfireConfig = { siteKey: site.cardMaster, aid: CARD_AID, keyNo: 0, systemId: CARD_SYSTEM_ID, cipher: hostCipher, random: { bytes: rndA } };
  let ok = false;
  reader.start((uid, sak) => authenticateDesfire(cfg, reader.transceive, uid, sak, (o) => { ok = o; t.after(0, () => reader.release()); }), () => {});
  t.tick(3000);
  if (!ok || tap < 0) throw new Error('the recorded tap did not authenticate');
  // Handed over as files of length-prefixed frames, read from flash one frame at a time: the
  // transcript as a console line or a decoded array would not fit in a Puck.js's variables.
  const frames = (hs: string[]) => Buffer.concat(hs.map((h) => Buffer.concat([Buffer.from([h.length >> 1]), Buffer.from(h, 'hex')]))).toString('latin1');
  flash.write(TAP_FILE, frames(reads));
  flash.write(TAP_FILE + 'w', frames(writes));
  return { reads, writes, tap, image: { flash, site, owner, guest } };
}

/** Host ms of interpreted code, and the board estimates by the console ratio and by the Storage ratio. */
export interface CardPhase { phase: string; hostMs: number; boardMs: number; boardMsStorage: number }
export interface CardTap {
  aes: 'native' | 'javascript';
  /** ratiosOf over every boot's reference loops (taken before and after its tap): console (upper bound) and Storage (the board's model). */
  ratio: number; ratioStorage: number; reference: Reference[];
  phases: CardPhase[]; parts: Record<string, number>; native: Record<string, [number, number]>;
  /** Card reported -> relay on: interpreted host ms, and the two board estimates with the native calls at their board cost. */
  hostMs: number; boardMs: number; boardMsStorage: number; runs: number }

const ORDER = ['detect', 'pn532', 'auth', 'decision', 'after relay'];
export const PHASE_WHAT: Record<string, string> = {
  detect: 'card reported -> first APDU (driver, key id, lookup, diversification)',
  pn532: 'PN532 driver, 3 exchanges (frames, polls, parsing; no waits)',
  auth: 'AuthenticateAES on the answers (desfire.ts)',
  decision: 'decision, relay switched',
  'after relay': 'after the relay, same callback (log)',
};

/** The bench's bundle: puckjs-nfc's firmware with the scripted reader and timing hooks (card-bench-entry.ts), native or JavaScript AES. */
export async function cardBenchBundle(aes: 'native' | 'javascript'): Promise<string> {
  const nfc = boardById('puckjs-nfc') as BoardConfig;
  const board = aes === 'native' ? nfc : { ...nfc, crypto: { ...nfc.crypto, aes: false } };
  return (await bundleFirmware(board, { entry: ENTRY })).code;
}

/**
 * Boots the tap `runs` times with native or JavaScript AES. This host is shared and load only ever
 * adds time, so each figure is its least disturbed run: every phase and part its minimum, the
 * reference loops their minimum (the ratio from it), the native calls those of the fastest run.
 */
export async function cardTap(bin: string, rec: Recording, aes: 'native' | 'javascript', runs = 5): Promise<CardTap> {
  const bundle = await cardBenchBundle(aes);
  const raws: { phases: Record<string, number>; native: Record<string, [number, number]>; parts: Record<string, number> }[] = [];
  const refs: Reference[] = [];
  for (let k = 0; k < runs; k++) {
    const s = await bootImage(bin, rec.image, bundle, undefined, true);
    try {
      // The JavaScript AES's tables (~225 variables) do not fit beside the firmware and this bench
      // in a Puck.js's 2630 (its boards have more: xiaoble 14000): the interpreter stalls.
      const total = Number((await s.eval('print(process.memory().total)')).trim().split('\n').pop());
      if (aes === 'javascript' && total < 3000) throw new Error(`needs an interpreter with more than 3000 variables (this one has ${total}; ESPRUINO_BIN=/root/espruino-4095)`);
      refs.push(await referenceWays(s));
      const out = (await s.eval(`print(cardTap(${JSON.stringify(TAP_FILE)},${rec.tap}))`, 120000)).trim().split('\n').pop()!;
      const raw = JSON.parse(out);
      if (!raw.relay) throw new Error('the replayed tap did not switch the relay: ' + out);
      if (raw.mismatches) throw new Error('the firmware wrote other frames than the recording: ' + out);
      const parts = JSON.parse((await s.eval(`print(cardParts(${JSON.stringify(Buffer.from(UID).toString('hex'))},8))`, 120000)).trim().split('\n').pop()!);
      if (!parts.exchangesOk) throw new Error('the driver alone did not get the three answers again: ' + JSON.stringify(parts));
      delete parts.exchangesOk;
      refs.push(await referenceWays(s));
      raws.push({ phases: raw.phases, native: raw.native, parts });
    } finally { await s.quit(); }
  }
  const min = (f: (r: typeof raws[0]) => number) => Math.min(...raws.map(f));
  const { ratio, ratioStorage } = ratiosOf(refs);
  // Phases are interpreted time (native calls taken out); natives are added at their board cost.
  const phases: CardPhase[] = ORDER.filter((p) => raws[0].phases[p] !== undefined).map((p) => {
    const hostMs = min((r) => r.phases[p]);
    return { phase: p, hostMs, boardMs: hostMs * ratio, boardMsStorage: hostMs * ratioStorage };
  });
  const total = (r: typeof raws[0]) => Object.entries(r.phases).reduce((a, [p, ms]) => (p === 'after relay' ? a : a + ms), 0);
  const native = raws.reduce((a, b) => (total(b) < total(a) ? b : a)).native;
  const nativeBoard = Object.entries(native).reduce((a, [kind, [n]]) => a + n * (BOARD_MS[kind] ?? 0), 0); // 'after relay: x' has no entry: not counted
  const toRelay = phases.filter((p) => p.phase !== 'after relay');
  const parts: Record<string, number> = {};
  for (const k of Object.keys(raws[0].parts)) parts[k] = min((r) => r.parts[k]);
  return {
    aes, ratio, ratioStorage, reference: refs, phases, parts, native, runs,
    hostMs: toRelay.reduce((a, p) => a + p.hostMs, 0),
    boardMs: toRelay.reduce((a, p) => a + p.boardMs, 0) + nativeBoard,
    boardMsStorage: toRelay.reduce((a, p) => a + p.boardMsStorage, 0) + nativeBoard,
  };
}

/** The tap as the phone bench prints its path (timeline.ts describePath): both estimates on every line, the Storage ratio first. */
export function describeTap(t: CardTap): string[] {
  const nat = Object.entries(t.native).map(([k, [n, ms]]) => `${n} ${k} (${ms.toFixed(2)} ms host, ~${(n * (BOARD_MS[k.split(' ').pop()!] ?? 0)).toFixed(1)} ms board)`).join(', ');
  const out = [`card tap -> relay, ${t.aes} AES (ratios: Storage ${t.ratioStorage.toFixed(0)}, console ${t.ratio.toFixed(0)}; least disturbed of ${t.runs} boots): ${t.hostMs.toFixed(2)} ms host interpreted -> ${bothEstimates(t.boardMsStorage, t.boardMs)} on an nRF52 with natives, without the card's and reader's own time`];
  for (const p of t.phases) out.push(`  ${PHASE_WHAT[p.phase]}: ${p.hostMs.toFixed(2)} ms host = ${bothEstimates(p.boardMsStorage, p.boardMs)}`);
  out.push(`  native calls: ${nat || 'none'}`);
  out.push('  parts, each alone (best of 8, natives out; exchanges = the PN532 driver alone on the tap\'s 3 APDUs): ' + Object.entries(t.parts).map(([k, ms]) => `${k} ${ms.toFixed(2)} ms host = ${bothEstimates(ms * t.ratioStorage, ms * t.ratio)}`).join(', '));
  return out;
}
