/**
 * One line run on a simulated board's console, as a console bridge does it (the simulator's
 * /ws/console socket, the Web Bluetooth stand-in's Nordic UART): what the board printed while it
 * ran, line by line. A board that cannot run it (no power) answers with the reason as an error
 * line, not a crash. `simConsoleLink` is the same as the one console link (tools/host/console-link.ts),
 * so the uploader and the provisioning code run against a simulated board in process.
 * Not here: the REPL over TCP (console-server.ts), which streams.
 */
import type { SimBoard } from './engine/board';
import type { ConsoleLink } from '../tools/host/console-link';

export function runConsoleLine(board: SimBoard, code: string): string[] {
  const printed: string[] = [];
  const off = board.listen({ print: (t) => { printed.push(t); } });
  try { board.run(code); } catch (e) { printed.push('Error: ' + (e as Error).message); } finally { off(); }
  return printed;
}

/** The one console-link interface to a simulated board, in process: what the line printed, lines joined by \n. */
export function simConsoleLink(board: SimBoard): ConsoleLink {
  return { run: async (code) => runConsoleLine(board, code).join('\n') };
}
