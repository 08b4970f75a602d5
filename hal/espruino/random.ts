/** Random port on Espruino: the nRF52 hardware RNG through E.hwRand(), 32 bits at a time. */
import type { Random } from '../ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
const random: Random = {
  // One hardware word per 4 bytes, viewed as bytes: no interpreted loop per byte (a nonce is on
  // the phone path, where each interpreted operation costs about 0.1 ms on the board).
  bytes: (n) => {
    const w = new Uint32Array((n + 3) >> 2);
    for (let i = 0; i < w.length; i++) w[i] = E.hwRand();
    return new Uint8Array(w.buffer, 0, n);
  },
};

export function espruinoRandom(): Random {
  return random;
}
