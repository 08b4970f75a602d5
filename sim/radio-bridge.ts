/**
 * Bridges a web phone key (sim/web/phonekey.ts, simulator transport) to the car's radio: the page
 * sends packets as it would write them to the RX characteristic, and gets every TX notification
 * back, over one WebSocket. Packets pass through untouched (hex in JSON): framing, MACs and
 * nonces are the page's business, exactly as over Web Bluetooth. Connecting includes subscribing to
 * TX (the page's GATT layer does that); the page asks with HELLO and PULLs each next fragment.
 *
 *   page -> server  {t:'connect'} | {t:'write', data:hex} | {t:'disconnect'}
 *   server -> page  {t:'connected', mtu} | {t:'notify', data:hex} | {t:'disconnected', why} | {t:'error', text}
 *
 * Not here: the socket server (sim/server.ts), who holds the link (sim/vehicle.ts).
 */
import { RX_UUID, SERVICE_UUID, TX_UUID } from '../hal/radio-uuids';
import { hex, unhex } from '../tools/host/bytes';
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
          // The page's GATT layer subscribes before it says "connected", as Web Bluetooth's
          // startNotifications() and noble's subscribe do; the page then asks with HELLO.
          nrf.startNotifications(SERVICE_UUID, TX_UUID);
          say({ t: 'connected', mtu: nrf.state.mtu });
        } else if (m.t === 'write') {
          if (!mine()) { say({ t: 'disconnected', why: 'not connected' }); return; }
          nrf.write(SERVICE_UUID, RX_UUID, unhex(String(m.data)));
          // The board's event loop runs, then a connection event carries its notification.
          vehicle.tick(Math.ceil(2 * nrf.model.intervalMs));
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
