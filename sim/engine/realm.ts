/**
 * Values made in the board's VM realm: a Uint8Array, ArrayBuffer, Error or object the firmware gets
 * must be the context's own, so `instanceof` behaves inside the bundle as on the board, and so that
 * nothing the board holds leads back to the host: a host function's or object's `.constructor`
 * chain ends at the host's Function, which runs code with Node's `process` (an escape from the
 * simulator onto the user's computer). So host functions reach the board only wrapped in a
 * function made inside the context (`fn`), and what they return or throw is adopted: the
 * context's own values pass untouched, host values are copied into context values (`adopt`).
 * Host code that touches board values must stay strict-mode code (tsconfig `strict` implies it):
 * a board getter, toString or toJSON called by sloppy host code could read the host function as
 * its `caller`. test/sim/sandbox-escape.test.ts tries every known route.
 * Here: only constructors and converters. Not here: any Espruino API.
 */
import * as vm from 'node:vm';

export interface Realm {
  global: Record<string, any>;
  uint8(bytes: ArrayLike<number>): Uint8Array;
  arrayBuffer(bytes: ArrayLike<number>): ArrayBuffer;
  error(message: string): Error;
  array<T>(items: T[]): T[];
  /** A new object of the context with `obj`'s own properties, each adopted (host functions wrapped). */
  plain<T extends object>(obj: T): T;
  /** A function of the context that calls the host function `f` (without `this`) and adopts what it returns or throws. */
  fn<F extends (...a: any[]) => any>(f: F): F;
  /** A host value as the board may hold it: primitives and the context's own objects as they are, host functions wrapped, host objects copied. */
  adopt<T>(v: T): T;
}

/**
 * Made inside the context: `wrap(f)` returns a context function whose call runs `enter(f, args)`.
 * It is bound, so it prints as a native function (`function () { [native code] }`) as Espruino's
 * built-ins do, and has no `prototype`. `bind` and `call` are taken once, before any board code runs.
 */
const WRAPPER = `(function (enter) {
  var bindOf = Function.prototype.call.bind(Function.prototype.bind);
  return function wrap(f) {
    return bindOf(function () { return enter(f, arguments); }, undefined);
  };
})`;

export function realmOf(context: vm.Context): Realm {
  const g = vm.runInContext('this', context) as Record<string, any>;
  const U8 = vm.runInContext('Uint8Array', context) as Uint8ArrayConstructor;
  const AB = vm.runInContext('ArrayBuffer', context) as ArrayBufferConstructor;
  const Err = vm.runInContext('Error', context) as ErrorConstructor;
  const Obj = vm.runInContext('Object', context) as ObjectConstructor;
  const Arr = vm.runInContext('Array', context) as ArrayConstructor;
  const Dt = vm.runInContext('Date', context) as DateConstructor;
  const ownProto = Obj.prototype;
  const isOwn = (v: object) => Object.prototype.isPrototypeOf.call(ownProto, v);
  const wrappers = new WeakMap<object, unknown>();

  const uint8 = (bytes: ArrayLike<number>) => { const u = new U8(bytes.length); u.set(bytes as ArrayLike<number>); return u; };
  const arrayBuffer = (bytes: ArrayLike<number>) => { const ab = new AB(bytes.length); new U8(ab).set(bytes as ArrayLike<number>); return ab; };
  const error = (message: string) => new Err(message);

  const adopt = (v: unknown, seen = new Map<object, unknown>()): unknown => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
    const o = v as object;
    if (isOwn(o)) return o;
    if (seen.has(o)) return seen.get(o);
    if (typeof o === 'function') return wrap(o as (...a: unknown[]) => unknown);
    if (o instanceof Error) {
      // Errors the host throws (its own checks, Node's TypeError, RangeError...) become board errors.
      const Ctor = /Error$/.test(o.name) && typeof g[o.name] === 'function' && isOwn(g[o.name]) ? g[o.name] : Err;
      const e = new Ctor(String(o.message));
      seen.set(o, e);
      return e;
    }
    if (ArrayBuffer.isView(o)) {
      const name = o.constructor && o.constructor.name;
      const Ctor = /Array$/.test(name) && typeof g[name] === 'function' && isOwn(g[name]) ? g[name] : U8;
      return new Ctor(Array.prototype.slice.call(o as unknown as ArrayLike<number>));
    }
    if (o instanceof ArrayBuffer) return arrayBuffer(new Uint8Array(o));
    if (o instanceof Date) return new Dt(o.getTime());
    if (Array.isArray(o)) {
      const a = new Arr();
      seen.set(o, a);
      for (const x of o) a.push(adopt(x, seen));
      return a;
    }
    const copy = new Obj() as Record<string, unknown>;
    seen.set(o, copy);
    for (const k of Object.keys(o)) copy[k] = adopt((o as Record<string, unknown>)[k], seen);
    return copy;
  };

  // The one place board code enters host code from a wrapped function.
  const enter = (f: (...a: unknown[]) => unknown, args: ArrayLike<unknown>): unknown => {
    let out: unknown;
    try {
      out = Reflect.apply(f, undefined, args);
    } catch (e) {
      throw adopt(e);
    }
    return adopt(out);
  };
  const makeWrapper = (vm.runInContext(WRAPPER, context) as (enter: unknown) => (f: unknown) => unknown)(enter);
  function wrap(f: (...a: unknown[]) => unknown): unknown {
    let w = wrappers.get(f);
    if (!w) { w = makeWrapper(f); wrappers.set(f, w); }
    return w;
  }

  return {
    global: g,
    uint8,
    arrayBuffer,
    error,
    array: <T>(items: T[]) => { const a = new Arr<T>(); for (const x of items) a.push(adopt(x) as T); return a; },
    plain: <T extends object>(obj: T) => {
      const copy = new Obj() as Record<string, unknown>;
      for (const k of Object.keys(obj)) copy[k] = adopt((obj as Record<string, unknown>)[k]);
      return copy as T;
    },
    fn: <F extends (...a: any[]) => any>(f: F) => wrap(f) as F,
    adopt: <T>(v: T) => adopt(v) as T,
  };
}
