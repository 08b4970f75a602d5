/**
 * Who may talk to the simulator's web server (sim/server.ts): only pages it served itself, on this
 * computer. Listening on 127.0.0.1 is not enough: a page on any site can make the browser send
 * requests to 127.0.0.1 (a form, an image, a WebSocket), and with DNS rebinding a site's own name
 * points at 127.0.0.1, so its pages become "same origin" with ours. Three checks, each on every
 * request:
 *   - Host: a loopback name with our port (127.0.0.1, localhost, [::1]). A rebound name
 *     (evil.example:8080) is refused, so a rebinding page cannot even read our pages.
 *   - Origin, when the browser sends one: our own loopback origin (http://127.0.0.1:PORT ...).
 *   - A per-run random token for every WebSocket and /api/ request (?token=...). Only our pages
 *     carry it (injected into the HTML as <meta name="sim-token">); another site cannot read our
 *     HTML (same-origin policy), so it cannot learn it, even for requests browsers send without an
 *     Origin. Local programs read it from the page as the browser does (tools/phonekey, tests).
 * Not here: the raw TCP console (sim/console-server.ts has its own rule: no browser speaks raw TCP,
 * but a browser can POST an HTTP request to any port, which that server refuses).
 */
import * as crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface LocalGuard {
  /** The per-run token (32 hex digits) the served pages carry. */
  readonly token: string;
  /** Why a request may not be served at all (bad Host or Origin), or undefined when it may. */
  refuse(req: IncomingMessage): string | undefined;
  /** True when the request presents this run's token (`?token=`). */
  hasToken(req: IncomingMessage): boolean;
  /** An HTML page with the token injected for its scripts. */
  inject(html: string): string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
/** The <meta> the pages read their token from (sim/web/sim-token.ts). */
export const TOKEN_META = 'sim-token';

/** Host header values that name this server on loopback. */
export function loopbackHosts(port: number): string[] {
  const out = LOOPBACK_NAMES.map((n) => n + ':' + port);
  return port === 80 ? out.concat(LOOPBACK_NAMES) : out;
}

export function createLocalGuard(port: number, token: string = crypto.randomBytes(16).toString('hex')): LocalGuard {
  const hosts = loopbackHosts(port);
  const origins = hosts.map((h) => 'http://' + h);
  const want = Buffer.from(token);
  return {
    token,
    refuse(req) {
      const host = String(req.headers.host || '').toLowerCase();
      if (hosts.indexOf(host) < 0) return 'Host ' + (host || '(none)') + ' is not this computer';
      const origin = req.headers.origin;
      if (origin !== undefined && origins.indexOf(String(origin).toLowerCase()) < 0) return 'Origin ' + origin + ' is not one of our pages';
      return undefined;
    },
    hasToken(req) {
      const given = Buffer.from(new URL(req.url || '/', 'http://x').searchParams.get('token') || '');
      return given.length === want.length && crypto.timingSafeEqual(given, want);
    },
    inject(html) {
      return html.replace('<head>', '<head>\n<meta name="' + TOKEN_META + '" content="' + token + '">');
    },
  };
}
