/**
 * The bench console page (/relay-bench): connects to a dev build's JavaScript console (the simulator's
 * console bridge, or a board's Nordic UART over Web Bluetooth), shows the board's outputs
 * (CKB.state()) and its audit log (read from Storage), and runs the bench: N unlock/lock cycles
 * with board-timed latencies in a table and a histogram, and a wrong key and a replay that must be
 * refused. The key is the web phone key's (keyimport.ts, keystore.ts): one non-extractable
 * WebCrypto key per browser.
 * Not here: the bench protocol (relay-bench-session.ts), transports (console-link.ts), log bytes (tools/host/logdecode.ts).
 */
import type { LogEntry } from '../../firmware/auditlog';
import { stats } from '../../tools/host/stats';
import { describeEntry, isStateEvent, roleName, stateName } from '../../tools/host/names';
import { type Bench, type Cycle, benchClose, benchOpen, boardState, cycle, tryReplay, tryWrongKey } from './relay-bench-session';
import { type ConsoleLink, bluetoothConsole, simulatorConsole } from './console-link';
import { demoKeyLinks, importKeyText } from './keyimport';
import { type StoredKey, loadKey } from './keystore';
import { READ_LOG_LINE, decodeLogDump } from '../../tools/host/logdecode';
import { simUrl } from './sim-token';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let key: StoredKey | undefined;
let link: ConsoleLink | undefined;
let bench: Bench | undefined;
let busy = false;
let cycles: Cycle[] = [];

function say(text: string, cls = 'muted'): void {
  const r = $('result');
  r.textContent = text;
  r.className = 'result ' + cls;
}

function setButtons(): void {
  const ready = !!link && !busy;
  ($('connect') as HTMLButtonElement).disabled = busy;
  ($('disconnect') as HTMLButtonElement).disabled = !link || busy;
  for (const id of ['refresh', 'log-refresh']) ($(id) as HTMLButtonElement).disabled = !ready;
  for (const id of ['run', 'wrong-key']) ($(id) as HTMLButtonElement).disabled = !ready || !key;
  ($('replay') as HTMLButtonElement).disabled = !ready || !key || !bench || !bench.lastUnlock;
}

/** Runs one page action at a time, reporting its error. */
async function doing(what: string, fn: () => Promise<void>): Promise<void> {
  if (busy) return;
  busy = true;
  setButtons();
  try {
    await fn();
  } catch (e) {
    say(what + ': ' + (e as Error).message, 'warn');
  } finally {
    busy = false;
    setButtons();
  }
}

// ---- key ------------------------------------------------------------------------------------

function renderKey(): void {
  $('key-line').textContent = key ? 'Key #' + key.keyId + (key.label ? ' \u201c' + key.label + '\u201d' : '') + (key.role !== undefined ? ', ' + roleName(key.role) : '') : 'No key imported.';
  setButtons();
}

async function importing(text: string): Promise<void> {
  await doing('Import', async () => {
    key = await importKeyText(text);
    bench = undefined; // a new key: a new bench session
    ($('import-text') as HTMLTextAreaElement).value = '';
    renderKey();
    say('Key #' + key.keyId + ' imported.');
  });
}

async function offerDemoKeys(): Promise<boolean> {
  const keys = await demoKeyLinks();
  if (!keys) return false;
  const box = $('demo-keys');
  box.replaceChildren(Object.assign(document.createElement('span'), { className: 'muted', textContent: 'Simulator demo keys:' }));
  for (const k of keys) {
    const b = Object.assign(document.createElement('button'), { textContent: k.name, className: 'quiet' });
    b.dataset.key = k.name;
    b.onclick = () => importing(k.link);
    box.append(b);
  }
  box.hidden = false;
  return true;
}

// ---- board ----------------------------------------------------------------------------------

const onOff = (v: number | null, on: string, off: string) => (v === null ? 'no pin' : v ? on : off);

async function refresh(): Promise<void> {
  if (!link) return;
  const s = await boardState(link);
  $('out-relay').textContent = onOff(s.relay, 'ON (energised)', 'off');
  $('out-drive').textContent = onOff(s.drive, 'ON', 'off');
  $('out-door').textContent = onOff(s.door, 'open', 'closed');
  $('out-contact').textContent = onOff(s.contact, 'closed', 'open');
  const log = decodeLogDump(await link.run(READ_LOG_LINE));
  renderLog(log);
  const st = log.find((e) => isStateEvent(e.event));
  $('out-state').textContent = st ? stateName(st.result) + ' (newest logged transition)' : 'unknown (no transition logged)';
}

function renderLog(log: LogEntry[]): void {
  const name = (id: number) => (key && id === key.keyId ? (key.label || 'this key') : '#' + id);
  const rows = log.slice(0, 50).map((e) => {
    const tr = document.createElement('tr');
    for (const t of [String(e.seq), e.trusted ? new Date(e.time * 1000).toISOString().slice(0, 19).replace('T', ' ') : '+' + e.time + ' s', describeEntry(e, name)]) tr.append(Object.assign(document.createElement('td'), { textContent: t }));
    return tr;
  });
  $('log').querySelector('tbody')!.replaceChildren(...rows);
}

async function connect(): Promise<void> {
  await doing('Connect', async () => {
    if (link) link.close();
    link = undefined;
    bench = undefined;
    $('link-status').textContent = 'connecting\u2026';
    const sim = ($('transport-sim') as HTMLInputElement).checked;
    const l = sim ? await simulatorConsole(simUrl('/ws/console')) : await bluetoothConsole();
    const kind = (await l.run('print(typeof CKB)')).trim().split('\n').pop();
    link = l;
    $('link-status').textContent = 'connected to ' + l.name + (kind === 'object' ? ' (dev build, bench hook present)' : ' \u2014 NO bench hook: not a dev build');
    if (kind === 'object') { await refresh(); say('Connected.'); }
    else say('This board runs a production build: no bench hook (use npm start -- --dev, or flash with --dev).', 'warn');
  });
}

async function session(): Promise<Bench> {
  if (!bench) bench = await benchOpen(link!, { keyId: key!.keyId, key: key!.key });
  return bench;
}

// ---- bench ----------------------------------------------------------------------------------

function fmt(ms: number | null): string {
  return ms === null ? '\u2013' : ms.toFixed(1);
}

function addRow(c: Cycle): void {
  const tr = document.createElement('tr');
  tr.dataset.close = String(c.closeMs);
  tr.dataset.open = String(c.openMs);
  for (const t of [String(c.cycle), fmt(c.closeMs), fmt(c.openMs), fmt(c.heldMs), c.unlock + ' / ' + c.lock]) tr.append(Object.assign(document.createElement('td'), { textContent: t }));
  if (c.closeMs === null || c.openMs === null) tr.className = 'refused';
  $('cycles-table').querySelector('tbody')!.append(tr);
}

/** Close and open latencies in 2 ms buckets, one bar per non-empty bucket. */
function renderHistogram(): void {
  const bars: HTMLElement[] = [];
  const kinds: ['close' | 'open', string][] = [['close', 'unlock\u2192closed'], ['open', 'lock\u2192open']];
  for (const [kind, label] of kinds) {
    const xs = cycles.map((c) => (kind === 'close' ? c.closeMs : c.openMs)).filter((x): x is number => x !== null);
    const buckets: Record<number, number> = {};
    for (const x of xs) { const b = Math.floor(x / 2) * 2; buckets[b] = (buckets[b] || 0) + 1; }
    const most = Math.max(1, ...Object.values(buckets));
    for (const b of Object.keys(buckets).map(Number).sort((p, q) => p - q)) {
      const bar = document.createElement('div');
      bar.className = 'bar ' + kind;
      const fill = Object.assign(document.createElement('div'), { className: 'fill' });
      fill.style.width = (100 * buckets[b]) / most + '%';
      bar.append(Object.assign(document.createElement('span'), { textContent: label + ' ' + b + '\u2013' + (b + 2) }), fill, Object.assign(document.createElement('span'), { textContent: String(buckets[b]) }));
      bars.push(bar);
    }
  }
  $('histogram').replaceChildren(...bars);
  const s = (xs: (number | null)[]) => stats(xs.filter((x): x is number => x !== null));
  const c = s(cycles.map((x) => x.closeMs)), o = s(cycles.map((x) => x.openMs));
  $('summary').textContent = cycles.length ? cycles.length + ' cycles \u00b7 close median ' + fmt(c.median) + ' ms, p95 ' + fmt(c.p95) + ' \u00b7 open median ' + fmt(o.median) + ' ms, p95 ' + fmt(o.p95) : '';
}

async function run(): Promise<void> {
  const n = Math.max(1, Math.min(1000, Math.floor(Number(($('cycles') as HTMLInputElement).value) || 1)));
  await doing('Bench', async () => {
    const b = await session();
    cycles = [];
    $('cycles-table').querySelector('tbody')!.replaceChildren();
    for (let i = 1; i <= n; i++) {
      say('Cycle ' + i + ' of ' + n + '\u2026');
      const c = await cycle(b, i);
      cycles.push(c);
      addRow(c);
      renderHistogram();
    }
    const missed = cycles.filter((c) => c.closeMs === null || c.openMs === null).length;
    say(missed ? missed + ' of ' + n + ' cycles without a contact edge (is the relay wired back to the bench input?)' : n + ' cycles done.', missed ? 'warn' : 'good');
    await refresh();
  });
}

async function attack(which: 'wrong' | 'replay'): Promise<void> {
  await doing(which === 'wrong' ? 'Wrong key' : 'Replay', async () => {
    const b = await session();
    const a = which === 'wrong' ? await tryWrongKey(b) : await tryReplay(b);
    say(a.text, a.refused && !a.contactMoved ? 'good' : 'warn');
    await refresh();
  });
}

async function start(): Promise<void> {
  $('connect').onclick = () => connect();
  $('disconnect').onclick = () => doing('Disconnect', async () => {
    const l = link;
    if (bench) await benchClose(bench).catch(() => undefined);
    link = undefined; bench = undefined;
    if (l) l.close();
    $('link-status').textContent = 'not connected';
  });
  $('refresh').onclick = () => doing('Refresh', refresh);
  $('log-refresh').onclick = () => doing('Refresh', refresh);
  $('import-btn').onclick = () => importing(($('import-text') as HTMLTextAreaElement).value);
  $('run').onclick = () => run();
  $('wrong-key').onclick = () => attack('wrong');
  $('replay').onclick = () => attack('replay');
  key = await loadKey();
  if (!(await offerDemoKeys())) { ($('transport-ble') as HTMLInputElement).checked = true; $('to-vehicle').hidden = true; }
  renderKey();
  document.body.dataset.ready = '1';
}

start().catch((e) => say('The page failed to start: ' + (e as Error).message, 'warn'));
