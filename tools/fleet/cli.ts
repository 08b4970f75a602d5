/**
 * The fleet registry on the command line: `npm run fleet -- <command> [options]`. Every operation
 * the admin page offers is here too (boards, keys, share, revoke, the newest list, logs with
 * filters). Host CLI rules (tools/cli-args.ts): strict flags, checked numbers, one-line errors with
 * a non-zero exit; nothing half-written (registry changes are transactions, files are written
 * whole by cli-files.ts).
 *
 *   init | import <file.site> | boards | board add | keys | key add | key-file <id> --out FILE | share
 *   | revoke <id> [--board X (--sim URL | --ble)] | list
 *   | collect --board X (--sim URL | --ble [--name N] | --console PORT) | log --board X [--csv] [--from --to --event --key]
 *   | serve [--port N]
 * The passphrase comes from CARKEY_PASSPHRASE or a prompt (tools/host/provision/passphrase.ts).
 */
import * as fs from 'node:fs';
import { type Spec, UsageError, help, int, need, parse, runMain, str, duration } from '../host/cli-args';
import { userPath, writeFileSafe } from '../host/cli-files';
import { CliError } from '../host/cli-error';
import { getNewPassphrase, getPassphrase } from '../host/provision/passphrase';
import { newSiteData } from '../host/provision/sitefile';
import { parsePerms, parseRole, parseTime } from '../host/provision/keys';
import { boardById } from '../../hal/boards/index';
import { type Registry, createRegistry, openRegistry } from './registry';
import { addBoard, addKey, boardByName, listBoards, listKeys, newestList, ownerKeyOf, ownerTravelKey, revoke, shareTicket, travelKeyOf } from './boards';
import { travelKeyJson } from '../host/travelkey';
import { importSite } from './import';
import { collectBoard, collectConsole } from './collect';
import { openEspruinoLink } from '../provision/link';
import { checkPort } from '../host/ports';
import { queryLog, type LogFilter } from './logstore';
import { logCsv } from './csv';
import { startAdmin } from './server';
import { CarSession } from '../phonekey/cli';
import { bluetoothLink, simulatorLink } from '../phonekey/links';
import { OP, be32 } from '../host/protocol';
import { eventName, reasonName } from '../host/names';

const COMMANDS = 'init | import <file.site> | boards | board-add | keys | key-add | key-file <keyId> | share | revoke <keyId> | list | collect | log | serve';

export const SPEC: Spec = {
  usage: 'npm run fleet --',
  args: '<command> [argument]',
  positionals: [1, 2],
  options: {
    registry: { type: 'string', arg: 'FILE', help: 'the registry file (default fleet.db in the directory you ran npm from)' },
    board: { type: 'string', arg: 'NAME', help: 'a board by label or identity; key-add, key-file, share: comma-separated' },
    label: { type: 'string', arg: 'TEXT', help: 'board-add, key-add, share, import: a label' },
    type: { type: 'string', arg: 'BOARD', help: 'board-add, import: the board type (puckjs, mdbt42q, xiaoble, ...; default puckjs)' },
    'firmware-build': { type: 'string', arg: 'TEXT', help: 'board-add: the firmware build flashed (build.json commit)' },
    role: { type: 'string', arg: 'ROLE', help: 'key-add: owner | driver | guest; share: driver | guest' },
    perms: { type: 'string', arg: 'LIST', help: 'key-add, share: unlock,lock,drive (default by role)' },
    hours: { type: 'string', arg: 'DURATION', help: 'key-add, share: valid for (24h, 1d, 90m; share needs one)' },
    out: { type: 'string', arg: 'FILE', help: 'share: write the guest link fragment here (mode 600); key-file: the v2 key file (mode 600); log --csv: write CSV here' },
    sim: { type: 'string', arg: 'URL', help: 'collect, revoke: the simulator radio bridge (ws://127.0.0.1:8080/ws/radio)' },
    ble: { type: 'boolean', help: 'collect, revoke: over Bluetooth' },
    name: { type: 'string', arg: 'NAME', help: 'with --ble: the board\'s advertised name' },
    console: { type: 'string', arg: 'PORT', help: 'collect: over the board\'s USB console (a serial port, or tcp://host:port for the simulator\'s console)' },
    csv: { type: 'boolean', help: 'log: CSV instead of lines' },
    from: { type: 'string', arg: 'DATE', help: 'log: from this date/time (ISO, UTC), inclusive' },
    to: { type: 'string', arg: 'DATE', help: 'log: until this date/time (ISO, UTC), exclusive' },
    event: { type: 'string', arg: 'N', help: 'log: only this event code (docs/PROTOCOL.md)' },
    key: { type: 'string', arg: 'ID', help: 'log: only this key id' },
    port: { type: 'string', arg: 'N', help: 'serve: port on 127.0.0.1 (default 8090)' },
  },
  notes: 'commands: ' + COMMANDS + '\npassphrase: CARKEY_PASSPHRASE or a prompt. Docs: docs/FLEET.md',
};

const u32 = (v: string | undefined, flag: string) => (v === undefined ? undefined : int(v, flag, { min: 0, max: 0xffffffff }));

function registryPath(values: Record<string, unknown>): string {
  return userPath(typeof values.registry === 'string' ? values.registry : 'fleet.db');
}

async function withRegistry<T>(file: string, fn: (r: Registry) => Promise<T> | T): Promise<T> {
  const r = openRegistry(file, await getPassphrase());
  try { return await fn(r); } finally { r.close(); }
}

const iso = (s: number | null) => (s ? new Date(s * 1000).toISOString().replace('.000Z', 'Z') : '-');

/**
 * The board's owner key on a link (the simulator bridge or Bluetooth): a board with its own secrets
 * gets the owner's v2 key, which carries the registry's newest revocation list (`session.syncList()`
 * hands it over); a v1 board (site secret) the owner's key file.
 */
export async function ownerLink(r: Registry, boardName: string, sim: string | undefined, ble: boolean, name?: string) {
  const b = boardByName(r, boardName);
  const session = new CarSession(b.secrets === 'board' ? ownerTravelKey(r, [b]) : ownerKeyOf(r, b));
  const link = ble ? await bluetoothLink(session.onPacket, name) : await simulatorLink(sim!, session.onPacket);
  try { await session.open(link); } catch (e) { await link.close(); throw e; }
  return { board: b, session, ask: async (op: number, args?: Uint8Array) => (await session.run(op, args)).answer, close: () => link.close() };
}

export async function main(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const a = parse(argv, SPEC);
  if (a.help) { out(help(SPEC).trimEnd()); return 0; }
  const v = a.values;
  const [cmd, arg] = a.positionals;
  const file = registryPath(v);
  const oneArg = (want: boolean) => { if (want !== (arg !== undefined)) throw new UsageError(want ? cmd + ' needs an argument (try --help)' : 'unexpected argument ' + JSON.stringify(arg) + ' (try --help)'); };
  const linkWanted = () => { if (!!v.sim === !!v.ble) throw new UsageError(cmd + ' needs one of --sim URL or --ble' + (cmd === 'collect' ? ' or --console PORT' : '')); };
  // Check every flag before anything is opened or asked.
  const type = str(v, 'type') || 'puckjs';
  if ((cmd === 'board-add' || cmd === 'import') && !boardById(type)) throw new UsageError('unknown board type ' + JSON.stringify(type) + ' (see hal/boards)');
  switch (cmd) {
    case 'init': {
      oneArg(false);
      if (fs.existsSync(file)) throw new CliError('the registry ' + file + ' exists; choose another --registry');
      const pass = await getNewPassphrase();
      const site = newSiteData();
      createRegistry(file, pass, site).close();
      out('new registry ' + file + ' (secrets sealed under your passphrase; keep a backup of it)');
      return 0;
    }
    case 'import': {
      oneArg(true);
      const site = userPath(arg!);
      if (!fs.existsSync(site)) throw new CliError('no site file ' + site + ' (no such file)');
      const pass = fs.existsSync(file) ? await getPassphrase() : await getNewPassphrase();
      const res = importSite(file, site, pass, { label: str(v, 'label') || arg!.replace(/^.*\//, '').replace(/\.site$/, ''), type });
      res.registry.close();
      out('imported ' + site + ': board ' + res.board.label + ' (holds the site secret, v1) with ' + res.keys + ' keys into ' + file);
      return 0;
    }
    case 'boards': {
      oneArg(false);
      return withRegistry(file, (r) => {
        for (const b of listBoards(r)) out([b.label, b.board_id, b.type, b.secrets === 'site' ? 'v1 site secret' : 'own secrets', 'firmware ' + (b.firmware_version || '?') + (b.firmware_build ? ' (' + b.firmware_build + ')' : ''), b.keys + ' keys', b.entries + ' log entries', 'last seen ' + iso(b.last_seen)].join('  '));
        return 0;
      });
    }
    case 'board-add': {
      oneArg(false);
      const label = need(v, 'label');
      return withRegistry(file, (r) => {
        const b = addBoard(r, { type, label, firmwareBuild: str(v, 'firmware-build') });
        out('added board ' + b.label + ' identity ' + b.board_id + ' (slot ' + b.slot + ')');
        return 0;
      });
    }
    case 'keys': {
      oneArg(false);
      const board = need(v, 'board');
      return withRegistry(file, (r) => {
        for (const k of listKeys(r, boardByName(r, board))) out([k.key_id, k.kind, k.role, k.perms, k.label || '-', k.state, 'valid ' + iso(k.not_before) + ' .. ' + iso(k.not_after)].join('  '));
        return 0;
      });
    }
    case 'key-add': {
      oneArg(false);
      const board = need(v, 'board');
      const role = parseRole(str(v, 'role'));
      const perms = v.perms ? parsePerms(v.perms as string).join(',') : role === 'guest' ? 'unlock,lock' : 'unlock,lock,drive';
      const hours = v.hours === undefined ? undefined : duration(v.hours as string, '--hours', { unit: 'h', maxMs: 3650 * 86400000 });
      return withRegistry(file, (r) => {
        const now = Math.floor(Date.now() / 1000);
        const boards = board.split(',').map((n) => boardByName(r, n));
        const k = addKey(r, boards, { role, perms, label: str(v, 'label'), notBefore: hours ? now : 0, notAfter: hours ? now + Math.round(hours / 1000) : 0 });
        out('recorded key ' + k.keyId + ' (' + role + ') for ' + boards.map((b) => b.label).join(', ') + '; provision it onto the boards with their key records');
        return 0;
      });
    }
    case 'key-file': {
      oneArg(true);
      const id = int(arg, 'key id', { min: 1, max: 0xffffffff });
      const outFile = userPath(need(v, 'out'));
      if (fs.existsSync(outFile)) throw new UsageError(outFile + ' exists; choose another --out');
      return withRegistry(file, (r) => {
        const k = travelKeyOf(r, id, v.board ? (v.board as string).split(',').map((n) => boardByName(r, n)) : undefined);
        writeFileSafe(outFile, travelKeyJson(k), 'key file', { mode: 0o600, exclusive: true });
        const l = newestList(r);
        out('v2 key file of key ' + id + ' for ' + k.boards.length + ' board(s)' + (l ? ' with revocation list version ' + l.version : '') + ' written to ' + outFile + ' (holds its secrets: hand it over privately)');
        return 0;
      });
    }
    case 'share': {
      oneArg(false);
      const board = need(v, 'board');
      const role = parseRole(str(v, 'role') || 'guest');
      if (role === 'owner') throw new UsageError('a ticket is for a driver or a guest, never an owner');
      const hours = duration(v.hours as string | undefined, '--hours', { unit: 'h', maxMs: 365 * 86400000 });
      const outFile = userPath(need(v, 'out'));
      if (fs.existsSync(outFile)) throw new UsageError(outFile + ' exists; choose another --out');
      const perms = v.perms ? parsePerms(v.perms as string).join(',') : role === 'guest' ? 'unlock,lock' : 'unlock,lock,drive';
      return withRegistry(file, (r) => {
        const now = Math.floor(Date.now() / 1000);
        const boards = board.split(',').map((n) => boardByName(r, n));
        // The file first, then the record, in one transaction: a failed write records nothing.
        const t = r.db.transaction(() => {
          const s = shareTicket(r, { boards, role: role as 'driver' | 'guest', perms, notBefore: now, notAfter: now + Math.round(hours / 1000), label: str(v, 'label') || '' });
          writeFileSafe(outFile, s.fragment + '\n', 'guest link', { mode: 0o600, exclusive: true });
          return s;
        })();
        out('ticket ' + t.ticketId + ' for ' + boards.map((b) => b.label).join(', ') + ' written to ' + outFile + ' (open <your phone-key site>/phonekey' + '<the fragment>; hand it over privately)');
        return 0;
      });
    }
    case 'revoke': {
      oneArg(true);
      const id = int(arg, 'key id', { min: 1, max: 0xffffffff });
      if (v.sim || v.ble) { if (!v.board) throw new UsageError('revoke with --sim or --ble needs --board'); linkWanted(); }
      return withRegistry(file, async (r) => {
        const res = revoke(r, id);
        out('revoked ' + id + ' on ' + res.boards + ' board(s)' + (res.list ? '; revocation list version ' + res.list.version + ' signed (v2 boards take it from any key that carries it: key-file, share, revoke --board)' : ''));
        if (v.board && (v.sim || v.ble)) {
          const l = await ownerLink(r, v.board as string, str(v, 'sim'), !!v.ble, str(v, 'name'));
          try {
            // A v2 board takes the signed list (LIST); a v1 board the owner's REVOKE.
            const c = l.session.challenge;
            if (res.list && c && (c.version || 1) >= 2) {
              const s = await l.session.syncList();
              out(l.board.label + ': ' + (s.said || 'already holds revocation list version ' + c.listVersion));
              return /adopted/.test(s.said || '') || (!s.said && (c.listVersion || 0) >= res.list.version) ? 0 : 1;
            }
            const ans = await l.ask(OP.REVOKE, new Uint8Array(be32(id)));
            out(l.board.label + ': ' + (ans.reason || ans.type));
            return ans.status === 0 ? 0 : 1;
          } finally { await l.close(); }
        }
        return 0;
      });
    }
    case 'list': {
      oneArg(false);
      return withRegistry(file, (r) => {
        const l = newestList(r);
        if (!l) { out('no revocation list yet'); return 0; }
        out('version ' + l.version + ' made ' + iso(l.made_at) + ' revokes ' + (JSON.parse(l.ids) as number[]).join(', ') + '\n' + Buffer.from(l.bytes).toString('hex'));
        return 0;
      });
    }
    case 'collect': {
      oneArg(false);
      const board = need(v, 'board');
      if (v.console !== undefined) {
        if (v.sim || v.ble) throw new UsageError('collect takes one of --sim URL, --ble or --console PORT');
        const port = need(v, 'console');
        return withRegistry(file, async (r) => {
          const b = boardByName(r, board);
          await checkPort(port);
          const link = await openEspruinoLink(port);
          try {
            const res = await collectConsole(r, b, link);
            out(b.label + ': read ' + res.read + ' entries over the console, ' + res.added + ' new');
            return 0;
          } finally { await link.close(); }
        });
      }
      linkWanted();
      return withRegistry(file, async (r) => {
        const l = await ownerLink(r, board, str(v, 'sim'), !!v.ble, str(v, 'name'));
        try {
          const res = await collectBoard(r, l.board, l.ask);
          out(l.board.label + ': read ' + res.read + ' entries in ' + res.pages + ' pages, ' + res.added + ' new; firmware ' + (res.firmware || '?'));
          // The owner's visit carries the newest list too (a v2 board; nothing to say when it holds it).
          const sync = await l.session.syncList();
          if (sync.said) out(l.board.label + ': ' + sync.said);
          return 0;
        } finally { await l.close(); }
      });
    }
    case 'log': {
      oneArg(false);
      const f: LogFilter = {
        from: v.from === undefined ? undefined : parseTime(v.from as string, '--from'),
        to: v.to === undefined ? undefined : parseTime(v.to as string, '--to'),
        event: v.event === undefined ? undefined : int(v.event as string, '--event', { min: 0, max: 127 }),
        keyId: u32(str(v, 'key'), '--key'),
      };
      const outFile = v.out ? userPath(v.out as string) : undefined;
      if (outFile && !v.csv) throw new UsageError('--out goes with --csv');
      return withRegistry(file, (r) => {
        const boards = listBoards(r);
        if (v.board) f.board = boardByName(r, v.board as string).id;
        const rows = queryLog(r, f);
        if (v.csv) {
          const text = logCsv(rows, new Map(boards.map((b) => [b.id, b])));
          if (outFile) { writeFileSafe(outFile, text, 'CSV file'); out(rows.length + ' entries written to ' + outFile); } else process.stdout.write(text);
        } else {
          const name = new Map(boards.map((b) => [b.id, b.label]));
          for (const e of rows) out([name.get(e.board), e.seq, e.trusted ? iso(e.time) : e.time + ' s after boot', eventName(e.event), e.reason ? reasonName(e.reason) : '-', 'key ' + e.key_id].join('  '));
        }
        return 0;
      });
    }
    case 'serve': {
      oneArg(false);
      const port = int(str(v, 'port'), '--port', { min: 0, max: 65535, def: 8090 });
      const r = openRegistry(file, await getPassphrase());
      const srv = await startAdmin(r, port);
      out('fleet admin page: ' + srv.url + ' (this computer only; Ctrl-C to stop)');
      return new Promise<number>(() => { /* serves until stopped */ });
    }
    default:
      throw new UsageError('unknown command ' + JSON.stringify(cmd) + ' (commands: ' + COMMANDS + ')');
  }
}

if (require.main === module) runMain('fleet', () => main(process.argv.slice(2)), { exit: true });
