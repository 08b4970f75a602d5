/**
 * One owner command to a simulated board over its radio, as a phone asks it (HELLO, the CHALLENGE's
 * nonce, the signed COMMAND), then the link dropped and a second passed: for the evidence tests
 * that drive a booted board between power cuts. Not here: link races and retries (sim/phone.ts).
 */
import { ask } from '../../sim/central';
import type { SimBoard } from '../../sim/engine/board';
import { M, type PhoneKeyFile, command, nodeMac, parseAnswer } from '../../tools/host/protocol';

export function ownerCommand(board: SimBoard, owner: PhoneKeyFile, op: number, args?: Uint8Array) {
  const nonce = parseAnswer(nodeMac, owner, ask(board, new Uint8Array([M.HELLO]))!).nonce!;
  const a = parseAnswer(nodeMac, owner, ask(board, command(nodeMac, owner, nonce, op, args))!, nonce);
  board.nrf.disconnect();
  board.clock.advance(1000);
  return a;
}

/** A u32, big-endian, as a command's argument. */
export const be32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
