/**
 * The web phone key page (/phonekey): imports a key once into non-extractable WebCrypto keys (a v1
 * key, or a v2 key or ticket from a `#v=2` link: one per board), connects to a car over Web
 * Bluetooth or the simulator's radio bridge, says HELLO with protocol version 2 and its key id, picks the secret
 * for the board the CHALLENGE names, and sends signed COMMANDs or TICKET COMMANDs (unlock, lock,
 * drive, status), showing the car's answer and whether it was authentic; then exchanges revocation
 * lists with the car (v2). One command at a time; the nonce of each answer is kept for the next.
 * An owner's v2 key also shares tickets and revokes so that it travels (share-panel.ts).
 * Not here: bytes and MACs (keycrypto.ts), v2 decisions (travel.ts), packets (transport.ts), storage (keystore.ts).
 */
import { R_EXPIRED_COMMAND, R_OK } from '../../firmware/codes';
import { M, OP, type Answer, parseAnswer, statusVersion, u32 } from '../../tools/host/protocol';
import { helloFor, versionMismatch } from '../../tools/host/visit';
import { permNames, roleName, stateName } from '../../tools/host/names';
import { type WebCredential, readAnswer, signedRequest } from './keycrypto';
import { exchangeLists, webCredential } from './travel';
import { demoKeyLinks, importKeyText } from './keyimport';
import { type StoredKey, forgetKey, loadKey, saveKey } from './keystore';
import { type Link, bluetoothLink, simulatorLink } from './transport';
import { simUrl } from './sim-token';
import { initSharePanels, renderSharePanels } from './share-panel';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ANSWER_MS = 5000;

let stored: StoredKey | undefined;
let link: Link | undefined;
let nonce: Uint8Array | undefined;
/** The board's CHALLENGE on this link (v2: its board id and list version), and our credential for that board. */
let challenge: Answer | undefined;
let cred: WebCredential | undefined;
/** Why the car refused our HELLO (a version mismatch), for the wait below. */
let helloRefused: string | undefined;
let busy = false;
let onChallenge: (() => void) | undefined;
let onAnswer: ((m: Uint8Array | Error) => void) | undefined;
/** What the last STATUS said about the car's clock. */
let carClock: { trusted: boolean; seconds: number; at: number } | undefined;

// ---- key ------------------------------------------------------------------------------------

function fmtDate(s: number): string {
  return new Date(s * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function validityText(k: StoredKey): string {
  const nb = k.notBefore || 0, na = k.notAfter || 0;
  let text = !nb && !na ? 'always (no time limits)' : (nb ? 'from ' + fmtDate(nb) : '') + (nb && na ? ' ' : '') + (na ? 'until ' + fmtDate(na) : '');
  if (nb || na) {
    if (!carClock) text += ' \u2014 ask Status to check against the car\u2019s clock';
    else if (!carClock.trusted) text += ' \u2014 the car\u2019s time is not set: a time-bounded key is refused';
    else {
      const now = carClock.seconds + Math.floor((Date.now() - carClock.at) / 1000);
      text += nb && now < nb ? ' \u2014 not yet valid' : na && now > na ? ' \u2014 expired' : ' \u2014 valid now';
    }
  }
  return text;
}

function renderKey(): void {
  $('key-none').hidden = !!stored;
  $('key-some').hidden = !stored;
  if (stored) {
    $('key-id').textContent = '#' + stored.keyId + (stored.label ? ' \u201c' + stored.label + '\u201d' : '');
    $('key-role').textContent = stored.role === undefined ? 'not in the key file' : roleName(stored.role) + (stored.perms !== undefined ? ' (' + permNames(stored.perms) + ')' : '');
    $('validity').textContent = validityText(stored) + ' (as the key file says; the car decides)';
    const keys = stored.boards ? stored.boards.map((b) => b.key) : [stored.key];
    $('key-secret').textContent = (keys.some((k) => k.extractable) ? 'EXTRACTABLE (should not happen)' : 'held by the browser, not extractable')
      + (stored.boards ? ' \u2014 ' + (stored.ticket ? 'a ticket for ' : 'a secret for each of ') + stored.boards.length + ' car' + (stored.boards.length > 1 ? 's' : '') : '');
  }
  renderSharePanels(stored);
  setButtons();
}

async function importText(text: string): Promise<void> {
  const k = await importKeyText(text);
  if (link) { link.close(); link = undefined; nonce = undefined; }
  stored = k;
  ($('import-text') as HTMLTextAreaElement).value = '';
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  carClock = undefined;
  renderKey();
  showAnswer('Key #' + k.keyId + ' imported.', '', 'muted');
}

async function importing(get: () => Promise<string> | string): Promise<void> {
  try {
    await importText(await get());
  } catch (e) {
    showAnswer('Could not import: ' + (e as Error).message, '', 'bad');
  }
}

async function offerDemoKeys(): Promise<boolean> {
  try {
    const keys = await demoKeyLinks();
    if (!keys) return false;
    const box = $('demo-keys');
    box.replaceChildren(Object.assign(document.createElement('span'), { className: 'muted', textContent: 'Simulator demo keys:' }));
    for (const k of keys) {
      const b = Object.assign(document.createElement('button'), { textContent: 'Import ' + k.name + ' key', className: 'quiet' });
      b.dataset.key = k.name;
      b.onclick = () => importing(() => k.link);
      box.append(b);
    }
    box.hidden = false;
    return true;
  } catch (e) {
    return false;
  }
}

// ---- link -----------------------------------------------------------------------------------

function setLinkStatus(text: string): void {
  $('link-status').textContent = text;
  setButtons();
}

function setButtons(): void {
  for (const id of ['unlock', 'lock', 'drive', 'status']) ($(id) as HTMLButtonElement).disabled = !stored || busy;
  ($('disconnect') as HTMLButtonElement).disabled = !link || busy;
}

function waitChallenge(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (nonce || helloRefused) { resolve(!!nonce); return; }
    const t = setTimeout(() => { onChallenge = undefined; resolve(false); }, ms);
    onChallenge = () => { clearTimeout(t); resolve(true); };
  });
}

function waitAnswer(ms: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { onAnswer = undefined; reject(new Error('no answer from the car within ' + ms / 1000 + ' s')); }, ms);
    onAnswer = (m) => { clearTimeout(t); if (m instanceof Error) reject(m); else resolve(m); };
  });
}

async function connect(): Promise<Link> {
  const sim = ($('transport-sim') as HTMLInputElement).checked;
  setLinkStatus('connecting\u2026');
  const l = sim ? await simulatorLink(simUrl('/ws/radio')) : await bluetoothLink();
  link = l;
  nonce = undefined;
  challenge = undefined;
  helloRefused = undefined;
  l.listen((m) => {
    if (m[0] === M.CHALLENGE && m.length >= 18) {
      challenge = parseAnswer(() => new Uint8Array(32), undefined, m);
      nonce = challenge.nonce;
      const w = onChallenge; onChallenge = undefined; if (w) w();
    } else if (onChallenge && (helloRefused = versionMismatch(parseAnswer(() => new Uint8Array(32), undefined, m)))) {
      const w = onChallenge; onChallenge = undefined; w();
    } else {
      const w = onAnswer; onAnswer = undefined; if (w) w(m);
    }
  }, (why) => {
    if (link === l) { link = undefined; nonce = undefined; setLinkStatus('disconnected: ' + why); }
    const w = onAnswer; onAnswer = undefined; if (w) w(new Error(why));
  });
  // Notifications are on (the link subscribed): ask for a CHALLENGE; the car sends nothing unasked.
  // HELLO names our key (not a ticket's): the car prepares it while we compute the COMMAND.
  await l.send(helloFor(stored));
  if (!(await waitChallenge(ANSWER_MS))) { l.close(); link = undefined; throw new Error(helloRefused || 'the car sent no challenge'); }
  try {
    // The secret for the board that answered (a v2 key); one clear line when this key has none for it.
    cred = webCredential(stored!, challenge!);
  } catch (e) {
    l.close(); link = undefined; nonce = undefined;
    setLinkStatus('not connected');
    throw e;
  }
  setLinkStatus('connected to ' + l.name + (challenge!.boardId ? ' (board slot ' + challenge!.boardId[0] + ')' : ''));
  return l;
}

const OPS: Record<string, { op: number; label: string; done: string }> = {
  unlock: { op: OP.UNLOCK, label: 'Unlock', done: 'Unlocked' },
  lock: { op: OP.LOCK, label: 'Lock', done: 'Locked' },
  drive: { op: OP.DRIVE, label: 'Drive', done: 'Drive enabled' },
  status: { op: OP.STATUS, label: 'Status', done: 'Status' },
};

async function press(name: string): Promise<void> {
  const o = OPS[name];
  if (!stored || busy) return;
  busy = true;
  setButtons();
  showAnswer(o.label + '\u2026', '', 'muted');
  try {
    let l = link && nonce ? link : undefined;
    if (!l) { if (link) link.close(); l = await connect(); }
    for (let attempt = 0, drops = 0; ; attempt++) {
      const sent = nonce!;
      nonce = undefined; // every command consumes the nonce; the answer brings the next one
      const msg = await signedRequest(cred!, sent, o.op);
      const answer = waitAnswer(ANSWER_MS);
      answer.catch(() => undefined); // handled below; a send that throws leaves it pending
      let got: Uint8Array;
      try {
        await l.send(msg);
        got = await answer;
      } catch (e) {
        // The car drops a link that waits too long or is taken by a peer that proves nothing
        // (docs/THREAT-MODEL.md, link rules): connect again and send again, as a phone app does.
        if (link || drops++ >= 3) throw e;
        l = await connect();
        continue;
      }
      const a = await readAnswer(cred!.key, got, sent);
      if (a.nonce) nonce = a.nonce;
      // A challenge that went stale while we were idle: once more with the fresh nonce.
      if (a.type === 'response' && a.status === R_EXPIRED_COMMAND && attempt === 0 && nonce) continue;
      report(o, a);
      if (a.type === 'response' && a.authentic) await syncLists(l).catch((e) => remember('revocation list exchange: ' + (e as Error).message));
      break;
    }
  } catch (e) {
    showAnswer(o.label + ': ' + (e as Error).message, '', 'bad');
    remember(o.label + ': ' + (e as Error).message);
  } finally {
    busy = false;
    setButtons();
  }
}

/** After the person's command: the revocation-list exchange with the car (v2 keys at v2 cars). */
async function syncLists(l: Link): Promise<void> {
  if (!stored || !stored.boards || !challenge || !nonce || !cred) return;
  const sent = nonce;
  nonce = undefined;
  const r = await exchangeLists(stored, challenge, cred, sent, async (m) => { const w = waitAnswer(ANSWER_MS); w.catch(() => undefined); await l.send(m); return w; });
  nonce = r.nonce;
  // Once per link: the next command here does not exchange again.
  challenge = { ...challenge, listVersion: undefined };
  if (r.changed) await saveKey(stored);
  if (r.said) remember(r.said);
}

// ---- answers --------------------------------------------------------------------------------

function showAnswer(text: string, auth: string, cls: string, authCls = ''): void {
  const a = $('answer');
  a.textContent = text;
  a.className = 'answer ' + cls;
  const b = $('answer-auth');
  b.textContent = auth;
  b.className = authCls;
}

function remember(text: string): void {
  const li = document.createElement('li');
  li.textContent = new Date().toLocaleTimeString() + '  ' + text;
  $('history').prepend(li);
  while ($('history').children.length > 20) $('history').lastElementChild!.remove();
}

function report(o: { label: string; done: string }, a: Answer): void {
  if (a.type === 'refused') {
    const why = a.reason + (a.retrySeconds ? ', retry in ' + a.retrySeconds + ' s' : '');
    showAnswer(o.label + ' refused: ' + why, 'The car did not accept this key\u2019s proof (unknown, revoked or wrong key), so its answer carries no proof either.', 'bad', 'muted');
    remember(o.label + ' refused: ' + why);
    return;
  }
  if (a.type !== 'response') { showAnswer(o.label + ': unexpected message from the car', '', 'bad'); return; }
  const ok = a.status === R_OK;
  let text = ok ? o.done : o.label + ' refused: ' + a.reason;
  if (ok && a.op === OP.STATUS && a.data && a.data.length >= 12) {
    carClock = { trusted: a.data[1] === 1, seconds: u32(a.data, 2), at: Date.now() };
    $('car-status').textContent = 'Car: ' + stateName(a.data[0]) + ' \u00b7 time ' + (carClock.trusted ? 'trusted, ' + fmtDate(carClock.seconds) : 'not set') +
      ' \u00b7 ' + ((a.data[6] << 8) | a.data[7]) + ' keys \u00b7 ' + u32(a.data, 8) + ' bytes free' + (a.data.length > 12 ? ' \u00b7 firmware ' + statusVersion(a.data) : '');
    text = 'Status: car ' + stateName(a.data[0]);
    renderKey();
  }
  showAnswer(text + (ok ? ' (' + a.reason + ')' : ''),
    a.authentic ? '\u2713 Authentic: the answer is MACed with this key over our command\u2019s nonce.' : '\u2717 NOT authentic: do not trust this answer.',
    ok && a.authentic ? 'good' : 'bad', a.authentic ? 'auth-good' : 'auth-bad');
  remember(text + ' \u2014 ' + (a.authentic ? 'authentic' : 'NOT authentic'));
}

// ---- start ----------------------------------------------------------------------------------

async function start(): Promise<void> {
  for (const name of Object.keys(OPS)) $(name).onclick = () => press(name);
  initSharePanels({
    key: () => stored,
    // A new list goes to each car at the next visit: drop this link, whose CHALLENGE named the old version.
    listChanged: (said) => { if (link) { const l = link; link = undefined; nonce = undefined; l.close(); setLinkStatus('not connected'); } remember(said); },
  });
  $('disconnect').onclick = () => { if (link) { const l = link; link = undefined; nonce = undefined; l.close(); setLinkStatus('not connected'); } };
  $('import-btn').onclick = () => importing(() => ($('import-text') as HTMLTextAreaElement).value);
  $('import-file').onchange = (ev) => { const f = (ev.target as HTMLInputElement).files?.[0]; if (f) importing(() => f.text()); };
  $('forget').onclick = async () => {
    if (!confirm('Forget this key? You will need the key file again.')) return;
    await forgetKey();
    stored = undefined;
    if (link) { link.close(); link = undefined; }
    renderKey();
  };
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=transport]')) r.onchange = () => { if (link) { link.close(); link = undefined; nonce = undefined; setLinkStatus('not connected'); } };
  stored = await loadKey();
  // The static offline site (npm run build:web): a service worker keeps every file for use with no
  // network; there is no simulator behind it.
  const offlineSite = document.body.dataset.static === '1';
  if (offlineSite && navigator.serviceWorker) navigator.serviceWorker.register('sw.js').catch((e) => remember('offline copy not installed: ' + (e as Error).message));
  $('no-bluetooth').hidden = !!navigator.bluetooth;
  const simulator = !offlineSite && await offerDemoKeys();
  if (!simulator) { ($('transport-ble') as HTMLInputElement).checked = true; $('to-vehicle').hidden = true; }
  if (offlineSite) $('transport-sim').parentElement!.hidden = true;
  if (/[#&]k=/.test(location.hash)) await importing(() => location.hash);
  renderKey();
  document.body.dataset.ready = '1';
}

start().catch((e) => showAnswer('The page failed to start: ' + (e as Error).message, '', 'bad'));
