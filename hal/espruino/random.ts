/** Random port on Espruino: the nRF52 hardware RNG through E.hwRand(), 32 bits at a time. */
import type { Random } from '../../firmware/ports';

// Module level, like hal/espruino/timers.ts: no scope-chain array per method.
const random: Random = {
  bytes: (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const r = E.hwRand();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (r >> (j * 8)) & 255;
    }
    return out;
  },
};

export function espruinoRandom(): Random {
  return random;
}
