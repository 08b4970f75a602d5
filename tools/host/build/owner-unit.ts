/**
 * The owner unit: the code only an owner's command runs (firmware/owner-ops.ts `ownerCommand` and
 * every top-level function that nothing else calls: key management, settings, time, log reading)
 * leaves the board's RAM between commands. On Espruino each resident function costs about 7
 * variables; this code is made when a command runs and is garbage after it.
 *
 *   1. `markOwnerUnit` (an esbuild plugin) turns `export function ownerCommand(...) {...}` in
 *      firmware/owner-ops.ts into `export const ownerCommand = __OWNER_UNIT__(function (...) {...});`,
 *      so the minifier keeps it one function expression it cannot substitute into its caller.
 *   2. `splitOwnerUnit`, on the minified bundle: every top-level function only that function
 *      expression (or another such function) refers to is moved with it into one string,
 *        (function(){function A(..){..}function B(..){..}return function(t,e,..){..}})()
 *      and the marker call becomes `function(){return eval("<that string>").apply(this,arguments)}`.
 *      The stub has no parameter or local of its own, so the unit's code, evaluated in its scope
 *      (Espruino's eval runs in the caller's scope: src/jswrap_functions.c jswrap_eval; V8's direct
 *      eval too), sees exactly the bundle's top-level names it saw before. In a pretokenised bundle
 *      the string is a raw string: Espruino keeps it in flash (src/jslex.c jslGetRawString) and the
 *      functions made from it point their code into flash too (src/jsparse.c, native strings).
 *   3. The build tokenises the unit's text on its own (`Split.unit`, bundle.ts) and puts those
 *      bytes in the string: Espruino's lexer reads tokens in any text it lexes, eval's included
 *      (src/jslex.c), and the VM engine reads them back (tools/host/pretokens.ts untokenise).
 *
 * Which references are to the bundle's top level is found with a scope walk (params, var, let,
 * const, function names, catch parameters): where in doubt, a name counts as a top-level
 * reference, which can only keep a function resident, never move one a resident caller needs.
 * The source map is carried over: text moved into the string maps to where it came from.
 *
 * Not here: minifying (bundle.ts), tokenising (pretokenise.ts).
 */
import * as fs from 'node:fs';
import * as acorn from 'acorn';
import type { RawSourceMap } from 'source-map-js';
import type { Plugin } from 'esbuild';
import { bundleFunction, freeNames } from './free-names';
import { type Piece, assemble } from './splice';

export { freeNames };

const MARK = '__OWNER_UNIT__';
const HEAD = 'export function ownerCommand(';

/** esbuild plugin: the marker around ownerCommand (its closing brace: the first line that is exactly `}`). */
export function markOwnerUnit(): Plugin {
  return {
    name: 'owner-unit',
    setup(b) {
      b.onLoad({ filter: /[\\/]firmware[\\/]owner-ops\.ts$/ }, (a) => {
        const src = fs.readFileSync(a.path, 'utf8');
        const at = src.indexOf(HEAD);
        const end = at < 0 ? -1 : src.indexOf('\n}\n', at);
        if (end < 0) return { errors: [{ text: 'owner unit: no `' + HEAD + '...` ending in a line `}` in ' + a.path }] };
        const contents = src.slice(0, at) + 'export const ownerCommand = ' + MARK + '(function (' +
          src.slice(at + HEAD.length, end) + '\n});\n' + src.slice(end + 3);
        return { contents, loader: 'ts' };
      });
    },
  };
}

type Node = any;

export interface Split {
  code: string;
  map: RawSourceMap;
  /** The top-level functions moved into the unit (mangled names), the unit's length in characters. */
  moved: string[];
  unitChars: number;
  /**
   * Where the unit's string literal is in `code` (quotes included: `code.slice(start, end)`) and the
   * unit's text itself (the literal's value), so the build can tokenise the unit on its own
   * (bundle.ts): Espruino's lexer reads tokens in any text it lexes, an eval'd string's too.
   */
  unit?: { start: number; end: number; text: string };
}

/**
 * Moves the owner unit out of the minified bundle's resident code (see the header). `code` is the
 * minified bundle, `(function(){...})()` or `!function(){...}()`; without the marker it comes back as it is.
 */
export function splitOwnerUnit(code: string, map: RawSourceMap): Split {
  if (code.indexOf(MARK + '(') < 0) return { code, map, moved: [], unitChars: 0 };
  const ast = acorn.parse(code, { ecmaVersion: 2020 }) as Node;
  const iife = bundleFunction(ast, 'owner unit');
  const top: Node[] = iife.body.body;
  // The marker's call and the top-level statement holding it.
  let call: Node, holder: Node;
  const findCall = (n: Node, st: Node) => {
    if (call || !n || typeof n !== 'object') return;
    if (n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === MARK) { call = n; holder = st; return; }
    for (const k in n) { const v = n[k]; if (Array.isArray(v)) v.forEach((c) => findCall(c, st)); else if (v && typeof v.type === 'string') findCall(v, st); }
  };
  for (const st of top) findCall(st, st);
  if (!call || call.arguments.length !== 1 || call.arguments[0].type !== 'FunctionExpression') throw new Error('owner unit: ' + MARK + '(function ...) not found at the bundle\'s top level');
  const entry = call.arguments[0];
  // Who refers to which top-level function: each top-level function, the unit, and "resident" (everything else).
  const fns = new Map<string, Node>();
  for (const st of top) if (st.type === 'FunctionDeclaration') fns.set(st.id.name, st);
  const users = new Map<string, Set<string>>(); // function name -> its users ('' = resident code, MARK = the unit's entry)
  const use = (user: string, names: Set<string>) => { for (const x of names) if (fns.has(x) && x !== user) { if (!users.has(x)) users.set(x, new Set()); users.get(x)!.add(user); } };
  for (const st of top) {
    if (st.type === 'FunctionDeclaration') use(st.id.name, freeNames(st));
    else use('', freeNames(st, st === holder ? entry : undefined));
  }
  use(MARK, freeNames(entry));
  const unit = new Set<string>([MARK]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [name, us] of users) {
      if (unit.has(name)) continue;
      if ([...us].every((u) => unit.has(u))) { unit.add(name); grew = true; }
    }
  }
  const moved = top.filter((st) => st.type === 'FunctionDeclaration' && unit.has(st.id.name));
  // The new text: resident code with the moved functions cut out, and the stub holding the unit.
  const q = count(code, entry.start, entry.end, '"') <= count(code, entry.start, entry.end, "'") ? '"' : "'";
  const unitPieces: Piece[] = [{ text: '(function(){' }];
  for (const st of moved) unitPieces.push({ from: st.start, to: st.end, escape: q });
  unitPieces.push({ text: 'return ' }, { from: entry.start, to: entry.end, escape: q }, { text: '})()' });
  const pieces: Piece[] = [];
  let at = 0;
  const cuts = [...moved.map((st) => ({ start: st.start, end: st.end, stub: false })), { start: call.start, end: call.end, stub: true }].sort((a, b) => a.start - b.start);
  for (const c of cuts) {
    pieces.push({ from: at, to: c.start });
    if (c.stub) pieces.push({ text: 'function(){return eval(' + q }, ...unitPieces, { text: q + ').apply(this,arguments)}' });
    at = c.end;
  }
  pieces.push({ from: at, to: code.length });
  const out = assemble(code, pieces, map);
  const unitText = unitPieces.map((p) => ('text' in p ? p.text : code.slice(p.from, p.to))).join('');
  const unitChars = unitText.length;
  const head = 'function(){return eval(' + q;
  const literal = q + unitText.replace(/\\/g, '\\\\').split(q).join('\\' + q) + q;
  const start = out.code.indexOf(head) + head.length - 1;
  if (start < head.length - 1 || out.code.slice(start, start + literal.length) !== literal) throw new Error('owner unit: the unit\'s string literal is not where the stub put it');
  // Self-check: the result parses, and no resident code refers to a function that moved.
  const after = acorn.parse(out.code, { ecmaVersion: 2020 }) as Node;
  const iife2 = bundleFunction(after, 'owner unit');
  const left = new Set<string>();
  for (const st of iife2.body.body) if (st.type === 'FunctionDeclaration') left.add(st.id.name);
  for (const st of moved) if (left.has(st.id.name)) throw new Error('owner unit: ' + st.id.name + ' still declared after the split');
  return { code: out.code, map: out.map, moved: moved.map((st) => st.id.name), unitChars, unit: { start, end: start + literal.length, text: unitText } };
}

function count(s: string, from: number, to: number, ch: string): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s[i] === ch || s[i] === '\\') n++;
  return n;
}
