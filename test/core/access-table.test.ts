/**
 * Who may do what, as a table (in the manner of Tesla vehicle-command's window_test.go): every row
 * names the rule it exercises and says why it passes or fails. The key decision is
 * firmware/access.ts checkAccess; the owner-only management rules are firmware/keystore.ts's
 * (only an active owner, or someone at the board, changes keys; the last active owner can be
 * neither revoked, removed, disabled nor demoted).
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { checkAccess } from '../../firmware/access';
import { FLAG_DISABLED, FLAG_REVOKED, type KeyRecord, ksAdd, ksOpen, ksRetire, ksUpdate } from '../../firmware/keystore';
import { fakeFlash, nodeCrypto } from '../support/fake-ports';
import { key } from '../support/keys';

// 2026-12-04 (a Friday) 12:00 UTC; weekday bits: 0 = Monday, so Friday is bit 4.
const NOON_FRIDAY = Date.UTC(2026, 11, 4, 12, 0, 0) / 1000;
const FRIDAY = 1 << 4, MONDAY = 1;

interface AccessRow {
  why: string;
  rec: KeyRecord | undefined;
  perm: number;
  now?: number;
  tz?: number;
  insecureUid?: boolean;
  want: number;
}

const guest = (extra: Partial<KeyRecord> = {}) => key(2, C.ROLE_GUEST, extra);

const accessRows: AccessRow[] = [
  { why: 'no record: an id the board does not hold opens nothing', rec: undefined, perm: C.PERM_UNLOCK, want: C.R_UNKNOWN_KEY },
  { why: 'an owner may unlock', rec: key(1), perm: C.PERM_UNLOCK, want: C.R_OK },
  { why: 'an owner holds every permission, drive included, whatever its perms byte says', rec: key(1, C.ROLE_OWNER, { perms: 0 }), perm: C.PERM_DRIVE, want: C.R_OK },
  { why: 'an owner may manage', rec: key(1), perm: C.PERM_MANAGE, want: C.R_OK },
  { why: 'a guest may do what its perms byte grants', rec: guest(), perm: C.PERM_LOCK, want: C.R_OK },
  { why: 'a guest may not drive without the drive permission', rec: guest(), perm: C.PERM_DRIVE, want: C.R_NOT_PERMITTED },
  { why: 'a driver with the manage bit set still may not manage: only owners do', rec: key(3, C.ROLE_DRIVER, { perms: C.PERM_UNLOCK | C.PERM_MANAGE }), perm: C.PERM_MANAGE, want: C.R_NOT_PERMITTED },
  { why: 'permission 0 (status) needs only a valid key', rec: guest({ perms: 0 }), perm: 0, want: C.R_OK },
  { why: 'a revoked key is refused before anything else', rec: key(1, C.ROLE_OWNER, { flags: FLAG_REVOKED | FLAG_DISABLED }), perm: C.PERM_UNLOCK, want: C.R_REVOKED },
  { why: 'a disabled key is refused', rec: guest({ flags: FLAG_DISABLED }), perm: C.PERM_UNLOCK, want: C.R_DISABLED },
  { why: 'a UID-only card is refused unless the owner allowed insecure cards', rec: guest({ kind: C.KIND_UID_CARD }), perm: C.PERM_UNLOCK, want: C.R_INSECURE_CARD },
  { why: 'a UID-only card opens once insecure cards are allowed', rec: guest({ kind: C.KIND_UID_CARD }), perm: C.PERM_UNLOCK, insecureUid: true, want: C.R_OK },
  { why: 'a key with no time bounds needs no clock', rec: guest(), perm: C.PERM_UNLOCK, now: -1, want: C.R_OK },
  { why: 'a time-bounded key fails closed while the board does not know the time', rec: guest({ notAfter: NOON_FRIDAY + 60 }), perm: C.PERM_UNLOCK, now: -1, want: C.R_TIME_UNKNOWN },
  { why: 'before notBefore', rec: guest({ notBefore: NOON_FRIDAY + 1 }), perm: C.PERM_UNLOCK, want: C.R_NOT_YET_VALID },
  { why: 'at notBefore it is valid', rec: guest({ notBefore: NOON_FRIDAY }), perm: C.PERM_UNLOCK, want: C.R_OK },
  { why: 'after notAfter', rec: guest({ notAfter: NOON_FRIDAY - 1 }), perm: C.PERM_UNLOCK, want: C.R_EXPIRED },
  { why: 'a Monday-only key on a Friday', rec: guest({ weekdays: MONDAY }), perm: C.PERM_UNLOCK, want: C.R_OUTSIDE_WINDOW },
  { why: 'a Friday key on a Friday', rec: guest({ weekdays: FRIDAY }), perm: C.PERM_UNLOCK, want: C.R_OK },
  { why: 'a 08:00-11:00 key at noon', rec: guest({ winStart: 480, winEnd: 660 }), perm: C.PERM_UNLOCK, want: C.R_OUTSIDE_WINDOW },
  { why: 'a 11:00-13:00 key at noon', rec: guest({ winStart: 660, winEnd: 780 }), perm: C.PERM_UNLOCK, want: C.R_OK },
  { why: 'an overnight 22:00-06:00 key at noon', rec: guest({ winStart: 1320, winEnd: 360 }), perm: C.PERM_UNLOCK, want: C.R_OUTSIDE_WINDOW },
  { why: 'the same overnight key at 23:00 local (UTC+11 makes noon UTC 23:00)', rec: guest({ winStart: 1320, winEnd: 360 }), perm: C.PERM_UNLOCK, tz: 660, want: C.R_OK },
  { why: 'time-bounded and also lacking the permission: the permission is said first', rec: guest({ notAfter: NOON_FRIDAY - 1 }), perm: C.PERM_DRIVE, want: C.R_NOT_PERMITTED },
];

describe('who may do what: the key decision, row by row', () => {
  for (const r of accessRows) {
    it(r.why, () => {
      assert.equal(checkAccess(r.rec, r.perm, r.now ?? NOON_FRIDAY, r.tz ?? 0, !!r.insecureUid), r.want);
    });
  }
});

interface ManageRow {
  why: string;
  /** Keys in the store before the operation (1 and 5 are owners unless a row says otherwise). */
  keys: KeyRecord[];
  /** The key acting: undefined = someone at the board or the USB tool (checked by the caller). */
  actor: KeyRecord | undefined;
  op: (ks: ReturnType<typeof ksOpen>, actor: KeyRecord | undefined) => number;
  want: number;
}

const owner1 = key(1), owner5 = key(5);
const manageRows: ManageRow[] = [
  { why: 'an owner adds a key', keys: [owner1], actor: owner1, op: (ks, a) => ksAdd(ks, a, guest()), want: C.R_OK },
  { why: 'presence at the board (no actor) adds a key', keys: [owner1], actor: undefined, op: (ks, a) => ksAdd(ks, a, guest()), want: C.R_OK },
  { why: 'a guest may not add keys', keys: [owner1, guest()], actor: guest(), op: (ks, a) => ksAdd(ks, a, key(9, C.ROLE_GUEST)), want: C.R_NOT_PERMITTED },
  { why: 'a driver may not add keys, even with the manage bit', keys: [owner1], actor: key(3, C.ROLE_DRIVER, { perms: C.PERM_MANAGE }), op: (ks, a) => ksAdd(ks, a, guest()), want: C.R_NOT_PERMITTED },
  { why: 'a disabled owner may not manage', keys: [owner1, key(5, C.ROLE_OWNER, { flags: FLAG_DISABLED })], actor: key(5, C.ROLE_OWNER, { flags: FLAG_DISABLED }), op: (ks, a) => ksAdd(ks, a, guest()), want: C.R_NOT_PERMITTED },
  { why: 'a revoked owner may not manage', keys: [owner1], actor: key(5, C.ROLE_OWNER, { flags: FLAG_REVOKED }), op: (ks, a) => ksRetire(ks, a, 1, false), want: C.R_NOT_PERMITTED },
  { why: 'a guest may not revoke anyone', keys: [owner1, guest()], actor: guest(), op: (ks, a) => ksRetire(ks, a, 2, false), want: C.R_NOT_PERMITTED },
  { why: 'the last active owner cannot be revoked', keys: [owner1], actor: owner1, op: (ks, a) => ksRetire(ks, a, 1, false), want: C.R_LAST_OWNER },
  { why: 'the last active owner cannot be removed', keys: [owner1], actor: undefined, op: (ks, a) => ksRetire(ks, a, 1, true), want: C.R_LAST_OWNER },
  { why: 'the last active owner cannot be disabled', keys: [owner1], actor: owner1, op: (ks, a) => ksUpdate(ks, a, key(1, C.ROLE_OWNER, { flags: FLAG_DISABLED })), want: C.R_LAST_OWNER },
  { why: 'the last active owner cannot be demoted', keys: [owner1], actor: owner1, op: (ks, a) => ksUpdate(ks, a, key(1, C.ROLE_DRIVER)), want: C.R_LAST_OWNER },
  { why: 'with a second active owner, one owner may be revoked', keys: [owner1, owner5], actor: owner5, op: (ks, a) => ksRetire(ks, a, 1, false), want: C.R_OK },
  { why: 'with a second active owner, one owner may be demoted', keys: [owner1, owner5], actor: owner5, op: (ks, a) => ksUpdate(ks, a, key(1, C.ROLE_DRIVER)), want: C.R_OK },
  { why: 'a disabled second owner does not count: the last active one stays', keys: [owner1, key(5, C.ROLE_OWNER, { flags: FLAG_DISABLED })], actor: owner1, op: (ks, a) => ksRetire(ks, a, 1, false), want: C.R_LAST_OWNER },
];

describe('who may do what: owner-only key management, row by row', () => {
  for (const r of manageRows) {
    it(r.why, () => {
      const ks = ksOpen(fakeFlash(), nodeCrypto(), 20);
      for (const k of r.keys) assert.equal(ksAdd(ks, undefined, k), C.R_OK, 'setup: key ' + k.id);
      assert.equal(r.op(ks, r.actor), r.want);
    });
  }
});
