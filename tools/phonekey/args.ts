/**
 * The command-line phone key's arguments (tools/phonekey/cli.ts), checked before any link is
 * opened: the command, its number argument, the key file, where the car is, and for `add` the new
 * key's role, label, validity and file. `--hours 1d`, `--hours=24` and `--hours 90m` are all
 * durations; anything else is an error, never a key without an end.
 * Not here: talking to the car (cli.ts, links.ts, protocol.ts).
 */
import { type Spec, UsageError, duration, int, need, parse, str } from '../host/cli-args';
import { checkWritableDir, userPath } from '../host/cli-files';

export const ROLES: Record<string, number> = { owner: 0, driver: 1, guest: 2 };
export const COMMANDS = ['unlock', 'lock', 'drive', 'status', 'settime', 'add', 'revoke', 'log'];
/** The longest validity `add --hours` gives: ten years. */
const MAX_VALIDITY_MS = 3650 * 86400000;

export const SPEC: Spec = {
  usage: 'npm run phonekey -- <command>',
  args: '[ARG]',
  positionals: [1, 2],
  options: {
    key: { type: 'string', arg: 'FILE', help: 'your phone key file, {keyId, secret} (required)' },
    sim: { type: 'string', arg: 'URL', help: "the simulator's radio bridge (default ws://127.0.0.1:8080/ws/radio)" },
    ble: { type: 'boolean', help: 'a real car over Bluetooth (needs @stoprocent/noble and an adapter)' },
    name: { type: 'string', arg: 'NAME', help: 'with --ble: the car advertising this name' },
    role: { type: 'string', arg: 'ROLE', help: 'add: owner, driver or guest (default guest)' },
    label: { type: 'string', arg: 'NAME', help: 'add: who gets the new key' },
    hours: { type: 'string', arg: 'DURATION', help: 'add: valid from now for 24, 24h, 90m, 1d, 2w (plain number: hours); default no end' },
    out: { type: 'string', arg: 'FILE', help: 'add: where the new key file goes (default key-<id>.json; never overwritten)' },
  },
  notes: 'commands: unlock | lock | drive | status | settime [UNIX] | add | revoke KEYID | log [FROMSEQ]\n'
    + 'Exit 0 when the car answered ok with an authentic answer, 1 otherwise, 2 for bad arguments.',
};

export interface PhonekeyArgs {
  cmd: string;
  keyPath: string;
  sim: string;
  ble: boolean;
  name?: string;
  /** settime: unix seconds; revoke: key id; log: first sequence number. */
  number?: number;
  add?: { role: number; label: string; validForMs?: number; out?: string };
}

/** Parses and checks argv; undefined when --help was asked for. Throws UsageError. */
export function phonekeyArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): PhonekeyArgs | undefined {
  const a = parse(argv, SPEC);
  if (a.help) return undefined;
  const [cmd, arg] = a.positionals;
  if (COMMANDS.indexOf(cmd) < 0) throw new UsageError('unknown command ' + JSON.stringify(cmd) + ' (one of ' + COMMANDS.join(', ') + ')');
  const v = a.values;
  const takesArg = cmd === 'settime' || cmd === 'revoke' || cmd === 'log';
  if (arg !== undefined && !takesArg) throw new UsageError(cmd + ' takes no argument, got ' + JSON.stringify(arg));
  if (cmd !== 'add') for (const o of ['role', 'label', 'hours', 'out']) if (v[o] !== undefined) throw new UsageError('--' + o + ' goes with add');
  if (v.name !== undefined && !v.ble) throw new UsageError('--name goes with --ble');
  if (v.ble && v.sim !== undefined) throw new UsageError('--sim or --ble, not both');
  const out: PhonekeyArgs = {
    cmd, keyPath: userPath(need(v, 'key'), env), sim: str(v, 'sim') || 'ws://127.0.0.1:8080/ws/radio', ble: !!v.ble, name: str(v, 'name'),
  };
  if (cmd === 'settime') out.number = int(arg, 'the time', { min: 1, max: 0xffffffff, def: Math.floor(Date.now() / 1000) });
  if (cmd === 'revoke') out.number = int(arg, 'the key id to revoke', { min: 1, max: 0xffffffff });
  if (cmd === 'log') out.number = int(arg, 'the first sequence number', { min: 0, max: 0xffffffff, def: 0 });
  if (cmd === 'add') {
    const roleName = str(v, 'role') || 'guest';
    const role = ROLES[roleName];
    if (role === undefined) throw new UsageError('--role must be owner, driver or guest, got ' + JSON.stringify(roleName));
    const hours = str(v, 'hours');
    const file = str(v, 'out');
    // The car records the new key before its file is written here: check where it goes first.
    const outPath = file === undefined ? undefined : userPath(file, env);
    checkWritableDir(outPath || userPath('key.json', env), 'key file');
    out.add = { role, label: str(v, 'label') || '', out: outPath, validForMs: hours === undefined ? undefined : duration(hours, '--hours', { unit: 'h', maxMs: MAX_VALIDITY_MS }) };
  }
  return out;
}
