/**
 * Flashes the firmware onto a board: `npm run flash -- --board puckjs --port /dev/ttyACM0 [--dev]`
 * (or `--port tcp://127.0.0.1:N` for the simulator's console, `npm run sim -- console`).
 *
 *   1. port     the port exists / something listens there (before anything is built)
 *   2. build    dist/<board>/firmware.js (or firmware-dev.js with --dev; --file flashes a built file)
 *   3. check    a production flash is refused unless dist/<board>/build.json records the exact bytes
 *               (sha256) as a production build AND the bundle, booted in the simulator, calls
 *               NRF.setServices(..., {uart: false}) and never says DEV BUILD: the Bluetooth console
 *               must not be open on a car. (The minified text cannot be grepped for `uart:!1`: the
 *               flag reaches setServices as a parameter.) Any bundle that throws at boot is refused.
 *   4. board    process.env: the board must be the Espruino board this build is for, with room in Storage
 *   5. upload   a board in the compaction-safe layout (tools/host/layout.ts; docs/ESPRUINO.md
 *               "Flash"), or with --update/--rebuild-keys/--install: the layout procedure
 *               (tools/host/relayout.ts over the console, console-layout.ts): reset() stops the
 *               firmware, the log and clock tiles are read (and kept in --state FILE until the
 *               end, so a re-run after a cut finishes the job), the pages are erased with
 *               require("Flash").erasePage from the last one down to the bundle's first (page 0
 *               for a rebuild or install), never Storage.compact, then bundle, pad and tiles are
 *               written, each read back. A board in the older layout (puckjs-nfc's key table,
 *               log rings and generation files) when the board's firmware has the journal layout:
 *               moved into it (relayout.ts moveOlder, kept in --state FILE the same way).
 *               A board holding none of it (stock Espruino): the bundle to Storage as .bootcde
 *               (the CLI's Storage upload). Either way it is then read back on the board with the verified
 *               uploader's checks (host/console-upload.ts remoteCrc, remoteSha256): length,
 *               E.CRC32 and SHA-256 must equal the built file's (a corrupt copy is erased)
 *   6. reboot   load(): the board boots the new code; its boot lines are shown, an uncaught error fails
 *   7. report   our firmware's version (printed at boot, recorded in build.json with the commit),
 *               the board's Espruino version (process.env.VERSION) and process.memory() after boot
 *
 * Talks to the board by spawning the `espruino` CLI (node_modules/espruino), one run per step (the
 * read-back lines through `cliLink`, the one console-link interface over this transport): the
 * library keeps global state (global.Espruino, es6-shim on the builtins, one open port) that would
 * leak into this process and between steps, and a child can be killed on a timeout. The CLI is run
 * with --no-ble for serial/TCP ports (its Bluetooth module crashes without D-Bus), with
 * BOARD_JSON_URL pointing at tools/boards/ so it loads board data from disk instead of espruino.com,
 * and with SERIAL_THROTTLE_SEND=1 (always throttle: the CLI never finishes a short command when it
 * decides a console is fast). On tcp:// it skips the 250 ms pause after each Storage.write chunk
 * (STORAGE_UPLOAD_METHOD=1): TCP does not drop bytes. The CLI exits 0 whatever happens, so every step
 * prints its answer between markers and anything else is a failure with a message.
 * Exit codes: 0 flashed and verified, 1 failed, 2 refused or bad arguments.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boardById, boards } from '../hal/boards/index';
import type { BoardConfig } from '../hal/boards/types';
import { bundleFirmware, ROOT, DialectError } from './host/build/bundle';
import { versionRefusal } from './host/espruino-version';
import { mayBePretokenised } from './host/pretokens';
import { writeBundle, type BuildRecord } from './build';
import { espruinoBoard } from '../hal/boards/espruino';
import { createSimBoard } from '../sim/engine/board';
import { crc32 } from './host/bytes';
import type { ConsoleLink } from './host/console-link';
import { remoteCrc, remoteSha256 } from './host/console-upload';
import { ProvisionError } from './host/provision/errors';
import { CliError, type Spec, duration, help, parse, runMain, str } from './host/cli-args';
import { userPath } from './host/cli-files';
import { checkPort, isBle, isTcp } from './host/ports';
import { consoleLayoutTarget, keySlotsOnBoard, stopFirmware } from './host/console-layout';
import { type Mode, type RelayoutReport, type Saved, layoutCheck, olderLayout, relayout } from './host/relayout';
import { installFiles } from './host/layout-image';
import { openEspruinoLink, type ConsoleLink as OpenLink } from './provision/link';
import { writeFileSafe } from './host/cli-files';

const BOARD_JSON_DIR = path.join(__dirname, 'boards');
const CLI = require.resolve('espruino/bin/espruino-cli.js');

/** exitCode 1 = failed, 2 = refused. */
export class FlashError extends CliError {}

export interface FlashOptions {
  board: string;
  port: string;
  dev?: boolean;
  /** Flash this built file instead of building; dist/<board>/build.json must record it. */
  file?: string;
  /** Longest wait for one CLI step (the upload gets this plus time per KB). Default 30 s. */
  stepTimeoutMs?: number;
  /**
   * The layout procedure (tools/host/relayout.ts): 'update' (refuses a board not in the layout),
   * 'rebuild' (a fresh key file; a full one refuses further key changes), 'install' (a board
   * without a site: `image` gives its site and keys). Unset: 'update' if the board is in the
   * layout, else the plain .bootcde upload.
   */
  layout?: Mode;
  /** install: a board-image directory (npm run provision -- board-image). */
  image?: string;
  /** Where a relayout keeps what it read until it is done (default: carkey-relayout-<board>-<serial>.json here). */
  stateFile?: string;
  /** Opens the console link the layout procedure runs over (default: the espruino package). */
  openLink?: (port: string) => Promise<OpenLink>;
  log?: (line: string) => void;
}

export interface FlashResult {
  board: string;
  espruinoBoard: string;
  dev: boolean;
  file: string;
  bytes: number;
  sha256: string;
  /** The board's Espruino firmware (process.env.VERSION). */
  version: string;
  /** Our firmware's release version: what the board printed at boot ("carkey X on ..."), else build.json's. */
  firmwareVersion: string;
  /** The git commit build.json records for the flashed file ("unknown" when none). */
  commit: string;
  /** process.memory() after boot, when the console still answers. */
  memory?: { free: number; usage: number; total: number };
  /** What the board printed while booting the new code. */
  bootLines: string[];
  warnings: string[];
  /** What the layout procedure did, when it ran (pages erased, files written, time). */
  relayout?: RelayoutReport & { ms: number; keySlotsUsed?: number };
}

interface CliRun { stdout: string; stderr: string; board: string[]; timedOut: boolean }

/** Runs the espruino CLI once against the port; resolves with its output and the board's lines. */
export function runEspruinoCli(port: string, args: string[], timeoutMs: number): Promise<CliRun> {
  const base = ['-p', port, '--config', 'BOARD_JSON_URL=' + BOARD_JSON_DIR, '--config', 'SERIAL_THROTTLE_SEND=1'];
  if (!isBle(port)) base.unshift('--no-ble');
  if (isTcp(port)) base.push('--config', 'STORAGE_UPLOAD_METHOD=1');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI].concat(base, args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('latin1'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('latin1'); });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(new FlashError('cannot run the espruino CLI: ' + e.message)); });
    child.on('close', () => {
      clearTimeout(timer);
      const board = stdout.split('\n').filter((l) => l.slice(0, 4) === '--] ').map((l) => l.slice(4).replace(/\r$/, ''));
      resolve({ stdout, stderr, board, timedOut });
    });
  });
}

/** Why a CLI run said nothing useful, in words. */
function cliFailure(port: string, what: string, r: CliRun, timeoutMs: number): FlashError {
  const all = r.stdout + '\n' + r.stderr;
  if (r.timedOut) return new FlashError(`${what}: no result from the board on ${port} within ${Math.round(timeoutMs / 1000)} s`);
  if (/ECONNREFUSED/.test(all)) return new FlashError(`${what}: nothing is listening at ${port}`);
  if (/Port "[^"]*" not found|Unable to connect/.test(all)) return new FlashError(`${what}: cannot open ${port}`);
  if (/Unable to retrieve board information/.test(all)) return new FlashError(`${what}: the board on ${port} does not answer on its console`);
  if (/Prompt not detected/.test(all)) return new FlashError(`${what}: the board stopped answering while receiving (upload failed)`);
  const uncaught = r.board.filter((l) => /Uncaught/.test(l));
  if (uncaught.length) return new FlashError(`${what}: the board said: ${uncaught.join(' | ')}`);
  const tail = (r.board.slice(-5).join(' | ') || r.stderr.trim().split('\n').slice(-3).join(' | ') || 'nothing').slice(0, 400);
  return new FlashError(`${what}: no answer from the board on ${port} (it said: ${tail})`);
}

/** Runs an expression that prints @@TAG{json}@@ and returns the parsed JSON. */
async function ask<T>(port: string, tag: string, what: string, expr: string, timeoutMs: number, extraArgs: string[] = []): Promise<{ value: T; run: CliRun }> {
  const r = await runEspruinoCli(port, extraArgs.concat(['-e', expr]), timeoutMs);
  const re = new RegExp('@@' + tag + '(.*?)@@');
  for (const line of r.board) {
    const m = re.exec(line);
    if (m) {
      try { return { value: JSON.parse(m[1]) as T, run: r }; } catch { /* fall through */ }
    }
  }
  throw cliFailure(port, what, r, timeoutMs);
}

/** Board-side expression printing `@@TAG` + JSON of `body` (an object literal expression) + `@@`. */
function printJson(tag: string, body: string): string {
  return `print("@@${tag}"+JSON.stringify(${body})+"@@")`;
}

/**
 * The one console link (tools/host/console-link.ts) over the espruino CLI: one CLI run per line,
 * what the line printed taken from between two markers. Slow (a process a line), so only for the
 * few lines of a check; the bundle itself goes in one run (`--storage`).
 */
export function cliLink(port: string, timeoutMs: number, what: string): ConsoleLink {
  return {
    run: async (code) => {
      const r = await runEspruinoCli(port, ['-e', 'print("@@LINE@@");' + code + ';print("@@END@@")'], timeoutMs);
      const from = r.board.findIndex((l) => l.indexOf('@@LINE@@') >= 0);
      const to = r.board.findIndex((l, i) => i > from && l.indexOf('@@END@@') >= 0);
      if (from < 0 || to < 0) throw cliFailure(port, what, r, timeoutMs);
      return r.board.slice(from + 1, to).join('\n');
    },
  };
}

/** The board's length, CRC32 and SHA-256 of .bootcde, read back by the uploader's own checks (console-upload.ts). */
async function readBack(link: ConsoleLink): Promise<{ missing?: number; len?: number; crc?: number; sha?: string }> {
  const back = await remoteCrc(link, '.bootcde');
  if (!back) return { missing: 1 };
  let sha: string | undefined;
  try { sha = await remoteSha256(link, '.bootcde'); } catch (e) { if (!(e instanceof ProvisionError)) throw e; }
  return { len: back.length, crc: back.crc, sha };
}

const ID_EXPR = '(function(){var S=require("Storage"),t=S.getStats(),b=S.read(".bootcde");'
  + printJson('ID', '{board:process.env.BOARD,version:process.env.VERSION,serial:process.env.SERIAL,total:t.totalBytes,used:t.fileBytes,old:b===undefined?-1:b.length,site:S.list("ck.site.").length}') + ';})()';

const INFO_EXPR = printJson('INFO', '{version:process.env.VERSION,memory:process.memory(),len:(require("Storage").read(".bootcde")||"").length}');

function sha256(code: string): string { return createHash('sha256').update(code, 'latin1').digest('hex'); }

/** build.json's record for a bundle file (undefined when there is none). */
function buildRecord(file: string): BuildRecord | undefined {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'build.json'), 'utf8')) as Record<string, BuildRecord>;
    return meta[path.basename(file)];
  } catch {
    return undefined;
  }
}

/**
 * Step 3. Throws FlashError(…, 2) when `code` must not go onto a car as a production build: the
 * record is missing, is for other bytes or another board, or says dev; or the bundle, booted in the
 * simulator, leaves the Nordic UART console on, says DEV BUILD, or throws at boot.
 */
export function checkBundle(board: BoardConfig, code: string, record: BuildRecord | undefined, production: boolean): void {
  const sha = sha256(code);
  if (production) {
    if (!record) throw new FlashError('refused: no dist/' + board.id + '/build.json record for this file; flash only what `npm run build` made', 2);
    if (record.sha256 !== sha) throw new FlashError('refused: the file is not the one build.json describes (sha256 differs); rebuild', 2);
    if (record.board !== board.id) throw new FlashError(`refused: build.json says this bundle is for ${record.board}, not ${board.id}`, 2);
    if (record.dev) throw new FlashError('refused: this is a dev bundle (build.json says dev): it keeps the JavaScript console open over Bluetooth. Flash it only with --dev, never onto a car', 2);
  }
  const sim = createSimBoard({ board, bundle: code });
  if (sim.uncaught.length) throw new FlashError('refused: the bundle throws at boot in the simulator: ' + sim.uncaught.join(' | '), 2);
  if (production && sim.nrf.uartExposed) throw new FlashError('refused: this bundle leaves the Bluetooth console (Nordic UART) enabled: NRF.setServices was not given {uart:false}', 2);
  if (production && /DEV BUILD/.test(sim.consoleText())) throw new FlashError('refused: this bundle announces itself as a DEV BUILD', 2);
}

export { flashOptions };

export async function flash(opts: FlashOptions): Promise<FlashResult> {
  const log = opts.log || ((l: string) => console.log(l));
  const stepMs = opts.stepTimeoutMs || 30000;
  const board = boardById(opts.board);
  if (!board) throw new FlashError(`unknown board "${opts.board}"; known: ${boards.map((b) => b.id).join(', ')}`, 2);
  if (!opts.port) throw new FlashError('no --port given (a serial port such as /dev/ttyACM0, a Bluetooth address, or tcp://host:port)', 2);
  const eb = espruinoBoard(board.id);
  const warnings: string[] = [];

  log(`[1/7] port ${opts.port}`);
  await checkPort(opts.port);

  let code: string, file: string, dev: boolean, record: BuildRecord | undefined;
  if (opts.file) {
    file = path.resolve(opts.file);
    if (!fs.existsSync(file)) throw new FlashError(`no such file: ${opts.file}`, 2);
    code = fs.readFileSync(file, 'latin1');
    record = buildRecord(file);
    dev = !!opts.dev;
    log(`[2/7] using ${path.relative(ROOT, file)} (${code.length} bytes, ${record ? (record.dev ? 'dev' : 'production') + ' build' : 'no build record'})`);
  } else {
    dev = !!opts.dev;
    log(`[2/7] building ${board.id} (${dev ? 'dev' : 'production'})`);
    try {
      const b = await bundleFirmware(board, { dev });
      file = path.join(ROOT, writeBundle(b));
      code = b.code;
    } catch (e) {
      throw new FlashError(e instanceof DialectError ? e.message : 'build failed: ' + (e as Error).message);
    }
    record = buildRecord(file);
  }
  const bytes = code.length, sha = sha256(code), crc = crc32(code);
  for (let i = 0; i < code.length; i++) {
    if (code.charCodeAt(i) > 255) throw new FlashError('the bundle has characters beyond latin1; the console link carries bytes', 2);
  }

  log(`[3/7] checking the bundle (${dev ? 'dev: Bluetooth console stays open' : 'production: Bluetooth console must be closed'})`);
  checkBundle(board, code, record, !dev);

  log(`[4/7] asking the board who it is`);
  const id = (await ask<{ board: string; version: string; serial?: string; total: number; used: number; old: number; site: number }>(opts.port, 'ID', 'identifying the board', ID_EXPR, stepMs)).value;
  if (id.board !== eb.board) throw new FlashError(`refused: the board on ${opts.port} is a ${id.board}, but ${board.id} firmware is for a ${eb.board}`, 2);
  log(`      ${id.board}, Espruino ${id.version}, Storage ${id.used}/${id.total} bytes used`);
  const tooOld = mayBePretokenised(code) ? versionRefusal(id.version, id.board) : undefined;
  if (tooOld) throw new FlashError('refused: ' + tooOld, 2);
  let relaid: FlashResult['relayout'];
  const uncaught: string[] = [];
  const stateFile = opts.stateFile || `carkey-relayout-${board.id}-${String(id.serial || 'board').replace(/[^A-Za-z0-9_-]/g, '')}.json`;
  const savedState = readState(stateFile, board.id);
  const mode: Mode | undefined = opts.layout || (savedState ? savedState.mode : undefined) || (id.site && (await inLayout(opts, board)) ? 'update' : undefined);
  if (mode) {
    log(`[5/7] writing the layout (${mode}) over the console`);
    relaid = await runRelayout(opts, mode, board, code, stateFile, savedState, log);
  } else {
    if (id.site) log('      its Storage is not in the compaction-safe layout: .bootcde is replaced through Storage, as before');
  const oldCost = id.old >= 0 ? 32 + ((id.old + 3) & ~3) : 0;
  const room = id.total - id.used + oldCost;
  const need = 32 + ((bytes + 3) & ~3);
  if (need > room) throw new FlashError(`refused: the board's Storage has room for ${room} bytes, the bundle needs ${need}`, 2);

  log(`[5/7] writing ${bytes} bytes to .bootcde and reading them back`);
  const uploadMs = stepMs + bytes * (isTcp(opts.port) ? 1 : 20);
  const up = await runEspruinoCli(opts.port, ['--storage', '.bootcde:' + file, '-e', 'print("@@UPLOADED .bootcde@@")'], uploadMs);
  if (!up.board.some((l) => l.indexOf('@@UPLOADED .bootcde@@') >= 0)) throw cliFailure(opts.port, 'writing .bootcde', up, uploadMs);
  uncaught.push(...up.board.filter((l) => /Uncaught|ERROR/.test(l)));
  }
  const v = await readBack(cliLink(opts.port, stepMs, 'reading .bootcde back'));
  const problems: string[] = [];
  if (v.missing) problems.push('.bootcde is missing on the board');
  else {
    if (v.len !== bytes) problems.push(`length ${v.len} on the board, ${bytes} built`);
    if (((v.crc as number) >>> 0) !== crc) problems.push(`CRC32 ${(v.crc as number) >>> 0} on the board, ${crc} built`);
    if (v.sha && v.sha !== sha) problems.push(`SHA-256 ${v.sha.slice(0, 16)}… on the board, ${sha.slice(0, 16)}… built`);
    if (!v.sha) warnings.push('the board has no require("crypto").SHA256: verified by length and CRC32 only');
  }
  if (problems.length || uncaught.length) {
    let erased = '';
    try {
      await runEspruinoCli(opts.port, ['-e', 'require("Storage").erase(".bootcde")'], stepMs);
      erased = ' The corrupt .bootcde was erased so the board will not boot it.';
    } catch { /* report the mismatch anyway */ }
    throw new FlashError('verify failed: ' + problems.concat(uncaught).join('; ') + '.' + erased);
  }
  log(`      verified: ${bytes} bytes, CRC32 ${crc}${v.sha ? ', SHA-256 ' + sha.slice(0, 16) + '…' : ''}`);

  log('[6/7] rebooting into the new firmware (load())');
  // The marker proves the line ran (and makes the command long enough: the CLI never finishes
  // sending one of 19 characters or less).
  const boot = await runEspruinoCli(opts.port, ['-e', 'print("@@BOOT@@");load()'], stepMs);
  const at = boot.board.findIndex((l) => l.indexOf('@@BOOT@@') >= 0);
  if (at < 0) throw cliFailure(opts.port, 'rebooting', boot, stepMs);
  const bootLines = boot.board.slice(at + 1).filter((l) => l.trim() && l.trim() !== '>' && !/^=undefined$/.test(l.trim()));
  for (const l of bootLines) log('      board: ' + l);
  const bootErrors = bootLines.filter((l) => /Uncaught/.test(l));
  if (bootErrors.length) throw new FlashError('the new firmware failed at boot: ' + bootErrors.join(' | '));

  log('[7/7] firmware version and memory');
  let version = id.version;
  let memory: FlashResult['memory'];
  try {
    const info = (await ask<{ version: string; memory: { free: number; usage: number; total: number }; len: number }>(opts.port, 'INFO', 'reading the board after boot', INFO_EXPR, stepMs)).value;
    version = info.version;
    memory = { free: info.memory.free, usage: info.memory.usage, total: info.memory.total };
    if (info.len !== bytes) throw new FlashError(`after reboot .bootcde is ${info.len} bytes, expected ${bytes}`);
  } catch (e) {
    if (e instanceof FlashError && /after reboot/.test(e.message)) throw e;
    if (dev) throw e;
    // A production build closes the Bluetooth console: over Bluetooth the board cannot answer now.
    warnings.push('the board no longer answers on this console after boot (' + (e as Error).message + '); expected for a production build over Bluetooth');
  }
  const printed = bootLines.map((l) => /carkey (\S+) on /.exec(l)).find((m) => m);
  const firmwareVersion = printed ? printed[1] : record && record.sha256 === sha ? record.version : 'unknown';
  const commit = record && record.sha256 === sha && record.commit ? record.commit : 'unknown';
  if (record && record.sha256 === sha && record.version && printed && printed[1] !== record.version) {
    warnings.push(`the board says firmware ${printed[1]}, build.json says ${record.version}`);
  }
  log(`done: ${board.name} (${eb.board}) runs ${path.relative(ROOT, file)} (${dev ? 'dev' : 'production'}): firmware ${firmwareVersion} (commit ${commit.slice(0, 12)}) on Espruino ${version}`
    + (memory ? `, memory ${memory.free} of ${memory.total} variables free` : ''));
  for (const w of warnings) log('warning: ' + w);
  if (relaid) {
    try { fs.unlinkSync(stateFile); } catch { /* none kept */ }
  }
  return { board: board.id, espruinoBoard: eb.board, dev, file, bytes, sha256: sha, version, firmwareVersion, commit, memory, bootLines, warnings, relayout: relaid };
}

/** Keeps what a relayout read (0600: a rebuild's copy holds the site file); true once written whole. */
function writeState(file: string, s: Saved): boolean {
  const files = s.files.map((f) => ({ name: f.name, data: Buffer.from(f.data, 'latin1').toString('base64') }));
  writeFileSafe(file, JSON.stringify({ board: s.board, mode: s.mode, files }), 'the relayout state', { mode: 0o600 });
  return true;
}

/** What an interrupted relayout of this board kept (undefined when none). */
function readState(file: string, board: string): Saved | undefined {
  if (!fs.existsSync(file)) return undefined;
  let v: { board: string; mode: Mode; files: { name: string; data: string }[] };
  try { v = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { throw new FlashError(`${file} is not a relayout state file (${(e as Error).message}); move it away to start over`, 2); }
  if (v.board !== board || !Array.isArray(v.files)) throw new FlashError(`${file} is a relayout state of ${v.board}, not ${board}`, 2);
  return { board: v.board, mode: v.mode, files: v.files.map((f) => ({ name: f.name, data: Buffer.from(f.data, 'base64').toString('latin1') })) };
}

/** The install files from a board image directory: its site file and keys, settings left at their defaults. */
function imageFiles(dir: string, board: BoardConfig, bundleBytes: number): ReturnType<typeof installFiles> {
  const file = (n: string) => path.join(dir, n);
  if (!fs.existsSync(file('manifest.json'))) throw new FlashError(`no board image in ${dir} (no manifest.json): make one with npm run provision -- board-image`, 2);
  const manifest = JSON.parse(fs.readFileSync(file('manifest.json'), 'utf8')) as { board: string };
  if (manifest.board !== board.id) throw new FlashError(`the board image in ${dir} is for ${manifest.board}, not ${board.id}`, 2);
  const read = (n: string) => (fs.existsSync(file(n)) ? fs.readFileSync(file(n)).toString('latin1') : undefined);
  const site = read('ck.site.a');
  if (!site) throw new FlashError(`the board image in ${dir} has no ck.site.a`, 2);
  return installFiles(board, bundleBytes, site, read('ck.keys') ?? read('ck.keys.a'));
}

function openLink(opts: FlashOptions): Promise<OpenLink> {
  return (opts.openLink || ((p: string) => openEspruinoLink(p, { timeoutS: Math.ceil((opts.stepTimeoutMs || 30000) / 1000) })))(opts.port);
}

/**
 * Whether the board's Storage is in the compaction-safe layout, or in the older layout that a board
 * on the journal layout moves out of (tools/host/relayout.ts moveOlder). Read only: its header chain.
 */
async function inLayout(opts: FlashOptions, board: BoardConfig): Promise<boolean> {
  const link = await openLink(opts);
  try {
    const s = await consoleLayoutTarget(link).storage();
    return !('problem' in layoutCheck(board, s)) || (!!board.tile && olderLayout(s));
  } catch (e) {
    if (e instanceof CliError) return false; // no require("Flash"): not a board this procedure can serve
    throw e;
  } finally {
    await link.close();
  }
}

/** Step 5 in the layout: the relayout over an in-process console link, its state kept in `stateFile` until done. */
async function runRelayout(opts: FlashOptions, mode: Mode, board: BoardConfig, code: string, stateFile: string, saved: Saved | undefined, log: (l: string) => void): Promise<FlashResult['relayout']> {
  const install = mode === 'install' ? imageFiles(path.resolve(opts.image || ''), board, code.length) : undefined;
  if (saved) log(`      resuming an interrupted ${saved.mode} from ${stateFile}`);
  const link = await openLink(opts);
  const t0 = Date.now();
  let last = -1, kept = !!saved;
  try {
    await stopFirmware(link);
    const target = consoleLayoutTarget(link);
    const report = await relayout(target, {
      board, mode, bundle: code, install, saved, log: (l) => log('      ' + l),
      onSaved: (s) => { kept = writeState(stateFile, s); },
      progress: (done, total) => { const pc = Math.floor((done * 10) / total); if (pc !== last) { last = pc; log(`      ${done}/${total} steps`); } },
    });
    const slots = await keySlotsOnBoard(link);
    if (slots) {
      log(`      key file: ${slots.used} of ${slots.cap} slots used`);
      if (slots.used >= slots.cap) log('warning: every key slot is used: the board refuses key changes until npm run flash -- --rebuild-keys');
    }
    return { ...report, ms: Date.now() - t0, keySlotsUsed: slots && slots.used };
  } catch (e) {
    if (!kept || !(e instanceof Error)) throw e;
    throw new FlashError(`${e.message}; what the board held is kept in ${stateFile}: run the same command again to finish`, e instanceof CliError ? e.exitCode : 1);
  } finally {
    await link.close();
  }
}

const SPEC: Spec = {
  usage: 'npm run flash --',
  options: {
    board: { type: 'string', arg: 'ID', help: 'the board: ' + boards.map((b) => b.id).join(', ') + ' (required)' },
    port: { type: 'string', short: 'p', arg: 'PORT', help: 'a serial port (/dev/ttyACM0), a Bluetooth address, or tcp://host:port (required)' },
    dev: { type: 'boolean', help: 'flash the dev build (Bluetooth console stays open: never in a car)' },
    file: { type: 'string', arg: 'FILE', help: 'flash this built file (dist/<board>/build.json must record it) instead of building' },
    timeout: { type: 'string', arg: 'DURATION', help: 'longest wait for one step: 30, 30s, 2m (plain number: seconds; default 30s)' },
    update: { type: 'boolean', help: 'the layout update (default for a board in the layout): refuse a board that is not in it' },
    'rebuild-keys': { type: 'boolean', help: 'rewrite the layout with a fresh key file holding the live keys (when every key slot is used)' },
    install: { type: 'boolean', help: 'a fresh install of the layout (site, keys, bundle, pad) from --image; refuses a board holding another site' },
    image: { type: 'string', arg: 'DIR', help: 'the board image for --install (npm run provision -- board-image)' },
    state: { type: 'string', arg: 'FILE', help: 'where a layout run keeps what it read until done (default carkey-relayout-<board>-<serial>.json)' },
  },
  notes: 'Exit 0 flashed and verified, 1 failed, 2 refused or bad arguments. Reports our firmware version, its commit and the board\'s Espruino version.',
};

function flashOptions(argv: string[]): FlashOptions | undefined {
  const a = parse(argv, SPEC);
  if (a.help) return undefined;
  const v = a.values;
  const board = str(v, 'board');
  if (!board) throw new FlashError(`--board is required (${boards.map((b) => b.id).join(', ')})`, 2);
  const file = str(v, 'file');
  const modes = (['update', 'rebuild-keys', 'install'] as const).filter((m) => v[m]);
  if (modes.length > 1) throw new FlashError(`--${modes.join(' and --')} do not go together`, 2);
  const layout: Mode | undefined = modes[0] === 'rebuild-keys' ? 'rebuild' : modes[0];
  const image = str(v, 'image'), state = str(v, 'state');
  if (image !== undefined && layout !== 'install') throw new FlashError('--image goes with --install', 2);
  if (layout === 'install' && image === undefined) throw new FlashError('--install needs --image DIR (npm run provision -- board-image)', 2);
  if (image !== undefined && !fs.existsSync(path.join(userPath(image), 'manifest.json'))) throw new FlashError(`no board image in ${image} (no manifest.json)`, 2);
  return {
    board, port: str(v, 'port') || '', dev: !!v.dev, file: file === undefined ? undefined : userPath(file),
    stepTimeoutMs: duration(str(v, 'timeout'), '--timeout', { unit: 's', maxMs: 3600000, defMs: 30000 }),
    layout, image: image === undefined ? undefined : userPath(image), stateFile: state === undefined ? undefined : userPath(state),
  };
}

if (require.main === module) {
  runMain('flash', async () => {
    const opts = flashOptions(process.argv.slice(2));
    if (!opts) { process.stdout.write(help(SPEC)); return 0; }
    await flash(opts);
    return 0;
  }, { exit: true });
}
