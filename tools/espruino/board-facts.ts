/**
 * Board facts from Espruino's own source: reads boards/<BOARD>.py (through python3, which runs the
 * board file as Espruino's build does) and the setWatch defaults in src/jswrap_io.c, and writes
 *   hal/boards/espruino-facts.json   libraries, Storage (pages, page size, address, internal or
 *                                    external flash), BLE MTU cap, variables, buttons, LEDs,
 *                                    inverted pins, the default button debounce and edge
 *   tools/boards/<BOARD>.json        the board data the `espruino` CLI reads (tools/flash.ts)
 * Nothing fetched is committed: only these generated files and this script.
 *
 * Usage: tsx tools/espruino/board-facts.ts <espruino-source-dir>
 * hal/boards/*.ts and hal/boards/espruino.ts are checked against the facts by
 * test/tools/board-facts.test.ts; tools/build.ts refuses a board whose build lacks what the
 * firmware needs (tools/boards/requirements.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REFERENCE_ONLY_BOARDS, espruinoBoardNames } from '../../hal/boards/espruino';
import type { BoardFacts, FactsFile } from '../host/build/board-facts';

/** The Espruino boards our builds run on, then those kept for reference (hal/boards/espruino.ts). */
const FACT_BOARDS = espruinoBoardNames().concat(REFERENCE_ONLY_BOARDS);

const ROOT = path.resolve(__dirname, '..', '..');

// Runs one board file the way Espruino's scripts do (they import pinutils from scripts/) and
// prints what we need as JSON. Only plain data leaves python.
const PY = `
import sys, json, re
src = sys.argv[1]; name = sys.argv[2]
sys.path.insert(0, src + '/scripts'); sys.path.insert(0, src + '/boards')
g = {}
exec(compile(open(src + '/boards/' + name + '.py').read(), name + '.py', 'exec'), g)
info = g['info']; chip = g['chip']; devices = g.get('devices', {})
pins = g['get_pins']()
index = {}
for i, p in enumerate(pins): index[p['name'][1:]] = i
def pin_of(n):
  return index.get(n, n)
out = {
  'name': info['name'], 'variables': info['variables'],
  'libraries': info['build']['libraries'], 'makefile': info['build'].get('makefile', []),
  'defaultConsole': info.get('default_console'),
  'chip': { 'part': chip['part'], 'family': chip['family'], 'ram': chip['ram'], 'flash': chip['flash'], 'i2c': chip.get('i2c', 0) },
  'savedCode': chip['saved_code'],
  'spiflash': devices.get('SPIFLASH'),
  'devices': { k: v for k, v in devices.items() if re.match(r'^(BTN|LED)[0-9]+$', k) },
  'inverted': [ p['name'][1:] for p in pins if 'NEGATED' in p['functions'] ],
}
for k, v in out['devices'].items(): v['index'] = pin_of(v['pin'])
out['invertedIndex'] = [ pin_of(n) for n in out['inverted'] ]
print(json.dumps(out))
`;

function mtuOf(makefile: string[]): { max: number; define: string } {
  const all = makefile.join(' ');
  // nRF52832 (SDK 12) reads NRF_BLE_MAX_MTU_SIZE, SDK 15+ NRF_SDH_BLE_GATT_MAX_MTU_SIZE
  // (targets/nrf5x/bluetooth.c); unset means the default ATT MTU of 23.
  for (const define of ['NRF_BLE_MAX_MTU_SIZE', 'NRF_SDH_BLE_GATT_MAX_MTU_SIZE']) {
    const m = new RegExp('-D' + define + '=(\\d+)').exec(all);
    if (m) return { max: Number(m[1]), define };
  }
  return { max: 23, define: 'GATT_MTU_SIZE_DEFAULT' };
}

function definesOf(family: string, makefile: string[]): string[] {
  const out = new Set<string>();
  if (family === 'NRF52') out.add('NRF52_SERIES');
  for (const line of makefile) {
    const flag = /^\s*(SAVE_ON_FLASH\w*|NRF_SDK\d+)\s*=/.exec(line);
    if (flag) out.add(flag[1]);
    if (/^\s*DEFINES\s*\+?=/.test(line)) for (const d of line.match(/-D(\w+)/g) || []) out.add(d.slice(2));
  }
  return [...out].sort();
}

function buttonWatchOf(src: string): { debounceMs: number; edge: 'rising' } {
  const io = fs.readFileSync(path.join(src, 'src', 'jswrap_io.c'), 'utf8');
  const m = /if \(IS_PIN_A_BUTTON\(pin\)\) \{\s*edge = 1;[\s\S]*?debounce = (\d+);/.exec(io);
  if (!m) throw new Error('src/jswrap_io.c: cannot find the default button debounce in setWatch');
  return { debounceMs: Number(m[1]), edge: 'rising' };
}

function readBoard(src: string, board: string): BoardFacts {
  const raw = JSON.parse(execFileSync('python3', ['-c', PY, src, board], { encoding: 'utf8' }));
  const libs: string[] = raw.libraries;
  const has = (l: string) => libs.indexOf(l) >= 0;
  const sc = raw.savedCode;
  const external = !!raw.spiflash && sc.address >= raw.spiflash.memmap_base;
  const devs = Object.keys(raw.devices).sort();
  return {
    name: raw.name,
    variables: raw.variables,
    libraries: libs,
    crypto: { module: has('CRYPTO'), sha256: has('CRYPTO') && has('SHA256'), aes: has('CRYPTO') && (has('AES') || has('TLS')), aesCcm: has('CRYPTO') && has('AES_CCM') },
    chip: { part: raw.chip.part, family: raw.chip.family, ramKB: raw.chip.ram, flashKB: raw.chip.flash, i2c: raw.chip.i2c },
    defines: definesOf(raw.chip.family, raw.makefile),
    storage: { address: sc.address, pageSize: sc.page_size, pages: sc.pages, bytes: sc.page_size * sc.pages, where: external ? 'external SPI flash' : 'internal flash' },
    mtu: mtuOf(raw.makefile),
    defaultConsole: raw.defaultConsole ?? null,
    buttons: devs.filter((d) => d.startsWith('BTN')).map((d) => ({ device: d, pin: raw.devices[d].pin, index: raw.devices[d].index, pinstate: raw.devices[d].pinstate })),
    leds: devs.filter((d) => d.startsWith('LED')).map((d) => ({ device: d, pin: raw.devices[d].pin, index: raw.devices[d].index })),
    invertedPins: raw.invertedIndex,
  };
}

export function readFacts(src: string): FactsFile {
  const git = (args: string[]) => { try { return execFileSync('git', ['-C', src, ...args], { encoding: 'utf8' }).trim(); } catch { return 'unknown'; } };
  const boards: Record<string, BoardFacts> = {};
  for (const b of FACT_BOARDS) boards[b] = readBoard(src, b);
  return {
    _comment: 'Generated by tools/espruino/board-facts.ts from Espruino\'s boards/*.py and src/jswrap_io.c. Do not edit: run it again.',
    source: { commit: git(['rev-parse', 'HEAD']), describe: git(['log', '-1', '--format=%cs %s']) },
    buttonWatch: buttonWatchOf(src),
    boards,
  };
}

/** The board data the `espruino` CLI reads on connect, from the facts (only the fields it uses). */
export function cliBoardJson(f: BoardFacts): object {
  const modules = ['Flash', 'Storage', 'heatshrink'];
  if (f.crypto.module) modules.push('crypto');
  if (f.libraries.indexOf('NEOPIXEL') >= 0) modules.push('neopixel');
  if (f.name === 'Puck.js') modules.push('Puck');
  if (f.libraries.indexOf('BLUETOOTH') >= 0) modules.push('NRF');
  return {
    _comment: 'Generated by tools/espruino/board-facts.ts from Espruino\'s board file (tools/flash.ts sets BOARD_JSON_URL to this folder so nothing is downloaded). Only the fields the CLI reads; no binary_version, so it never offers a firmware update.',
    info: { name: f.name, default_console: f.defaultConsole, variables: f.variables, builtin_modules: modules },
    chip: {
      part: f.chip.part, family: f.chip.family, ram: f.chip.ramKB, flash: f.chip.flashKB,
      saved_code: { address: f.storage.address, page_size: f.storage.pageSize, pages: f.storage.pages },
    },
    devices: {},
    pins: [],
  };
}

function main(): void {
  const src = process.argv[2];
  if (!src || !fs.existsSync(path.join(src, 'boards'))) {
    console.error('usage: tsx tools/espruino/board-facts.ts <espruino-source-dir> (a checkout with boards/*.py)');
    process.exit(2);
  }
  const facts = readFacts(src);
  const out = path.join(ROOT, 'hal', 'boards', 'espruino-facts.json');
  fs.writeFileSync(out, JSON.stringify(facts, null, 2) + '\n');
  console.log('wrote ' + path.relative(ROOT, out));
  for (const b of FACT_BOARDS) {
    if (REFERENCE_ONLY_BOARDS.indexOf(b) >= 0) continue;
    const file = path.join(ROOT, 'tools', 'boards', b + '.json');
    fs.writeFileSync(file, JSON.stringify(cliBoardJson(facts.boards[b]), null, 2) + '\n');
    console.log('wrote ' + path.relative(ROOT, file));
  }
}

if (require.main === module) main();
