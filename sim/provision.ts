/**
 * A simulated board's flash as the firmware's FlashStorage port, written from outside (before it
 * boots or between steps): how the simulator provisions a board with tools/host/provision/site.ts,
 * and how tests read the files the board wrote.
 */
import type { FlashStorage } from '../firmware/ports';
import type { SimBoard } from './engine/board';

/** The simulated board's flash as the firmware's FlashStorage port, written from outside. */
export function flashOf(board: SimBoard): FlashStorage {
  return {
    read: (name, offset, length) => board.storage.read(name, offset, length),
    write: (name, data, offset, size) => { try { return board.storage.write(name, data, offset, size); } catch (e) { return false; } },
    erase: (name) => board.storage.erase(name),
    list: (prefix) => board.storage.list().filter((n) => n.startsWith(prefix)),
    free: () => board.storage.stats().freeBytes,
    compact: () => { const before = board.storage.stats().freeBytes; board.storage.compact(); return board.storage.stats().freeBytes > before; },
  };
}
