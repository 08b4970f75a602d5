/**
 * Turns dialect-guard violations into messages a person can act on: the board, the construct,
 * the position in the checked file and, through the source map, the TypeScript file and line.
 */
import { SourceMapConsumer, type RawSourceMap } from 'source-map-js';
import * as path from 'node:path';
import { checkDialect, type Violation } from './dialect-guard';

export interface LocatedViolation extends Violation {
  /** e.g. "firmware/keystore.ts:42:7", when a source map says where the construct came from. */
  source?: string;
}

function locate(violations: Violation[], map: RawSourceMap | undefined, root: string): LocatedViolation[] {
  if (!map || violations.length === 0) return violations;
  const consumer = new SourceMapConsumer(map);
  return violations.map((v) => {
    const o = consumer.originalPositionFor({ line: v.line, column: v.column });
    if (!o.source) return v;
    const abs = path.resolve(root, o.source);
    return { ...v, source: path.relative(root, abs) + ':' + o.line + ':' + ((o.column || 0) + 1) };
  });
}

/** Checks `code` (named `where`, e.g. "dist/puckjs/firmware.js") and returns one line per violation. */
export function dialectErrors(code: string, where: string, map: RawSourceMap | undefined, root: string, module = false): string[] {
  return locate(checkDialect(code, { module }), map, root).map((v) =>
    (v.source ? v.source + ': ' : '') + v.rule + ': ' + v.message + ' [' + where + ':' + v.line + ':' + (v.column + 1) + ']');
}
