/**
 * Target `desfire`: authenticateDesfire against a simulated card whose APDU answers are mutated.
 */
import { performance } from 'node:perf_hooks';
import { hostCipher } from '../../host/crypto';
import { SimDesfireCard } from '../../../sim/cards/desfire';
import { authenticateDesfire, sessionKey, type AuthRandoms, type DesfireConfig } from '../../../firmware/desfire';
import { sameBytes } from '../common';
import { rng } from '../../host/random';
import { type FuzzResult, result, add, MAX_VIOLATIONS } from './result';
import { SITE_KEY, AID, SYS, softAes, cardFor, mutatingCard } from './cards-common';

export async function fuzzDesfire(cases: number, seed = 1): Promise<FuzzResult> {
  const t0 = performance.now();
  const r = rng(seed ^ 0xde5);
  const v: string[] = [];
  const stats: Record<string, number> = { ok: 0, refused: 0, genuineUnchanged: 0, throwsFromReader: 0 };
  for (let c = 0; c < cases; c++) {
    const uid = r.bytes(7); uid[0] = 0x04;
    const kind = r.pick(['genuine', 'genuine', 'clone', 'liar'] as const);
    const card = mutatingCard(r, cardFor(r, uid, kind), r.pick([0, 0.2, 0.5, 1]));
    const cfg: DesfireConfig = { siteKey: SITE_KEY, aid: AID, keyNo: 0, systemId: SYS, cipher: r.chance(0.5) ? softAes : hostCipher, random: { bytes: (n) => r.bytes(n) } };
    const throwAt = r.chance(0.05) ? 1 + r.int(3) : 0;
    let sent = 0;
    const calls: Array<[boolean, string, Uint8Array | undefined]> = [];
    const tx = (apdu: Uint8Array, cb: (resp: Uint8Array | undefined, err?: string) => void) => {
      if (++sent === throwAt) { stats.throwsFromReader++; card.changed = true; throw new Error('reader gone'); }
      const a = card.apdu(apdu);
      cb(a, a ? undefined : r.pick(['timeout', 'card-removed', 'protocol']));
    };
    const auth: AuthRandoms = {};
    try {
      authenticateDesfire(cfg, tx, uid, r.chance(0.95) ? 0x20 : r.int(256), (ok, reason) => calls.push([ok, reason, auth.ra && sessionKey(auth)]), auth);
    } catch (e) {
      add(v, 'authenticateDesfire threw ' + e);
      continue;
    }
    const what = `case ${c}: ${kind} card, answers ${card.changed ? 'changed' : 'intact'}`;
    if (calls.length !== 1) { add(v, `callback called ${calls.length} times; ${what}`); continue; }
    const [ok, reason, sk] = calls[0];
    if (ok) stats.ok++; else stats.refused++;
    const genuineIntact = kind === 'genuine' && !card.changed;
    if (ok && !genuineIntact) add(v, 'authenticated: ' + what);
    if (ok && !sameBytes(sk, (card.inner as SimDesfireCard).sessionKey)) add(v, 'session keys differ: ' + what);
    if (genuineIntact && !ok && sent > 0) add(v, `a genuine card with intact answers was refused (${reason}): ${what}`);
    if (genuineIntact && ok) stats.genuineUnchanged++;
    if (v.length >= MAX_VIOLATIONS) break;
  }
  return result('desfire', cases, seed, t0, v, stats);
}
