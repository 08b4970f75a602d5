/**
 * The relayout transport (tools/host/relayout.ts LayoutTarget) straight over the page-level flash
 * model (sim/engine/storage.ts), for tests that cut the power at every flash step of the tool's
 * own plan: the chain as the model walks it, a page erase as require("Flash").erasePage does it,
 * raw bytes programmed back as require("Flash").write does it,
 * a file write as the console writer does it (erase the name, create it pre-sized with its first
 * chunk, then the rest, chunks of nothing but 0xFF left unwritten; read back). A power cut throws
 * ModelCut. The console transport itself (tools/host/console-layout.ts) is tested over the simulator.
 */
import * as st from '../../sim/engine/storage';
import { crc32 } from '../../tools/host/bytes';
import { WRITE_CHUNK } from '../../tools/host/console-upload';
import type { LayoutTarget, Step } from '../../tools/host/relayout';
import { modelHooks as hooks } from './model-port';

export function modelLayoutTarget(f: st.Flash): LayoutTarget {
  return {
    storage: async () => ({ total: f.capacity, chain: st.files(f).map((x) => ({ at: x.addr - st.HEADER_BYTES, size: x.data.length, name: x.erased ? '' : x.name })) }),
    read: async (name, length) => st.read(f, name, 0, length)!,
    readRaw: async (at, length) => st.latin1(f.mem.subarray(at, at + length)),
    crc: async (name) => { const d = st.read(f, name); return d === undefined ? undefined : { crc: crc32(d), length: d.length }; },
    run: async (steps: Step[]) => {
      for (const s of steps) {
        if (s.op === 'erase') { st.erasePageAt(f, hooks, s.page); continue; }
        if (s.op === 'program') {
          st.programAt(f, hooks, s.at, st.toBytes(s.data.replace(/\xff+$/, '')));
          if (st.latin1(f.mem.subarray(s.at, s.at + s.data.length)) !== s.data) throw new Error('flash at ' + s.at + ' reads back wrong');
          continue;
        }
        const { name, data } = s.file;
        st.erase(f, name);
        st.write(f, hooks, name, data.slice(0, WRITE_CHUNK), 0, data.length);
        const rest = data.slice(WRITE_CHUNK).replace(/\xff+$/, '');
        if (rest) st.write(f, hooks, name, rest, WRITE_CHUNK);
        if (st.read(f, name) !== data) throw new Error(name + ' reads back wrong');
      }
    },
  };
}
