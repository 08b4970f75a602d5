/**
 * The web phone key page's owner panels: "Share a key" (a driver or guest ticket for chosen cars,
 * shown as a `#v=2` link and a QR code) and "Revoke" (the next version of the owner's revocation
 * list, kept in IndexedDB with the key and handed to each car at the next visit). Shown only for
 * a v2 key that is not a ticket; the car itself accepts tickets and lists only from an owner key.
 * The work is sim/web/share.ts's; here only the form, the words and the QR drawing.
 * Not here: the visit that hands the list over (phonekey.ts, travel.ts), storage (keystore.ts).
 */
import * as QRCode from 'qrcode';
import { permNames, roleName } from '../../tools/host/names';
import { travelFragment } from '../../tools/host/travelkey';
import { listIds } from '../../tools/host/travelmake';
import { listVersion } from '../../tools/host/visit';
import { listParse } from '../../firmware/revlist';
import { ticketParse } from '../../firmware/ticket';
import { boardSlot } from '../../firmware/boardkeys';
import { type StoredKey, saveKey } from './keystore';
import { carsOf, newTicketId, parseKeyId, rememberShared, shareRequest, webRevokeList, webTicket } from './share';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export interface SharePanelHost {
  /** The key on this device now. */
  key(): StoredKey | undefined;
  /** The owner's list changed (saved already): the page drops its link so the next visit hands it over. */
  listChanged(said: string): void;
}

function fmtDate(s: number): string {
  return new Date(s * 1000).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
}

function say(id: string, text: string, cls: string): void {
  const el = $(id);
  el.textContent = text;
  el.className = cls;
  el.hidden = !text;
}

/** Shows or hides the panels for the key now on the device, and lists its cars. */
export function renderSharePanels(k: StoredKey | undefined): void {
  const owner = !!k && !!k.boards && !k.ticket;
  $('share-card').hidden = !owner;
  $('revoke-card').hidden = !owner;
  if (!owner) return;
  const box = $('share-boards');
  const before = new Set(Array.from(box.querySelectorAll<HTMLInputElement>('input:checked')).map((i) => i.value));
  box.replaceChildren(Object.assign(document.createElement('span'), { className: 'muted', textContent: 'Cars:' }));
  for (const c of carsOf(k!)) {
    const input = Object.assign(document.createElement('input'), { type: 'checkbox', value: c.boardId, checked: !box.dataset.filled || before.has(c.boardId) });
    const label = document.createElement('label');
    label.append(input, ' slot ' + c.slot + ' ', Object.assign(document.createElement('code'), { textContent: c.boardId }));
    box.append(label);
  }
  box.dataset.filled = '1';
  const ids = listIds(k!.list);
  $('revoke-list').textContent = k!.list
    ? 'Your revocation list: version ' + listVersion(k!.list) + ', ' + ids.length + ' id' + (ids.length === 1 ? '' : 's') + (ids.length ? ' (' + ids.join(', ') + ')' : '') + '.'
    : 'No revocation list yet.';
  const made = $('shared-list');
  made.replaceChildren();
  for (const t of k!.shared || []) {
    const li = document.createElement('li');
    li.dataset.ticket = String(t.id);
    li.append('ticket ' + t.id + (t.label ? ' \u201c' + t.label + '\u201d' : '') + ', ' + roleName(t.role) + ', until ' + fmtDate(t.notAfter) + ' ');
    if (ids.includes(t.id)) li.append(Object.assign(document.createElement('span'), { className: 'muted', textContent: 'revoked' }));
    else {
      const b = Object.assign(document.createElement('button'), { className: 'quiet', textContent: 'Revoke' });
      b.onclick = () => { ($('revoke-id') as HTMLInputElement).value = String(t.id); $('revoke-btn').click(); };
      li.append(b);
    }
    made.append(li);
  }
  $('shared-none').hidden = !!(k!.shared && k!.shared.length);
}

function readForm() {
  const checked = (box: string) => Array.from($(box).querySelectorAll<HTMLInputElement>('input:checked')).map((i) => i.value);
  return {
    role: ($('share-role') as HTMLSelectElement).value,
    perms: checked('share-perms'),
    hours: ($('share-hours') as HTMLInputElement).value,
    label: ($('share-label') as HTMLInputElement).value,
    boards: checked('share-boards'),
  };
}

async function share(host: SharePanelHost): Promise<void> {
  $('share-out').hidden = true;
  say('share-error', '', '');
  const k = host.key();
  try {
    const r = shareRequest(readForm());
    const id = newTicketId(k ? k.keyId : 0);
    const guest = await webTicket(k!, r, Math.floor(Date.now() / 1000), id);
    const t = ticketParse(guest.ticket!);
    if (typeof t === 'number') throw new Error('the ticket came out malformed');
    const link = location.origin + location.pathname + travelFragment(guest);
    const l = guest.list ? listParse(guest.list) : undefined;
    $('share-what').textContent = 'Ticket ' + id + (guest.label ? ' \u201c' + guest.label + '\u201d' : '') + ': ' + roleName(t.role) + ' (' + permNames(t.perms) + '), valid '
      + fmtDate(t.notBefore) + ' .. ' + fmtDate(t.notAfter) + ', ' + guest.boards.map((b) => 'slot ' + boardSlot(b.boardId)).join(', ')
      + (l && typeof l !== 'number' ? ', carrying revocation list version ' + l.version : '') + '.';
    ($('share-link') as HTMLTextAreaElement).value = link;
    const svg = await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M' });
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    $('share-qr').replaceChildren(document.importNode(doc.documentElement, true));
    $('share-out').hidden = false;
    $('share-out').dataset.ticket = String(id);
    // Remembered (no secret) so the owner can revoke it from the list below.
    const shared = rememberShared(k!.shared, { id, label: guest.label, role: t.role, notAfter: t.notAfter }, Math.floor(Date.now() / 1000));
    try {
      await saveKey({ ...k!, shared });
      k!.shared = shared;
    } catch (e) {
      say('share-error', 'The ticket is made, but this device could not remember it (' + (e as Error).message + '): note its id ' + id + ' to revoke it.', 'bad');
    }
    renderSharePanels(k);
  } catch (e) {
    say('share-error', 'Nothing made: ' + (e as Error).message, 'bad');
  }
}

async function revoke(host: SharePanelHost): Promise<void> {
  say('revoke-out', '', '');
  const k = host.key();
  try {
    const id = parseKeyId(($('revoke-id') as HTMLInputElement).value);
    if (!k) throw new Error('no key on this device');
    const r = await webRevokeList(k, id, Math.floor(Date.now() / 1000));
    if (!r.list) { say('revoke-out', id + ' is already in your revocation list (version ' + r.version + '): nothing changed.', 'muted'); return; }
    await saveKey({ ...k, list: r.list });
    k.list = r.list;
    ($('revoke-id') as HTMLInputElement).value = '';
    const said = 'revocation list version ' + r.version + ' revokes ' + r.count + ' id(s), ' + id + ' added';
    say('revoke-out', said + '. It reaches each car with the next v2 key that visits it: this key hands it over at its next command there (Status will do), and every ticket you make from now carries it.', 'good');
    renderSharePanels(k);
    host.listChanged(said);
  } catch (e) {
    say('revoke-out', 'Nothing revoked: ' + (e as Error).message, 'bad');
  }
}

/** Wires the panels' buttons once. */
export function initSharePanels(host: SharePanelHost): void {
  const role = $('share-role') as HTMLSelectElement;
  // A driver gets unlock, lock and drive by default, a guest unlock and lock (as the CLI's share).
  role.onchange = () => { for (const i of $('share-perms').querySelectorAll<HTMLInputElement>('input')) i.checked = i.value !== 'drive' || role.value === 'driver'; };
  $('share-btn').onclick = () => share(host);
  $('revoke-btn').onclick = () => revoke(host);
  $('share-copy').onclick = () => { navigator.clipboard.writeText(($('share-link') as HTMLTextAreaElement).value).catch(() => ($('share-link') as HTMLTextAreaElement).select()); };
}
