/**
 * The bundle's top level at the interpreter's root: the bundler wraps the firmware in one function
 * (`(function(){...})()`) so the minifier treats its names as locals and mangles them; this last
 * step takes the wrapper off again. On Espruino a function made inside another function keeps a
 * link to that function's scope ("\xFFsco", one variable), and a closure keeps an array of every
 * scope around it; a function made at the root has neither (src/jsparse.c adds the scope only
 * when there is one). Measured on a Puck.js with 200 keys: about 120 variables fewer at idle.
 *
 * The price: the bundle's one- and two-letter names are the board's globals. A line typed at the
 * board's console that assigns one of them replaces a piece of the running firmware until the next
 * boot. So the minifier never gives a name to the bundle that Espruino itself has at the root (E,
 * the pins), or that a line our own tools send to a running board assigns (`CONSOLE_NAMES`;
 * every such line should rather keep its names inside a function, as tools/host/console-layout.ts
 * does); and the build refuses a bundle that declares one of them.
 *
 * Not here: the wrapper itself and the minifier's options (bundle.ts).
 */
import * as acorn from 'acorn';
import type { RawSourceMap } from 'source-map-js';
import { assemble } from './splice';

type Node = any;

/**
 * Names a line sent to a running board by this repository's tools assigns at the root
 * (tools/host/logdecode.ts, tools/host/console-upload.ts, tools/provision/upload.ts, the benches'
 * reference loops in tools/benchmarks/board.ts, which are ../shared/device-time.md's `i` and `t`;
 * the bench bundles' `ev`) and names often typed at a console.
 */
export const CONSOLE_NAMES = ['S', 'f', 'i', 't', 'm', 'x', 'y', 'ev', 'rb', 'rf', 'rk', 'rj', 'rt'];

/** What Espruino has at the root with a name of one or two characters: E, and pins such as D0, A5, Q3. */
export function espruinoShortGlobals(): string[] {
  const out = ['E', 'Q', 'IR', 'PI'];
  for (let c = 65; c <= 90; c++) for (let d = 0; d <= 47; d++) out.push(String.fromCharCode(c) + d);
  return out;
}

/** Names the minifier must not give to the bundle's top level (terser mangle.reserved). */
export function reservedRootNames(): string[] {
  return [...espruinoShortGlobals(), ...CONSOLE_NAMES];
}

/** The wrapper function of `!function(){...}()` or `(function(){...})()`, or undefined. */
function wrapper(ast: Node): Node | undefined {
  if (ast.body.length !== 1 || ast.body[0].type !== 'ExpressionStatement') return undefined;
  let e = ast.body[0].expression;
  if (e.type === 'UnaryExpression' && e.operator === '!') e = e.argument;
  if (e.type !== 'CallExpression' || e.arguments.length || e.callee.type !== 'FunctionExpression') return undefined;
  const fn = e.callee;
  return fn.params.length || fn.id || fn.async || fn.generator ? undefined : fn;
}

/** What would change meaning at the root: `return`, `this` or `arguments` outside every inner function. */
function rootProblems(body: Node[]): string[] {
  const out: string[] = [];
  const visit = (n: Node, arrow: boolean): void => {
    if (!n || typeof n.type !== 'string') return;
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression') return;
    if (n.type === 'ReturnStatement' && !arrow) out.push('a return statement at ' + n.start);
    if (n.type === 'ThisExpression') out.push('`this` at ' + n.start);
    if (n.type === 'Identifier' && n.name === 'arguments') out.push('`arguments` at ' + n.start);
    const inArrow = arrow || n.type === 'ArrowFunctionExpression';
    for (const k in n) {
      const v = n[k];
      if (Array.isArray(v)) for (const c of v) visit(c, inArrow);
      else if (v && typeof v.type === 'string') visit(v, inArrow);
    }
  };
  for (const st of body) visit(st, false);
  return out;
}

/** Names the top level declares (functions and var/let/const). */
function topNames(body: Node[]): string[] {
  const out: string[] = [];
  for (const st of body) {
    if (st.type === 'FunctionDeclaration') out.push(st.id.name);
    if (st.type === 'VariableDeclaration') for (const d of st.declarations) if (d.id.type === 'Identifier') out.push(d.id.name);
  }
  return out;
}

/** The bundle without its wrapper; throws when it is not one, or when the root would change its meaning. */
export function toRoot(code: string, map: RawSourceMap): { code: string; map: RawSourceMap; shift: number } {
  const ast = acorn.parse(code, { ecmaVersion: 2020 }) as Node;
  const fn = wrapper(ast);
  if (!fn) throw new Error('root: the bundle is not one function called without arguments');
  const body: Node[] = fn.body.body;
  const problems = rootProblems(body);
  const reserved = new Set(reservedRootNames());
  for (const name of topNames(body)) if (reserved.has(name)) problems.push('the top-level name ' + name + ' is one Espruino or a console line has at the root');
  if (problems.length) throw new Error('root: the bundle cannot run at the interpreter\'s root: ' + problems.join('; '));
  if (!body.length) return { code: '', map, shift: 0 };
  // `shift`: how far text moved toward the start (an offset in `code` minus shift is one in the result).
  return { ...assemble(code, [{ from: body[0].start, to: body[body.length - 1].end }, { text: '\n' }], map), shift: body[0].start };
}
