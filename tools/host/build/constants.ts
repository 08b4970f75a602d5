/**
 * Numeric constants of the bundle's top level written where they are used. On Espruino each
 * top-level name is a variable for as long as the firmware runs (`const JPAGE = 4096` costs one,
 * and a scope lookup at every use); the minifier keeps such a name wherever the number's text is
 * longer than the name. This step, on the minified bundle, replaces every use of a top-level
 * `var X = <integer or -integer>` that nothing ever assigns by the number, and drops the
 * declaration, where the pretokenised bundle grows by at most `MAX_GROWTH` bytes for it (an
 * integer of -128..127 is 2 bytes tokenised, to 32767 3, a longer one its digits; a name its
 * characters).
 *
 * Not here: the scope walk (free-names.ts), the text splice (splice.ts).
 */
import * as acorn from 'acorn';
import type { RawSourceMap } from 'source-map-js';
import { bundleFunction, references } from './free-names';
import { assemble, type Piece } from './splice';

type Node = any;

/** Bytes a constant may add to the tokenised bundle for the variable it saves. */
export const MAX_GROWTH = 8;

/** Tokenised size of an integer literal (tools/host/pretokens.ts: raw ints 0xD3..0xD5), or its text. */
function tokenBytes(v: number, text: string): number {
  if (v === 0) return 1;
  if (v >= -128 && v <= 127) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  return text.length;
}


/** Names assigned anywhere (any scope: a shadowing local's assignment also keeps the constant, which is only safe). */
function assignedNames(n: Node, out: Set<string>): Set<string> {
  if (!n || typeof n.type !== 'string') return out;
  if (n.type === 'AssignmentExpression' && n.left.type === 'Identifier') out.add(n.left.name);
  if (n.type === 'UpdateExpression' && n.argument.type === 'Identifier') out.add(n.argument.name);
  if ((n.type === 'ForInStatement' || n.type === 'ForOfStatement') && n.left.type === 'Identifier') out.add(n.left.name);
  for (const k in n) {
    const v = n[k];
    if (Array.isArray(v)) for (const c of v) assignedNames(c, out);
    else if (v && typeof v.type === 'string') assignedNames(v, out);
  }
  return out;
}

/** The integer a declarator's initialiser is, with its text, or undefined. */
function integerOf(init: Node, code: string): { value: number; text: string } | undefined {
  if (!init) return undefined;
  const neg = init.type === 'UnaryExpression' && init.operator === '-';
  const lit = neg ? init.argument : init;
  if (lit.type !== 'Literal' || typeof lit.value !== 'number' || !Number.isInteger(lit.value)) return undefined;
  return { value: neg ? -lit.value : lit.value, text: code.slice(init.start, init.end) };
}

export interface Inlined { code: string; map: RawSourceMap; names: string[] }

/** The bundle with its qualifying top-level integer constants written at their uses (see the header). */
export function inlineConstants(code: string, map: RawSourceMap): Inlined {
  const top: Node[] = bundleFunction(acorn.parse(code, { ecmaVersion: 2020 }), 'constants').body.body;
  const assigned = new Set<string>();
  for (const st of top) assignedNames(st, assigned);
  const consts = new Map<string, { value: number; text: string; decl: Node; st: Node }>();
  for (const st of top) {
    if (st.type !== 'VariableDeclaration' || st.kind !== 'var') continue;
    for (const d of st.declarations) {
      const v = d.id.type === 'Identifier' ? integerOf(d.init, code) : undefined;
      if (v && !assigned.has(d.id.name)) consts.set(d.id.name, { ...v, decl: d, st });
    }
  }
  const uses = new Map<string, { start: number; end: number }[]>();
  for (const st of top) for (const r of references(st)) if (consts.has(r.name)) { if (!uses.has(r.name)) uses.set(r.name, []); uses.get(r.name)!.push(r); }
  // Each constant: what its uses grow by, what its declaration gave back (`,X=v`).
  const chosen = new Set<string>();
  for (const [name, c] of consts) {
    const us = uses.get(name) || [];
    const growth = us.length * (tokenBytes(c.value, c.text) - name.length) - (name.length + 1 + tokenBytes(c.value, c.text) + 1);
    if (growth <= MAX_GROWTH) chosen.add(name);
  }
  if (!chosen.size) return { code, map, names: [] };
  // The edits: each use becomes the number (in brackets where a sign or a following `.` could
  // join it to its neighbours), each chosen declarator goes with one comma, a statement left empty goes whole.
  const edits: { start: number; end: number; text: string }[] = [];
  for (const name of chosen) {
    const c = consts.get(name)!;
    for (const u of uses.get(name) || []) edits.push({ start: u.start, end: u.end, text: c.value < 0 || code[u.end] === '.' ? '(' + c.text + ')' : c.text });
  }
  for (const st of top) {
    if (st.type !== 'VariableDeclaration') continue;
    const ds: Node[] = st.declarations;
    const keep = ds.filter((d) => !(d.id.type === 'Identifier' && chosen.has(d.id.name)));
    if (keep.length === ds.length) continue;
    if (!keep.length) { edits.push({ start: st.start, end: st.end, text: '' }); continue; }
    // A leading run of dropped declarators goes up to the first kept one; any other from the end
    // of the declarator before it (its comma included).
    const first = ds.indexOf(keep[0]);
    if (first > 0) edits.push({ start: ds[0].start, end: ds[first].start, text: '' });
    for (let i = first + 1; i < ds.length; i++) if (!keep.includes(ds[i])) edits.push({ start: ds[i - 1].end, end: ds[i].end, text: '' });
  }
  edits.sort((a, b) => a.start - b.start);
  const pieces: Piece[] = [];
  let at = 0;
  for (const e of edits) {
    if (e.start < at) throw new Error('constants: overlapping edits at ' + e.start);
    pieces.push({ from: at, to: e.start });
    if (e.text) pieces.push({ text: e.text });
    at = e.end;
  }
  pieces.push({ from: at, to: code.length });
  const out = assemble(code, pieces, map);
  return { ...out, names: [...chosen] };
}
