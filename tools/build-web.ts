/**
 * `npm run build:web [-- --out DIR]`: writes the web phone key as a static, installable, offline
 * site (default dist/web/): index.html with relative URLs, its script and style, a web app
 * manifest, an icon, and a service worker (sim/web/sw.ts) that caches every one of them. Host the
 * folder on any HTTPS server (Web Bluetooth needs a secure origin), open it once on the phone, and
 * it opens again with no network. Key links and QR codes point at it with
 * `provision issue --link-base https://your.host/path/`.
 * Not here: the page itself (sim/web/phonekey.ts), the simulator's server (sim/server.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WEB_DIR, bundleScript } from '../sim/web-bundle';
import { type Spec, help, parse, runMain, str } from './host/cli-args';
import { userPath } from './host/cli-files';

const SPEC: Spec = {
  usage: 'npm run build:web --',
  options: { out: { type: 'string', arg: 'DIR', help: 'where to write the site (default dist/web); relative to where you ran npm' } },
  notes: 'Host the folder over HTTPS (Web Bluetooth needs a secure origin), open it once on the phone, and it works with no network.',
};

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="20" fill="#1d4e89"/>` +
  `<circle cx="34" cy="48" r="16" fill="none" stroke="#fff" stroke-width="8"/><path d="M50 48h34v12M72 48v10" fill="none" stroke="#fff" stroke-width="8"/></svg>\n`;

/** The phone-key page with relative URLs, a manifest, and the flag that makes it register the worker. */
export function staticPage(html: string): string {
  const swaps: [string, string][] = [
    ['href="/style.css"', 'href="style.css"'],
    ['<script src="/phonekey.js"></script>', '<script src="phonekey.js"></script>'],
    ['<a href="/" id="to-vehicle">', '<a href="./" id="to-vehicle" hidden>'],
    ['<body class="phone">', '<body class="phone" data-static="1">'],
    ['</head>', '<link rel="manifest" href="manifest.webmanifest">\n<link rel="icon" href="icon.svg">\n<meta name="theme-color" content="#1d4e89">\n</head>'],
  ];
  for (const [from, to] of swaps) {
    if (!html.includes(from)) throw new Error('sim/web/phonekey.html no longer contains ' + from + ': update tools/build-web.ts');
    html = html.replace(from, to);
  }
  return html;
}

/** A version that changes whenever any file does: a phone's worker then replaces its cached copy. */
export function siteVersion(files: Record<string, string>): string {
  const names = Object.keys(files).sort();
  return createHash('sha256').update(names.map((n) => n + '\0' + files[n]).join('\0')).digest('hex').slice(0, 16);
}

/** Every file of the offline site, by name. */
export async function webSite(): Promise<Record<string, string>> {
  const files: Record<string, string> = {
    'index.html': staticPage(fs.readFileSync(path.join(WEB_DIR, 'phonekey.html'), 'utf8')),
    'style.css': fs.readFileSync(path.join(WEB_DIR, 'style.css'), 'utf8'),
    'phonekey.js': await bundleScript(path.join(WEB_DIR, 'phonekey.ts'), { sourcemap: false }),
    'icon.svg': ICON,
    'manifest.webmanifest': JSON.stringify({
      name: 'Car key', short_name: 'Car key', description: 'An offline phone key for your car (Web Bluetooth).',
      start_url: './index.html', scope: './', display: 'standalone', background_color: '#ffffff', theme_color: '#1d4e89',
      icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' }],
    }, null, 2) + '\n',
  };
  const names = Object.keys(files).sort();
  const version = siteVersion(files);
  files['sw.js'] = await bundleScript(path.join(WEB_DIR, 'sw.ts'), {
    sourcemap: false,
    define: { PRECACHE: JSON.stringify(names.map((n) => './' + n)), CACHE_VERSION: JSON.stringify(version) },
  });
  return files;
}

/** Writes the site into `dir` through a temporary folder, so a failure leaves no half-written site. */
export async function writeWebSite(dir: string): Promise<string[]> {
  const files = await webSite();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(dir.replace(/[\\/]+$/, '') + '.tmp-');
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name), text);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return Object.keys(files).sort();
}

async function main(argv: string[]): Promise<number> {
  const a = parse(argv, SPEC);
  if (a.help) { process.stdout.write(help(SPEC)); return 0; }
  const out = str(a.values, 'out');
  const dir = out ? userPath(out) : path.resolve(__dirname, '..', 'dist', 'web');
  const names = await writeWebSite(dir);
  process.stdout.write('wrote ' + names.length + ' files to ' + dir + ': ' + names.join(' ') + '\n' +
    'Host this folder over HTTPS, open it once on the phone, and it works with no network.\n');
  return 0;
}

if (require.main === module) runMain('build:web', () => main(process.argv.slice(2)));
