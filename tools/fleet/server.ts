/**
 * The fleet admin page's server: 127.0.0.1 only, with the simulator's local-only rules
 * (sim/local-guard.ts: loopback Host, our own Origin, this run's token on every /api/ request).
 * Serves page.html (token injected) and a small JSON API over the open registry — each call the
 * same function the command line uses (boards.ts, logstore.ts), so the page offers nothing the
 * CLI lacks: boards, keys of a board, share (a ticket), revoke, the newest revocation list, the
 * collected log with filters, and its CSV.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createLocalGuard } from '../../sim/local-guard';
import { eventName, reasonName } from '../host/names';
import { CliError } from '../host/cli-error';
import type { Registry } from './registry';
import { boardByName, listBoards, listKeys, newestList, revoke, shareTicket } from './boards';
import { type LogFilter, queryLog } from './logstore';
import { logCsv } from './csv';

export interface AdminServer { url: string; token: string; close(): Promise<void> }

const MAX_BODY = 4096;

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (c) => { s += c; if (s.length > MAX_BODY) { reject(new CliError('request too large')); req.destroy(); } });
    req.on('end', () => { try { resolve(JSON.parse(s || '{}')); } catch { reject(new CliError('the request is not JSON')); } });
    req.on('error', reject);
  });
}

const num = (q: URLSearchParams, k: string, max = 0xffffffff): number | undefined => {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) > max) throw new CliError(k + ' must be a whole number');
  return Number(v);
};
const date = (q: URLSearchParams, k: string): number | undefined => {
  const v = q.get(k);
  if (!v) return undefined;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw new CliError(k + ' must be a date (YYYY-MM-DD)');
  return Math.floor(ms / 1000);
};

export async function startAdmin(r: Registry, port = 8090): Promise<AdminServer> {
  const page = fs.readFileSync(path.join(__dirname, 'page.html'), 'utf8');
  let guard = createLocalGuard(port);
  const filterOf = (q: URLSearchParams): LogFilter => ({
    board: q.get('board') ? boardByName(r, q.get('board')!).id : undefined,
    from: date(q, 'from'), to: date(q, 'to'), event: num(q, 'event', 127), keyId: num(q, 'key'), limit: num(q, 'limit', 100000) ?? 2000,
  });
  const api = async (req: http.IncomingMessage, u: URL): Promise<unknown> => {
    const q = u.searchParams;
    const route = req.method + ' ' + u.pathname;
    switch (route) {
      case 'GET /api/boards': return listBoards(r);
      case 'GET /api/keys': return listKeys(r, boardByName(r, q.get('board') || ''));
      case 'GET /api/list': { const l = newestList(r); return l ? { version: l.version, madeAt: l.made_at, ids: JSON.parse(l.ids), hex: Buffer.from(l.bytes).toString('hex') } : null; }
      case 'GET /api/log': return queryLog(r, filterOf(q)).map((e) => ({ ...e, eventName: eventName(e.event), reasonName: e.reason ? reasonName(e.reason) : '' }));
      case 'POST /api/share': {
        const b = await readBody(req) as { boards?: string[]; role?: string; perms?: string; hours?: number; label?: string };
        if (!Array.isArray(b.boards) || !b.boards.length) throw new CliError('choose at least one board');
        if (b.role !== 'driver' && b.role !== 'guest') throw new CliError('role must be driver or guest');
        if (!(typeof b.hours === 'number' && b.hours > 0 && b.hours <= 8760)) throw new CliError('hours must be from 1 to 8760');
        const now = Math.floor(Date.now() / 1000);
        const t = shareTicket(r, { boards: b.boards.map((n) => boardByName(r, n)), role: b.role, perms: b.perms || 'unlock,lock', notBefore: now, notAfter: now + Math.round(b.hours * 3600), label: String(b.label || '') });
        return { ticketId: t.ticketId, fragment: t.fragment };
      }
      case 'POST /api/revoke': {
        const b = await readBody(req) as { keyId?: number };
        if (!Number.isInteger(b.keyId) || b.keyId! <= 0) throw new CliError('keyId must be a key id');
        const res = revoke(r, b.keyId!);
        return { boards: res.boards, listVersion: res.list?.version };
      }
      default: throw Object.assign(new CliError('no such API: ' + route), { status: 404 });
    }
  };
  const server = http.createServer((req, res) => {
    const why = guard.refuse(req);
    if (why) { res.writeHead(403, { 'content-type': 'text/plain' }); res.end(why + '\n'); return; }
    const u = new URL(req.url || '/', 'http://x');
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' };
    if (u.pathname === '/' && req.method === 'GET') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" });
      res.end(guard.inject(page));
      return;
    }
    if (!u.pathname.startsWith('/api/')) { res.writeHead(404, headers); res.end(); return; }
    if (!guard.hasToken(req)) { res.writeHead(403, { ...headers, 'content-type': 'text/plain' }); res.end('no token\n'); return; }
    if (u.pathname === '/api/log.csv') {
      try {
        const rows = queryLog(r, { ...filterOf(u.searchParams), limit: undefined });
        res.writeHead(200, { ...headers, 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="fleet-log.csv"' });
        res.end(logCsv(rows, new Map(listBoards(r).map((b) => [b.id, b]))));
      } catch (e) { res.writeHead(400, headers); res.end((e as Error).message); }
      return;
    }
    api(req, u).then((out) => {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    }, (e) => {
      res.writeHead((e as { status?: number }).status || 400, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: e instanceof CliError ? e.message : 'internal error: ' + (e as Error).message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new CliError(e.code === 'EADDRINUSE' ? 'port ' + port + ' is in use (choose another --port)' : 'cannot listen on 127.0.0.1:' + port + ': ' + e.message)));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  if (actual !== port) guard = createLocalGuard(actual, guard.token);
  return {
    url: 'http://127.0.0.1:' + actual + '/', token: guard.token,
    close: () => new Promise<void>((res) => { server.closeAllConnections(); server.close(() => res()); }),
  };
}
