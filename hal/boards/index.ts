/** The supported boards, by id. Adding a board: a file beside this one and a line here. */
import type { BoardConfig } from './types';
import { board as puckjs } from './puckjs';
import { board as mdbt42q } from './mdbt42q';
import { board as nrf52840dk } from './nrf52840dk';
import { board as puckjsNfc } from './puckjs-nfc';

export const boards: BoardConfig[] = [puckjs, puckjsNfc, mdbt42q, nrf52840dk];

export function boardById(id: string): BoardConfig | undefined {
  for (let i = 0; i < boards.length; i++) if (boards[i].id === id) return boards[i];
  return undefined;
}
