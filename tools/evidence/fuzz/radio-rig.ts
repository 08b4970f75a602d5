/**
 * The car the radio-side targets (frames, commands, set-config, cards) fuzz: a demo car with an owner
 * phone, its outputs and log watched, the checks after each case and at the end of a run.
 */
import { createCar, type SimCar, type SimPhone } from '../../../sim/car';
import { flashOf } from '../../../sim/provision';
import { hostCrypto } from '../../host/crypto';
import { DEFAULTS, HARD_MAX_DRIVE_MS, HARD_MAX_HOLD_MS, type Config, loadConfig, sanitizeConfig, saveConfig } from '../../../firmware/config';
import * as C from '../../../firmware/codes';
import { OP } from '../../host/protocol';
import { logMirror, mutate, watchOutputs } from '../common';
import { type Rng } from '../../host/random';
import { add } from './result';

/** The relay's hard limit plus the main loop's guard slack and one tick. */
export const RELAY_LIMIT_MS = HARD_MAX_HOLD_MS + 2000;
export const DRIVE_LIMIT_MS = HARD_MAX_DRIVE_MS + 2000;

/** Log events that only a proven key (or the owner) may cause, when their reason is R_OK. */
const PRIVILEGED = new Set([C.LOG_GRANTED, C.EV_UNLOCK, C.LOG_DRIVE_ON, C.LOG_KEY_ADDED, C.LOG_KEY_REVOKED, C.LOG_KEY_CHANGED, C.LOG_CONFIG, C.LOG_CLOCK_SET]);

/** A random JSON-ish text for SET_CONFIG: config keys with odd values, or plain junk. */
export function randomConfigText(r: Rng, skip = ''): string {
  const keys = Object.keys(DEFAULTS).filter((k) => !skip || k.indexOf(skip) < 0).concat(['__proto__', 'constructor', 'x', '']);
  const val = (): string => r.pick([
    () => String(r.int(100000)), () => String(-r.int(100000)), () => '1e308', () => '-1e308', () => '0.5', () => '-0',
    () => 'true', () => 'false', () => 'null', () => '"' + r.int(99) + '"', () => '[]', () => '{}', () => '[1,2]', () => '{"holdMs":99999}',
    () => String(r.u32()), () => '9007199254740993',
  ])();
  const parts: string[] = [];
  for (let i = 0, n = r.int(5); i < n; i++) parts.push(JSON.stringify(r.pick(keys)) + ':' + val());
  const text = '{' + parts.join(',') + '}';
  return r.chance(0.15) ? Buffer.from(mutate(r, Buffer.from(text, 'latin1'), 200)).toString('latin1') : text;
}

export interface RadioRig {
  car: SimCar;
  phone: SimPhone;
  out: ReturnType<typeof watchOutputs>;
  log: ReturnType<typeof logMirror>;
  resets: number;
}


function provisionConfig(car: SimCar, changes: Partial<Config>): void {
  const flash = flashOf(car.board);
  saveConfig(flash, hostCrypto, loadConfig(flash, hostCrypto).gen, sanitizeConfig({ ...DEFAULTS, ...changes }));
  car.reset();
}

export async function radioRig(seed: number, board = 'puckjs', config?: Partial<Config>): Promise<RadioRig> {
  const car = await createCar({ board, demo: true, seed });
  if (config) provisionConfig(car, config);
  const out = watchOutputs(car);
  const log = logMirror(car);
  const phone = car.phone(car.keys.owner);
  phone.connect();
  // The largest MTU the board accepts (53 on nRF52832 boards, 131 on nRF52840): packets up to MTU - 3 are legal.
  car.board.nrf.setMtu(247);
  return { car, phone, out, log, resets: car.board.resets.length };
}

/** Checks after one case; `legitOps` are ops of byte-exact valid commands the board received in it. */
export function checkCase(g: RadioRig, v: string[], what: () => string, legitOps: number[], rises: { relay: number; drive: number }, stats: Record<string, number>): void {
  const car = g.car;
  if (g.out.relayRises > rises.relay && legitOps.indexOf(OP.UNLOCK) < 0) add(v, 'relay on without a valid unlock: ' + what());
  if (g.out.driveRises > rises.drive && legitOps.indexOf(OP.DRIVE) < 0) add(v, 'drive on without a valid drive: ' + what());
  if (legitOps.indexOf(OP.UNLOCK) >= 0) g.out.retrigger('relay');
  if (legitOps.indexOf(OP.DRIVE) >= 0) g.out.retrigger('drive');
  for (const e of g.log.poll()) {
    if (e.event === C.EV_ERROR) { stats.faults++; add(v, 'core fault (EV_ERROR) on: ' + what()); }
    if (PRIVILEGED.has(e.event) && e.reason === C.R_OK) {
      stats.privileged++;
      if (!legitOps.length) add(v, `log entry ${e.event} (R_OK) without a valid credential: ` + what());
      if (e.event === C.EV_UNLOCK && legitOps.indexOf(OP.UNLOCK) < 0) add(v, 'EV_UNLOCK logged without a valid unlock: ' + what());
    }
  }
  if (car.board.uncaught.length) { add(v, 'uncaught on the board: ' + car.board.uncaught.join('; ') + ' after ' + what()); car.board.uncaught.length = 0; }
  if (car.board.resets.length !== g.resets) { add(v, 'the board reset (' + car.board.resets[car.board.resets.length - 1].reason + ') after ' + what()); g.resets = car.board.resets.length; }
  if (g.out.maxRelayOnMs() > RELAY_LIMIT_MS) add(v, 'relay on for ' + g.out.maxRelayOnMs() + ' ms');
  if (g.out.maxDriveOnMs() > DRIVE_LIMIT_MS) add(v, 'drive on for ' + g.out.maxDriveOnMs() + ' ms');
  car.board.nrf.notifications.length = 0;
}

/** The end of every radio run: time passes, outputs go off, and the owner still unlocks. */
export function finalCheck(g: RadioRig, v: string[], stats: Record<string, number>): void {
  const car = g.car;
  car.advance(61 * 60000); // past any lockout the fuzz or a fuzzed setting may have started, and the relock
  g.log.poll();
  if (car.relayOn() || car.driveOn()) add(v, 'an output is still on an hour after the last input');
  const owner = car.phone(car.keys.owner);
  const a = owner.unlock();
  if (a.status !== C.R_OK || !a.authentic || !car.relayOn()) add(v, `the owner's unlock failed after fuzzing: ${a.type} ${a.reason}`);
  car.advance(40000);
  if (car.relayOn()) add(v, 'relay still on 40 s after the final unlock');
  g.log.poll();
  for (const p of g.log.problems) add(v, 'audit log sequence: ' + p);
  if (car.board.uncaught.length) add(v, 'uncaught on the board at the end: ' + car.board.uncaught.join('; '));
  stats.simHours = +(car.board.clock.now() / 3600000).toFixed(2);
  stats.caughtByPhonekey = car.board.consoleText().split('\n').filter((l) => l.startsWith('phonekey:')).length;
  stats.coreFaultLines = car.board.consoleText().split('\n').filter((l) => l.startsWith('fault:')).length;
}
