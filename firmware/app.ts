/**
 * The firmware's entry: given the ports (built by hal/espruino/boot.ts on a board, by the bench
 * entry on bench ports) and the board's data, it loads the site, starts the access core, the
 * keycards (when the build has them) and the phone key. Everything here is plain logic over
 * firmware/ports.ts; no Espruino global and no pin number may appear in firmware/.
 */
import type { Ports } from './ports';
import { type Core, type CoreOptions, coreStart } from './core';
import { siteLoad } from './site';
import { type Cards, cardsStart } from './cards';
import { phoneKeyStart } from './phonekey';
import { aesDecryptBlock, aesEncryptBlock } from './aes';
import { cmacSubkeys } from './cmac';
import { personaliseDesfire } from './desfire-personalise';

import { FIRMWARE_VERSION } from './version';

export { FIRMWARE_VERSION };

/** What the firmware needs to know of its board: its name and its storage budget (plain data). */
export interface FirmwareBoard extends CoreOptions {
  id: string;
}

/**
 * Starts everything: the site first (on a factory-fresh board it is made before any other file of
 * ours exists); with none, only the no-site loop (startWithoutSite) runs. Returns the core, or
 * undefined without a site. Build switches (tools/build.ts) leave out what the board lacks:
 * `__NFC__` the keycards, `__HAS_AES__` the JavaScript AES, `__PERSONALISE__` card personalisation.
 */
export function startFirmware(ports: Ports, board: FirmwareBoard): Core | undefined {
  // Fail safe first: whatever state the pins were left in, the outputs start off, before anything
  // is read from flash, the site included (startCore alone: coreStart makes its outputs off first).
  ports.relay.set(false);
  if (ports.drive) ports.drive.set(false);
  const site = siteLoad(ports.storage, ports.crypto, ports.random);
  if (!site) {
    startWithoutSite(ports, board.id);
    board = undefined as never;
    return undefined;
  }
  const core = startCore(ports, board);
  let cards: Cards | undefined;
  if (__NFC__) {
    // Native AES where the board's Espruino build has it; the JS fallback only on boards without.
    const c = ports.crypto;
    const cipher = __HAS_AES__
      ? { encrypt: c.aesEncryptBlock!, decrypt: c.aesDecryptBlock! }
      : { encrypt: aesEncryptBlock, decrypt: aesDecryptBlock };
    cards = cardsStart(core, ports.reader!, site, cipher, __PERSONALISE__
      ? (cfg, r, uid, sak, cb) => personaliseDesfire(cfg, r.transceive, uid, sak, cb)
      : undefined);
    // The JavaScript AES's tables and the site key's CMAC subkeys made now: seconds of interpreted
    // work on an nRF52 that the first tap would otherwise wait for. Native AES makes them in
    // microseconds at that tap, and keeps ~10 variables free until then.
    if (!__HAS_AES__) try { cmacSubkeys(cipher, site.cardMaster); } catch (e) { /* the first tap makes them */ }
  }
  phoneKeyStart(core, ports.radio!, site, cards);
  // The minifier substitutes this single-use function at its call site (tools/build.ts), and the
  // interpreter keeps this scope for good: drop the board data from it.
  board = undefined as never;
  return core;
}

/** The access core alone (its outputs off first: coreStart) and a boot line on the console. */
export function startCore(ports: Ports, board: FirmwareBoard): Core {
  const core = coreStart(ports, board);
  ports.console.log('carkey ' + FIRMWARE_VERSION + ' on ' + board.id + ': locked');
  return core;
}

/**
 * No site secrets (firmware/site.ts siteLoad): nothing starts. Outputs off, no radio, no reader,
 * no unlocks; the console says why and the red LED blinks twice every 2 s until the owner writes
 * the site back over USB (`npm run provision -- write`) and the board restarts.
 */
function startWithoutSite(ports: Ports, boardId: string): void {
  ports.console.log('carkey on ' + boardId + ': NO SITE FILE, all unlocks refused: write it back over USB');
  const red = ports.leds.red;
  let n = 0;
  // The watchdog may still run from before a soft reset: keep kicking it, this loop is all there is.
  ports.watchdog.start(30);
  ports.timers.every(250, () => {
    n = (n + 1) & 7;
    if (red) red.set(n === 1 || n === 3);
    ports.watchdog.kick();
  });
}
