/**
 * Host helpers for measuring the firmware inside the real Espruino interpreter (ESPRUINO_BIN):
 * a flash image provisioned with N keys (as tools/host/provision/site.ts does), the bench bundle (the board-side
 * entry hal/espruino/bench-entry.ts: the real firmware's startFirmware on bench ports with a
 * console-driven radio and memory sampling), and a phone that drives it through the console.
 * The production firmware has no global API; the `ev` hook exists only in the bench bundle, never
 * in dist/. Host-only.
 */
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import { bundleFirmware } from '../host/build/bundle';
import { type Session, startInterpreter } from '../espruino/interpreter';
import { installFlash } from '../../sim/espruino/board';
import { makeBoardDir } from '../../sim/espruino/link';
import { prelude } from '../espruino/boot-bundles';
import { addKey, keyRecord, newSite, writeSite, type SiteSecrets } from '../host/provision/site';
import { type MemoryFlash, memoryFlash } from '../host/flash';
import * as C from '../../firmware/codes';
import { type Answer, type PhoneKeyFile, collector, command, nodeMac, packets, parseAnswer } from '../host/protocol';
import { rng } from '../host/random';
import type { Reference } from './timeline';

/** The bench entry: the firmware on bench ports (hal/espruino/bench-entry.ts), bundled for a Puck.js. */
const PHONEKEY_ENTRY = `import './hal/espruino/bench-entry';`;

export interface Image {
  flash: MemoryFlash;
  site: SiteSecrets;
  owner: PhoneKeyFile;
  guest: PhoneKeyFile;
}

/** A flash image as the USB tool writes it: site secrets, an owner, a guest and n-2 more keys. */
export function provisionImage(n: number, seed = 1): Image {
  const r = rng(seed);
  const flash = memoryFlash(1 << 20);
  const site = newSite((k) => r.bytes(k));
  writeSite(flash, site);
  if (n === 0) return { flash, site, owner: { keyId: 1, secret: new Uint8Array(16) }, guest: { keyId: 2, secret: new Uint8Array(16) } };
  // A key file sized as the USB tool sizes a board's (capacity + a quarter): a Puck.js's 87 keys, or n.
  const cap = Math.max(87, n);
  const owner = addKey(flash, site, cap, keyRecord(0x10000001, C.ROLE_OWNER, { label: 'owner' }));
  const guest = addKey(flash, site, cap, keyRecord(0x10000002, C.ROLE_GUEST, { label: 'guest' }));
  for (let i = 3; i <= n; i++) addKey(flash, site, cap, keyRecord(imageKeyId(i), C.ROLE_GUEST, { label: 'k' + i }));
  return { flash, site, owner, guest };
}

/** The id provisionImage gives its i-th key (i >= 3; 1 and 2 are the owner and the guest). */
export function imageKeyId(i: number): number {
  return (0x20000000 + i * 7919) >>> 0;
}

/**
 * Writes the image's files, the prelude and `bundle` (as .bootcde) into a fresh Storage; boots from it.
 * `timed`: the session will time the reference loop (referenceWays), so its global `i` is made
 * before the bundle runs (.boot1 runs before .bootcde: src/jsflash.c jsfLoadBootCodeFromFlash).
 * The bundle runs at the interpreter's root (tools/host/build/root.ts), and Espruino finds a global
 * by walking the root's names in order: an `i` made after the bundle's few hundred names makes the
 * loop about 4x slower than on the clean board the published 0.28 s was measured on (2.3 vs 9.9 ms
 * on /root/espruino-4095 with 300 names before it), so every board estimate would come out too low.
 */
export async function bootImage(bin: string, image: Image | undefined, bundle: string, settleMs = 400, timed = false): Promise<Session> {
  // The Linux interpreter sometimes aborts on console input (ASSERT(len <= 64) in jsdevices.c,
  // or a garbled line that never answers, more often under load): a fresh attempt in a fresh directory gets through.
  for (let attempt = 1; ; attempt++) {
    try {
      return await bootImageOnce(bin, image, bundle, settleMs, timed);
    } catch (e) {
      if (attempt >= 4) throw e;
    }
  }
}

async function bootImageOnce(bin: string, image: Image | undefined, bundle: string, settleMs: number, timed: boolean): Promise<Session> {
  const dir = makeBoardDir();
  // Installed through the interpreter's own file API, not its console (which drops characters).
  const files: Record<string, string> = {};
  if (image) for (const name of image.flash.files.keys()) files[name] = image.flash.read(name)!;
  files['.boot0'] = prelude();
  if (timed) files['.boot1'] = 'var i=0;';
  files['.bootcde'] = bundle;
  installFlash(bin, dir, files);
  const s = startInterpreter(bin, dir);
  await new Promise((res) => setTimeout(res, settleMs));
  return s;
}

/** One timeline mark from the bench bundle: what (sha, read, write, relay, send), start and end in ms after the last packet arrived. */
export type Mark = [string, number, number];

/** The Storage file the reference loop is run from (written once per interpreter directory; a few bytes). */
export const REFERENCE_FILE = 'ckref.js';

/**
 * The same reference loop three ways, in one run, best of 20 each (interleaved, so load falls on all
 * three alike), in host ms:
 * - console: typed at the console, as published (its code is a RAM string);
 * - storage: a function defined by evaluating a Storage file, the way the firmware's bundle is
 *   booted (src/jsflash.c jsfLoadBootCodeFromFlash evaluates the file's string; src/jsparse.c
 *   keeps each function's code as a string over Storage: a native string on an nRF52, a flash
 *   string read 16 bytes at a time through jshFlashRead on this Linux build);
 * - ram: a function defined by eval of a string in RAM (its code copied into RAM, as the console's).
 * docs/PERFORMANCE.md "Which ratio models the board" says what each models.
 */
export async function referenceWays(s: Session): Promise<Reference> {
  const src = (name: string) => `function ${name}(){for(i=0;i<1000;i=i+1);}`;
  const js = `var S=require("Storage");if(S.read(${JSON.stringify(REFERENCE_FILE)})===undefined)S.write(${JSON.stringify(REFERENCE_FILE)},${JSON.stringify(src('nojitS'))});`
    + `eval(S.read(${JSON.stringify(REFERENCE_FILE)}));eval(${JSON.stringify(src('nojitR'))});${src('nojit')}`
    + 'var rb=[1e9,1e9,1e9],rf=[nojit,nojitS,nojitR];for(var rk=0;rk<20;rk++)for(var rj=0;rj<3;rj++){var rt=getTime();rf[rj]();rt=getTime()-rt;if(rt<rb[rj])rb[rj]=rt;}'
    + 'print(JSON.stringify(rb.map(function(x){return x*1000;})))';
  const [c, st, r] = JSON.parse((await s.eval(js, 60000)).trim().split('\n').pop()!);
  return { console: c, storage: st, ram: r };
}

export async function memoryUsage(s: Session): Promise<number> {
  const out = await s.eval('print(process.memory().usage)', 30000);
  return Number(out.trim().split('\n').pop());
}

let benchBundle: string | undefined;
export async function phoneKeyBenchBundle(): Promise<string> {
  if (!benchBundle) benchBundle = (await bundleFirmware(boardById('puckjs') as BoardConfig, { entry: PHONEKEY_ENTRY })).code;
  return benchBundle;
}

export interface BoardPhone {
  connect(): Promise<Answer>;
  /** Sends one signed command; `mode` 1 samples usage without GC, 2 with GC (live), 0 none; `nomarks`: no timeline. */
  run(key: PhoneKeyFile, op: number, args?: Uint8Array, mode?: number, nomarks?: boolean): Promise<{ answer: Answer; seconds: number; peak: number; relay: boolean; marks: Mark[] }>;
  raw(hexPackets: string[]): Promise<Answer | undefined>;
  /** HELLO `msg` on the current link (its CHALLENGE's nonce is the next command's): interpreter ms until the board was done, and the marks. */
  hello(msg: Uint8Array): Promise<{ answer: Answer; ms: number; marks: Mark[] }>;
}

/** A phone talking to the bench bundle through the interpreter's console. */
export function boardPhone(s: Session): BoardPhone {
  let nonce: Uint8Array | undefined;
  const decode = (key: PhoneKeyFile | undefined, sent: string, sentNonce?: Uint8Array): Answer | undefined => {
    const collect = collector();
    let msg: Uint8Array | undefined;
    for (const h of sent.split(' ').filter(Boolean)) msg = collect(new Uint8Array(Buffer.from(h, 'hex'))) || msg;
    if (!msg) return undefined;
    const a = parseAnswer(nodeMac, key, msg, sentNonce);
    if (a.nonce) nonce = a.nonce;
    return a;
  };
  const feed = async (pk: Uint8Array[], mode: number, nomarks?: boolean) => {
    const js = `print(ev.packets(${JSON.stringify(pk.map((p) => Buffer.from(p).toString('hex')))}, ${mode}, ${nomarks ? 1 : 0}))`;
    return JSON.parse((await s.eval(js, 30000)).trim().split('\n').pop()!);
  };
  const phone: BoardPhone = {
    connect: async () => {
      const sent = (await s.eval('print(ev.connect())')).trim().split('\n').pop()!;
      const a = decode(undefined, sent);
      if (!a || a.type !== 'challenge') throw new Error('no challenge from the board: ' + sent);
      return a;
    },
    run: async (key, op, args, mode = 0, nomarks = false) => {
      if (!nonce) await phone.connect();
      const n = nonce!;
      const r = await feed(packets(command(nodeMac, key, n, op, args)), mode, nomarks);
      const answer = decode(key, r.sent, n);
      if (!answer) throw new Error('no answer from the board');
      return { answer, seconds: r.t, peak: r.peak, relay: r.relay, marks: r.marks || [] };
    },
    hello: async (msg) => {
      const js = `print(ev.hello(${JSON.stringify(packets(msg).map((p) => Buffer.from(p).toString('hex')))}))`;
      const r = JSON.parse((await s.eval(js, 30000)).trim().split('\n').pop()!);
      const answer = decode(undefined, r.sent);
      if (!answer || answer.type !== 'challenge') throw new Error('no challenge from the board: ' + r.sent);
      return { answer, ms: r.t, marks: r.marks || [] };
    },
    raw: async (hexPackets) => {
      const r = await feed(hexPackets.map((h) => new Uint8Array(Buffer.from(h, 'hex'))), 0);
      return decode(undefined, r.sent);
    },
  };
  return phone;
}
