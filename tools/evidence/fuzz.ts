/**
 * Fuzzing every parser that takes bytes from outside, with deterministic seeds:
 *
 *   frames       random and structured packets into the car's radio (sim/car.ts, the real bundle)
 *   commands     signed phone-key commands, mutated (message bytes or fragments), into the radio
 *   set-config   SET_CONFIG through the protocol with random JSON / bytes, from the owner
 *   config       sanitizeConfig + save/load with random JSON-like values (firmware/config.ts)
 *   pn532-parse  pn532Parse against an independent reference parser (differential)
 *   pn532-driver the PN532 driver against a simulated PN532 whose I2C reads are mutated
 *   desfire      authenticateDesfire against a simulated card whose APDU answers are mutated
 *   cards        mutated card answers through the car's reader (puckjs-nfc bundle)
 *   list         protocol v2 LIST: owner's lists (newer, older), mutated, a driver's, random, into the car
 *   ticket       protocol v2 TICKET COMMAND: owner's and driver's tickets, mutated, random, into the car
 *
 * Invariants, per case: no unlock (relay edge, GRANTED/UNLOCK log entry) without a valid
 * credential, no uncaught error on the board, no reset, no output on past its limit, the radio
 * answers exactly the messages it completed; at the end the reader/radio still works (a valid
 * unlock succeeds); for `list`, the board adopts only a newer list whose tag verifies. Violations are collected, never thrown, so a run reports all of them.
 *
 *   npx tsx tools/evidence/fuzz.ts --cases 1000000 [--targets frames,commands|all] [--seed 1]
 *
 * Prints one line per target, then one JSON line. Host-only.
 * Here: the runner and its CLI. Each target is a file of tools/evidence/fuzz/ (radio.ts holds frames
 * and commands; radio-rig.ts the car and checks the radio-side targets share; cards-common.ts the
 * cards the card-side targets share; result.ts the result and violation list).
 */
import { type Spec, UsageError, help, int, parse, runMain, str } from '../host/cli-args';
import type { FuzzResult } from './fuzz/result';
import { fuzzRadio } from './fuzz/radio';
import { fuzzSetConfig } from './fuzz/set-config';
import { fuzzConfig } from './fuzz/config';
import { fuzzPn532Parse } from './fuzz/pn532-parse';
import { fuzzPn532Driver } from './fuzz/pn532-driver';
import { fuzzDesfire } from './fuzz/desfire';
import { fuzzCards } from './fuzz/cards';
import { fuzzList } from './fuzz/list';
import { fuzzTicket } from './fuzz/ticket';

export type { FuzzResult } from './fuzz/result';
export { configLimits, configProblems } from './fuzz/set-config';
export { referenceParse } from './fuzz/pn532-parse';

const TARGETS = ['frames', 'commands', 'set-config', 'config', 'pn532-parse', 'pn532-driver', 'desfire', 'cards', 'list', 'ticket'] as const;
export type Target = (typeof TARGETS)[number];

export async function runTarget(target: Target, cases: number, seed = 1): Promise<FuzzResult> {
  switch (target) {
    case 'frames': return fuzzRadio('frames', cases, seed);
    case 'commands': return fuzzRadio('commands', cases, seed);
    case 'set-config': return fuzzSetConfig(cases, seed);
    case 'config': return fuzzConfig(cases, seed);
    case 'pn532-parse': return fuzzPn532Parse(cases, seed);
    case 'pn532-driver': return fuzzPn532Driver(cases, seed);
    case 'desfire': return fuzzDesfire(cases, seed);
    case 'cards': return fuzzCards(cases, seed);
    case 'list': return fuzzList(cases, seed);
    case 'ticket': return fuzzTicket(cases, seed);
  }
}

const SPEC: Spec = {
  usage: 'npm run evidence:fuzz --',
  options: {
    cases: { type: 'string', arg: 'N', help: 'cases per target, 1 to 100000000 (default 10000)' },
    seed: { type: 'string', arg: 'N', help: 'random seed (default 1)' },
    targets: { type: 'string', arg: 'LIST', help: 'comma-separated, or all: ' + TARGETS.join(', ') + ' (default frames,commands)' },
  },
  notes: 'One JSON line at the end; exit 1 on any violation.',
};

async function main(argv: string[]): Promise<number> {
  const a = parse(argv, SPEC);
  if (a.help) { process.stdout.write(help(SPEC)); return 0; }
  const cases = int(str(a.values, 'cases'), '--cases', { min: 1, max: 100000000, def: 10000 });
  const seed = int(str(a.values, 'seed'), '--seed', { min: 0, max: 0xffffffff, def: 1 });
  const t = str(a.values, 'targets') || 'frames,commands';
  const targets = (t === 'all' ? TARGETS.slice() : t.split(',')) as Target[];
  for (const x of targets) if (!TARGETS.includes(x)) throw new UsageError('unknown target ' + x + '; known: ' + TARGETS.join(', '));
  const results: FuzzResult[] = [];
  for (const target of targets) {
    const res = await runTarget(target, cases, seed);
    results.push(res);
    const rate = Math.round(res.cases / (res.ms / 1000));
    console.log(`${target.padEnd(13)} ${String(res.cases).padStart(8)} cases  ${(res.ms / 1000).toFixed(1).padStart(7)} s  ${String(rate).padStart(7)} cases/s  ` +
      `${res.violations.length} violations  ${JSON.stringify(res.stats)}`);
    for (const x of res.violations) console.log('  VIOLATION ' + x);
  }
  const violations = results.reduce((n, x) => n + x.violations.length, 0);
  console.log(JSON.stringify({ fuzz: targets, casesPerTarget: cases, seed, violations,
    results: results.map((x) => ({ target: x.target, cases: x.cases, ms: x.ms, casesPerSecond: Math.round(x.cases / (x.ms / 1000)), violations: x.violations.length, stats: x.stats })) }));
  return violations ? 1 : 0;
}

if (require.main === module) runMain('fuzz', () => main(process.argv.slice(2)));
