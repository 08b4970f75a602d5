/**
 * A board's Storage in the journal layout (tools/host/layout.ts), on the page-level flash model
 * (sim/engine/storage.ts), as provisioning, flashing and the firmware would leave it: the site, the
 * key table as a slot file (every key slot used, some keys changed, one revoked), the bundle of
 * `npm run build`, the pad, the journal with a page and more of log entries, clock and settings
 * records, and on boards with tiles after it two tile files and trash. For the tools' relayout tests.
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
import { journalMake } from '../../firmware/flashroom';
import { K_CLK, jAppend, jOpen, jRec } from '../../firmware/journal';
import { configRecords, sanitizeConfig } from '../../firmware/config';
import { journalPort } from '../../sim/provision';
import { hostCrypto } from '../../tools/host/crypto';

/** The layout's permanent files and the bundle and pad, in flash order. */
export const LAYOUT_FIXED = [SITE_FILE, KEYS_FILE, '.bootcde', PAD_FILE, 'ck.jrnl'];

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
  assert.ok(plan.padEnd - end >= 36, 'room for the pad');
  st.write(f, hooks, PAD_FILE, '\0', 0, plan.padEnd - end - 32);
  // The journal: its first page full and the second begun (log entries, the clock, the settings).
  assert.ok(journalMake(port, plan.journalPages));
  const j = jOpen(journalPort(f, hooks)!, hostCrypto.crc32);
  for (let seq = 1; seq <= 300; seq++) {
    if (seq % 40 === 0) j.cl = jAppend(j, jRec(0, 1800000000 + seq, K_CLK, 0, 0, 0));
    if (seq === 100) { const g = configRecords(sanitizeConfig({ holdMs: 4000 }), 7); j.cg = jAppend(j, g); j.cn = g.length / 16; }
    assert.ok(jAppend(j, jRec(seq, 1000 + seq, 21, 0, 0, seq)) >= 0);
  }
  // Tiles after the journal (protocol v2's files) on boards that make them, with trash.
  if (plan.tilePages) {
    const tile = (name: string, v: number) => { st.write(f, hooks, name, fill(name + v, plan.tile - 32)); assert.equal(st.find(f, name)!.addr % plan.tile, 32, name + ' on its tile'); };
    tile('ck.tk.a', 0); tile('ck.rl.a', 0); tile('ck.tk.b', 0); st.erase(f, 'ck.tk.a');
    assert.ok(st.stats(f).trashCount === 1);
  }
  return { cfg, plan, f, mem: f.mem.slice(), bundle };
}
