/**
 * The firmware's Storage port (hal/ports.ts FlashStorage) straight over the page-level flash
 * model (sim/engine/storage.ts), for tests of flash formats without a board: a failed write is
 * false, as on the board; a power cut (the model's `cutPowerAtWrite`) throws `ModelCut`.
 */
import * as st from '../../sim/engine/storage';
import type { FlashStorage } from '../../firmware/ports';

export class ModelCut extends Error {}
export const modelHooks = { error: (m: string) => new Error(m), powerCut: () => new ModelCut('power cut') };

export function modelPort(f: st.Flash): FlashStorage {
  return {
    read: (n, o, l) => st.read(f, n, o, l),
    write: (n, d, o, size) => { try { return st.write(f, modelHooks, n, d, o, size); } catch (e) { if (e instanceof ModelCut) throw e; return false; } },
    erase: (n) => st.erase(f, n),
    list: (p) => st.list(f, p),
    free: () => st.stats(f).freeBytes,
    compact: () => st.compact(f, modelHooks),
  };
}
