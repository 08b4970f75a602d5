/**
 * The sandbox: a Node `vm` context cut down to what Espruino's interpreter has, so a bundle that
 * leans on a missing built-in fails here as on the board (shared/espruino-dialect.md; member lists
 * from Espruino's src/jswrap_*.c). Every call into the board goes through `invoke`, which bounds its
 * run time and drains the board's promise jobs afterwards.
 * Here: stripping, pretokenised code read back to text (tools/host/pretokens.ts), Date/Math.random
 * pinned to virtual time and a seeded PRNG, calling in.
 * Not here: the Espruino API itself (globals.ts installs it).
 * The context's global object is made from a null-prototype object (a `{}` would make
 * `this.constructor` the host's Object), and nothing of the host is left on it: host functions
 * reach the board through realm.ts (`fn`, `adopt`, `plain`), the call slot is the context's own.
 * Known limit: Espruino's "builtins unreachable through prototypes" quirk is not modelled.
 */
import * as vm from 'node:vm';
import { realmOf, type Realm } from './realm';
import { untokenise } from '../../tools/host/pretokens';

export interface Sandbox {
  context: vm.Context;
  realm: Realm;
  /** Runs board code (a bundle or snippet, plain or pretokenised) as Espruino runs .bootcde. Throws what the code throws. */
  run(code: string, filename: string): unknown;
  /** Calls a board function with arguments; throws what it throws. */
  invoke(fn: unknown, args: unknown[]): unknown;
}

/** Globals the interpreter lacks (deleting the binding is enough: V8's internals keep their own). */
const MISSING_GLOBALS = [
  'Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect', 'BigInt', 'BigInt64Array', 'BigUint64Array',
  'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics', 'Intl', 'WebAssembly', 'AggregateError',
  'RangeError', 'EvalError', 'URIError', 'TextEncoder', 'TextDecoder', 'queueMicrotask', 'structuredClone',
];

/** Members Espruino has (its jswrap_*.c JSON headers); every other string-keyed own member is deleted. */
const KEEP: Record<string, string> = {
  'Number': 'NaN MAX_VALUE MIN_VALUE NEGATIVE_INFINITY POSITIVE_INFINITY',
  'Number.prototype': 'toFixed toString valueOf',
  'Object': 'keys getOwnPropertyNames values entries fromEntries create getOwnPropertyDescriptor getOwnPropertyDescriptors defineProperty defineProperties getPrototypeOf setPrototypeOf assign',
  'Array': 'isArray',
  'Array.prototype': 'toString indexOf includes join push pop map forEach filter find findIndex some every reduce splice shift unshift slice sort concat fill reverse',
  'String': 'fromCharCode',
  'String.prototype': 'toString valueOf charAt charCodeAt indexOf lastIndexOf match replace replaceAll substring substr slice split toLowerCase toUpperCase trim concat startsWith endsWith includes repeat padStart padEnd',
  'Math': 'E PI LN2 LN10 LOG2E LOG10E SQRT2 SQRT1_2 abs acos asin atan atan2 cos pow random round sin tan sqrt ceil floor exp log min max sign',
  'Promise': 'all resolve reject',
  'Promise.prototype': 'then catch',
};
const ALWAYS_KEEP = ['constructor', 'length', 'name', 'prototype'];

const STRIP = `(function (g, keep, always, missing) {
  for (var i = 0; i < missing.length; i++) delete g[missing[i]];
  for (var path in keep) {
    var parts = path.split('.'), o = g[parts[0]];
    if (parts[1]) o = o[parts[1]];
    var allowed = keep[path].split(' ').concat(always);
    var names = Object.getOwnPropertyNames(o);
    for (var j = 0; j < names.length; j++) if (allowed.indexOf(names[j]) < 0) delete o[names[j]];
  }
  delete g.Date.UTC;
})`;

/** Date with no arguments (and Date.now) reads virtual time, as on a board whose clock was setTime()d. */
const PIN_DATE = `(function (g, nowMs) {
  var D0 = g.Date;
  function D(a, b, c, d, e, f, h) {
    if (!(this instanceof D)) return new D0(nowMs()).toString();
    if (arguments.length === 0) return new D0(nowMs());
    if (arguments.length === 1) return new D0(a);
    return new D0(a, b, c === undefined ? 1 : c, d || 0, e || 0, f || 0, h || 0);
  }
  D.prototype = D0.prototype;
  D.prototype.constructor = D;
  D.now = nowMs;
  D.parse = D0.parse;
  g.Date = D;
})`;

/**
 * `callTimeoutMs` bounds each callback (0 = unbounded: a bound costs ~0.1 ms of real time per call,
 * which is most of the cost of simulating a 1 Hz main loop); `runTimeoutMs` bounds boot and run().
 */
export function createSandbox(opts: { nowMs: () => number; random: () => number; callTimeoutMs: number; runTimeoutMs: number }): Sandbox {
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: true, wasm: false }, microtaskMode: 'afterEvaluate' });
  const g = vm.runInContext('this', context);
  vm.runInContext(STRIP, context)(g, KEEP, ALWAYS_KEEP, MISSING_GLOBALS);
  const realm = realmOf(context);
  vm.runInContext(PIN_DATE, context)(g, realm.fn(opts.nowMs));
  g.Math.random = realm.fn(opts.random);
  // One fixed script calls whatever is in the slot, so each call is bounded and drains promise jobs.
  const slot = realm.plain({}) as { fn?: unknown; args?: unknown[] };
  Object.defineProperty(g, '__simSlot', { value: slot, enumerable: false });
  const caller = new vm.Script('__simSlot.fn.apply(undefined, __simSlot.args)', { filename: 'sim-invoke' });
  const timeout = opts.callTimeoutMs > 0 ? opts.callTimeoutMs : undefined;
  const runTimeout = opts.runTimeoutMs > 0 ? opts.runTimeoutMs : undefined;
  return {
    context,
    realm,
    // Espruino's lexer reads plain and pretokenised text alike (src/jslex.c); V8 reads plain text.
    run: (code, filename) => vm.runInContext(untokenise(code), context, { filename, timeout: runTimeout }),
    invoke: (fn, args) => {
      slot.fn = fn;
      slot.args = realm.array(args);
      try {
        return caller.runInContext(context, { timeout });
      } finally {
        slot.fn = undefined;
        slot.args = undefined;
      }
    },
  };
}

/** How Espruino prints an error nobody caught: `Uncaught Error: message`, `Uncaught "text"`. */
export function formatUncaught(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in (e as object)) {
    const ctor = (e as { constructor?: { name?: string } }).constructor;
    const kind = (ctor && ctor.name) || 'Error';
    return 'Uncaught ' + kind + ': ' + String((e as Error).message);
  }
  try {
    return 'Uncaught ' + JSON.stringify(e);
  } catch {
    return 'Uncaught ' + String(e);
  }
}
