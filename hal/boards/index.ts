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
