/**
 * The browser flasher (/flash): puts the firmware and a site's board image on a board over its
 * Bluetooth console (or the simulator's), with nothing installed. The order matters: the image
 * files (site secrets, setup code, keys, settings) and the bundle are written and each verified by
 * reading back (CRC-32; the bundle also by SHA-256 against this browser's own hash), and only then
 * load() boots the production firmware, which removes the Bluetooth console: last, because after
 * it nothing more can be written over the air.
 * A board already in the compaction-safe layout (tools/host/layout.ts) gets the firmware update of
 * tools/host/relayout.ts instead (no image needed): reset(), its log and clock tiles read, pages
 * erased last first with require("Flash").erasePage (never Storage.compact), bundle, pad and tiles
 * written and verified. What it read stays in this page until it is done: if the link drops
 * midway, pressing the button again finishes the update.
 * Not here: the console transport (console-link.ts), writing and verifying (tools/host/console-upload.ts).
 */
import { espruinoBoard } from '../../hal/boards/espruino';
import { remoteSha256, replaceImageFiles, writePlainFile } from '../../tools/host/console-upload';
import { crc32 } from '../../tools/host/bytes';
import { boardById, boards } from '../../hal/boards/index';
import { consoleLayoutTarget, stopFirmware } from '../../tools/host/console-layout';
import { type BoardStorage, layoutCheck, olderLayout, relayout, type Saved } from '../../tools/host/relayout';
import type { BoardConfig } from '../../hal/boards/types';
import { type ConsoleLink, bluetoothConsole, simulatorConsole } from './console-link';
import { simUrl } from './sim-token';
import { versionRefusal } from '../../tools/host/espruino-version';
import { mayBePretokenised } from '../../tools/host/pretokens';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

interface Manifest { board: string; keys: number; files: { name: string; bytes: number; crc32: number }[] }
interface Chosen { firmware?: { name: string; text: string }; image?: { manifest: Manifest; files: Record<string, string> } }
const chosen: Chosen = {};
let busy = false;
/** What an interrupted layout update read from the board: a second press writes it back. */
let pending: Saved | undefined;

function latin1(buf: ArrayBuffer): string {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, i + 4096)));
  return s;
}

async function sha256Hex(s: string): Promise<string> {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
  return Array.from(d, (x) => (x + 256).toString(16).slice(1)).join('');
}

function say(text: string, cls = 'muted'): void {
  const a = $('answer');
  a.textContent = text;
  a.className = 'answer ' + cls;
}

function step(text: string): void {
  const li = document.createElement('li');
  li.textContent = text;
  $('steps').append(li);
}

/** Reads the board image the CLI wrote: manifest.json and each file it names, checked against it. */
async function readImage(list: FileList): Promise<Chosen['image']> {
  const byName: Record<string, File> = {};
  for (const f of Array.from(list)) byName[f.name] = f;
  if (!byName['manifest.json']) throw new Error('no manifest.json among the files: choose every file of the board-image folder');
  const manifest = JSON.parse(await byName['manifest.json'].text()) as Manifest;
  const files: Record<string, string> = {};
  for (const m of manifest.files) {
    if (!byName[m.name]) throw new Error(m.name + ' is missing: choose every file of the board-image folder');
    const data = latin1(await byName[m.name].arrayBuffer());
    if (data.length !== m.bytes || crc32(data) !== m.crc32) throw new Error(m.name + ' does not match manifest.json (damaged or from another image)');
    files[m.name] = data;
  }
  return { manifest, files };
}

/** Shows what is chosen; `announce` says "Ready" (not after a run, whose outcome stays on screen). */
function showChosen(announce = true): void {
  const parts: string[] = [];
  if (chosen.firmware) parts.push('firmware ' + chosen.firmware.name + ' (' + chosen.firmware.text.length + ' bytes)');
  if (chosen.image) parts.push('image for ' + chosen.image.manifest.board + ' with ' + chosen.image.manifest.keys + ' keys');
  $('chosen').textContent = parts.length ? parts.join('; ') : 'Nothing chosen yet.';
  ($('flash') as HTMLButtonElement).disabled = busy || !chosen.firmware;
  if (announce && chosen.firmware && chosen.image) say('Ready: connect and flash.');
  else if (announce && chosen.firmware) say('Ready to update a board already in the layout (choose a board image to provision a new one).');
}

/**
 * The firmware update of a board in the layout (tools/host/relayout.ts), or the move of a keycard
 * board from its older layout into it (a two-generation key table: only a keycard build kept one);
 * true if the board is either.
 */
async function layoutUpdate(link: ConsoleLink, espBoard: string, fw: { text: string }): Promise<boolean> {
  const target = consoleLayoutTarget(link);
  const ids = boards.filter((b) => espruinoBoard(b.id).board === espBoard).map((b) => b.id);
  const storage = await target.storage().catch(() => undefined);
  // A board in the layout is served as the first board of its Espruino build (the layout is the same).
  const fits = (b: BoardConfig, s: BoardStorage) => (/-nfc$/.test(b.id) ? !!b.tile && olderLayout(s) : !('problem' in layoutCheck(b, s)));
  const board = ids.map((id) => boardById(id)!).find((b) => storage && (pending ? pending.board === b.id : fits(b, storage)));
  if (!board) return false;
  step((pending ? 'resuming the update of ' : olderLayout(storage!) ? 'in the older layout: moving into the journal layout ' : 'in the layout: updating ') + board.id);
  await stopFirmware(link);
  const rep = await relayout(target, {
    board, mode: 'update', bundle: fw.text, saved: pending, onSaved: (s) => { pending = s; },
    progress: (done, total) => say('Update: step ' + done + ' of ' + total),
  });
  pending = undefined;
  step('updated: ' + rep.pagesErased + ' pages erased (last first), ' + rep.filesWritten + ' files written and verified, tiles kept: ' + rep.tiles.join(' '));
  return true;
}

async function flash(): Promise<void> {
  const fw = chosen.firmware!, img = chosen.image;
  busy = true;
  showChosen(false);
  $('steps').replaceChildren();
  let link: (ConsoleLink & { close(): void }) | undefined;
  try {
    say('Connecting\u2026');
    const sim = ($('transport-sim') as HTMLInputElement).checked;
    link = sim ? await simulatorConsole(simUrl('/ws/console')) : await bluetoothConsole();
    step('connected to ' + link.name);
    const is = (await link.run('print(process.env.BOARD+" "+process.env.VERSION)')).trim();
    // A pretokenised bundle on an older Espruino would not even parse: refuse before writing anything.
    const tooOld = mayBePretokenised(fw.text) ? versionRefusal(is.split(' ')[1], is.split(' ')[0]) : undefined;
    if (tooOld) throw new Error('refused: ' + tooOld);
    if (!(await layoutUpdate(link, is.split(' ')[0], fw))) {
      if (!img) throw new Error('this board (' + is + ') is not in the layout: choose its board image to provision it');
      const want = espruinoBoard(img.manifest.board).board;
      if (is.split(' ')[0] !== want) throw new Error('this board says it is ' + JSON.stringify(is) + '; the image is for ' + img.manifest.board + ' (' + want + ')');
      step('board ' + is);
      say('Writing the site\u2026');
      await replaceImageFiles(link, img.manifest.files.map((m) => ({ name: m.name, data: img.files[m.name] })),
        (name, bytes) => step(name + ': ' + bytes + ' bytes written and verified'));
      await writePlainFile(link, '.bootcde', fw.text, (done, total) => say('Firmware: ' + done + ' of ' + total + ' bytes'));
    }
    const [mine, theirs] = await Promise.all([sha256Hex(fw.text), remoteSha256(link, '.bootcde')]);
    if (mine !== theirs) throw new Error('the firmware reads back with SHA-256 ' + theirs + ', expected ' + mine + ': not booted; flash again');
    step('firmware: ' + fw.text.length + ' bytes, SHA-256 ' + mine.slice(0, 16) + '\u2026 verified on the board');
    say('Booting the firmware\u2026');
    // The last step: the production firmware closes this console. What it printed, if anything, is shown.
    const boot = await link.run('load()').catch((e) => '(' + (e as Error).message + ')');
    if (boot.trim()) step('boot: ' + boot.trim().slice(0, 200));
    step('done: the firmware runs; its Bluetooth console is closed, the phone-key service answers');
    say('Flashed and provisioned.', 'good');
  } catch (e) {
    say('Stopped: ' + (e as Error).message, 'bad');
    step(pending ? 'stopped midway through the update: what the board held is kept in this page; press Flash again to finish it'
      : 'stopped: nothing was booted; fix it and flash again (what was written stays harmless until load())');
  } finally {
    if (link) try { link.close(); } catch (e) { /* closed by the board */ }
    busy = false;
    showChosen(false);
  }
}

function start(): void {
  $('no-bluetooth').hidden = !!navigator.bluetooth;
  $('firmware-file').onchange = async (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (!f) return;
    chosen.firmware = { name: f.name, text: latin1(await f.arrayBuffer()) };
    showChosen();
  };
  $('image-files').onchange = async (ev) => {
    const list = (ev.target as HTMLInputElement).files;
    if (!list) return;
    try { chosen.image = await readImage(list); } catch (e) { chosen.image = undefined; say((e as Error).message, 'bad'); }
    showChosen();
  };
  $('flash').onclick = () => { if (!busy) flash(); };
  document.body.dataset.ready = '1';
}

start();
