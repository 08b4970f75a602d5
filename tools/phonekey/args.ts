/**
 * The command-line phone key's arguments (tools/phonekey/cli.ts), checked before any link is
 * opened or any file written: the command, its number argument, the key file, where the car is,
 * for `add` the new key's role, label, validity and file, for `share` the ticket's role,
 * permissions, validity, boards and file, and `revoke --travel`. `--hours 1d`, `--hours=24` and
 * `--hours 90m` are all durations; anything else is an error, never a key without an end.
 * Not here: talking to the car (cli.ts, links.ts, protocol.ts).
 */
import { type Spec, UsageError, duration, int, need, parse, str } from '../host/cli-args';
import { checkWritableDir, userPath } from '../host/cli-files';
import { MAX_TICKET_S } from '../host/travelmake';

export const ROLES: Record<string, number> = { owner: 0, driver: 1, guest: 2 };
export const COMMANDS = ['unlock', 'lock', 'drive', 'status', 'settime', 'add', 'revoke', 'log', 'share', 'sync'];
/** The longest validity `add --hours` gives: ten years. */
const MAX_VALIDITY_MS = 3650 * 86400000;
/** The longest a ticket made by `share` lasts: a year (it cannot be taken back but by a list). */
const MAX_TICKET_MS = MAX_TICKET_S * 1000;
const PERMS: Record<string, number> = { unlock: 1, lock: 2, drive: 4 };
/** Options that belong to one command (or a few). */
const ONLY: Record<string, string[]> = {
  role: ['add', 'share'], label: ['add', 'share'], hours: ['add', 'share'], out: ['add', 'share'],
  perms: ['share'], boards: ['share'], 'link-base': ['share'], qr: ['share'], travel: ['revoke'],
};
/** Commands that never connect to a car. */
export const OFFLINE = ['share'];

export const SPEC: Spec = {
  usage: 'npm run phonekey -- <command>',
  args: '[ARG]',
  positionals: [1, 2],
  options: {
    key: { type: 'string', arg: 'FILE', help: 'your phone key file: v1 {keyId, secret} or v2 (one secret per car; docs/PROTOCOL.md "Key files and links") (required)' },
    sim: { type: 'string', arg: 'URL', help: "the simulator's radio bridge (default ws://127.0.0.1:8080/ws/radio)" },
    ble: { type: 'boolean', help: 'a real car over Bluetooth (needs @stoprocent/noble and an adapter)' },
    name: { type: 'string', arg: 'NAME', help: 'with --ble: the car advertising this name' },
    role: { type: 'string', arg: 'ROLE', help: 'add: owner, driver or guest (default guest); share: driver or guest (default guest)' },
    label: { type: 'string', arg: 'NAME', help: 'add, share: who gets the new key (share: at most 6 characters)' },
    hours: { type: 'string', arg: 'DURATION', help: 'add: valid from now for 24, 24h, 90m, 1d, 2w (plain number: hours); default no end. share: required (every ticket ends; it starts 5 minutes before now, for clocks that differ)' },
    out: { type: 'string', arg: 'FILE', help: 'add, share: where the new key file goes (default key-<id>.json / ticket-<id>.json; never overwritten)' },
    perms: { type: 'string', arg: 'LIST', help: "share: comma-separated unlock,lock,drive (default: the role's: a driver all three, a guest unlock,lock)" },
    boards: { type: 'string', arg: 'HEX,..', help: 'share: the board ids the ticket opens (default every board of your key)' },
    'link-base': { type: 'string', arg: 'URL', help: 'share: base of the web phone key link (default http://localhost:8080/phonekey)' },
    qr: { type: 'boolean', help: 'share: also print the link as a QR code' },
    travel: { type: 'boolean', help: 'revoke: no car needed: add KEYID to your revocation list (a new version, kept in your key file) that every key carries to every car' },
  },
  notes: 'commands: unlock | lock | drive | status | settime [UNIX] | add | revoke KEYID [--travel] | log [FROMSEQ] | share | sync\n'
    + 'share makes a ticket (a driver or guest key) offline from an owner key; sync hands over or takes the newest revocation list.\n'
    + 'Every visit to a car also exchanges revocation lists (v2 keys, v2 cars); a newer list from the car is saved in the key file.\n'
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
  share?: { role: number; perms: number; label: string; validForMs: number; boards?: Uint8Array[]; out?: string; linkBase: string; qr: boolean };
  /** revoke --travel: make a list, no car. */
  travel?: boolean;
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
  for (const [o, cmds] of Object.entries(ONLY)) if (v[o] !== undefined && cmds.indexOf(cmd) < 0) throw new UsageError('--' + o + ' goes with ' + cmds.join(' or '));
  if (OFFLINE.indexOf(cmd) >= 0 || v.travel) for (const o of ['sim', 'ble', 'name']) if (v[o] !== undefined) throw new UsageError(cmd + (v.travel ? ' --travel' : '') + ' needs no car: --' + o + ' has no use');
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
  if (cmd === 'share') out.share = shareArgs(v, env);
  if (v.travel) out.travel = true;
  return out;
}

function shareArgs(v: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): NonNullable<PhonekeyArgs['share']> {
  const roleName = str(v, 'role') || 'guest';
  if (roleName !== 'driver' && roleName !== 'guest') throw new UsageError('share: --role must be driver or guest (a ticket is never an owner), got ' + JSON.stringify(roleName));
  const role = ROLES[roleName];
  let perms = role === 1 ? 7 : 3;
  const p = str(v, 'perms');
  if (p !== undefined) {
    perms = 0;
    for (const w of p.split(',')) {
      if (PERMS[w.trim()] === undefined) throw new UsageError('--perms: each of unlock, lock, drive (comma-separated), got ' + JSON.stringify(w));
      perms |= PERMS[w.trim()];
    }
  }
  const label = str(v, 'label') || '';
  if (!/^[\x20-\x7e]{0,6}$/.test(label)) throw new UsageError('--label: at most 6 printable ASCII characters for a ticket, got ' + JSON.stringify(label));
  const validForMs = duration(str(v, 'hours'), '--hours', { unit: 'h', maxMs: MAX_TICKET_MS });
  let boards: Uint8Array[] | undefined;
  const b = str(v, 'boards');
  if (b !== undefined) {
    boards = b.split(',').map((x) => {
      if (!/^[0-9a-f]{16}$/i.test(x.trim())) throw new UsageError('--boards: board ids of 16 hex digits, comma-separated, got ' + JSON.stringify(x));
      return new Uint8Array(Buffer.from(x.trim(), 'hex'));
    });
  }
  const file = str(v, 'out');
  const outPath = file === undefined ? undefined : userPath(file, env);
  checkWritableDir(outPath || userPath('ticket.json', env), 'ticket file');
  return { role, perms, label, validForMs, boards, out: outPath, linkBase: str(v, 'link-base') || 'http://localhost:8080/phonekey', qr: !!v.qr };
}
