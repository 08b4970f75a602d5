/**
 * A test-only protocol v2 client for the board-side tests (docs/KEYS-THAT-TRAVEL.md section 7):
 * raw messages to a simulated car over sim/central.ts `ask`, built with the host's v2 functions
 * (tools/host/travel.ts) and checked with node:crypto's HMAC (tools/host/protocol.ts). The
 * simulator's phone (sim/phone.ts) and the command-line and web phone keys are the real clients.
 */
import { ask } from '../../sim/central';
import type { SimCar } from '../../sim/car';
import { type Answer, type PhoneKeyFile, command, nodeMac, parseAnswer } from '../../tools/host/protocol';
import { type Challenge, type TravelKey, hello, parseChallenge, partForChallenge, ticketCommand } from '../../tools/host/travel';

/** HELLO with `version` (undefined: a bare v1 HELLO); the raw answer. */
export function sayHello(car: SimCar, version?: number): Uint8Array {
  return ask(car.board, version === undefined ? new Uint8Array([1]) : hello(version))!;
}

/** A v2 HELLO and its CHALLENGE. */
export function challenge(car: SimCar): Challenge {
  return parseChallenge(sayHello(car, 2));
}

/** An owner's or driver's v1 key file as a v2 key for this car's board. */
export function travelKeyOf(car: SimCar, k: PhoneKeyFile, list?: Uint8Array): TravelKey {
  return { keyId: k.keyId, boards: [{ boardId: car.boardId!, secret: k.secret }], list };
}

/** A TICKET COMMAND by ticket key `t` after a v2 HELLO; its answer read under the guest's secret here. */
export function ticketAsk(car: SimCar, t: TravelKey, op: number, args?: Uint8Array, mutate?: (m: Uint8Array) => void): Answer {
  const c = challenge(car);
  const part = partForChallenge(t, c);
  const m = ticketCommand(t, part, c.nonce, op, args);
  if (mutate) mutate(m);
  const a = parseAnswer(nodeMac, { keyId: t.keyId, secret: part.secret }, ask(car.board, m)!, c.nonce);
  car.board.nrf.disconnect();
  return a;
}

/** A v1 COMMAND by key file `k` (after a v2 HELLO, as a v2 phone sends it). */
export function commandAsk(car: SimCar, k: PhoneKeyFile, op: number, args?: Uint8Array): Answer {
  const c = challenge(car);
  const a = parseAnswer(nodeMac, k, ask(car.board, command(nodeMac, k, c.nonce, op, args))!, c.nonce);
  car.board.nrf.disconnect();
  return a;
}

/** LIST: the board's LISTED answer (status, its list version after). */
export function listAsk(car: SimCar, list: Uint8Array): { type: number; status: number; version: number } {
  const m = new Uint8Array(1 + list.length);
  m[0] = 0x04;
  m.set(list, 1);
  const a = ask(car.board, m)!;
  car.board.nrf.disconnect();
  return { type: a[0], status: a[1], version: a.length >= 6 ? Buffer.from(a.subarray(2, 6)).readUInt32BE(0) : -1 };
}
