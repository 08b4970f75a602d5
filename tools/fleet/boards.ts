/**
 * Boards and the keys each board knows, in the registry: adding a board (a new identity in a free
 * slot, its setup code sealed), recording keys and tickets per board, the owner key a collection
 * uses (its secret derived in memory, never stored), and revoking: the keys' state and the new
 * signed revocation list (tools/host/travel.ts makeList) written in ONE transaction.
 * Not here: the schema (registry.ts), the audit log (logstore.ts).
 */
import { randomBytes } from 'node:crypto';
import { keySecret } from '../../firmware/site';
import { MAX_SLOT } from '../../firmware/boardkeys';
import { LIST_MAX_BOARDS, LIST_MAX_IDS } from '../../firmware/revlist';
import { type TicketFields, type TravelKey, boardSecretsFor, makeList, makeTicket, newBoardId, phoneKeyParts, travelCrypto, travelFragment } from '../host/travel';
import { newSetupCode } from '../host/provision/sitefile';
import { type Kind, type Perm, KINDS, PERMS, ROLES } from '../host/provision/keys';
import type { PhoneKeyFile } from '../host/protocol';
import { CliError } from '../host/cli-error';
import { boardById } from '../../hal/boards/index';
import type { KeyRecord } from '../../firmware/keystore';
import type { Registry } from './registry';

export interface BoardRow {
  id: number;
  board_id: string;
  slot: number;
  type: string;
  label: string;
  secrets: 'board' | 'site';
  firmware_version: string | null;
  firmware_build: string | null;
  last_seen: number | null;
  added: number;
}

export interface KeyRow {
  board: number;
  key_id: number;
  kind: 'phone' | 'card' | 'uid-card' | 'ticket';
  role: 'owner' | 'driver' | 'guest';
  perms: string;
  not_before: number;
  not_after: number;
  label: string;
  salt: number;
  card_uid: string | null;
  ticket: string | null;
  issuer: number | null;
  state: 'active' | 'revoked';
  issued: number;
  revoked: number | null;
}

export interface ListRow { version: number; made_at: number; ids: string; bytes: Buffer }

const nowS = () => Math.floor(Date.now() / 1000);
const setupPlace = (boardId: string) => 'boards.setup_code:' + boardId;

export interface NewBoard {
  type: string;
  label: string;
  /** Default: per-board secrets (v2). 'site': a board provisioned from a v1 site file. */
  secrets?: 'board' | 'site';
  setupCode?: string;
  firmwareVersion?: string;
  firmwareBuild?: string;
  /** A given identity (16 hex digits); default a new one in the lowest free slot. */
  boardId?: string;
}

/** Adds a board; returns its row. */
export function addBoard(r: Registry, b: NewBoard): BoardRow {
  if (!/^[\x20-\x7e]{1,40}$/.test(b.label)) throw new CliError('a board label is 1 to 40 printable characters, got ' + JSON.stringify(b.label));
  const add = r.db.transaction(() => {
    if (r.db.prepare('SELECT 1 FROM boards WHERE label = ?').get(b.label)) throw new CliError('a board labelled ' + JSON.stringify(b.label) + ' exists');
    let id = b.boardId;
    if (!id) {
      const used = new Set((r.db.prepare('SELECT slot FROM boards').all() as { slot: number }[]).map((x) => x.slot));
      let slot = 1;
      while (used.has(slot)) slot++;
      if (slot > MAX_SLOT) throw new CliError('a site has at most ' + MAX_SLOT + ' boards with their own secrets (every slot is taken)');
      id = Buffer.from(newBoardId(slot)).toString('hex');
    }
    if (!/^[0-9a-f]{16}$/.test(id)) throw new CliError('a board identity is 16 hex digits, got ' + JSON.stringify(id));
    const code = b.setupCode ?? newSetupCode();
    r.db.prepare(`INSERT INTO boards (board_id, slot, type, label, secrets, setup_code, firmware_version, firmware_build, added)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, parseInt(id.slice(0, 2), 16), b.type, b.label, b.secrets || 'board',
      code ? r.sealer.seal(Buffer.from(code), setupPlace(id)) : null, b.firmwareVersion ?? null, b.firmwareBuild ?? null, nowS());
    return boardByName(r, b.label);
  });
  return add();
}

export function listBoards(r: Registry): Array<BoardRow & { keys: number; entries: number }> {
  return r.db.prepare(`SELECT b.id, b.board_id, b.slot, b.type, b.label, b.secrets, b.firmware_version, b.firmware_build, b.last_seen, b.added,
      (SELECT count(*) FROM keys k WHERE k.board = b.id AND k.state = 'active') AS keys,
      (SELECT count(*) FROM log l WHERE l.board = b.id) AS entries
    FROM boards b ORDER BY b.label`).all() as Array<BoardRow & { keys: number; entries: number }>;
}

const BOARD_COLS = 'id, board_id, slot, type, label, secrets, firmware_version, firmware_build, last_seen, added';

/** A board by its label or its identity (hex). */
export function boardByName(r: Registry, name: string): BoardRow {
  const row = r.db.prepare(`SELECT ${BOARD_COLS} FROM boards WHERE label = ? OR board_id = ?`).get(name, name.toLowerCase()) as BoardRow | undefined;
  if (!row) throw new CliError('no board ' + JSON.stringify(name) + ' in the registry (see: npm run fleet -- boards)');
  return row;
}

export function setupCodeOf(r: Registry, b: BoardRow): string {
  const row = r.db.prepare('SELECT setup_code FROM boards WHERE id = ?').get(b.id) as { setup_code: Buffer | null };
  return row.setup_code ? Buffer.from(r.sealer.open(row.setup_code, setupPlace(b.board_id))).toString() : '';
}

/** What the board's flash holds (provisioning writes these): its own secrets, or the site's for a v1 board. */
export function boardSecrets(r: Registry, b: BoardRow): { secret: Uint8Array; cardMaster: Uint8Array } {
  return b.secrets === 'site' ? r.site : boardSecretsFor(r.site.secret, Buffer.from(b.board_id, 'hex'));
}

/** A phone key's secret on board b (firmware/site.ts keySecret over the board's secret). */
export function phoneSecret(r: Registry, b: BoardRow, keyId: number, salt: number): Uint8Array {
  return keySecret(travelCrypto, { ...boardSecrets(r, b), setupCode: '', gen: undefined }, keyId, salt);
}

export interface NewKey {
  keyId?: number;
  salt?: number;
  kind?: KeyRow['kind'];
  role: KeyRow['role'];
  perms: string;
  notBefore?: number;
  notAfter?: number;
  label?: string;
  cardUid?: string;
  ticket?: string;
  issuer?: number;
}

const insertKeySql = `INSERT INTO keys (board, key_id, kind, role, perms, not_before, not_after, label, salt, card_uid, ticket, issuer, issued)
  VALUES (@board, @key_id, @kind, @role, @perms, @not_before, @not_after, @label, @salt, @card_uid, @ticket, @issuer, @issued)`;

/** Records a key on the given boards (one transaction); returns its id and salt. */
export function addKey(r: Registry, boards: BoardRow[], k: NewKey): { keyId: number; salt: number } {
  const keyId = k.keyId ?? (randomBytes(4).readUInt32BE(0) || 1);
  const salt = k.salt ?? randomBytes(4).readUInt32BE(0);
  const ins = r.db.prepare(insertKeySql);
  r.db.transaction(() => {
    for (const b of boards) {
      if (r.db.prepare('SELECT 1 FROM keys WHERE board = ? AND key_id = ?').get(b.id, keyId)) throw new CliError('board ' + b.label + ' already has key ' + keyId);
      ins.run({ board: b.id, key_id: keyId, kind: k.kind || 'phone', role: k.role, perms: k.perms, not_before: k.notBefore || 0, not_after: k.notAfter || 0,
        label: k.label || '', salt, card_uid: k.cardUid ?? null, ticket: k.ticket ?? null, issuer: k.issuer ?? null, issued: nowS() });
    }
  })();
  return { keyId, salt };
}

export function listKeys(r: Registry, b: BoardRow, state?: 'active' | 'revoked'): KeyRow[] {
  return (state
    ? r.db.prepare('SELECT * FROM keys WHERE board = ? AND state = ? ORDER BY issued, key_id').all(b.id, state)
    : r.db.prepare('SELECT * FROM keys WHERE board = ? ORDER BY issued, key_id').all(b.id)) as KeyRow[];
}

/** The active owner phone key of board b, as a key file held in memory only (collections use it). */
export function ownerKeyOf(r: Registry, b: BoardRow): PhoneKeyFile {
  const k = r.db.prepare(`SELECT key_id, salt, label FROM keys WHERE board = ? AND role = 'owner' AND kind = 'phone' AND state = 'active' ORDER BY issued LIMIT 1`).get(b.id) as { key_id: number; salt: number; label: string } | undefined;
  if (!k) throw new CliError('board ' + b.label + ' has no owner phone key in the registry (add one: npm run fleet -- key add --board ' + b.label + ' --role owner)');
  return { keyId: k.key_id, secret: phoneSecret(r, b, k.key_id, k.salt), label: k.label || 'owner' };
}

/**
 * Key `keyId`'s v2 key (tools/host/travelkey.ts TravelKey: its secret on each board with its own
 * secrets where it is active, derived in memory) carrying the newest revocation list: what a phone
 * client holds as a v2 key file or link. Tickets have theirs from shareTicket (the registry keeps no
 * guest secret).
 */
export function travelKeyOf(r: Registry, keyId: number, boards?: BoardRow[]): TravelKey {
  const rows = r.db.prepare(`SELECT b.${BOARD_COLS.split(', ').join(', b.')}, k.salt AS key_salt, k.label AS key_label, k.kind AS key_kind FROM keys k JOIN boards b ON b.id = k.board
    WHERE k.key_id = ? AND k.state = 'active' AND b.secrets = 'board' ORDER BY b.slot`).all(keyId) as Array<BoardRow & { key_salt: number; key_label: string; key_kind: string }>;
  const want = boards ? new Set(boards.map((b) => b.id)) : undefined;
  const on = rows.filter((b) => !want || want.has(b.id));
  if (!on.length) throw new CliError('key ' + keyId + ' is active on no board with its own secrets' + (boards ? ' among ' + boards.map((b) => b.label).join(', ') : '') + ' (v2 keys need them)');
  if (on[0].key_kind === 'ticket') throw new CliError('key ' + keyId + ' is a ticket: its guest secrets went out with its link and are kept nowhere');
  if (on[0].key_kind !== 'phone') throw new CliError('key ' + keyId + ' is a card, not a phone key');
  const k: TravelKey = { keyId, boards: phoneKeyParts(r.site.secret, on.map((b) => new Uint8Array(Buffer.from(b.board_id, 'hex'))), keyId, on[0].key_salt) };
  if (on[0].key_label) k.label = on[0].key_label;
  const list = newestList(r);
  if (list) k.list = new Uint8Array(list.bytes);
  return k;
}

/** The site owner's v2 key over every per-board-secret board it is an owner on (tickets, lists). */
export function ownerTravelKey(r: Registry, boards?: BoardRow[]): TravelKey {
  const all = (boards || (r.db.prepare(`SELECT ${BOARD_COLS} FROM boards WHERE secrets = 'board' ORDER BY slot`).all() as BoardRow[])).filter((b) => b.secrets === 'board');
  if (!all.length) throw new CliError('no board with its own secrets in the registry: tickets and revocation lists need them (npm run fleet -- board add)');
  // The owner key is the one each board knows: the oldest active owner phone key of the first board.
  const row = r.db.prepare(`SELECT key_id FROM keys WHERE role = 'owner' AND kind = 'phone' AND state = 'active' AND board = ? ORDER BY issued LIMIT 1`).get(all[0].id) as { key_id: number } | undefined;
  if (!row) throw new CliError('board ' + all[0].label + ' has no owner phone key');
  return { ...travelKeyOf(r, row.key_id, all), label: 'owner' };
}

// The words for roles, permissions and kinds are provisioning's (tools/host/provision/keys.ts), the numbers the firmware's.
export const permsBits = (p: string) => p.split(',').reduce((m, x) => m | (PERMS[x as Perm] || 0), 0);

export interface ShareRequest { boards: BoardRow[]; role: 'driver' | 'guest'; perms: string; notBefore: number; notAfter: number; label: string }

/**
 * Shares a key while the cars are offline: a ticket made by the owner's key for the given boards
 * (tools/host/travel.ts makeTicket) and recorded per board. Returns the guest's v2 link fragment
 * (holds the guest's secrets: hand it over privately; the registry keeps no copy of them).
 */
export function shareTicket(r: Registry, s: ShareRequest): { ticketId: number; fragment: string; key: TravelKey } {
  // A ticket opens only a board whose firmware speaks protocol v2 (hal/boards `travel`): say so now, not at the car.
  const v1 = s.boards.filter((b) => { const c = boardById(b.type); return !c || !c.travel || b.secrets !== 'board'; });
  if (v1.length) throw new CliError('a ticket needs boards that speak protocol v2 with their own secrets (xiaoble); not: ' + v1.map((b) => b.label + ' (' + b.type + (b.secrets === 'site' ? ', site secret' : '') + ')').join(', '));
  const owner = ownerTravelKey(r, s.boards);
  const ticketId = randomBytes(4).readUInt32BE(0) || 1;
  const fields: TicketFields = {
    id: ticketId, role: ROLES[s.role], perms: permsBits(s.perms), weekdays: 0, notBefore: s.notBefore, notAfter: s.notAfter,
    winStart: 0, winEnd: 0, madeAt: nowS(), label: s.label.slice(0, 6),
  };
  const key = makeTicket(owner, fields, s.boards.map((b) => Buffer.from(b.board_id, 'hex')));
  addKey(r, s.boards, { keyId: ticketId, kind: 'ticket', role: s.role, perms: s.perms, notBefore: s.notBefore, notAfter: s.notAfter, label: s.label, ticket: Buffer.from(key.ticket!).toString('hex'), issuer: owner.keyId });
  return { ticketId, fragment: travelFragment(key), key };
}

export function newestList(r: Registry): ListRow | undefined {
  return r.db.prepare('SELECT * FROM lists ORDER BY version DESC LIMIT 1').get() as ListRow | undefined;
}

/** Test hook: called inside the revocation transaction between its writes (a kill test stops there). */
export const revokeHooks: { midway?: () => void } = {};

/**
 * Revokes key or ticket `keyId` on every board that has it, and signs the next revocation list
 * (every id still revoked and not expired, newest version + 1) — all in one transaction.
 * The list is made only when there are boards with their own secrets (v2); v1 boards take a
 * REVOKE from the owner's phone (collect.ts / cli.ts).
 */
export function revoke(r: Registry, keyId: number, at = nowS()): { boards: number; list?: ListRow } {
  const run = r.db.transaction(() => {
    const n = r.db.prepare(`UPDATE keys SET state = 'revoked', revoked = ? WHERE key_id = ? AND state = 'active'`).run(at, keyId).changes;
    if (!n) {
      const any = r.db.prepare('SELECT 1 FROM keys WHERE key_id = ?').get(keyId);
      throw new CliError(any ? 'key ' + keyId + ' is already revoked' : 'no key ' + keyId + ' in the registry');
    }
    if (revokeHooks.midway) revokeHooks.midway();
    let list: ListRow | undefined;
    const v2 = r.db.prepare(`SELECT ${BOARD_COLS} FROM boards WHERE secrets = 'board' ORDER BY slot LIMIT ${LIST_MAX_BOARDS}`).all() as BoardRow[];
    if (v2.length) {
      const ids = (r.db.prepare(`SELECT DISTINCT key_id FROM keys WHERE state = 'revoked' AND (not_after = 0 OR not_after > ?) ORDER BY revoked DESC`).all(at) as { key_id: number }[]).map((x) => x.key_id);
      const owner = ownerTravelKey(r, v2);
      const version = (newestList(r)?.version || 0) + 1;
      const keep = ids.filter((i) => i !== owner.keyId).slice(0, LIST_MAX_IDS);
      const bytes = Buffer.from(makeList(owner, version, at, keep));
      r.db.prepare('INSERT INTO lists (version, made_at, ids, bytes) VALUES (?, ?, ?, ?)').run(version, at, JSON.stringify(keep), bytes);
      list = newestList(r);
    }
    return { boards: n, list };
  });
  return run();
}


/**
 * The key records provisioning writes into board b's flash (firmware/keystore.ts format): its
 * active phone and card keys (tickets are not records: a board records a ticket on first use).
 */
export function boardRecords(r: Registry, b: BoardRow): KeyRecord[] {
  return listKeys(r, b, 'active').filter((k) => k.kind !== 'ticket').map((k) => ({
    id: k.key_id >>> 0, kind: KINDS[k.kind as Kind], flags: 0, role: ROLES[k.role], perms: permsBits(k.perms), weekdays: 0,
    notBefore: k.not_before >>> 0, notAfter: k.not_after >>> 0, winStart: 0, winEnd: 0, salt: k.salt >>> 0, label: k.label.slice(0, 6),
  }));
}
