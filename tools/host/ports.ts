/**
 * Is there a board at the end of a port, before a tool waits on it: a tcp:// console must accept
 * a connection within a few seconds, a serial device path must exist. A Bluetooth address is left
 * to the tool (it scans for it). Used by tools/flash.ts and tools/provision/link.ts, so "nothing
 * listening" is one clear line and a non-zero exit instead of a tool that says nothing. And the
 * other way round for servers (npm start): is the port free, before minutes of building.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { CliError, UsageError } from './cli-args';

export function isTcp(port: string): boolean { return port.slice(0, 6) === 'tcp://'; }
export function isBle(port: string): boolean { return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(port); }

export async function checkPort(port: string, timeoutMs = 3000): Promise<void> {
  if (isTcp(port)) {
    const m = /^tcp:\/\/([^:/]*)(?::(\d+))?\/?$/.exec(port);
    if (!m || (m[2] !== undefined && !(Number(m[2]) > 0 && Number(m[2]) < 65536))) throw new UsageError(`bad port "${port}": expected tcp://host:port`);
    const host = m[1] || 'localhost', p = Number(m[2] || 23);
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect(p, host);
      const timer = setTimeout(() => { sock.destroy(); reject(new CliError(`no answer from ${port} within ${timeoutMs / 1000} s`)); }, timeoutMs);
      sock.once('connect', () => { clearTimeout(timer); sock.destroy(); resolve(); });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new CliError(e.code === 'ECONNREFUSED'
          ? `nothing is listening at ${port} (start the simulated board with: npm run sim -- console --port ${p})`
          : `cannot connect to ${port}: ${e.message}`));
      });
    });
    return;
  }
  if (isBle(port)) return;
  if (port.indexOf('/') >= 0 && !fs.existsSync(port)) {
    throw new CliError(`serial port ${port} does not exist: is the board plugged in? (list ports with: npx espruino --list --no-ble)`);
  }
}

/** Fails with one line when `port` on 127.0.0.1 is taken (0 = any free port, always fine). */
export async function checkFreePort(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new CliError('port ' + port + ' on 127.0.0.1 is in use (choose another with --port N, or --port 0 for any free one)')
      : new CliError('cannot listen on 127.0.0.1:' + port + ': ' + e.message)));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}
