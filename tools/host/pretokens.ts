/**
 * Reading pretokenised JavaScript as Espruino's lexer does (src/jslex.c jslGetNextToken, token
 * numbers from src/jslex.h), for the VM engine and the build's self-check: `untokenise` turns a
 * pretokenised file back into plain text that any JavaScript engine can run.
 *
 * Outside a quoted string or comment, a byte >= 0x80 is one token:
 *   0x8A..0xC6  an operator or reserved word (LEX_EQUAL .. LEX_R_OF)
 *   0xD0        ?? (LEX_NULLISH)
 *   0xD1 n s    a raw string of n bytes; 0xD2 lo hi s: of lo | hi<<8 bytes (LEX_RAW_STRING8/16)
 *   0xD3        the integer 0; 0xD4 v: signed 8-bit; 0xD5 lo hi: signed 16-bit (LEX_RAW_INT0/8/16)
 * The espruino package's own untokenise (plugins/pretokenise.js) reads the raw ints unsigned, so
 * `x=-1`, tokenised as 0xD4 0xFF, would come back as `x=255`; jslex.c sign-extends, and so does this.
 * Known limit: a regular-expression literal holding a quote character in a pretokenised file would
 * be read as the start of a string (our bundles hold none: the tokeniser turns every string into a
 * raw one, and the build's self-check would fail on it).
 * Not here: tokenising (tools/host/build/pretokenise.ts, with the espruino package's plugin).
 */

/** LEX_EQUAL .. LEX_R_OF, in jslex.h order from 0x8A (LEX_OPERATOR_START in the plugin). */
const TOKENS = ('== === != !== <= << <<= >= >> >>> >>= >>>= += -= ++ -- *= /= %= &= && |= || ^= => ' +
  'if else do while for break continue function return var let const this throw try catch finally true false null undefined ' +
  'new in instanceof switch case default delete typeof void debugger class extends super static of').split(' ');
const FIRST = 0x8A;
const NULLISH = 0xD0, STR8 = 0xD1, STR16 = 0xD2, INT0 = 0xD3, INT8 = 0xD4, INT16 = 0xD5;

/** True when `code` holds a byte >= 0x80 anywhere: only then can it hold tokens. */
export function mayBePretokenised(code: string): boolean {
  return /[\x80-\xff]/.test(code);
}

const WORD = /[A-Za-z0-9_$]/;

/** A JavaScript string literal for raw bytes: every byte outside printable ASCII as \xNN. */
export function literal(bytes: string): string {
  let s = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) s += '\\' + bytes[i];
    else if (c < 0x20 || c >= 0x7f) s += '\\x' + (c + 0x100).toString(16).slice(1);
    else s += bytes[i];
  }
  return s + '"';
}

/**
 * Plain JavaScript for a file Espruino may hold pretokenised (a latin1 string, one char per byte).
 * A raw string that is eval's argument (`eval(` just before it) and may hold tokens is code too
 * (the owner unit, tools/host/build/owner-unit.ts): Espruino's lexer reads tokens in whatever it
 * lexes, so it comes back as a literal of its plain text, unless `evalStrings` is false (the
 * build's self-check, which tokenises the read-back text again and compares).
 */
export function untokenise(code: string, evalStrings = true): string {
  if (!mayBePretokenised(code)) return code;
  let out = '';
  let lastToken = false, lastNumber = false;
  // Where a token meets its neighbour a space goes back if they would merge: a word and a word
  // (`return` `a`), a sign and a signed number (`-` `-1`), a raw integer and a member access (`5` `.x`).
  const emit = (s: string, token = false, number = false) => {
    const last = out[out.length - 1];
    if ((token || lastToken) && out && ((WORD.test(last) && WORD.test(s[0])) || ((last === '-' || last === '+') && s[0] === last) || (lastNumber && s[0] === '.'))) out += ' ';
    out += s;
    lastToken = token;
    lastNumber = number;
  };
  let i = 0;
  while (i < code.length) {
    const ch = code.charCodeAt(i);
    const c = code[i];
    if (c === '"' || c === "'" || c === '`') { // a quoted string: copied as it is
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1;
      emit(code.slice(i, j + 1));
      i = j + 1;
    } else if (c === '/' && (code[i + 1] === '/' || code[i + 1] === '*')) { // a comment: dropped
      const end = code[i + 1] === '/' ? code.indexOf('\n', i) : code.indexOf('*/', i + 2) + 2;
      i = end <= 0 ? code.length : end;
      emit(' ');
    } else if (ch === STR8 || ch === STR16) {
      const n = ch === STR8 ? code.charCodeAt(i + 1) : code.charCodeAt(i + 1) | (code.charCodeAt(i + 2) << 8);
      const at = i + (ch === STR8 ? 2 : 3);
      const bytes = code.slice(at, at + n);
      emit(literal(evalStrings && /eval\($/.test(out) ? untokenise(bytes) : bytes), true);
      i = at + n;
    } else if (ch === INT0) { emit('0', true, true); i += 1; }
    else if (ch === INT8) { emit(String((code.charCodeAt(i + 1) << 24) >> 24), true, true); i += 2; }
    else if (ch === INT16) { emit(String(((code.charCodeAt(i + 1) | (code.charCodeAt(i + 2) << 8)) << 16) >> 16), true, true); i += 3; }
    else if (ch === NULLISH) { emit('??', true); i += 1; }
    else if (ch >= FIRST && ch < FIRST + TOKENS.length) { emit(TOKENS[ch - FIRST], true); i += 1; }
    else if (ch >= 0x80) throw new SyntaxError('byte 0x' + ch.toString(16) + ' at ' + i + ' is no token Espruino knows');
    else { emit(c); i += 1; }
  }
  return out;
}
