/**
 * Text spliced from pieces of a minified bundle, its source map carried over: each piece is old
 * text copied (optionally escaped for a string literal) or new text; a position in copied text
 * maps where it mapped before. Used by the build steps that move or cut text (owner-unit.ts,
 * root.ts).
 *
 * Not here: deciding what moves (the steps themselves).
 */
import { SourceMapConsumer, SourceMapGenerator, type RawSourceMap } from 'source-map-js';

/** A piece of the new text: old text copied (escaped for a string literal or not), or new text. */
export type Piece = { from: number; to: number; escape?: string } | { text: string };

/** Joins the pieces and carries the source map over (offsets in `code` to offsets in the result). */
export function assemble(code: string, pieces: Piece[], map: RawSourceMap): { code: string; map: RawSourceMap } {
  let out = '';
  // For each copied range: its start in the old text, in the new, and where escapes were added.
  const ranges: { from: number; to: number; at: number; extra: number[] }[] = [];
  for (const p of pieces) {
    if ('text' in p) { out += p.text; continue; }
    const extra: number[] = [];
    let s = '';
    for (let i = p.from; i < p.to; i++) {
      const c = code[i];
      if (p.escape && (c === p.escape || c === '\\')) { s += '\\'; extra.push(i); }
      else if (p.escape && (c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029')) throw new Error('owner unit: a line break in the unit\'s text');
      s += c;
    }
    ranges.push({ from: p.from, to: p.to, at: out.length, extra });
    out += s;
  }
  const oldLines = lineStarts(code), newLines = lineStarts(out);
  const toOffset = (starts: number[], line: number, col: number) => starts[line - 1] + col;
  const toPos = (starts: number[], off: number) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= off) lo = mid; else hi = mid - 1; }
    return { line: lo + 1, column: off - starts[lo] };
  };
  const consumer = new SourceMapConsumer(map);
  const gen = new SourceMapGenerator({ file: map.file });
  consumer.eachMapping((m) => {
    const off = toOffset(oldLines, m.generatedLine, m.generatedColumn);
    const r = ranges.find((x) => off >= x.from && off < x.to);
    if (!r) return; // text that is no longer there (the marker's name)
    let shift = 0;
    for (const e of r.extra) if (e < off) shift++;
    const pos = toPos(newLines, r.at + (off - r.from) + shift);
    gen.addMapping({
      generated: pos,
      original: m.source == null ? (undefined as any) : { line: m.originalLine, column: m.originalColumn },
      source: m.source as any,
      name: m.name || undefined,
    });
  });
  return { code: out, map: JSON.parse(gen.toString()) as RawSourceMap };
}

function lineStarts(s: string): number[] {
  const out = [0];
  for (let i = 0; i < s.length; i++) if (s[i] === '\n') out.push(i + 1);
  return out;
}
