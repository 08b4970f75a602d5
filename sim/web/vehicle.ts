/**
 * The vehicle page (/): renders the snapshots the server pushes over /ws/vehicle and sends the
 * person's actions back. Holds no state of its own beyond the last snapshot.
 * Not here: what an action does (sim/vehicle.ts).
 */
import type { Action, LogLine, Snapshot } from '../vehicle';
import { simUrl } from './sim-token';

const $ = (id: string) => document.getElementById(id)!;
let ws: WebSocket | undefined;
let seq = 0;
let built = false;

function send(a: Action): void {
  if (!ws || ws.readyState !== WebSocket.OPEN) { $('result').textContent = 'Not connected to the simulator.'; return; }
  ws.send(JSON.stringify({ t: 'act', id: ++seq, a }));
}

/** What an action came to: the newest in the result box, the ones before it in a short history. */
function showResult(text: string): void {
  const box = $('result');
  if (box.dataset.filled) {
    const li = Object.assign(document.createElement('li'), { textContent: box.textContent });
    $('history').prepend(li);
    while ($('history').children.length > 6) $('history').lastElementChild!.remove();
  }
  box.textContent = text;
  box.dataset.filled = '1';
  box.classList.remove('muted');
}

/** A clock jump under way: its progress shows, and every action waits (buttons off) until it is done. */
function showBusy(s: Snapshot): void {
  const b = s.busy;
  $('progress').hidden = !b;
  if (b) {
    const pct = Math.floor((100 * b.done) / b.total);
    $('progress-text').textContent = b.what + ': ' + pct + ' %';
    ($('progress-fill') as HTMLElement).style.width = pct + '%';
  }
  $('controls').classList.toggle('busy', !!b);
  for (const btn of $('controls').querySelectorAll<HTMLButtonElement>('button')) {
    if (b) { if (!btn.disabled) { btn.disabled = true; btn.dataset.busyOff = '1'; } } else if (btn.dataset.busyOff) { btn.disabled = false; delete btn.dataset.busyOff; }
  }
}

function onOff(on: boolean, yes = 'on', no = 'off'): string {
  return on ? yes : no;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return (d ? d + ' d ' : '') + hms;
}

const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

function logTime(l: LogLine): string {
  return l.trusted ? utc(l.time * 1000) : '+' + clock(l.time * 1000) + ' since boot';
}

const cardLabel = (name: string) => name.replace(/-/g, ' ').replace(/^uid only/, 'UID-only');

/** Buttons that depend on the car (its phones and cards), made once from the first snapshot. */
function build(s: Snapshot): void {
  const phones = $('phones');
  for (const name of s.phones) {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('th'), { textContent: name }));
    for (const op of ['unlock', 'lock', 'drive', 'status'] as const) {
      const td = document.createElement('td');
      const b = Object.assign(document.createElement('button'), { textContent: op[0].toUpperCase() + op.slice(1) });
      b.id = 'phone-' + name + '-' + op;
      b.onclick = () => send({ do: 'phone', key: name, op });
      td.append(b);
      tr.append(td);
    }
    phones.append(tr);
  }
  const cards = $('cards');
  if (!s.board.nfc) { $('cards-title').hidden = true; cards.hidden = true; }
  for (const name of s.cards) {
    const b = Object.assign(document.createElement('button'), { textContent: 'Tap ' + cardLabel(name) });
    b.id = 'tap-' + name;
    b.onclick = () => send({ do: 'tap', card: name });
    cards.append(b);
  }
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-act]')) {
    const act = b.dataset.act!;
    b.onclick = () => send(act === 'door-open' ? { do: 'door', open: true } : act === 'door-close' ? { do: 'door', open: false }
      : act === 'advance' ? { do: 'advance', ms: Number(b.dataset.ms) } : { do: act } as Action);
  }
  if (!s.board.door) { ($('door-open') as HTMLButtonElement).disabled = true; ($('door-close') as HTMLButtonElement).disabled = true; }
  if (!s.board.button) ($('button') as HTMLButtonElement).disabled = true;
  $('board-id').textContent = s.board.id;
  built = true;
}

function render(s: Snapshot): void {
  if (!built) build(s);
  const unlocked = s.state === 'unlocked';
  const ls = $('lock-state');
  ls.textContent = !s.powered ? 'NO POWER' : unlocked ? 'UNLOCKED' : s.state === 'locked' ? 'LOCKED' : s.state.toUpperCase();
  ls.className = 'lock-state ' + (!s.powered ? 'off' : unlocked ? 'unlocked' : s.state === 'locked' ? 'locked' : 'other');
  $('board-state').textContent = s.state + (s.resets ? ' (' + s.resets + ' reboot' + (s.resets > 1 ? 's' : '') + ')' : '');
  $('relay').textContent = onOff(s.relay, 'energised', 'off');
  $('drive').textContent = s.board.drive ? onOff(s.drive, 'enabled', 'off') : 'none on this board';
  $('door').textContent = s.board.door ? onOff(s.doorOpen, 'open', 'closed') : 'no sensor';
  for (const c of ['red', 'green', 'blue'] as const) $('led-' + c).classList.toggle('lit', s.leds[c]);
  $('power').textContent = s.powered ? 'on, up ' + clock(s.uptimeMs) : 'cut';
  $('radio').textContent = s.radio;
  $('sim-time').textContent = clock(s.simMs);
  $('world-time').textContent = utc(s.worldMs);
  const tr = $('trusted');
  tr.textContent = s.timeTrusted ? 'trusted' + (s.carTimeMs ? ', ' + utc(s.carTimeMs) : '') : 'not trusted (unknown until an owner sets it)';
  tr.className = s.timeTrusted ? 'good' : 'warn';
  $('console').textContent = s.console.join('\n');
  showBusy(s);
  if (s.log) {
    const rows = s.log.map((l) => {
      const r = document.createElement('tr');
      r.dataset.event = String(l.event);
      if (l.reason !== 0) r.className = 'refused';
      r.append(Object.assign(document.createElement('td'), { textContent: String(l.seq) }),
        Object.assign(document.createElement('td'), { textContent: logTime(l), className: 'time' }),
        Object.assign(document.createElement('td'), { textContent: l.text }));
      return r;
    });
    $('log').replaceChildren(...rows);
  }
}

function connect(): void {
  ws = new WebSocket(simUrl('/ws/vehicle'));
  ws.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'pill live'; };
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data));
    if (m.t === 'state') render(m.s); // its log is left out when it has not changed
    else if (m.t === 'done') showResult(m.text);
  };
  ws.onclose = () => {
    $('conn').textContent = 'disconnected \u2014 retrying';
    $('conn').className = 'pill dead';
    setTimeout(connect, 1000);
  };
}

connect();
