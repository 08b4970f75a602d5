/**
 * `npm run sim -- console [--board id] [--port N] [--boot file.js]`: serves a simulated board's
 * Espruino console on 127.0.0.1 until Ctrl-C (sim/console-server.ts), for the espruino CLI and
 * `npm run flash -- --port tcp://127.0.0.1:N`. The board's output is echoed here too.
 */
import * as fs from 'node:fs';
import { boardById, unknownBoardMessage } from '../hal/boards/index';
import { startConsoleServer } from './console-server';
import * as st from './engine/storage';

export async function startConsole(opts: { board: string; port: number; boot?: string; seed?: number }): Promise<number | undefined> {
  const board = boardById(opts.board);
  if (!board) { console.error(unknownBoardMessage(opts.board)); return 2; }
  const flash = st.createFlash(board.storageBytes);
  if (opts.boot) {
    const code = fs.readFileSync(opts.boot, 'latin1');
    st.write(flash, { error: (m) => new Error(m), powerCut: () => new Error('power cut') }, '.bootcde', code);
  }
  const server = await startConsoleServer({ board, port: opts.port, seed: opts.seed, flash });
  server.board.listen({ print: (t) => console.log('[board] ' + t), boot: (r, kind, had) => console.log(`[sim] ${kind === 'reset' ? 'reset()' : 'boot (' + r + ')'}${had ? '' : ', no code in flash'}`) });
  console.log(`Espruino console of a simulated ${board.name} (${opts.boot ? '.bootcde from ' + opts.boot : 'empty flash'}) on ${server.url}`);
  console.log(`  try: npx espruino -p ${server.url} -e "print(process.env.BOARD)"`);
  console.log(`       npm run flash -- --board ${board.id} --port ${server.url}`);
  console.log('Ctrl-C stops it.');
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await server.close();
  return 0;
}
