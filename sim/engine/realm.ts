/**
 * Values made in the board's VM realm: a Uint8Array, ArrayBuffer, Error or object the firmware gets
 * must be the context's own, so `instanceof` behaves inside the bundle as on the board.
 * Here: only constructors and converters. Not here: any Espruino API.
 */
import * as vm from 'node:vm';

export interface Realm {
  global: Record<string, any>;
  uint8(bytes: ArrayLike<number>): Uint8Array;
  arrayBuffer(bytes: ArrayLike<number>): ArrayBuffer;
  error(message: string): Error;
  array<T>(items: T[]): T[];
  /** Copies an object's own properties into a new object of the context. */
  plain<T extends object>(obj: T): T;
}

export function realmOf(context: vm.Context): Realm {
  const g = vm.runInContext('this', context) as Record<string, any>;
  const U8 = vm.runInContext('Uint8Array', context) as Uint8ArrayConstructor;
  const AB = vm.runInContext('ArrayBuffer', context) as ArrayBufferConstructor;
  const Err = vm.runInContext('Error', context) as ErrorConstructor;
  const Obj = vm.runInContext('Object', context) as ObjectConstructor;
  const Arr = vm.runInContext('Array', context) as ArrayConstructor;
  return {
    global: g,
    uint8: (bytes) => { const u = new U8(bytes.length); u.set(bytes as ArrayLike<number>); return u; },
    arrayBuffer: (bytes) => { const ab = new AB(bytes.length); new U8(ab).set(bytes as ArrayLike<number>); return ab; },
    error: (message) => new Err(message),
    array: <T>(items: T[]) => { const a = new Arr<T>(); for (const x of items) a.push(x); return a; },
    plain: <T extends object>(obj: T) => Obj.assign(new Obj(), obj) as T,
  };
}
