/** Random port on Espruino: the nRF52 hardware RNG through E.hwRand(), 32 bits at a time. */
import type { Random } from '../../firmware/ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
export const random: Random = {
  // One hardware word per byte (a Uint8Array keeps its low 8 bits): one short interpreted loop
  // instead of a nested one (a nonce is on the phone path), and no view over a word buffer,
  // which cost 8 more resident variables for the site's secrets.
  bytes: (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = E.hwRand();
    return out;
  },
};

export function espruinoRandom(): Random {
  return random;
}
