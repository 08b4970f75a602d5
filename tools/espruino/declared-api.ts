/**
 * What hal/espruino.d.ts declares of Espruino's API, as a list of members with their option keys
 * and string values: the input of the API contract (tools/espruino/api-contract.ts and
 * test/tools/api-contract.test.ts). A small parser for the plain declarations that file uses
 * (interfaces, `declare const X: I`, `declare function f(...)`), not a TypeScript parser.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const DTS_FILE = path.resolve(__dirname, '..', '..', 'hal', 'espruino.d.ts');

/** One declared thing to find in Espruino's JSON documentation. */
export interface DeclaredMember {
  /** `E.hwRand`, `I2C1.writeTo`, `digitalWrite`, `NRF#connect` (event), `require('Storage')`, `crypto.AES`. */
  key: string;
  /** Espruino class (or '' for a global), member name, and what to look for. */
  cls: string;
  name: string;
  kind: 'call' | 'property' | 'event' | 'library' | 'object';
  /** Parameters the declaration takes (rest parameters count as 0). */
  params: number;
  /** Object keys and string literals the declaration's parameters and type mention (options). */
  options: string[];
  /** Declared optional (`name?`): a build may lack it, and our code checks before use. */
  optional: boolean;
}

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** Splits `s` at top-level occurrences of `sep` (outside (), {}, [] and <>). */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '{' || c === '[' || c === '<') depth++;
    else if (c === ')' || c === '}' || c === ']' || (c === '>' && s[i - 1] !== '=')) depth--;
    else if (c === sep && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter((x) => x);
}

/** The body between the brace at `open` and its match. */
function braced(s: string, open: number): string {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return s.slice(open + 1, i);
  }
  throw new Error('unbalanced braces in ' + DTS_FILE);
}

interface Parsed {
  interfaces: Record<string, string[]>;
  consts: { name: string; type: string }[];
  functions: string[];
}

function parse(src: string): Parsed {
  const s = stripComments(src);
  const interfaces: Record<string, string[]> = {};
  const re = /interface\s+(\w+)\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) interfaces[m[1]] = splitTop(braced(s, m.index + m[0].length - 1), ';');
  const consts: { name: string; type: string }[] = [];
  const cre = /declare const (\w+):\s*/g;
  while ((m = cre.exec(s))) {
    const rest = s.slice(m.index + m[0].length);
    const type = rest[0] === '{' ? '{' + braced(rest, 0) + '}' : /^\w+/.exec(rest)![0];
    consts.push({ name: m[1], type });
  }
  const functions: string[] = [];
  const fre = /declare function /g;
  while ((m = fre.exec(s))) {
    const rest = s.slice(m.index + m[0].length);
    functions.push(splitTop(rest, ';')[0]);
  }
  return { interfaces, consts, functions };
}

/** Object keys and string literals in a type, following interfaces declared in the same file. */
function optionsOf(type: string, p: Parsed, seen: Set<string> = new Set()): string[] {
  const out = new Set<string>();
  for (const lit of type.match(/'[^']*'/g) || []) out.add(lit.slice(1, -1));
  // Object keys follow `{` or `;`; parameter names (after `(` or `,`) and index keys (`[k: string]`) are not options.
  for (const key of type.match(/[{;]\s*(\w+)\??\s*:/g) || []) out.add(key.replace(/^[{;]\s*/, '').replace(/\??\s*:$/, ''));
  for (const word of type.match(/\b[A-Z]\w+\b/g) || []) {
    if (p.interfaces[word] && !seen.has(word)) {
      seen.add(word);
      for (const member of p.interfaces[word]) for (const o of optionsOf(member, p, seen)) out.add(o);
      for (const member of p.interfaces[word]) out.add(/^(\w+)/.exec(member)![1]);
    }
  }
  return [...out];
}

/** name(params): ret, or name?: type, as a member. */
function member(cls: string, decl: string, p: Parsed, out: DeclaredMember[], keyPrefix = cls ? cls + '.' : ''): void {
  const call = /^(\w+)(\??)\s*\(([\s\S]*?)\)\s*:\s*([\s\S]*)$/.exec(decl);
  if (call) {
    const [, name, opt, params, ret] = call;
    const ps = splitTop(params, ',');
    if (name === 'on' && ps.length) {
      // on(event: 'a' | 'b', fn): each event is a member of its own.
      for (const lit of ps[0].match(/'[^']*'/g) || []) {
        const ev = lit.slice(1, -1);
        out.push({ key: cls + '#' + ev, cls, name: ev, kind: 'event', params: 0, options: optionsOf(ps.slice(1).join(','), p), optional: false });
      }
      return;
    }
    const options = ps.flatMap((x) => optionsOf(x.replace(/^\.\.\.\w+\??:|^\w+\??:/, ''), p));
    // A parameter's own name is not an option; a returned object's keys are.
    const retOpts = /^\{/.test(ret.trim()) ? optionsOf(ret, p) : [];
    out.push({ key: keyPrefix + name, cls, name, kind: 'call', params: ps.filter((x) => !x.startsWith('...')).length, options: [...new Set([...options, ...retOpts])], optional: !!opt });
    return;
  }
  const prop = /^(\w+)(\??)\s*:\s*([\s\S]*)$/.exec(decl);
  if (!prop) throw new Error('cannot read declaration "' + decl + '" in ' + DTS_FILE);
  const [, name, opt, type] = prop;
  const inner = /^\{([\s\S]*)\}$/.exec(type.trim());
  if (inner && /\(/.test(inner[1])) {
    // A property holding an object of methods (crypto.AES): the property, then its methods.
    out.push({ key: keyPrefix + name, cls, name, kind: 'property', params: 0, options: [], optional: !!opt });
    for (const d of splitTop(inner[1], ';')) member(name, d, p, out);
    return;
  }
  out.push({ key: keyPrefix + name, cls, name, kind: 'property', params: 0, options: inner ? optionsOf(type, p) : [], optional: !!opt });
}

/** Every Espruino member, event and option hal/espruino.d.ts declares. */
export function declaredMembers(src = fs.readFileSync(DTS_FILE, 'utf8')): DeclaredMember[] {
  const p = parse(src);
  const out: DeclaredMember[] = [];
  for (const c of p.consts) {
    if (c.type === 'any') { out.push({ key: c.name, cls: '', name: c.name, kind: 'object', params: 0, options: [], optional: false }); continue; }
    const body = c.type.startsWith('{') ? splitTop(c.type.slice(1, -1), ';') : p.interfaces[c.type];
    if (!body) throw new Error(c.name + ': interface ' + c.type + ' is not in ' + DTS_FILE);
    out.push({ key: c.name, cls: '', name: c.name, kind: 'object', params: 0, options: [], optional: false });
    for (const d of body) member(c.name, d, p, out);
  }
  for (const f of p.functions) {
    const lib = /^require\(name:\s*'(\w+)'\)\s*:\s*(\w+)/.exec(f);
    if (lib) {
      out.push({ key: "require('" + lib[1] + "')", cls: lib[1], name: lib[1], kind: 'library', params: 0, options: [], optional: false });
      for (const d of p.interfaces[lib[2]]) member(lib[1], d, p, out);
      continue;
    }
    member('', f, p, out);
  }
  return out;
}
