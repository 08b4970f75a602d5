/**
 * A board's Storage in the compaction-safe layout (tools/host/layout.ts), on the page-level flash
 * model (sim/engine/storage.ts), as provisioning, flashing and the firmware would leave it: the
 * site, the key table as a slot file (every key slot used, some keys changed, one revoked), the
 * bundle of `npm run build`, the pad, every log tile, a clock and a settings tile full, and trash
 * from a clock save and a log rotation. For the evidence tests and the tools' relayout tests.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { boardById } from '../../hal/boards/index';
import type { BoardConfig } from '../../hal/boards/types';
import * as st from '../../sim/engine/storage';
import { modelHooks as hooks, modelPort } from './model-port';
import { slotAppend, slotMark, slotOpen, slotReplace } from '../../firmware/slotfile';
import { KEY_MARKS, KEYS_FILE, PAD_FILE, SITE_FILE, tiledLayout } from '../../tools/host/layout';

/** The layout's permanent files and the bundle and pad, in flash order. */
export const LAYOUT_FIXED = [SITE_FILE, KEYS_FILE, '.bootcde', PAD_FILE];

/** Deterministic bytes, never 0xFF, different per name. */
export function fill(name: string, len: number): string {
  let seed = 0;
  for (let i = 0; i < name.length; i++) seed = (seed * 31 + name.charCodeAt(i)) & 0xffff;
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode((seed + i * 7) % 251);
  return s;
}

export function bundleOf(board: string, file = 'firmware.js'): string {
  return fs.readFileSync(path.join(__dirname, '..', '..', 'dist', board, file), 'latin1');
}

/** A key record (firmware/keystore.ts layout: id first) with deterministic other bytes. */
export function keyRecord(id: number, v: number): string {
  return String.fromCharCode(id >>> 24, (id >> 16) & 255, (id >> 8) & 255, id & 255) + fill('k' + id + '.' + v, 28);
}

/** The board's Storage in the layout; `keysUsed` key slots written (default: all). */
export function layoutBoard(board: string, opts: { keysUsed?: number; bundle?: string; cfg?: BoardConfig } = {}) {
  const cfg = opts.cfg || boardById(board)!;
  const bundle = opts.bundle || bundleOf(board);
  const plan = tiledLayout(cfg, bundle.length);
  const f = st.createFlash(cfg.storageBytes);
  const port = modelPort(f);
  st.write(f, hooks, SITE_FILE, fill('site', plan.site - 32));
  const keys = slotOpen(port, KEYS_FILE, 32, plan.keySlots, 4, plan.keysFileBytes, KEY_MARKS)!;
  if (plan.aligned) assert.equal(st.find(f, KEYS_FILE)!.addr + plan.keysFileBytes, plan.permanentPages * plan.page, 'the key file ends on a page boundary');
  const used = opts.keysUsed === undefined ? plan.keySlots : opts.keysUsed;
  const changed = Math.min(20, used >> 3);
  for (let i = 0; i < used - changed; i++) slotAppend(keys, keyRecord(i * 97 + 1, 0));
  for (let i = 0; i < changed; i++) slotReplace(keys, i, keyRecord(i * 97 + 1, 1));
  if (used > changed + 1) slotMark(keys, changed + 1, 0); // a revoked key: a mark, no slot
  assert.equal(keys.used, used);
  st.write(f, hooks, '.bootcde', bundle);
  if (plan.aligned) assert.equal(st.find(f, '.bootcde')!.addr - 32, plan.permanentPages * plan.page, 'the bundle starts on a page boundary');
  const end = cfg.storageBytes - st.stats(f).freeBytes;
  assert.ok(plan.tiledStart - end >= 36, 'room for the pad');
  st.write(f, hooks, PAD_FILE, '\0', 0, plan.tiledStart - end - 32);
  const tile = (name: string, v: number) => { st.write(f, hooks, name, fill(name + v, plan.tile - 32)); assert.equal(st.find(f, name)!.addr % plan.tile, 32, name + ' on its tile'); };
  for (let i = 0; i < plan.mainTiles; i++) tile('ck.log.' + i, 0);
  tile('ck.log.f0', 0); tile('ck.log.f1', 0); tile('ck.clk.a', 0); tile('ck.cfg.a', 0);
  // Trash: a clock save (b written, a erased) and a log rotation (the oldest segment erased and made again).
  tile('ck.clk.b', 0); st.erase(f, 'ck.clk.a');
  st.erase(f, 'ck.log.0'); tile('ck.log.0', 1);
  assert.ok(st.stats(f).trashCount === 2);
  return { cfg, plan, f, mem: f.mem.slice(), bundle };
}
