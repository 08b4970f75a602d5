/**
 * Capacity within the board's Storage budget, with the bundle itself stored in flash as on the
 * board (.bootcde): a Puck.js holds its keys beside its code and audit log, and the reserve the
 * main loop keeps free (a log segment, small records; a second key table where the build keeps two
 * generations) so that no update ever
 * has to compact Storage (firmware/flashroom.ts); an nRF52840 holds 1000 keys.
 */
import { strict as assert } from 'node:assert';
import { boardById } from '../../hal/boards/index';
import { createSimBoard } from '../../sim/engine/board';
import { firmwareFor } from '../../sim/car';
import { addKey, keyRecord, newSite, writeSite } from '../../tools/host/provision/site';
import { flashOf, provisionLayout } from '../../sim/provision';
import * as st from '../../sim/engine/storage';
import { type PhoneKeyFile, M, OP, addKeyArgs, command, nodeMac, parseAnswer } from '../../tools/host/protocol';
import { ask } from '../../sim/central';
import * as C from '../../firmware/codes';
import { storageBudget, tiledLayout } from '../../tools/benchmarks/storage-budget';

async function fullBoard(id: string) {
  const cfg = boardById(id)!;
  const bundle = await firmwareFor(cfg);
  const site = newSite();
  let board: ReturnType<typeof createSimBoard>;
  if (cfg.tile) {
    // The journal layout, as the USB tool writes it before the first boot (sim/provision.ts).
    const f = st.createFlash(cfg.storageBytes);
    provisionLayout(f, cfg, bundle, site);
    board = createSimBoard({ board: cfg, bundle, flash: f });
  } else {
    board = createSimBoard({ board: cfg, bundle });
    // The code lives in the same Storage as the data, as on the board.
    assert.equal(board.storage.write('.bootcde', bundle), true);
    writeSite(flashOf(board), site);
  }
  const flash = flashOf(board);
  let owner: PhoneKeyFile | undefined;
  for (let i = 1; i < cfg.keyCapacity; i++) {
    const k = addKey(flash, site, cfg.keyCapacity, keyRecord(i * 97, i === 1 ? C.ROLE_OWNER : C.ROLE_GUEST));
    if (i === 1) owner = k;
  }
  board.reset();
  // After boot the board waits for ten quiet minutes before it compacts (firmware/core.ts); then it makes room.
  board.clock.advance(601000);
  return { cfg, board, owner: owner! };
}

function ownerCommand(board: ReturnType<typeof createSimBoard>, owner: PhoneKeyFile, op: number, args?: Uint8Array, quietMs = 1500) {
  const hello = ask(board, new Uint8Array([M.HELLO]));
  const nonce = parseAnswer(nodeMac, owner, hello!).nonce!;
  const compactions = board.storage.flash.compactions;
  const m = ask(board, command(nodeMac, owner, nonce, op, args));
  assert.equal(board.storage.flash.compactions, compactions, 'no update compacts Storage');
  board.nrf.disconnect();
  // Idle with no link: after ten quiet minutes the main loop compacts if an update left less than the reserve.
  board.clock.advance(quietMs);
  return parseAnswer(nodeMac, owner, m!, nonce);
}

describe('key capacity within the Storage budget', function () {
  this.timeout(120000);
  it('every board\'s layout holds its keys: the tiled layout its key capacity in slots, the older one the reserve free after a compaction', async () => {
    for (const id of ['puckjs', 'puckjs-nfc', 'mdbt42q', 'xiaoble']) {
      const cfg = boardById(id)!;
      const bytes = Buffer.byteLength(await firmwareFor(cfg), 'latin1');
      if (cfg.tile) {
        const t = tiledLayout(cfg, bytes);
        assert.ok(t.short === 0 && t.keySlots >= cfg.keyCapacity, `${id}: ${JSON.stringify(t)}`);
        continue;
      }
      const b = storageBudget(cfg, bytes);
      assert.ok(b.left >= 0, `${id}: ${JSON.stringify(b)}`);
    }
  });
  for (const id of ['puckjs', 'puckjs-nfc', 'mdbt42q', 'xiaoble']) {
    it(`${id}: fills to its capacity by phone, with the code in flash, then keeps logging`, async () => {
      const { cfg, board, owner } = await fullBoard(id);
      // The last key is added through the real update path (two generations at once).
      const a = ownerCommand(board, owner, OP.ADD_KEY, addKeyArgs({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, label: 'last' }), 601000);
      assert.equal(a.status, C.R_OK, `adding key ${cfg.keyCapacity} of ${cfg.keyCapacity}: ${a.reason}; storage ${JSON.stringify(board.storage.stats())}`);
      const full = ownerCommand(board, owner, OP.ADD_KEY, addKeyArgs({ role: C.ROLE_GUEST, perms: C.PERM_UNLOCK, label: 'over' }));
      assert.equal(full.status, C.R_FULL);
      // Many more updates and log entries: revocations rewrite the table each time; the log rotates.
      for (let i = 2; i < 12; i++) assert.equal(ownerCommand(board, owner, OP.REVOKE, new Uint8Array([0, 0, ((i * 97) >> 8) & 255, (i * 97) & 255]), 601000).status, C.R_OK);
      for (let i = 0; i < 150; i++) ownerCommand(board, owner, OP.STATUS);
      assert.equal(ownerCommand(board, owner, OP.UNLOCK).status, C.R_OK);
      assert.deepEqual(board.uncaught, []);
      const st = board.storage.stats();
      // Free space alone depends on when Storage last compacted; erased files count once it does.
      console.log(`      ${id}: bundle ${board.storage.read('.bootcde')!.length} B, ${cfg.keyCapacity} keys, ${st.freeBytes + st.trashBytes} of ${st.totalBytes} B free or erased, ${board.storage.flash.compactions} compactions, all outside updates`);
    });
  }
});
