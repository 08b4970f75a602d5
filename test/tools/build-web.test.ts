/**
 * `npm run build:web`: the static phone-key site has only relative URLs (so it works under any
 * path of any HTTPS host), a manifest, and a service worker that precaches exactly the site's
 * files under a version that follows their contents; bad flags get one line and a non-zero exit.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { siteVersion, staticPage, webSite, writeWebSite } from '../../tools/build-web';

describe('build:web (the offline phone-key site)', function () {
  this.timeout(60000);

  it('writes a site with relative URLs, a manifest and a worker that precaches every file', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'carkey-web-')), 'out');
    const names = await writeWebSite(dir);
    assert.deepEqual(names, ['icon.svg', 'index.html', 'manifest.webmanifest', 'phonekey.js', 'style.css', 'sw.js']);
    const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
    assert.doesNotMatch(html, /(href|src)="\/(?!\/)/, 'an absolute URL breaks hosting under a path');
    assert.match(html, /<link rel="manifest" href="manifest.webmanifest">/);
    assert.match(html, /data-static="1"/);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.webmanifest'), 'utf8'));
    assert.equal(manifest.start_url, './index.html');
    assert.equal(manifest.display, 'standalone');
    const sw = fs.readFileSync(path.join(dir, 'sw.js'), 'utf8');
    for (const n of names.filter((n) => n !== 'sw.js')) assert.ok(sw.includes('"./' + n + '"'), 'sw.js precaches ' + n);
    assert.doesNotMatch(sw, /\bCACHE_VERSION\b/, 'the build fills the version in');
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('changes the cache version when a file changes, so phones pick up a new release', async () => {
    const a = await webSite();
    const { 'sw.js': sw, ...rest } = a;
    const v = siteVersion(rest);
    assert.ok(sw.includes('"carkey-phonekey-' + v + '"'), 'the worker caches under the version of the files');
    assert.equal(siteVersion({ ...rest }), v, 'the same files give the same version');
    assert.notEqual(siteVersion({ ...rest, 'style.css': rest['style.css'] + ' ' }), v);
    assert.throws(() => staticPage('<html></html>'), /no longer contains/);
  });

  it('refuses an unknown flag with one line and exit 2, and --help exits 0', () => {
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const bad = spawnSync(tsx, ['tools/build-web.ts', '--outt', 'x'], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, "build:web: unknown option --outt (try --help)\n");
    const help = spawnSync(tsx, ['tools/build-web.ts', '--help'], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--out DIR/);
  });
});
