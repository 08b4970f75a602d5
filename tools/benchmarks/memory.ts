/**
 * Where the variables went, from the memory probe of the real-interpreter engine (a measurement,
 * not a test). The probe records, after a garbage collection, the live usage at every Storage write
 * and every host question, and every variable (E.dumpVariables) at each new highest:
 *
 *   ESPRUINO_BIN=… npm run sim -- run lost-card-revoked --engine espruino --memory-probe /tmp/probe.txt
 *   npx tsx tools/benchmarks/memory.ts /tmp/probe.txt [--dump N] [--rows 25]
 *
 * It prints the highest points (the firmware's share: the simulator's prelude and ballast taken
 * off), then for the highest dump (or dump N): what the running code holds (its call frames,
 * found as what the root does not reach, since the probe collected garbage first), and what the
 * bundle's top-level names keep alive, with their source names from dist/<board>/firmware.js.map
 * (rebuild first if the sources changed). Sizes are dominator sizes: what would go with that thing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as acorn from 'acorn';
import { type Spec, help, int, parse, runMain, str } from '../host/cli-args';
import { readText, userPath } from '../host/cli-files';
import { SourceMapConsumer, type RawSourceMap } from 'source-map-js';

export interface Var { size: number; flags: number; label: string; links: number[] }
export interface Dump { usage: number; why: string; vars: Map<number, Var> }
export interface Probe { board?: string; offset: number; points: { usage: number; why: string }[]; dumps: Dump[] }

// Name variables holding their value in themselves (JSV_NAME_INT .. JSV_NAME_STRING_INT_MAX): no link.
const LITERAL_NAME_FLAGS = [16, 17, 18, 19, 20, 21, 22];

/** Splits one E.dumpVariables() line: ref,size,flags,label,links... (a quoted label may hold commas). */
export function parseVarLine(line: string): [number, Var] | undefined {
  const m = /^>?(\d+),(\d+),(\d+),/.exec(line.trim());
  if (!m) return undefined;
  let rest = line.trim().slice(m[0].length);
  let label: string;
  const q = rest.startsWith('"') ? 0 : rest.startsWith('String "') ? 7 : -1;
  if (q >= 0) {
    let i = q + 1;
    while (i < rest.length && rest[i] !== '"') i += rest[i] === '\\' ? 2 : 1;
    label = rest.slice(0, i + 1);
    rest = rest.slice(i + 2);
  } else {
    const c = rest.indexOf(',');
    label = c < 0 ? rest : rest.slice(0, c);
    rest = c < 0 ? '' : rest.slice(c + 1);
  }
  const flags = Number(m[3]);
  const links = LITERAL_NAME_FLAGS.indexOf(flags) >= 0 ? [] : rest.split(',').filter((x) => /^\d+$/.test(x.trim())).map(Number);
  return [Number(m[1]), { size: Number(m[2]), flags, label, links }];
}

export function parseProbe(text: string): Probe {
  const probe: Probe = { offset: 0, points: [], dumps: [] };
  let dump: Dump | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^>+/, '').replace(/\r$/, '');
    const head = /^@@PROBE board=(\S+) prelude=(\d+) ballast=(\d+)/.exec(line);
    if (head) { probe.board = head[1]; probe.offset = Number(head[2]) + Number(head[3]); continue; }
    const u = /^@@U (\d+) (.*)$/.exec(line);
    if (u) { probe.points.push({ usage: Number(u[1]), why: u[2] }); continue; }
    const d = /^@@DUMP (\d+) (.*)$/.exec(line);
    if (d) { dump = { usage: Number(d[1]), why: d[2], vars: new Map() }; probe.dumps.push(dump); continue; }
    if (line.startsWith('@@END')) { dump = undefined; continue; }
    if (dump) { const v = parseVarLine(line); if (v) dump.vars.set(v[0], v[1]); }
  }
  for (const dp of probe.dumps) for (const v of dp.vars.values()) v.links = v.links.filter((l) => dp.vars.has(l));
  return probe;
}

export interface Analysis {
  reachable: number;
  /** What the running code holds: everything the root does not reach (garbage was collected first). */
  stack: { size: number; ref: number; holds: string[] }[];
  /** The top-level scope that most functions close over (the bundle's), by dominated size. */
  topLevel: { size: number; name: string }[];
}

/** Dominator sizes over the variable graph, with the root and every stack root under a virtual root 0. */
export function analyse(dump: Dump, wrapped = false): Analysis {
  const V = dump.vars;
  const seen = new Set<number>([1]);
  const todo = [1];
  while (todo.length) for (const l of V.get(todo.pop()!)!.links) if (!seen.has(l)) { seen.add(l); todo.push(l); }
  const held = new Set<number>();
  for (const r of V.keys()) if (!seen.has(r)) held.add(r);
  const heldBy = new Map<number, number>();
  for (const r of held) for (const l of V.get(r)!.links) if (held.has(l)) heldBy.set(l, r);
  const roots = [1, ...[...held].filter((r) => !heldBy.has(r))];
  const kids = (n: number) => (n === 0 ? roots : V.get(n)!.links);
  // Reverse postorder from the virtual root, then Cooper-Harvey-Kennedy.
  const order: number[] = [];
  const visited = new Set<number>([0]);
  const stack: [number, number][] = [[0, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const ks = kids(top[0]);
    if (top[1] < ks.length) {
      const c = ks[top[1]++];
      if (!visited.has(c)) { visited.add(c); stack.push([c, 0]); }
    } else { order.push(top[0]); stack.pop(); }
  }
  const po = new Map<number, number>();
  order.forEach((n, i) => po.set(n, i));
  const preds = new Map<number, number[]>();
  for (const n of order) for (const c of kids(n)) { if (!preds.has(c)) preds.set(c, []); preds.get(c)!.push(n); }
  const idom = new Map<number, number>([[0, 0]]);
  const meet = (a: number, b: number) => {
    while (a !== b) {
      while (po.get(a)! < po.get(b)!) a = idom.get(a)!;
      while (po.get(b)! < po.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  const rpo = order.slice().reverse();
  for (let changed = true; changed;) {
    changed = false;
    for (const n of rpo.slice(1)) {
      const ps = (preds.get(n) || []).filter((p) => idom.has(p));
      if (!ps.length) continue;
      let d = ps[0];
      for (const p of ps.slice(1)) d = meet(p, d);
      if (idom.get(n) !== d) { idom.set(n, d); changed = true; }
    }
  }
  const children = new Map<number, number[]>();
  for (const [n, d] of idom) if (n !== d) { if (!children.has(d)) children.set(d, []); children.get(d)!.push(n); }
  const size = new Map<number, number>();
  for (const n of order) size.set(n, (n ? V.get(n)!.size : 0) + (children.get(n) || []).reduce((s, k) => s + size.get(k)!, 0));
  // What a stack root holds, for a reader: the local names of the frames in it (mangled, as the
  // bundle has them; "\xFF..." are the interpreter's own) and the start of any function's code.
  const namesUnder = (n: number, depth = 0): string[] => {
    if (depth > 4) return [];
    const out: string[] = [];
    const code = V.get(n)!.links.map((l) => V.get(l)!).find((v) => v.label === '"\\xFFcod"');
    if (code && code.links.length) return ['fn{' + V.get(code.links[0])!.label.replace(/^String "|\.*"$/g, '') + '}'];
    for (const l of V.get(n)!.links) {
      if (!held.has(l)) continue;
      const v = V.get(l)!;
      if (/^"\d+"$/.test(v.label) || !v.label.startsWith('"')) out.push(...namesUnder(l, depth + 1)); // an array index, or an object
      else if (v.label !== '"\\xFFrtn"') out.push(v.label.slice(1, -1));
    }
    return out;
  };
  const stackRows = (children.get(0) || []).filter((k) => held.has(k))
    .map((k) => ({ size: size.get(k)!, ref: k, holds: namesUnder(k) })).sort((a, b) => b.size - a.size);
  // The bundle's top-level scope: the root (tools/host/build/root.ts puts the bundle's names there),
  // or, for a bundle wrapped in a function, what the most function scopes ("\xFFsco") point at.
  const scopeUse = new Map<number, number>();
  for (const v of V.values()) if (v.label === '"\\xFFsco"' && v.links.length) scopeUse.set(v.links[0], (scopeUse.get(v.links[0]) || 0) + 1);
  let topScope = wrapped ? 0 : 1, most = 0;
  if (wrapped) for (const [s, n] of scopeUse) if (n > most && seen.has(s) && V.get(s)!.links.length > 1) { topScope = s; most = n; }
  const topLevel = topScope ? V.get(topScope)!.links.map((k) => ({ size: size.get(k) || 0, name: V.get(k)!.label.replace(/^"|"$/g, '') }))
    .sort((a, b) => b.size - a.size) : [];
  let reachable = 0;
  for (const r of seen) reachable += V.get(r)!.size;
  return { reachable, stack: stackRows, topLevel };
}

/** Mangled top-level name -> source name, from the bundle file and its source map (none: empty). */
export function sourceNames(bundleFile: string): Map<string, string> {
  if (!fs.existsSync(bundleFile) || !fs.existsSync(bundleFile + '.map')) return new Map();
  // The map is of the plain text the build pretokenised (tools/build.ts writes it as *.plain.js).
  const plain = bundleFile.replace(/\.js$/, '.plain.js');
  const code = fs.readFileSync(fs.existsSync(plain) ? plain : bundleFile, 'utf8');
  return sourceNamesOf(code, JSON.parse(fs.readFileSync(bundleFile + '.map', 'utf8')) as RawSourceMap);
}

/** Mangled top-level name -> source name, from a bundle's plain text and its source map. */
export function sourceNamesOf(code: string, rawMap: RawSourceMap): Map<string, string> {
  const out = new Map<string, string>();
  const map = new SourceMapConsumer(rawMap);
  const ast = acorn.parse(code, { ecmaVersion: 'latest', locations: true }) as any;
  // The bundle's top level: the program itself (tools/host/build/root.ts), or for an older bundle,
  // !function(){ ... }() or (function(){ ... })(), that function's body.
  let fn: any;
  const find = (n: any) => { if (!fn && n && typeof n === 'object') { if (n.type === 'FunctionExpression') fn = n; else for (const k in n) if (k !== 'loc') find(n[k]); } };
  if (ast.body.length === 1) find(ast.body[0]);
  const name = (id: any) => {
    const o = map.originalPositionFor({ line: id.loc.start.line, column: id.loc.start.column });
    if (o.name && o.name !== id.name) out.set(id.name, o.name);
  };
  for (const st of fn ? fn.body.body : ast.body) {
    if (st.type === 'FunctionDeclaration') name(st.id);
    if (st.type === 'VariableDeclaration') for (const d of st.declarations) if (d.id.type === 'Identifier') name(d.id);
  }
  return out;
}

const SPEC: Spec = {
  usage: 'npx tsx tools/benchmarks/memory.ts', args: 'PROBE_FILE', positionals: [1, 1],
  options: {
    dump: { type: 'string', arg: 'N', help: 'which variable dump to analyse (default the last)' },
    rows: { type: 'string', arg: 'N', help: 'rows per table, 1 to 10000 (default 25)' },
  },
  notes: 'PROBE_FILE comes from: npm run sim -- run X --engine espruino --memory-probe PROBE_FILE',
};

function main(argv: string[]): number {
  const args = parse(argv, SPEC);
  if (args.help) { process.stdout.write(help(SPEC)); return 0; }
  const file = userPath(args.positionals[0]);
  const rows = int(str(args.values, 'rows'), '--rows', { min: 1, max: 10000, def: 25 });
  const dumpArg = str(args.values, 'dump');
  const probe = parseProbe(readText(file, 'memory probe', 'latin1'));
  if (!probe.points.length) { console.error(file + ': no probe points (was the run made with --memory-probe on the espruino engine?)'); return 1; }
  const share = (u: number) => u - probe.offset;
  console.log(`${probe.points.length} probe points on ${probe.board || 'a board'}; the firmware's share (live, after GC) at the highest:`);
  const top = probe.points.map((p, i) => ({ ...p, i })).sort((a, b) => b.usage - a.usage).slice(0, 8);
  for (const p of top) console.log(`  ${String(share(p.usage)).padStart(5)}  #${p.i} ${p.why}`);
  const which = dumpArg === undefined ? probe.dumps.length - 1 : int(dumpArg, '--dump', { min: 0, max: Math.max(0, probe.dumps.length - 1) });
  const dump = probe.dumps[which];
  if (!dump) { console.log('no variable dump'); return 0; }
  const a = analyse(dump);
  const names = probe.board ? sourceNames(path.join(__dirname, '..', '..', 'dist', probe.board, 'firmware.js')) : new Map<string, string>();
  const total = a.stack.reduce((s, r) => s + r.size, 0);
  console.log(`\ndump ${which} (${dump.why}): firmware share ${share(dump.usage)}; held by the running code ${total}`);
  for (const r of a.stack.slice(0, rows)) console.log(`  ${String(r.size).padStart(4)}  ${r.holds.join(' ').slice(0, 110)}`);
  console.log(`\nthe bundle's top-level names, by what each keeps alive${names.size ? ' (source names from dist/' + probe.board + '/firmware.js.map)' : ''}:`);
  for (const r of a.topLevel.slice(0, rows)) console.log(`  ${String(r.size).padStart(4)}  ${names.get(r.name) || r.name}`);
  return 0;
}

if (require.main === module) runMain('memory', () => main(process.argv.slice(2)));
