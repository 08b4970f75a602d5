/**
 * The fleet registry: one site's boards, the keys and tickets each board knows, the revocation
 * lists the owner made and the audit entries collected from the boards, in one SQLite file
 * (better-sqlite3, WAL journal, foreign keys on). Every change is one transaction: a process
 * killed in the middle leaves the file as it was before or after, never between.
 *
 * Secret at rest (sealed by seal.ts under the passphrase, never in a plain column): the site
 * secret and card master key (everything else is derived from them: per-board secrets, phone key
 * secrets) and each board's setup code (its Bluetooth pairing passkey, which gates enrolment).
 * Not secret and kept plain: board identities, key ids and salts (a key's secret needs the site
 * secret too), roles, validity, ticket bodies and revocation lists (MACed, carried in the clear
 * by design: docs/KEYS-THAT-TRAVEL.md), audit entries.
 *
 * Schema changes are numbered migrations (PRAGMA user_version); opening applies the missing ones
 * in one transaction. Not here: reading boards (collect.ts), the command line (cli.ts).
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { DEFAULT_KDF, type KdfParams, checkKdf } from '../host/provision/sitefile';
import { CliError } from '../host/cli-error';
import { checkWritableDir } from '../host/cli-files';
import { type Sealer, sealerFor } from './seal';

export type Db = Database.Database;

/** Each entry moves the schema from version i to i + 1. */
const MIGRATIONS: string[] = [
  `CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
   CREATE TABLE boards (
     id INTEGER PRIMARY KEY,
     board_id TEXT NOT NULL UNIQUE,          -- the board's identity, 16 hex digits (slot byte first)
     slot INTEGER NOT NULL,
     type TEXT NOT NULL,                     -- hal/boards id: puckjs, mdbt42q, xiaoble ...
     label TEXT NOT NULL UNIQUE,
     secrets TEXT NOT NULL CHECK (secrets IN ('board', 'site')), -- what its flash holds: per-board secrets (v2) or the site secret (v1 site files)
     setup_code BLOB,                        -- sealed
     firmware_version TEXT,
     firmware_build TEXT,
     last_seen INTEGER,                      -- unix seconds of the last collection
     added INTEGER NOT NULL
   );
   CREATE TABLE keys (
     board INTEGER NOT NULL REFERENCES boards(id),
     key_id INTEGER NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('phone', 'card', 'uid-card', 'ticket')),
     role TEXT NOT NULL CHECK (role IN ('owner', 'driver', 'guest')),
     perms TEXT NOT NULL,                    -- comma-separated: unlock,lock,drive
     not_before INTEGER NOT NULL DEFAULT 0,  -- unix seconds, 0 = no bound
     not_after INTEGER NOT NULL DEFAULT 0,
     label TEXT NOT NULL DEFAULT '',
     salt INTEGER NOT NULL DEFAULT 0,
     card_uid TEXT,
     ticket TEXT,                            -- a ticket's 38-byte body, hex (MACed, not secret)
     issuer INTEGER,                         -- a ticket's issuing owner key
     state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'revoked')),
     issued INTEGER NOT NULL,
     revoked INTEGER,
     PRIMARY KEY (board, key_id)
   );
   CREATE INDEX keys_by_id ON keys(key_id);
   CREATE TABLE lists (
     version INTEGER PRIMARY KEY,
     made_at INTEGER NOT NULL,
     ids TEXT NOT NULL,                      -- JSON array of revoked key and ticket ids
     bytes BLOB NOT NULL                     -- the signed list as boards take it
   );
   CREATE TABLE log (
     board INTEGER NOT NULL REFERENCES boards(id),
     seq INTEGER NOT NULL,
     time INTEGER NOT NULL,
     trusted INTEGER NOT NULL,
     event INTEGER NOT NULL,
     result INTEGER NOT NULL,
     reason INTEGER NOT NULL,
     key_id INTEGER NOT NULL,
     collected INTEGER NOT NULL,
     PRIMARY KEY (board, seq)
   ) WITHOUT ROWID;
   CREATE INDEX log_by_time ON log(board, time);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
const FORMAT = 'carkey-fleet';

export interface Registry {
  db: Db;
  file: string;
  /** The site's secrets, opened with the passphrase. */
  site: { secret: Uint8Array; cardMaster: Uint8Array };
  sealer: Sealer;
  close(): void;
}

function migrate(db: Db): void {
  const have = db.pragma('user_version', { simple: true }) as number;
  if (have > MIGRATIONS.length) throw new CliError('the registry has schema version ' + have + '; this tool knows up to ' + MIGRATIONS.length + ' (update the tool)');
  if (have === MIGRATIONS.length) return;
  db.transaction(() => {
    for (let v = have; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.pragma('user_version = ' + MIGRATIONS.length);
  })();
}

/** Opens the file; `ours`: it must already be a registry (checked before anything is changed in it). */
function connect(file: string, ours: boolean): Db {
  let db: Db;
  try { db = new Database(file, { fileMustExist: ours }); } catch (e) { throw new CliError('cannot open the registry ' + file + ': ' + (e as Error).message); }
  try {
    if (ours) {
      const fmt = meta(db, 'format');
      if (!fmt || fmt.toString() !== FORMAT) throw new Error('no format');
    }
    db.pragma('journal_mode = WAL');
  } catch (e) {
    db.close();
    throw new CliError(file + ' is not a fleet registry');
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

const meta = (db: Db, name: string): Buffer | undefined => (db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: Buffer } | undefined)?.value;

/**
 * A new registry at `file` (refused if it exists) for a site: its secrets sealed under the
 * passphrase. Written to a temporary file and renamed, so a failure leaves no half-made registry.
 */
export function createRegistry(file: string, passphrase: string, site: { secret: Uint8Array; cardMaster: Uint8Array }, kdf: KdfParams = DEFAULT_KDF): Registry {
  if (fs.existsSync(file)) throw new CliError('the registry ' + file + ' exists; choose another name');
  if (!passphrase || passphrase.length < 8) throw new CliError('the passphrase must have at least 8 characters');
  checkWritableDir(file, 'registry');
  const tmp = file + '.' + process.pid + '.new';
  const params = checkKdf(kdf);
  const salt = randomBytes(16);
  const sealer = sealerFor(passphrase, salt, params);
  try {
    const db = connect(tmp, false);
    migrate(db);
    const put = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)');
    db.transaction(() => {
      put.run('format', Buffer.from(FORMAT));
      put.run('kdf', Buffer.from(JSON.stringify(params)));
      put.run('salt', salt);
      put.run('check', sealer.seal(Buffer.from(FORMAT), 'meta.check'));
      put.run('site_secret', sealer.seal(site.secret, 'meta.site_secret'));
      put.run('card_master', sealer.seal(site.cardMaster, 'meta.card_master'));
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    fs.renameSync(tmp, file);
  } catch (e) {
    for (const f of [tmp, tmp + '-wal', tmp + '-shm']) { try { fs.unlinkSync(f); } catch { /* not made */ } }
    sealer.close();
    if (e instanceof CliError) throw e;
    throw new CliError('cannot create the registry ' + file + ': ' + (e as Error).message);
  }
  sealer.close();
  return openRegistry(file, passphrase);
}

/** Opens an existing registry; a wrong passphrase or a file that is not a registry is one clear error. */
export function openRegistry(file: string, passphrase: string): Registry {
  if (!fs.existsSync(file)) throw new CliError('no registry ' + file + ' (create one with: npm run fleet -- init --registry ' + file + ')');
  const db = connect(file, true);
  try {
    migrate(db);
    let kdf: KdfParams;
    try { kdf = checkKdf(JSON.parse(meta(db, 'kdf')!.toString())); } catch (e) { throw e instanceof CliError ? e : new CliError('the registry ' + file + ' is damaged (kdf)'); }
    const sealer = sealerFor(passphrase, meta(db, 'salt')!, kdf);
    try { sealer.open(meta(db, 'check')!, 'meta.check'); } catch { sealer.close(); throw new CliError('cannot open the registry ' + file + ': wrong passphrase, or the file was modified'); }
    const site = { secret: sealer.open(meta(db, 'site_secret')!, 'meta.site_secret'), cardMaster: sealer.open(meta(db, 'card_master')!, 'meta.card_master') };
    return {
      db, file, site, sealer,
      close() { site.secret.fill(0); site.cardMaster.fill(0); sealer.close(); if (db.open) db.close(); },
    };
  } catch (e) {
    db.close();
    throw e;
  }
}
