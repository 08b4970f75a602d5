/** The supported boards, by id. Adding a board: a file beside this one and a line here. */
import type { BoardConfig } from './types';
import { board as puckjs } from './puckjs';
import { board as mdbt42q } from './mdbt42q';
import { board as xiaoble } from './xiaoble';
import { board as puckjsNfc } from './puckjs-nfc';

export const boards: BoardConfig[] = [puckjs, puckjsNfc, mdbt42q, xiaoble];

export function boardById(id: string): BoardConfig | undefined {
  for (let i = 0; i < boards.length; i++) if (boards[i].id === id) return boards[i];
  return undefined;
}

/** Board ids we no longer build, and what replaced them (docs/ESPRUINO.md "Board facts"). */
const REPLACED: Record<string, string> = {
  nrf52840dk: 'xiaoble: Espruino\'s nRF52840 DK build has no CRYPTO and 40 KB of Storage',
};

/** One line for an unknown board id: the known ids, and the replacement when it is an old one. */
export function unknownBoardMessage(id: string | undefined): string {
  const old = id === undefined ? undefined : REPLACED[id];
  return 'unknown board ' + id + (old ? ' (replaced by ' + old + ')' : '') + '; known: ' + boards.map((b) => b.id).join(', ');
}

/**
 * True for the builds that keep the two-generation key table (firmware/keystore-gen.ts) instead of
 * the slot file (firmware/keystore.ts): keycards on a 40 KB Storage, where the slot store's code
 * does not fit beside the journal layout (docs/ESPRUINO.md "Flash", the `puckjs-nfc` paragraph;
 * tools/benchmarks/storage-budget-nfc.ts measures it). tools/host/build/bundle.ts resolves './keystore' by it.
 */
export function usesKeyGenerations(board: { nfc: boolean; storageBytes: number; tile?: number }): boolean {
  // A board on the journal layout (`tile`) keeps its keys in the slot file, whatever else it has.
  return board.nfc && board.storageBytes <= 40960 && !board.tile;
}
