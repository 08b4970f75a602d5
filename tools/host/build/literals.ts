/**
 * Keyword literals back: the minifier writes `true` as `!0`, `false` as `!1` and `undefined` as
 * `void 0`, shorter as plain text; but Storage holds the pretokenised bundle (pretokenise.ts), where
 * `true`, `false` and `undefined` are one byte each (Espruino's lexer has them as reserved words:
 * LEX_R_TRUE, LEX_R_FALSE, LEX_R_UNDEFINED), `!0` and `void 0` two, `!1` three (a raw int). So
 * each is written back as the keyword (about 270 bytes fewer on a puckjs-nfc bundle). The same values: `!0` is
 * `true`, `void 0` is `undefined` (in Espruino a keyword, never a variable that could be shadowed),
 * and a keyword binds at least as tightly as the operator expression it replaces. Not replaced
 * where the number is the object of a member access or call (`!0[x]` is `!(0[x])`), which the
 * minifier does not write anyway.
 *
 * Not here: the tokeniser (pretokenise.ts).
 */
import * as acorn from 'acorn';
import type { RawSourceMap } from 'source-map-js';
import { type Piece, assemble } from './splice';

/** The code with `!0`, `!1` and `void 0` written as `true`, `false` and `undefined`; the map carried over. */
export function keywordLiterals(code: string, map: RawSourceMap): { code: string; map: RawSourceMap; replaced: number } {
  const tokens = [...acorn.tokenizer(code, { ecmaVersion: 2020 })];
  const pieces: Piece[] = [];
  let at = 0, replaced = 0;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const op = tokens[i], num = tokens[i + 1], after = tokens[i + 2];
    if (num.type.label !== 'num') continue;
    const raw = code.slice(num.start, num.end);
    const word = code.slice(op.start, op.end) === '!' ? (raw === '0' ? 'true' : raw === '1' ? 'false' : '')
      : op.type.keyword === 'void' && raw === '0' ? 'undefined' : '';
    if (!word || (after && /^(\.|\?\.|\[|\(|`|\*\*)$/.test(after.type.label))) continue;
    // A space where the keyword would run into a name or a number (`return!0` -> `return true`).
    const before = op.start > 0 && /[\w$]/.test(code[op.start - 1]) ? ' ' : '';
    const behind = num.end < code.length && /[\w$]/.test(code[num.end]) ? ' ' : '';
    pieces.push({ from: at, to: op.start }, { text: before + word + behind });
    at = num.end;
    replaced++;
  }
  if (!replaced) return { code, map, replaced };
  pieces.push({ from: at, to: code.length });
  return { ...assemble(code, pieces, map), replaced };
}
