/**
 * Which names a piece of minified bundle refers to that it does not declare itself (a scope walk:
 * parameters, var, let, const, function names, catch parameters), for the build steps that move
 * or release the bundle's top-level functions (owner-unit.ts, boot-only.ts). Where in doubt a
 * name counts as a reference.
 *
 * `references` also says how each is used: called by name (`f(..)`) or used as a value, and
 * whether it happens when the code itself runs or inside a function made there for later (a
 * function expression that is not called on the spot, or a nested function declaration): only
 * the first kind can be known to have finished when the code has.
 *
 * Not here: what is done with the names (owner-unit.ts, boot-only.ts).
 */
type Node = any;

/** One reference: the name, called by name where it is, and inside a function made for later. */
export interface Ref { name: string; callee: boolean; deferred: boolean; start: number; end: number }

/** The bundle's own function, `!function(){...}()` or `(function(){...})()` (the first function expression of its first statement); `who` names the step that needs it. */
export function bundleFunction(ast: Node, who: string): Node {
  let fn: Node;
  const find = (n: Node) => { if (!fn && n && typeof n === 'object') { if (n.type === 'FunctionExpression') fn = n; else for (const k in n) find(n[k]); } };
  find(ast.body[0]);
  if (!fn) throw new Error(who + ': the bundle is not one function expression');
  return fn;
}

/** Names a declaration pattern binds. */
function bound(p: Node, out: string[]): string[] {
  if (!p) return out;
  if (p.type === 'Identifier') out.push(p.name);
  else if (p.type === 'ObjectPattern') for (const q of p.properties) bound(q.type === 'RestElement' ? q.argument : q.value, out);
  else if (p.type === 'ArrayPattern') for (const q of p.elements) bound(q, out);
  else if (p.type === 'RestElement') bound(p.argument, out);
  else if (p.type === 'AssignmentPattern') bound(p.left, out);
  return out;
}

/** `var` names anywhere in a function body, not inside nested functions (they are function-scoped). */
function varNames(n: Node, out: Set<string>): void {
  if (!n || typeof n.type !== 'string') return;
  if (/Function/.test(n.type)) return;
  if (n.type === 'VariableDeclaration' && n.kind === 'var') for (const d of n.declarations) for (const x of bound(d.id, [])) out.add(x);
  for (const k in n) {
    const v = n[k];
    if (Array.isArray(v)) for (const c of v) { if (c && typeof c.type === 'string') varNames(c, out); }
    else if (v && typeof v.type === 'string') varNames(v, out);
  }
}

/** Block-scoped declarations made directly in a list of statements. */
function lexical(body: Node[], out: Set<string>): Set<string> {
  for (const s of body) {
    if (s.type === 'VariableDeclaration' && s.kind !== 'var') for (const d of s.declarations) for (const x of bound(d.id, [])) out.add(x);
    if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s.id) out.add(s.id.name);
  }
  return out;
}

/** Free names `n` refers to (not declared between it and the top), skipping the subtree `skip`. */
export function freeNames(n: Node, skip?: Node): Set<string> {
  return new Set(references(n, skip).map((r) => r.name));
}

/**
 * The free names `n` refers to, each use once, skipping the subtree `skip`. When `n` is itself a
 * function its body counts as running (a call of it), not as made for later.
 */
export function references(n: Node, skip?: Node): Ref[] {
  const out: Ref[] = [];
  const root = n;
  const bindsIn = (scopes: Set<string>[], name: string) => scopes.some((s) => s.has(name));
  let deferred = false;
  const visit = (n: Node, scopes: Set<string>[], called = false): void => {
    if (!n || typeof n.type !== 'string' || n === skip) return;
    switch (n.type) {
      case 'Identifier':
        if (!bindsIn(scopes, n.name)) out.push({ name: n.name, callee: called, deferred, start: n.start, end: n.end });
        return;
      case 'CallExpression': {
        const f = n.callee;
        // f(..) by name, or a function called on the spot: its body runs now.
        if (f.type === 'Identifier' || /Function/.test(f.type)) visit(f, scopes, true);
        else visit(f, scopes);
        for (const a of n.arguments) visit(a, scopes);
        return;
      }
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression': {
        const was = deferred;
        if (n !== root && !called) deferred = true;
        const s = new Set<string>();
        for (const p of n.params) for (const x of bound(p, [])) s.add(x);
        if (n.type === 'FunctionExpression' && n.id) s.add(n.id.name);
        if (n.type !== 'ArrowFunctionExpression') s.add('arguments');
        varNames(n.body, s);
        if (n.body.type === 'BlockStatement') lexical(n.body.body, s);
        const inner = [...scopes, s];
        for (const p of n.params) visitPattern(p, inner);
        if (n.body.type === 'BlockStatement') for (const st of n.body.body) visit(st, inner);
        else visit(n.body, inner);
        deferred = was;
        return;
      }
      case 'BlockStatement': case 'StaticBlock': {
        const inner = [...scopes, lexical(n.body, new Set())];
        for (const st of n.body) visit(st, inner);
        return;
      }
      case 'SwitchStatement': {
        visit(n.discriminant, scopes);
        const s = new Set<string>();
        for (const c of n.cases) lexical(c.consequent, s);
        const inner = [...scopes, s];
        for (const c of n.cases) { visit(c.test, inner); for (const st of c.consequent) visit(st, inner); }
        return;
      }
      case 'ForStatement': case 'ForInStatement': case 'ForOfStatement': {
        const decl = n.type === 'ForStatement' ? n.init : n.left;
        const s = new Set<string>();
        if (decl && decl.type === 'VariableDeclaration' && decl.kind !== 'var') for (const d of decl.declarations) for (const x of bound(d.id, [])) s.add(x);
        const inner = [...scopes, s];
        for (const k of ['init', 'test', 'update', 'left', 'right', 'body']) if (n[k]) visit(n[k], inner);
        return;
      }
      case 'CatchClause': {
        const inner = [...scopes, new Set(bound(n.param, []))];
        if (n.param) visitPattern(n.param, inner);
        visit(n.body, inner);
        return;
      }
      case 'VariableDeclarator':
        visitPattern(n.id, scopes);
        visit(n.init, scopes);
        return;
      case 'MemberExpression':
        visit(n.object, scopes);
        if (n.computed) visit(n.property, scopes);
        return;
      case 'Property': case 'MethodDefinition': case 'PropertyDefinition':
        if (n.computed) visit(n.key, scopes);
        visit(n.value, scopes);
        return;
      case 'LabeledStatement': visit(n.body, scopes); return;
      case 'BreakStatement': case 'ContinueStatement': return;
      case 'ClassDeclaration': case 'ClassExpression': visit(n.superClass, scopes); visit(n.body, scopes); return;
    }
    for (const k in n) {
      if (k === 'type' || k === 'start' || k === 'end' || k === 'loc') continue;
      const v = n[k];
      if (Array.isArray(v)) for (const c of v) visit(c, scopes);
      else if (v && typeof v.type === 'string') visit(v, scopes);
    }
  };
  // A pattern's names are declarations (handled by the scope), its defaults and computed keys are references.
  const visitPattern = (p: Node, scopes: Set<string>[]): void => {
    if (!p || p.type === 'Identifier') return;
    if (p.type === 'ObjectPattern') for (const q of p.properties) { if (q.type === 'RestElement') visitPattern(q.argument, scopes); else { if (q.computed) visit(q.key, scopes); visitPattern(q.value, scopes); } }
    else if (p.type === 'ArrayPattern') for (const q of p.elements) visitPattern(q, scopes);
    else if (p.type === 'RestElement') visitPattern(p.argument, scopes);
    else if (p.type === 'AssignmentPattern') { visitPattern(p.left, scopes); visit(p.right, scopes); }
    else visit(p, scopes); // a member expression as an assignment target
  };
  visit(n, []);
  return out;
}

