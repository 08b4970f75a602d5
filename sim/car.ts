/**
 * A simulated car: the built firmware bundle on a simulated board (sim/engine), provisioned like
 * a real one, with a PN532 and cards on its I2C bus, a relay, a drive output, a door sensor and a
 * button on its pins, and phones that speak the phone-key protocol over its radio.
 *
 * Everything the web view, the CLI and the scenarios do goes through here. It never calls the
 * firmware's functions: it only drives pins, radio, bus, flash and clock, as the world does.
 * `createCar` is a public API (sim/README.md "createCar"): scenarios outside this repository use it.
 * Not here: how a phone behaves (phone.ts), the board itself (sim/world, sim/engine, sim/espruino).
 */
import { bundleFirmware } from '../tools/host/build/bundle';
import { boardById, unknownBoardMessage } from '../hal/boards/index';
import type { BoardConfig } from '../hal/boards/types';
import { createSimBoard, type SimBoard } from './engine/board';
import { createEspruinoBoard } from './espruino/board';
import { espruinoBinary } from '../tools/host/espruino-binary';
import { SimPn532, type SimCard } from './pn532/pn532';
import { SimDesfireCard } from './cards/desfire';
import { SimUidOnlyCard } from './cards/uid-only';
import { type SiteSecrets, addKey, boardSite, cardKeyIdOf, cardKeyOf, keyRecord, newSite, writeSite, CARD_AID } from '../tools/host/provision/site';
import { hostCrypto } from '../tools/host/crypto';
import { rng } from '../tools/host/random';
import { flashOf, journalOf, provisionLayout } from './provision';
import * as st from './engine/storage';
import { type LogEntry, logOpen, logOpenJ, logRead, logReadJ } from '../firmware/auditlog';
import type { KeyRecord } from '../firmware/keystore';
import type { PhoneKeyFile } from '../tools/host/protocol';
import type { TravelKey } from '../tools/host/travelkey';
import { type PhoneOptions, type SimPhone, simPhone } from './phone';
import * as C from '../firmware/codes';

// The phone's names, where createCar's users have always imported them from.
export type { PhoneCar, PhoneConnectOptions, PhoneOptions, SimPhone } from './phone';

const bundles: Record<string, string> = {};

/** The production bundle for a board, built once per process. */
export async function firmwareFor(board: BoardConfig, dev = false): Promise<string> {
  const k = board.id + (dev ? ':dev' : '');
  if (!bundles[k]) bundles[k] = (await bundleFirmware(board, { dev })).code;
  return bundles[k];
}

export interface CarOptions {
  board?: string;
  seed?: number;
  dev?: boolean;
  /** Provision an owner phone, a driver and a guest phone, and an owner card (on NFC boards). */
  demo?: boolean;
  /**
   * Your own site instead of made-up secrets (`npm start -- --site mycar.site`): its secrets and
   * key records go into the board's flash as `provision write` puts them on a real board, so the
   * key files `provision issue` wrote unlock the simulated car (sim/own-site.ts reads a site file).
   */
  site?: { secrets: SiteSecrets; records: KeyRecord[] };
  /**
   * This car is board `boardId` (8 bytes: slot 1..32, then 7 random ones; tools/host/travel.ts
   * newBoardId) of the site (`site`, else the seed's): its flash gets that board's own secrets
   * (boardSecretsFor), never the site secret, so reading it out opens no other board. Key files for
   * it are `phoneKeyParts(siteSecret, [boardId], keyId, salt)`; `car.site` is what its flash holds.
   * Its site file is the v2 layout with the id (firmware/site.ts): a build with protocol v2
   * (hal/boards `travel`: xiaoble) says the id in its CHALLENGE and takes tickets and lists; the
   * others read it as a v1 site (docs/KEYS-THAT-TRAVEL.md).
   */
  boardId?: Uint8Array;
  /**
   * What runs the bundle: 'vm' (default, a Node VM with Espruino's surface) or 'espruino' (the real
   * interpreter named by ESPRUINO_BIN, peripherals still simulated here: sim/espruino/).
   */
  engine?: 'vm' | 'espruino';
  /** Engine 'espruino' only: the variables the firmware gets instead of the board's (a margin check). */
  variables?: number;
  /** Engine 'espruino' only: where the memory probe writes (tools/benchmarks/memory.ts). */
  memoryProbe?: string;
}

/** The board for a car: the bundle on the engine asked for. */
function boardFor(config: BoardConfig, bundle: string, seed: number, engine: 'vm' | 'espruino', variables?: number, memoryProbe?: string, flash?: st.Flash): SimBoard {
  if (engine === 'vm') return createSimBoard({ board: config, bundle, seed, flash });
  const bin = espruinoBinary();
  if (!bin) throw new Error('the espruino engine needs ESPRUINO_BIN: an Espruino interpreter built for Linux (docs/ESPRUINO.md)');
  return createEspruinoBoard({ board: config, bundle, seed, bin, variables, memoryProbe });
}

export interface SimCar {
  board: SimBoard;
  config: BoardConfig;
  /** The secrets in its flash: the site's, or with `boardId` that board's own. */
  site: SiteSecrets;
  /** The board identity given to createCar, if any. */
  boardId: Uint8Array | undefined;
  pn532: SimPn532 | undefined;
  keys: Record<string, PhoneKeyFile>;
  cards: Record<string, SimCard>;
  relayOn(): boolean;
  driveOn(): boolean;
  led(color: 'red' | 'green' | 'blue'): boolean;
  advance(ms: number): void;
  setDoor(open: boolean): void;
  setButton(down: boolean): void;
  holdButton(ms: number): void;
  /** Puts a card on the reader for `ms` (default 1500), then takes it away. */
  tap(card: SimCard, ms?: number): void;
  /**
   * A phone (its own central, with its own address) holding `key`: a v1 key file, or a v2 key
   * (tools/host/travelkey.ts TravelKey: a secret per board, or a ticket made by `makeTicket`);
   * see PhoneOptions for its timing.
   */
  phone(key?: PhoneKeyFile | TravelKey, opts?: PhoneOptions): SimPhone;
  auditLog(fromSeq?: number): LogEntry[];
  powerCut(): void;
  powerOn(): void;
  reset(): void;
  /** Provisions a key as the USB tool would (before or between boots). */
  provisionKey(name: string, role: number, extra?: Parameters<typeof keyRecord>[2]): PhoneKeyFile;
  provisionCard(name: string, role: number, uid: Uint8Array): SimCard;
}

export async function createCar(opts: CarOptions = {}): Promise<SimCar> {
  const config = boardById(opts.board || 'puckjs');
  if (!config) throw new Error(unknownBoardMessage(opts.board));
  const seed = opts.seed ?? 1;
  const rnd = rng(seed).bytes;
  const siteSecrets = opts.site ? opts.site.secrets : newSite(rnd);
  const site = opts.boardId ? boardSite(siteSecrets, opts.boardId) : siteSecrets;
  const bundle = await firmwareFor(config, opts.dev);
  // The flash is provisioned before the first boot, as the USB tool does before a board goes in a
  // car: on the VM engine in the order of the tiled layout (site, key file, bundle, pad: sim/provision.ts
  // provisionLayout), on the real interpreter's 256 KB Storage after it (no layout modelled there).
  const vm = (opts.engine || 'vm') === 'vm';
  const laid = vm ? st.createFlash(config.storageBytes) : undefined;
  if (laid) provisionLayout(laid, config, bundle, site);
  const board = boardFor(config, bundle, seed, opts.engine || 'vm', opts.variables, opts.memoryProbe, laid);
  // The door is shut when the story starts (its sensor reads high, "open", through the pull-up otherwise).
  if (config.pins.door !== undefined) board.pins.setInput(config.pins.door, 0);
  const flash = flashOf(board);
  if (!laid) {
    writeSite(flash, site);
  }
  if (opts.site) for (const rec of opts.site.records) addKey(flash, site, config.keyCapacity, rec);
  const keys: Record<string, PhoneKeyFile> = {};
  const cards: Record<string, SimCard> = {};
  let pn532: SimPn532 | undefined;
  if (config.nfc) {
    pn532 = new SimPn532(board.clock.hostTimers);
    const bus = pn532.bus;
    const rst = pn532.resetPin;
    // RSTPDN is active low: the board pulls the pin low to hold the PN532 in reset.
    if (config.pins.pn532Reset !== undefined) board.pins.onOutput((pin, level) => { if (pin === config.pins.pn532Reset) rst.set(level === 0); });
    board.i2c.attach(0x24, { write: (bytes) => bus.writeTo(0x24, bytes), read: (n) => bus.readFrom(0x24, n) });
  }
  const p = config.pins;
  if (p.benchContact !== undefined) {
    // The bench wiring: the relay's contact back to an input, closing 8 ms and opening 4 ms after the coil changes.
    const contact = p.benchContact;
    board.pins.onOutput((pin, level) => {
      if (pin !== p.relay) return;
      const on = level === (config.relayActiveHigh ? 1 : 0);
      board.clock.hostTimers.after(on ? 8 : 4, () => board.pins.setInput(contact, on ? 1 : 0));
    });
  }
  const car: SimCar = {
    board, config, site, boardId: opts.boardId, pn532, keys, cards,
    relayOn: () => board.pins.output(p.relay) === (config.relayActiveHigh ? 1 : 0),
    driveOn: () => p.drive !== undefined && board.pins.output(p.drive) === (config.relayActiveHigh ? 1 : 0),
    led: (color) => {
      const pin = color === 'red' ? p.ledRed : color === 'green' ? p.ledGreen : p.ledBlue;
      return pin !== undefined && board.pins.output(pin) === 1;
    },
    advance: (ms) => board.clock.advance(ms),
    setDoor: (open) => { if (p.door !== undefined) board.pins.setInput(p.door, open ? 1 : 0); },
    setButton: (down) => { if (p.button !== undefined) board.pins.setInput(p.button, down === config.buttonActiveHigh ? 1 : 0); },
    holdButton: (ms) => { car.setButton(true); board.clock.advance(ms); car.setButton(false); board.clock.advance(100); },
    tap: (card, ms = 1500) => {
      if (!pn532) throw new Error(config.id + ' has no card reader (try --board puckjs-nfc or xiaoble)');
      pn532.card = card;
      board.clock.advance(ms);
      pn532.card = undefined;
      board.clock.advance(600);
    },
    phone: (key, popts) => simPhone(car, key, popts),
    auditLog: (fromSeq = 0) => {
      const out: LogEntry[] = [];
      // In the journal layout the log is the journal's (firmware/journal.ts), read without writing a byte.
      if (config.tile) logReadJ(logOpenJ(flashOf(board), journalOf(board)), fromSeq, 100000, (e) => out.push(e));
      else logRead(logOpen(flashOf(board), hostCrypto, config.logSegments, config.logPerSegment, !!config.tile), fromSeq, 100000, (e) => out.push(e));
      return out;
    },
    powerCut: () => board.powerCut(),
    powerOn: () => board.powerOn(),
    reset: () => board.reset(),
    provisionKey: (name, role, extra) => {
      const id = (cardKeyIdOf(new TextEncoder().encode('phone:' + name + ':' + seed)) >>> 0) || 7;
      const k = addKey(flash, site, config.keyCapacity, keyRecord(id, role, { label: name.slice(0, 6), ...extra }));
      k.label = name;
      keys[name] = k;
      return k;
    },
    provisionCard: (name, role, uid) => {
      addKey(flash, site, config.keyCapacity, keyRecord(cardKeyIdOf(uid), role, { kind: C.KIND_CARD, label: name.slice(0, 6) }));
      const card = new SimDesfireCard(uid, [{ aid: CARD_AID, keys: [cardKeyOf(site, uid)] }]);
      cards[name] = card;
      return card;
    },
  };
  if (opts.demo) {
    car.provisionKey('owner', C.ROLE_OWNER);
    car.provisionKey('driver', C.ROLE_DRIVER, { perms: C.PERM_UNLOCK | C.PERM_LOCK | C.PERM_DRIVE });
    car.provisionKey('guest', C.ROLE_GUEST);
    if (config.nfc) {
      const uid = new Uint8Array([0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
      car.provisionCard('owner-card', C.ROLE_OWNER, uid);
      // A clone: the same UID, but it cannot know the per-card key.
      cards['cloned-card'] = new SimDesfireCard(uid, [{ aid: CARD_AID, keys: [new Uint8Array(16)] }]);
      cards['uid-only-card'] = new SimUidOnlyCard(new Uint8Array([0x04, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]));
    }
  }
  // Boot again so the firmware reads what provisioning wrote (as after the USB tool's reboot).
  board.reset();
  return car;
}
