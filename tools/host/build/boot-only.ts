/**
 * Boot-only functions released once the boot is done. On Espruino a top-level function of the
 * bundle stays in RAM for as long as the bundle's scope lives (about 5 variables plus one per
 * parameter: the function, its code and scope links, its parameters; the name is one more), even
 * one that only the boot ever calls (reading the settings from the journal, making the pin ports,
 * setting up the input watches). This step finds those functions in the minified bundle and ends
 * the bundle with `a=b=...=void 0`, so they are garbage once the boot has run; each name stays
 * (one variable, holding undefined).
 *
 * A top-level function is boot-only when every use of it is a call by name made while the bundle's
 * own code runs (its top-level statements, functions called on the spot there, and the bodies of
 * other boot-only functions), never inside a function made for later (a callback, a handler, a
 * method, the owner unit's code) and never as a value (stored, passed, returned): only then is
 * every call over when the bundle's last statement has run. Anything else keeps it resident
 * (free-names.ts counts a name as a reference where in doubt). Runs before the owner unit's
 * split, while the unit is still code.
 *
 * Not here: the scope walk (free-names.ts), the owner unit (owner-unit.ts).
 */
import * as acorn from 'acorn';
import { bundleFunction, references } from './free-names';

type Node = any;

export interface Released {
  code: string;
  /** The released functions (mangled names), in the order of the bundle. */
  released: string[];
}


/** Which top-level functions only the boot calls (see the header), by name. */
export function bootOnly(code: string): string[] {
  const top: Node[] = bundleFunction(acorn.parse(code, { ecmaVersion: 2020 }), 'boot-only').body.body;
  const fns = new Map<string, Node>();
  for (const st of top) if (st.type === 'FunctionDeclaration') fns.set(st.id.name, st);
  const runtime = new Set<string>(); // may run after the boot
  const boot = new Set<string>(); // called while the boot runs
  const todo: Node[] = [];
  const take = (node: Node, isRuntime: boolean) => {
    for (const r of references(node)) {
      if (!fns.has(r.name)) continue;
      const later = isRuntime || r.deferred || !r.callee;
      const set = later ? runtime : boot;
      if (!set.has(r.name)) { set.add(r.name); todo.push(r.name); }
    }
  };
  for (const st of top) if (st.type !== 'FunctionDeclaration') take(st, false);
  // A function that may run later takes everything it refers to with it; one called at boot, its
  // calls made while it runs as boot calls. Each function is looked at again when it becomes runtime.
  const seen = new Map<string, boolean>();
  while (todo.length) {
    const name = todo.pop()!;
    const isRuntime = runtime.has(name);
    if (seen.get(name) === isRuntime || seen.get(name) === true) continue;
    seen.set(name, isRuntime);
    take(fns.get(name), isRuntime);
  }
  return top.filter((st) => st.type === 'FunctionDeclaration' && boot.has(st.id.name) && !runtime.has(st.id.name)).map((st) => st.id.name);
}

/** The bundle with its boot-only functions released at its end (the source map stays valid: only text is added there). */
export function releaseBootOnly(code: string): Released {
  const released = bootOnly(code);
  if (!released.length) return { code, released };
  const fn = bundleFunction(acorn.parse(code, { ecmaVersion: 2020 }), 'boot-only');
  const end = fn.body.end - 1; // the bundle function's closing brace
  const sep = /[;{]\s*$/.test(code.slice(0, end)) ? '' : ';';
  return { code: code.slice(0, end) + sep + released.join('=') + '=void 0' + code.slice(end), released };
}
