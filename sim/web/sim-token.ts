/**
 * This run's token, which the simulator's server injects into the pages it serves
 * (<meta name="sim-token">, sim/local-guard.ts), and the URLs of its sockets and API with it.
 * A page served anywhere else (a static host) has no token and no simulator to talk to.
 * Runs in browsers only. Not here: the checks (sim/local-guard.ts).
 */

export function simToken(): string {
  const m = document.querySelector('meta[name="sim-token"]');
  return (m && m.getAttribute('content')) || '';
}

/** The simulator's URL for `path` (/ws/... as ws: or wss:, /api/... as http:), with the token. */
export function simUrl(path: string): string {
  const q = (path.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(simToken());
  if (!path.startsWith('/ws/')) return path + q;
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path + q;
}
