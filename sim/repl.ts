/**
 * An interactive simulated car in the terminal (`npm run sim -- repl`). Each line is one action a
 * person would take; after it the car's outputs and the new audit log entries are printed.
 */
import * as readline from 'node:readline';
import { createCar, type SimPhone } from './car';
import { describeEntry, describeEntryAt } from '../tools/host/names';
import { keyNamer } from './vehicle';

const HELP = `actions:
  unlock|lock|drive [owner|driver|guest]   phone key command (default owner)
  tap <card>                               owner-card, cloned-card, uid-only-card (boards with a reader)
  door open|close     button [ms]          the door sensor; hold the button (default 5200 ms)
  advance <n>[s|m|h|d]                     move simulated time
  settime [unix seconds]                   the owner sets the car's clock (default: now)
  status | log [n] | keys | cut | power | reset | help | quit`;

export async function startRepl(opts: { board?: string; seed?: number }): Promise<undefined> {
  const car = await createCar({ board: opts.board, seed: opts.seed, demo: true });
  const phones: Record<string, SimPhone> = {};
  const phone = (who: string) => (phones[who] = phones[who] || car.phone(car.keys[who]));
  let seen = car.auditLog().length;
  const keyName = keyNamer(car);
  const show = () => {
    const log = car.auditLog();
    for (const e of log.slice(seen)) console.log(`  log #${e.seq} ${describeEntry(e, keyName)}`);
    seen = log.length;
    console.log(`  relay ${car.relayOn() ? 'ON' : 'off'}  drive ${car.driveOn() ? 'ON' : 'off'}  t=${(car.board.clock.now() / 1000).toFixed(1)} s`);
  };
  console.log(`simulated ${car.config.name}; demo keys: ${Object.keys(car.keys).join(', ')}; cards: ${Object.keys(car.cards).join(', ') || 'none'}\n${HELP}`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'car> ' });
  rl.prompt();
  for await (const line of rl) {
    const [cmd, arg] = line.trim().split(/\s+/);
    try {
      if (!cmd) { /* nothing */ } else if (cmd === 'quit' || cmd === 'exit') break;
      else if (cmd === 'help') console.log(HELP);
      else if (cmd === 'unlock' || cmd === 'lock' || cmd === 'drive' || cmd === 'status') {
        const who = arg || 'owner';
        if (!car.keys[who]) throw new Error('no key "' + who + '"');
        const a = phone(who)[cmd]();
        console.log(`  ${who}: ${a.reason}${a.authentic ? ' (authentic answer)' : ''}`);
      } else if (cmd === 'tap') {
        const card = car.cards[arg || 'owner-card'];
        if (!card) throw new Error('no card "' + arg + '"');
        car.tap(card);
      } else if (cmd === 'door') car.setDoor(arg === 'open');
      else if (cmd === 'button') car.holdButton(Number(arg || 5200));
      else if (cmd === 'advance') {
        const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(arg || '');
        if (!m) throw new Error('advance <n>[s|m|h|d]');
        car.advance(Number(m[1]) * ({ s: 1000, m: 60000, h: 3600000, d: 86400000 } as Record<string, number>)[m[2] || 's']);
      } else if (cmd === 'settime') console.log('  ' + phone('owner').setTime(Number(arg || Math.floor(Date.now() / 1000))).reason);
      else if (cmd === 'log') for (const e of car.auditLog().slice(-Number(arg || 10))) console.log('  ' + describeEntryAt(e, keyName));
      else if (cmd === 'keys') for (const [n, k] of Object.entries(car.keys)) console.log(`  ${n}: id ${k.keyId}`);
      else if (cmd === 'cut') car.powerCut();
      else if (cmd === 'power') car.powerOn();
      else if (cmd === 'reset') car.reset();
      else console.log('  unknown action; try help');
      show();
    } catch (e) {
      console.log('  error: ' + (e as Error).message);
    }
    rl.prompt();
  }
  rl.close();
  return undefined;
}
