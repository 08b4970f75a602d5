/**
 * Bridges a web phone key (sim/web/phonekey.ts, simulator transport) to the car's radio: the page
 * sends packets as it would write them to the RX characteristic, and gets every TX notification
 * back, over one WebSocket. Packets pass through untouched (hex in JSON): framing, MACs and
 * nonces are the page's business, exactly as over Web Bluetooth.
 *
 *   page -> server  {t:'connect'} | {t:'write', data:hex} | {t:'disconnect'}
 *   server -> page  {t:'connected', mtu} | {t:'notify', data:hex} | {t:'disconnected', why} | {t:'error', text}
 *
 * Not here: the socket server (sim/server.ts), who holds the link (sim/vehicle.ts).
 */
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../hal/radio-uuids';
import { hex, unhex } from './hex';
import type { LinkHolder, Vehicle } from './vehicle';

export interface BridgeSocket {
  send(text: string): void;
}

export interface Bridge {
  /** Handles one text message from the page. */
  receive(text: string): void;
  /** The socket closed. */
  close(): void;
}

let bridges = 0;

export function createBridge(vehicle: Vehicle, socket: BridgeSocket): Bridge {
  const nrf = vehicle.car.board.nrf;
  const say = (m: object) => socket.send(JSON.stringify(m));
  const me: LinkHolder = { name: 'web phone key ' + ++bridges, lost: (why) => say({ t: 'disconnected', why }) };
  const mine = () => vehicle.holder() === me && nrf.connected;
  const unsubscribe = nrf.subscribe((n) => { if (n.characteristic === TX_UUID && vehicle.holder() === me) say({ t: 'notify', data: hex(n.data) }); });
  return {
    receive(text) {
      let m: { t?: string; data?: string };
      try { m = JSON.parse(text); } catch (e) { say({ t: 'error', text: 'not JSON' }); return; }
      try {
        if (m.t === 'connect') {
          if (!vehicle.claimLink(me)) { say({ t: 'disconnected', why: 'the car has no power' }); return; }
          say({ t: 'connected', mtu: nrf.state.mtu });
          vehicle.tick(1); // the board answers from its event loop: let it run (its CHALLENGE follows)
        } else if (m.t === 'write') {
          if (!mine()) { say({ t: 'disconnected', why: 'not connected' }); return; }
          nrf.write(SERVICE_UUID, RX_UUID, unhex(String(m.data)));
          vehicle.tick(1);
        } else if (m.t === 'disconnect') {
          vehicle.releaseLink(me);
        } else {
          say({ t: 'error', text: 'unknown message ' + m.t });
        }
      } catch (e) {
        say({ t: 'error', text: (e as Error).message });
      }
    },
    close() {
      unsubscribe();
      vehicle.releaseLink(me);
    },
  };
}
