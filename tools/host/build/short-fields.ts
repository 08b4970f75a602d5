/**
 * Short field names in the bundle: the minifier renames these properties of the firmware's own
 * objects (terser `mangle.properties`) to one or two letters. Every character of a name is a byte
 * of Storage (the pretokeniser keeps names as they are), and on Espruino a property's name is a
 * variable of its own: a name of five characters or more needs a second one (13-byte variables,
 * E.dumpVariables), so each field of every such object, resident or made per call, costs a
 * variable more than a short name would. The source keeps its readable names.
 *
 * Only names listed here are renamed, and only names nothing outside the bundle reads. The build
 * refuses a listed name (`checkShortFields`, `checkSerialisedFields`) that is
 * - a name Espruino reads or sets on an object: a member, option or event field declared in
 *   hal/espruino.d.ts or in Espruino's own API descriptions (hal/espruino-api.json);
 * - a member of the language's built-in objects (length, message, next, toJSON, ...), which the
 *   interpreter looks up by name;
 * - a setting (JSON in flash and in SET_CONFIG: firmware/config.ts sanitizeConfig, docs/PROTOCOL.md);
 * - a key of a JSON the bundle prints (the benches' and hooks' answers, read by the host), or a
 *   member of a hook the host calls through the console (`global.CKB.send`);
 * - still in the minified bundle as a name or as a whole string (a quoted key, a computed access):
 *   renaming it would split one field into two, or the string may name it at run time.
 * What the build cannot see: the simulator and the tests reading a field of the bundle's objects
 * from outside. They do not (they talk to the bundle through Espruino's API and the hooks' JSON);
 * a new name must be checked for that by hand (grep sim/, test/, tools/).
 *
 * Not here: the minifier's other options (bundle.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import { sanitizeConfig } from '../../../firmware/config';

export const SHORT_FIELDS = [
  // Core (firmware/core.ts): its state, its outputs and what waits for a flash write
  'configGen', 'relockTimer', 'enrolTimer', 'recoverTimer', 'enrolRole', 'actor', 'reserve', 'urgent', 'compactAt', 'linked', 'out', 'held',
  // Outputs (firmware/outputs.ts)
  'relayOnAt', 'relayLimit', 'relayTimer', 'driveOnAt', 'driveLimit', 'driveTimer', 'rest',
  // TrustedClock (firmware/trusted-clock.ts)
  'baseSeconds', 'baseUptime', 'lastSaved', 'savedAtUptime',
  // Site (firmware/site.ts), KeyStore (firmware/keystore.ts), a loaded generation file (firmware/genfile.ts)
  'cardMaster', 'setupCode', 'capacity', 'gen', 'seq',
  // The journal, the slot file, the log's rings (firmware/flashroom.ts, journal.ts, slotfile.ts, auditlog.ts)
  'slot', 'crc', 'main', 'fail', 'used', 'live', 'torn', 'cap',
  // The phone key's state (firmware/phonekey.ts), its reassembler (firmware/frames.ts) and the radio port (firmware/ports.ts Radio)
  'reasm', 'nonce', 'nonceAt', 'spent', 'outSize', 'guard', 'payloadSize', 'linkProtected', 'protect', 'buf', 'got', 'reset', 'packet',
  // what HELLO's named key prepared (firmware/phonekey.ts Prepared), a key's HMAC pads (Site, proofs), an owner operation's answer
  'pre', 'rec', 'pads', 'reason', 'added',
  // Ports (firmware/ports.ts): filled by hal/espruino/boot.ts, read by the firmware, both in the bundle
  // (not KeyRecord's `flags` below: RegExp has that name; not `random`: Math has it; not the leds' green and
  // blue: core.ts names them in a string)
  'clock', 'storage', 'watchdog', 'button', 'radio', 'cards', 'trusted', 'secret', 'nextSeq', 'timers', 'reader', 'leds', 'red',
  // the ports' own methods and fields (firmware/ports.ts) and the board data (firmware/core.ts CoreOptions)
  'activeHigh', 'watch', 'cancel', 'uptimeMs', 'sha256', 'crc32', 'start', 'kick', 'off', 'bytes', 'aesEncryptBlock', 'aesDecryptBlock', 'transceive',
  'logSegments', 'logPerSegment', 'keyCapacity', 'tile', 'travel',
  // the board data the boot reads (tools/host/build/bundle.ts `used`: hal/boards/types.ts)
  'pins', 'ledRed', 'ledGreen', 'ledBlue', 'i2cSda', 'i2cScl', 'pn532Reset', 'relayActiveHigh', 'buttonActiveHigh', 'aes',
  // KeyRecord (firmware/keystore.ts)
  'perms', 'weekdays', 'notBefore', 'notAfter', 'winStart', 'winEnd', 'label', 'kind', 'role', 'salt',
  // Cards (firmware/cards.ts), a DESFire card's settings and session (firmware/desfire.ts, desfire-personalise.ts)
  'core', 'personalise', 'enrol', 'enrolActor', 'enrolUntil', 'faults', 'lastId', 'lastSeen', 'cfg',
  'siteKey', 'aid', 'keyNo', 'systemId', 'cipher', 'step',
  // The PN532 driver's state and options (hal/pn532.ts Pn532, Pn532Options, CardInfo)
  'running', 'onCard', 'onError', 'timer', 'due', 'tick', 'holdTimer', 'holdTick', 'code', 'frame', 'polls', 'phase', 'asleep', 'card',
  'release', 'xcb', 'resets', 'errors', 'backoff', 'rst', 'atqa',
  'cmdTimeoutMs', 'listTimeoutMs', 'exchangeTimeoutMs', 'pollMs', 'stepMs', 'maxFrame', 'maxResets', 'backoffMs', 'maxBackoffMs', 'listRetries',
];

/** For terser's mangle.properties, with `builtins: true` (its list of DOM names holds nonce, storage, button, label). */
export function shortFieldsRegex(): RegExp {
  return new RegExp('^(' + SHORT_FIELDS.join('|') + ')$');
}

/**
 * Which short name each listed field gets, for terser's mangle.properties.cache: the one-letter
 * names to the fields the code names most often (terser would hand them out in the order it meets
 * the fields), then two letters. A short name is never a keyword, a built-in or Espruino name
 * (reservedShortNames), nor a property name or a string the code (esbuild's output) already holds.
 */
export function shortFieldNames(code: string, root: string): Map<string, string> {
  const taken = new Set(reservedShortNames(root));
  const uses = new Map<string, number>(SHORT_FIELDS.map((n) => [n, 0]));
  walk.full(acorn.parse(code, { ecmaVersion: 2020, sourceType: 'script' }), (node: any) => {
    let name: string | undefined;
    if (node.type === 'MemberExpression' && !node.computed) name = node.property.name;
    else if (node.type === 'Property' && !node.computed) name = node.key.type === 'Identifier' ? node.key.name : String(node.key.value);
    else if (node.type === 'Literal' && typeof node.value === 'string') taken.add(node.value);
    if (name === undefined) return;
    if (uses.has(name)) uses.set(name, uses.get(name)! + 1);
    else taken.add(name);
  });
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_';
  const candidates = [...letters];
  for (const a of letters) for (const b of letters + '0123456789') candidates.push(a + b);
  const free = candidates.filter((n) => !taken.has(n) && !uses.has(n));
  const byUse = [...uses].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  return new Map(byUse.map(([n], i) => [n, free[i]]));
}

/**
 * What a short name must never become: a name of the language's objects or of Espruino's API (the
 * dialect guard would also refuse a call to `.at()`), or a keyword (`x.in`): for terser's
 * mangle.properties.reserved.
 */
export function reservedShortNames(root: string): string[] {
  const keywords = ['do', 'if', 'in', 'for', 'let', 'new', 'try', 'var', 'case', 'else', 'enum', 'null', 'this', 'true', 'void', 'with'];
  return [...new Set([...builtinNames(), ...espruinoNames(root), ...keywords])];
}

/** Names the language's own objects have, which the interpreter looks up by name (and the iterator and JSON protocols'). */
function builtinNames(): Set<string> {
  const out = new Set(['next', 'done', 'value', 'then', 'toJSON', 'prototype', 'constructor', '__proto__', 'arguments', 'callee', 'caller']);
  const globals: any[] = [Object, Function, Array, String, Number, Boolean, Symbol, Error, TypeError, RegExp, Date, Math, JSON, Promise,
    ArrayBuffer, DataView, Uint8Array, Object.getPrototypeOf(Uint8Array)];
  for (const g of globals) {
    for (const n of Object.getOwnPropertyNames(g)) out.add(n);
    if (g.prototype) for (const n of Object.getOwnPropertyNames(g.prototype)) out.add(n);
  }
  return out;
}

/**
 * Names Espruino reads or sets on an object: hal/espruino.d.ts's declared names (members, options,
 * event fields, globals; not parameter names, which are positional) and hal/espruino-api.json's
 * members, events and the option and result fields its descriptions mention.
 */
export function espruinoNames(root: string): Set<string> {
  const out = new Set<string>();
  const dts = fs.readFileSync(path.join(root, 'hal', 'espruino.d.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  // A member starts a line or follows `{` or `;`; a parameter follows `(` or `,`.
  for (const m of dts.matchAll(/(?:^|[{;])\s*(\w+)\??\s*[:(]/gm)) out.add(m[1]);
  for (const m of dts.matchAll(/declare\s+(?:const|function)\s+(\w+)/g)) out.add(m[1]);
  const api = JSON.parse(fs.readFileSync(path.join(root, 'hal', 'espruino-api.json'), 'utf8')) as { versions: Record<string, { members: Record<string, { mentions: string[] }> }> };
  for (const v of Object.values(api.versions)) {
    for (const [member, d] of Object.entries(v.members)) {
      for (const part of member.split(/[.#]/)) for (const w of part.match(/\w+/g) || []) out.add(w);
      for (const n of d.mentions) out.add(n);
    }
  }
  return out;
}

/** Why the renaming would break the bundle, one line per name; empty when it is safe. */
export function checkShortFields(minified: string, root: string, names: string[] = SHORT_FIELDS): string[] {
  const api = espruinoNames(root);
  const builtins = builtinNames();
  const settings = new Set(Object.keys(sanitizeConfig(undefined)));
  const out: string[] = [];
  const refuse = (name: string, why: string) => out.push('short field ' + name + ': ' + why + '; take it off tools/host/build/short-fields.ts');
  const left = leftNames(minified);
  for (const name of names) {
    if (api.has(name)) refuse(name, 'Espruino\'s API has that name (hal/espruino.d.ts or espruino-api.json)');
    if (builtins.has(name)) refuse(name, 'the language\'s built-in objects have that name');
    if (settings.has(name)) refuse(name, 'a setting has that name (JSON in flash and in SET_CONFIG)');
    if (left.has(name)) refuse(name, 'still in the minified bundle (a name, or a string that is the name: a run-time key)');
  }
  return out;
}

/** Every name and every whole string the code still holds (a string such as 'card-removed' cannot name the field `card`). */
function leftNames(code: string): Set<string> {
  const out = new Set<string>();
  for (const t of acorn.tokenizer(code, { ecmaVersion: 2020 }) as Iterable<acorn.Token & { value: unknown }>) {
    if (t.type.label === 'name' || t.type.label === 'string' || t.type.label === 'template') out.add(String(t.value));
  }
  return out;
}

/**
 * The names the host reads: what a hook puts on `global` (and the keys of the object literal it
 * assigns there: the methods the host calls), and the keys of what the code hands to
 * JSON.stringify: an object literal's keys (nested ones too),
 * and for a name, in the innermost function that declares it (or takes it as a parameter), the
 * keys of the object literals it is declared or assigned with and the fields assigned on it
 * (`out.x = ...`). Over-counts (nested functions are searched too); what a caller passes in as the
 * parameter is not followed (the settings, JSON.stringify(config), are checked by name instead).
 */
export function serialisedKeys(code: string): Set<string> {
  const ast = acorn.parse(code, { ecmaVersion: 2020, sourceType: 'script' }) as any;
  const keys = new Set<string>();
  // An object literal's keys, and those of the literals in it (not what its functions make).
  const literalKeys = (node: any): void => {
    if (node.type === 'ArrayExpression') for (const e of node.elements) if (e) literalKeys(e);
    if (node.type !== 'ObjectExpression') return;
    for (const p of node.properties) {
      if (p.type !== 'Property') continue;
      if (!p.computed) keys.add(p.key.type === 'Identifier' ? p.key.name : String(p.key.value));
      literalKeys(p.value);
    }
  };
  const declares = (scope: any, name: string) => {
    if ((scope.params || []).some((p: any) => p.type === 'Identifier' && p.name === name)) return true;
    let found = false;
    walk.simple(scope, { VariableDeclarator(d: any) { if (d.id.type === 'Identifier' && d.id.name === name) found = true; } });
    return found;
  };
  const assignedIn = (scope: any, name: string) => walk.simple(scope, {
    VariableDeclarator(d: any) { if (d.id.type === 'Identifier' && d.id.name === name && d.init) literalKeys(d.init); },
    AssignmentExpression(a: any) {
      const t = a.left;
      if (t.type === 'Identifier' && t.name === name) literalKeys(a.right);
      if (t.type === 'MemberExpression' && !t.computed && t.object.type === 'Identifier' && t.object.name === name) keys.add(t.property.name);
    },
  });
  walk.ancestor(ast, {
    // A hook the host calls through the console: `global.CKB = { open: ..., send: ... }`.
    AssignmentExpression(a: any) {
      const t = a.left;
      if (t.type === 'MemberExpression' && t.object.type === 'Identifier' && t.object.name === 'global') {
        if (!t.computed) keys.add(t.property.name);
        literalKeys(a.right);
      }
    },
    CallExpression(c: any, _state: unknown, ancestors: any[]) {
      const f = c.callee;
      if (f.type !== 'MemberExpression' || f.object.type !== 'Identifier' || f.object.name !== 'JSON' || f.property.name !== 'stringify' || !c.arguments.length) return;
      const a = c.arguments[0];
      if (a.type !== 'Identifier') { literalKeys(a); return; }
      const scopes = ancestors.filter((n) => n.type === 'Program' || /Function/.test(n.type)).reverse();
      const scope = scopes.find((n) => declares(n, a.name)) || ast;
      assignedIn(scope, a.name);
    },
  });
  return keys;
}

/** Listed names the host would read by their source names (a JSON key, a hook's method): one line per name. */
export function checkSerialisedFields(code: string, where: string, names: string[] = SHORT_FIELDS): string[] {
  const keys = serialisedKeys(code);
  return names.filter((n) => keys.has(n)).map((n) => 'short field ' + n + ': ' + where + ' prints it as a JSON key or a hook has it; take it off tools/host/build/short-fields.ts');
}
