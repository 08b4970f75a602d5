/**
 * The release's one version: package.json's `version`, with the git commit it was built from
 * ("unknown" outside a git checkout or without git). tools/build.ts puts the version into the
 * firmware (the __VERSION__ constant it prints at boot) and both into dist/<board>/build.json;
 * tools/flash.ts reports them next to the board's Espruino version.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Release {
  version: string;
  commit: string;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
let cached: Release | undefined;

export function release(): Release {
  if (cached) return cached;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(pkg.version)) throw new Error('package.json has no semver version');
  let commit = 'unknown';
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    if (/^[0-9a-f]{40}$/.test(out)) commit = out;
  } catch { /* not a checkout, or no git */ }
  cached = { version: pkg.version, commit };
  return cached;
}
