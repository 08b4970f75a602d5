/**
 * A board's JavaScript console, as the provisioning commands use it: run a line, get what it
 * printed. The real link goes through the official `espruino` package (serial port, or
 * tcp://host:port for a network console such as sim/console-server.ts).
 *
 * The espruino package logs everything it sends (`serial: ---> ...`), which would put the site
 * secrets on the terminal: its console output is swallowed while a link is open, and shown only
 * with CARKEY_LINK_DEBUG=1, which says so on stderr.
 * Not here: what is run (upload.ts).
 */
import { ProvisionError } from '../host/provision/sitefile';

export interface ConsoleLink {
  /** Runs one line of code on the board; resolves with what it printed (not its value). */
  run(code: string): Promise<string>;
  close(): Promise<void>;
}

type LogFn = (...args: unknown[]) => void;
const METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/** Replaces console output while the espruino package is busy; returns the restorer. */
function muteConsole(): () => void {
  const saved: Record<string, LogFn> = {};
  const debug = process.env.CARKEY_LINK_DEBUG === '1';
  if (debug) process.stderr.write('CARKEY_LINK_DEBUG=1: the link log below may show secrets\n');
  for (const m of METHODS) {
    saved[m] = (console as unknown as Record<string, LogFn>)[m];
    (console as unknown as Record<string, LogFn>)[m] = debug ? (...a: unknown[]) => process.stderr.write('[espruino] ' + a.map(String).join(' ') + '\n') : () => {};
  }
  return () => { for (const m of METHODS) (console as unknown as Record<string, LogFn>)[m] = saved[m]; };
}

let linkOpen = false;

/** Opens `port` (a serial device, a BLE address, or tcp://host:port) with the espruino package. */
export function openEspruinoLink(port: string, opts: { timeoutS?: number } = {}): Promise<ConsoleLink> {
  if (linkOpen) return Promise.reject(new ProvisionError('one board link at a time'));
  linkOpen = true;
  const unmute = muteConsole();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esp = require('espruino') as { init(cb: () => void): void };
  const E = () => (globalThis as any).Espruino;
  let closed = false;
  let onDisconnect: (() => void) | undefined;
  const finish = () => { if (!closed) { closed = true; linkOpen = false; unmute(); } };
  return new Promise<ConsoleLink>((resolve, reject) => {
    // The package never calls back when a connection is refused or a port stays silent: without
    // this timer the process would simply end, printing nothing.
    const openTimer = setTimeout(() => {
      fail('no answer from ' + port + ' within ' + (opts.timeoutS || 30) + ' s (is the board there and its console free?)');
      try { E().Core.Serial.close(); } catch { /* never opened */ }
    }, (opts.timeoutS || 30) * 1000);
    const fail = (why: string) => { clearTimeout(openTimer); finish(); reject(new ProvisionError(why)); };
    try {
      esp.init(() => {
        const Esp = E();
        Esp.Config.ENV_ON_CONNECT = false; // no process.env query: nothing but our lines goes to the board
        if (port.startsWith('tcp://')) Esp.Config.SERIAL_TCPIP = [port];
        // Bluetooth only for a Bluetooth address: its scanners need BlueZ/D-Bus and throw without them.
        if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(port)) { Esp.Config.BLUETOOTH_LOW_ENERGY = false; Esp.Config.BLUETOOTH_LOW_ENERGY_DBUS = false; }
        Esp.Core.Serial.startListening(() => {});
        Esp.Core.Serial.open(port, (status: unknown) => {
          if (status === undefined || status === null || (status as Error) instanceof Error) return fail('could not connect to ' + port);
          clearTimeout(openTimer);
          resolve({
            run: (code) => new Promise<string>((res, rej) => {
              if (closed) return rej(new ProvisionError('the link to ' + port + ' is closed'));
              Esp.Core.Utils.executeExpression(code, (out: string | undefined) => {
                if (out === undefined) rej(new ProvisionError('no answer from the board on ' + port));
                else res(out.replace(/\r\n/g, '\n'));
              }, { exprPrintsResult: true, maxTimeout: opts.timeoutS || 30 });
            }),
            close: () => new Promise<void>((res) => {
              if (closed) return res();
              const t = setTimeout(() => { finish(); res(); }, 2000);
              onDisconnect = () => { clearTimeout(t); finish(); res(); };
              Esp.Core.Serial.close();
            }),
          });
        }, () => { if (onDisconnect) onDisconnect(); else finish(); });
      });
    } catch (e) {
      fail('the espruino package failed: ' + (e as Error).message);
    }
  });
}
