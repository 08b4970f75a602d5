/**
 * Command lines for every host tool, one way: `node:util` parseArgs in strict mode (an unknown
 * flag, a missing value or a stray argument is an error), `--help` that lists every option and
 * exits 0, numbers and durations checked before anything runs (`--hours 1d` and `--hours=24` are
 * both a day; `--hours abc` is an error, never "unbounded"), and a runner that turns any failure
 * into one line on stderr and a non-zero exit — also when the tool's work simply stops because
 * nothing answered (the event loop empties with the result still pending).
 *
 * Exit codes: 0 done, 1 failed, 2 bad arguments or refused.
 * Not here: files and paths (cli-files.ts), what each tool does.
 */
import { parseArgs } from 'node:util';

import { CliError } from './cli-error';

export { CliError };

/** Bad arguments: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) { super(message, 2); }
}

export interface Opt {
  type: 'string' | 'boolean';
  /** One-letter alias, e.g. 'p' for -p. */
  short?: string;
  /** The value's placeholder in the help, e.g. 'FILE' or 'N'. */
  arg?: string;
  help: string;
}

export interface Spec {
  /** How it is run, e.g. 'npm run flash --'. */
  usage: string;
  /** Positional arguments in the usage line, e.g. '<scenario>|all'. */
  args?: string;
  /** How many positionals are allowed: [min, max]. Default none. */
  positionals?: [number, number];
  options: Record<string, Opt>;
  /** Lines after the option list. */
  notes?: string;
}

export type Values = Record<string, string | boolean | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
  /** --help or -h was given: print help(spec) and exit 0; nothing else was checked. */
  help: boolean;
}

/** The help text: the usage line and every option, one a line. */
export function help(spec: Spec): string {
  const lines = ['usage: ' + spec.usage + (spec.args ? ' ' + spec.args : '') + (Object.keys(spec.options).length ? ' [options]' : '')];
  const rows = Object.entries(spec.options).map(([name, o]) => [
    (o.short ? '-' + o.short + ', ' : '    ') + '--' + name + (o.type === 'string' ? ' ' + (o.arg || 'VALUE') : ''), o.help,
  ]);
  rows.push(['-h, --help', 'this help']);
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [a, b] of rows) lines.push('  ' + a.padEnd(w) + '  ' + b);
  if (spec.notes) lines.push(spec.notes);
  return lines.join('\n') + '\n';
}

function helpAsked(argv: string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Parses argv strictly against spec; throws UsageError with a one-line message. */
export function parse(argv: string[], spec: Spec): Parsed {
  if (helpAsked(argv)) return { values: {}, positionals: [], help: true };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(spec.options)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let r: { values: Values; positionals: string[] };
  try {
    r = parseArgs({ args: argv, options, strict: true, allowPositionals: true }) as { values: Values; positionals: string[] };
  } catch (e) {
    throw new UsageError(parseArgsMessage(e as Error & { code?: string }));
  }
  const [min, max] = spec.positionals || [0, 0];
  if (r.positionals.length > max) throw new UsageError('unexpected argument ' + JSON.stringify(r.positionals[max]) + ' (try --help)');
  if (r.positionals.length < min) throw new UsageError('missing ' + (spec.args || 'argument') + ' (try --help)');
  return { values: r.values, positionals: r.positionals, help: false };
}

/** node's parseArgs messages, in one line each. */
function parseArgsMessage(e: Error & { code?: string }): string {
  const opt = /'(?:-\w, )?(-[^' ]+)/.exec(e.message);
  const name = opt ? opt[1] : '';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': return 'unknown option ' + name + ' (try --help)';
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(e.message)) return name + ' takes no value';
      return name + ' needs a value' + (/ambiguous/.test(e.message) ? ' (to give one starting with "-", write ' + name + '=VALUE)' : '');
    default: return e.message.split('\n')[0];
  }
}

/** A required string option. */
export function need(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new UsageError('--' + name + ' is required (try --help)');
  return v;
}

/** A string option or undefined. */
export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A whole number in [min, max]; `def` when the option is absent. Rejects 1.5, 1e3, 0x10, '', ' 3'. */
export function int(value: string | undefined, flag: string, range: { min: number; max: number; def?: number }): number {
  if (value === undefined) {
    if (range.def === undefined) throw new UsageError(flag + ' is required (try --help)');
    return range.def;
  }
  if (!/^-?\d+$/.test(value)) throw new UsageError(flag + ' needs a whole number, got ' + JSON.stringify(value));
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) throw new UsageError(flag + ' must be from ' + range.min + ' to ' + range.max + ', got ' + value);
  return n;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 };
const UNIT_WORD: Record<string, string> = { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours', d: 'days', w: 'weeks' };

/**
 * A duration in milliseconds: a number with a unit (`90m`, `24h`, `1d`, `1.5h`, `30s`, `250ms`, `2w`)
 * or a plain number in the option's own unit (`--hours 24`). Must be in (0, max]: never NaN,
 * never zero or negative, so a typo can never mean "no bound".
 */
export function duration(value: string | undefined, flag: string, opts: { unit: 'ms' | 's' | 'm' | 'h' | 'd'; maxMs: number; defMs?: number }): number {
  if (value === undefined) {
    if (opts.defMs === undefined) throw new UsageError(flag + ' is required (try --help)');
    return opts.defMs;
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(value.trim());
  if (!m) throw new UsageError(flag + ' needs a duration such as 90m, 24h or 1d (a plain number is in ' + UNIT_WORD[opts.unit] + '), got ' + JSON.stringify(value));
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2] || opts.unit]);
  if (!(ms > 0)) throw new UsageError(flag + ' must be longer than zero, got ' + value);
  if (ms > opts.maxMs) throw new UsageError(flag + ' must be at most ' + fmtDuration(opts.maxMs) + ', got ' + value);
  return ms;
}

/** 86400000 -> '1d', 5400000 -> '90m'. */
function fmtDuration(ms: number): string {
  for (const u of ['w', 'd', 'h', 'm', 's']) if (ms % UNIT_MS[u] === 0) return ms / UNIT_MS[u] + u;
  return ms + 'ms';
}

export interface RunOptions {
  /** Call process.exit when done, also on success (a Bluetooth library may keep handles open). */
  exit?: boolean;
}

/**
 * Runs a tool's main: its number is the exit code (undefined = 0). Any error becomes one line,
 * `<tool>: <message>`, and its exitCode (1 unless it carries one); the stack only with
 * CARKEY_DEBUG=1. After a failure (thrown or a non-zero code) the process exits: a half-started
 * server or a link library's socket must not keep it alive. If the
 * process would end while main is still pending — a socket that never answered and left nothing
 * to wait for — that is an error too, never a silent exit 0.
 */
export function runMain(tool: string, main: () => Promise<number | void> | number | void, opts: RunOptions = {}): void {
  let settled = false;
  const finish = (code: number, exit: boolean) => {
    settled = true;
    process.exitCode = code;
    if (exit) process.stdout.write('', () => process.exit(code));
  };
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write(tool + ': stopped without a result: nothing answered\n');
    process.exitCode = 1;
  });
  Promise.resolve()
    .then(main)
    .then((code) => { const c = typeof code === 'number' ? code : 0; finish(c, !!opts.exit || c !== 0); }, (e) => {
      process.stderr.write(tool + ': ' + errorLine(e) + '\n');
      if (process.env.CARKEY_DEBUG === '1' && e && (e as Error).stack) process.stderr.write((e as Error).stack + '\n');
      const code = e && typeof (e as CliError).exitCode === 'number' ? (e as CliError).exitCode : 1;
      finish(code || 1, true);
    });
}

/** An error as one line: its message (a system error's code and path kept), no stack. */
export function errorLine(e: unknown): string {
  if (e instanceof Error) {
    const msg = e.message || e.name;
    // A multi-line message of our own (the dialect guard's list) stays whole; a stray one is cut.
    return e instanceof CliError || (e as { lines?: unknown }).lines ? msg : msg.split('\n')[0];
  }
  return String(e);
}
