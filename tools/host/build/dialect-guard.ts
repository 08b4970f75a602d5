/**
 * The dialect guard: parses JavaScript meant for the Espruino interpreter and lists every
 * construct that ../shared/espruino-dialect.md records as missing or broken there.
 *
 * It runs on each board bundle in dist/ and on each board-side source file (after TypeScript is
 * stripped), so a construct Espruino lacks fails our build with a file and a line, never the board.
 * Host-only code; it never runs on the board.
 */
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';

export interface Violation {
  rule: string;
  message: string;
  /** Offset in the checked text, and 1-based line / 0-based column. */
  pos: number;
  line: number;
  column: number;
}

type Node = acorn.Node & Record<string, any>;

/** Globals the interpreter does not have at all. */
const MISSING_GLOBALS = ['Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect', 'BigInt',
  'TextEncoder', 'TextDecoder', 'RangeError', 'globalThis', 'queueMicrotask', 'structuredClone'];

/** Static members the interpreter lacks: object -> members ('*' = every member). */
const MISSING_STATICS: Record<string, string[]> = {
  Array: ['from', 'of'],
  Object: ['freeze', 'seal', 'is', 'isFrozen', 'isSealed', 'fromEntries', 'getOwnPropertySymbols'],
  Number: ['*'],
  Math: ['imul', 'clz32', 'trunc', 'log2', 'log10', 'hypot', 'fround', 'sign', 'cbrt', 'expm1', 'log1p'],
  Date: ['UTC'],
  Promise: ['race', 'allSettled', 'any'],
  String: ['raw', 'fromCodePoint'],
};

/** Instance methods the interpreter lacks, whatever the object. */
const MISSING_METHODS = ['finally', 'flat', 'flatMap', 'at', 'lastIndexOf', 'reduceRight', 'trimStart', 'trimEnd',
  'codePointAt', 'localeCompare', 'padStart', 'padEnd', 'matchAll', 'replaceAll'];

/** Methods that exist on Object but not on arrays: keys()/values()/entries() called with no argument. */
const ITERATOR_METHODS = ['keys', 'values', 'entries'];

/** Built-in constructors whose prototype members are unreachable (`Array.prototype.slice` is undefined). */
const BUILTIN_CTORS = ['Array', 'Function', 'String', 'Number', 'Boolean', 'Object', 'Date', 'RegExp', 'Promise',
  'Error', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array',
  'Float64Array', 'ArrayBuffer', 'DataView'];

/** The one prototype access the interpreter does support. */
const PROTOTYPE_ALLOWED = ['Object.prototype.hasOwnProperty'];

export function checkDialect(code: string, opts: { module?: boolean } = {}): Violation[] {
  const out: Violation[] = [];
  let ast: Node;
  try {
    ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: opts.module ? 'module' : 'script', locations: true, allowReturnOutsideFunction: true }) as Node;
  } catch (e: any) {
    const loc = e.loc || { line: 0, column: 0 };
    return [{ rule: 'parse', message: 'does not parse: ' + e.message, pos: e.pos || 0, line: loc.line, column: loc.column }];
  }
  const add = (node: Node, rule: string, message: string) => {
    out.push({ rule, message, pos: node.start, line: node.loc!.start.line, column: node.loc!.start.column });
  };

  const declared = collectDeclaredNames(ast);

  walk.fullAncestor(ast, (n: any, _state: unknown, ancestors: any[]) => {
    const node = n as Node;
    const parent = ancestors[ancestors.length - 2] as Node | undefined;
    switch (node.type) {
      case 'AssignmentPattern':
        add(node, 'default-parameter', 'default parameter or default in destructuring is not supported');
        break;
      case 'RestElement':
        add(node, 'rest', 'rest parameter/element is not supported');
        break;
      case 'SpreadElement':
        add(node, 'spread', 'spread (...) is not supported');
        break;
      case 'ObjectPattern':
      case 'ArrayPattern':
        add(node, 'destructuring', 'destructuring is not supported');
        break;
      case 'Property':
        if (node.computed && parent && parent.type === 'ObjectExpression') add(node, 'computed-key', 'computed key {[k]: v} is not supported');
        break;
      case 'TaggedTemplateExpression':
        add(node, 'tagged-template', 'tagged template is not supported');
        break;
      case 'BinaryExpression':
        if (node.operator === '**') add(node, 'exponent', '** is not supported (and Math.pow is inexact: write the literal)');
        break;
      case 'AssignmentExpression':
        if (['**=', '??=', '||=', '&&='].indexOf(node.operator) >= 0) add(node, 'logical-assignment', node.operator + ' is not supported');
        break;
      case 'ChainExpression':
        add(node, 'optional-chaining', '?. is not supported');
        break;
      case 'LabeledStatement':
        add(node, 'label', 'labels are not supported');
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (node.async) add(node, 'async', 'async functions are not supported');
        if (node.generator) add(node, 'generator', 'generators are not supported');
        break;
      case 'AwaitExpression':
        add(node, 'async', 'await is not supported');
        break;
      case 'YieldExpression':
        add(node, 'generator', 'yield is not supported');
        break;
      case 'PropertyDefinition':
        add(node, 'class-field', 'class fields are not supported');
        if (node.key.type === 'PrivateIdentifier') add(node.key, 'private', '#private members are not supported');
        break;
      case 'MethodDefinition':
        if (node.key.type === 'PrivateIdentifier') add(node.key, 'private', '#private members are not supported');
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        if (node.superClass && node.superClass.type === 'Identifier' && /Error$/.test(node.superClass.name))
          add(node, 'extends-error', 'a class extending ' + node.superClass.name + ' throws on Espruino');
        break;
      case 'Super':
        if (parent && parent.type === 'MemberExpression') add(node, 'super-member', 'super.method() recurses forever on Espruino with three class levels');
        break;
      case 'ArrayExpression':
        for (let i = 0; i < node.elements.length; i++) {
          if (node.elements[i] === null) { add(node, 'array-hole', 'array holes [1,,2] are rejected by Espruino'); break; }
        }
        break;
      case 'Literal':
        checkLiteral(node, add);
        break;
      case 'TemplateElement':
        if (/\\u\{/.test(node.value.raw)) add(node, 'unicode-escape', '\\u{...} escapes are not supported');
        break;
      case 'ReturnStatement':
        if (bareReturnEndsBody(code, node, ancestors))
          add(node, 'return-at-end', '`return` with no value and no `;` right before a function\'s closing brace: Espruino keeps a function\'s body without that brace, reads on past the `return` into the end of input and throws "SyntaxError: Unexpected end of Input" (src/jsparse.c jspeFunctionDefinitionInternal, jspeStatementReturn); write the function so it does not end in a bare `return`');
        break;
      case 'ImportExpression':
        add(node, 'module-syntax', 'import() is not supported');
        break;
      case 'ImportDeclaration':
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
      case 'ExportAllDeclaration':
        if (!opts.module) add(node, 'module-syntax', 'import/export is not supported in a bundle');
        break;
      case 'Identifier':
        if (MISSING_GLOBALS.indexOf(node.name) >= 0 && !declared.has(node.name) && isReference(node, parent))
          add(node, 'missing-global', node.name + ' does not exist on Espruino');
        break;
      case 'MemberExpression':
        if (node.property.type === 'PrivateIdentifier') add(node.property, 'private', '#private members are not supported');
        checkMember(node, parent, add, declared);
        break;
    }
  });

  checkUseBeforeDeclaration(ast, add);
  out.sort((a, b) => a.pos - b.pos);
  return out;
}

/**
 * A `return` without a value and without its own `;` as the last thing in a function body (minifiers
 * write `if(x)return}`). Espruino stores the body up to its last token, without the `}`; run, the
 * `return` finds the end of input, not `;` or `}`, and parses an expression that is not there.
 * A body that is only `return` is read by a special case there and works.
 */
function bareReturnEndsBody(code: string, node: Node, ancestors: any[]): boolean {
  if (node.argument || code[node.end - 1] === ';') return false;
  for (let i = ancestors.length - 2; i >= 0; i--) {
    const a = ancestors[i] as Node;
    if (a.type !== 'FunctionDeclaration' && a.type !== 'FunctionExpression' && a.type !== 'ArrowFunctionExpression') continue;
    const body = a.body as Node;
    if (body.type !== 'BlockStatement') return false;
    if (body.body.length === 1 && body.body[0] === node) return false;
    return code.slice(node.end, body.end - 1).replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '').trim() === '';
  }
  return false;
}

function checkLiteral(node: Node, add: (n: Node, rule: string, msg: string) => void) {
  if (typeof node.bigint === 'string') add(node, 'bigint', 'BigInt literals are not supported');
  if (typeof node.value === 'string' && /\\u\{/.test(node.raw)) add(node, 'unicode-escape', '\\u{...} escapes are not supported');
  if (node.regex) {
    const problem = regexProblem(node.regex.pattern);
    if (problem) add(node, 'regexp', 'RegExp ' + problem + ' is not supported by Espruino');
  }
}

/** Espruino's RegExp: no ?, no {n,m}, no lazy quantifiers, no quantified groups, no lookaround, no \b, no back-references. */
export function regexProblem(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const nx = pattern[i + 1];
      if (!inClass && (nx === 'b' || nx === 'B')) return 'word boundary \\' + nx;
      if (!inClass && nx >= '1' && nx <= '9') return 'back-reference \\' + nx;
      i++;
      continue;
    }
    if (inClass) { if (c === ']') inClass = false; continue; }
    if (c === '[') { inClass = true; continue; }
    if (c === '?') return pattern[i - 1] === '(' ? 'group modifier (?' : '? quantifier (or lazy quantifier)';
    if (c === '{' && /^\{\d/.test(pattern.slice(i))) return '{n,m} quantifier';
    if (c === ')' && /[*+?{]/.test(pattern[i + 1] || '')) return 'quantified group';
  }
  return undefined;
}

function checkMember(node: Node, parent: Node | undefined, add: (n: Node, rule: string, msg: string) => void, declared: Set<string>) {
  const prop = !node.computed && node.property.type === 'Identifier' ? node.property.name as string : undefined;
  if (!prop) return;
  const obj = node.object;
  const objName = obj.type === 'Identifier' && !declared.has(obj.name) ? obj.name as string : undefined;
  if (objName && MISSING_STATICS[objName]) {
    const list = MISSING_STATICS[objName];
    if (list.indexOf('*') >= 0 || list.indexOf(prop) >= 0) add(node, 'missing-member', objName + '.' + prop + ' does not exist on Espruino');
  }
  if (objName === 'Object' && prop === 'create' && parent && parent.type === 'CallExpression' && parent.callee === node && parent.arguments.length > 1)
    add(node, 'missing-member', 'Object.create with property descriptors is not supported');
  // X.prototype.method on a built-in
  if (obj.type === 'MemberExpression' && !obj.computed && obj.property.type === 'Identifier' && obj.property.name === 'prototype'
    && obj.object.type === 'Identifier' && BUILTIN_CTORS.indexOf(obj.object.name) >= 0 && !declared.has(obj.object.name)) {
    const full = obj.object.name + '.prototype.' + prop;
    if (PROTOTYPE_ALLOWED.indexOf(full) < 0) add(node, 'builtin-prototype', full + ' is undefined on Espruino (use e.g. [].slice.call)');
  }
  const isCall = parent && parent.type === 'CallExpression' && parent.callee === node;
  if (isCall && MISSING_METHODS.indexOf(prop) >= 0 && !(objName && MISSING_STATICS[objName]))
    add(node, 'missing-method', '.' + prop + '() does not exist on Espruino');
  if (isCall && ITERATOR_METHODS.indexOf(prop) >= 0 && parent!.arguments.length === 0 && objName !== 'Object')
    add(node, 'missing-method', '.' + prop + '() iterators do not exist on Espruino');
}

/** Is this Identifier a read of a variable (not a property key, member name, or a declaration)? */
function isReference(node: Node, parent: Node | undefined): boolean {
  if (!parent) return true;
  if (parent.type === 'MemberExpression' && parent.property === node && !parent.computed) return false;
  if ((parent.type === 'Property' || parent.type === 'MethodDefinition' || parent.type === 'PropertyDefinition') && parent.key === node && !parent.computed)
    return parent.type === 'Property' && parent.shorthand;
  if (parent.type === 'LabeledStatement' || parent.type === 'BreakStatement' || parent.type === 'ContinueStatement') return false;
  return true;
}

/** Every name declared anywhere (var/let/const/function/class/param): a local `Map` is not the missing global. */
function collectDeclaredNames(ast: Node): Set<string> {
  const names = new Set<string>();
  const addPattern = (p: Node | null) => {
    if (!p) return;
    if (p.type === 'Identifier') names.add(p.name);
    else if (p.type === 'AssignmentPattern') addPattern(p.left);
    else if (p.type === 'RestElement') addPattern(p.argument);
    else if (p.type === 'ArrayPattern') p.elements.forEach(addPattern);
    else if (p.type === 'ObjectPattern') p.properties.forEach((q: Node) => addPattern(q.type === 'RestElement' ? q : q.value));
  };
  walk.full(ast, (n: any) => {
    if (n.type === 'VariableDeclarator') addPattern(n.id);
    if ((n.type === 'FunctionDeclaration' || n.type === 'ClassDeclaration') && n.id) names.add(n.id.name);
    if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') n.params.forEach(addPattern);
    if (n.type === 'CatchClause') addPattern(n.param);
  });
  return names;
}

const FUNCTION_TYPES = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'];

/**
 * Espruino does not hoist function declarations: `f(); function f(){}` fails, at top level and in
 * functions. Nor `var`: terser's inlining once wrote `p=x; ...; var p` and clobbered an outer `p`. Flags a reference to a function declared later in the same function (or program),
 * made from code that runs directly in that body (not from inside a nested function, which may
 * run later). Hoisting is then the build's job (terser hoist_funs); this catches what slips through.
 */
function checkUseBeforeDeclaration(ast: Node, add: (n: Node, rule: string, msg: string) => void) {
  const scopes: Node[] = [ast];
  walk.full(ast, (n: any) => { if (FUNCTION_TYPES.indexOf(n.type) >= 0) scopes.push(n); });
  for (const scope of scopes) {
    const body: Node = scope.type === 'Program' ? scope : scope.body;
    if (!body || (body.type !== 'BlockStatement' && body.type !== 'Program')) continue;
    const decls: Record<string, number> = {};
    const kinds: Record<string, string> = {};
    // Function declarations and `var`s directly in this body (including inside plain blocks, not nested functions).
    walkOwnBody(body, (n) => {
      if (n.type === 'FunctionDeclaration' && n.id) { decls[n.id.name] = n.start; kinds[n.id.name] = 'function'; }
      if (n.type === 'VariableDeclaration' && n.kind === 'var') {
        for (const d of n.declarations) if (d.id.type === 'Identifier' && !(d.id.name in decls)) { decls[d.id.name] = d.id.start; kinds[d.id.name] = 'var'; }
      }
    });
    if (Object.keys(decls).length === 0) continue;
    const shadowed = new Set<string>();
    if (scope.type !== 'Program') scope.params.forEach((p: Node) => { if (p.type === 'Identifier') shadowed.add(p.name); });
    walkOwnBody(body, (n, parent) => {
      if (n.type === 'Identifier' && Object.prototype.hasOwnProperty.call(decls, n.name) && !shadowed.has(n.name)
        && n.start < decls[n.name] && isReference(n, parent) && !(parent && parent.type === 'FunctionDeclaration' && parent.id === n)) {
        add(n, 'use-before-declaration', kinds[n.name] + ' ' + n.name + ' is used before its declaration (Espruino does not hoist ' + (kinds[n.name] === 'var' ? 'var: the use reaches an outer variable' : 'functions') + ')');
      }
    });
  }
}

/** Visits the nodes of a body without entering nested functions (their declarations' names are visited). */
function walkOwnBody(body: Node, visit: (n: Node, parent: Node | undefined) => void) {
  const stack: Array<[Node, Node | undefined]> = [[body, undefined]];
  while (stack.length) {
    const [n, parent] = stack.pop()!;
    visit(n, parent);
    if (n !== body && FUNCTION_TYPES.indexOf(n.type) >= 0) {
      if (n.type === 'FunctionDeclaration' && n.id) visit(n.id, n);
      continue;
    }
    for (const key of Object.keys(n)) {
      if (key === 'loc') continue;
      const v = (n as any)[key];
      if (Array.isArray(v)) { for (const c of v) if (c && typeof c.type === 'string') stack.push([c, n]); }
      else if (v && typeof v.type === 'string') stack.push([v, n]);
    }
  }
}
