/** Source maps for the build-transform tests (tools/host/build/*). */
import { SourceMapGenerator, type RawSourceMap } from 'source-map-js';

/** An identity source map for one-line `code`: each name's column c maps to line 1, column c of "src.js". */
export function identityMap(code: string): RawSourceMap {
  const g = new SourceMapGenerator({ file: 'out.js' });
  for (let c = 0; c < code.length; c++) if (/[A-Za-z_$]/.test(code[c]) && !/[A-Za-z0-9_$]/.test(code[c - 1] || '')) g.addMapping({ generated: { line: 1, column: c }, original: { line: 1, column: c }, source: 'src.js' });
  return JSON.parse(g.toString());
}
