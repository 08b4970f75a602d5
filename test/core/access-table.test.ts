/**
 * Who may do what, as a table (in the manner of Tesla vehicle-command's window_test.go): every row
 * names the rule it exercises and says why it passes or fails. Every rule lives in
 * firmware/access.ts: the key decision (checkAccess), what each phone-key operation needs
 * (opPermission), the owner-only rules (mayManage: only an active owner, or someone at the board,
 * changes keys, time and settings; leavesNoOwner: the last active owner can be neither revoked,
 * removed, disabled nor demoted), the enrolment defaults and the button policy. The key store
 * (firmware/keystore.ts) applies the owner-only rules; the management rows run through it.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import { CARD_WINDOW_ROLE, ENROL_PERMS, buttonWindowRole, checkAccess, isActiveOwner, leavesNoOwner, mayManage, opPermission } from '../../firmware/access';
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

interface OpRow { why: string; op: number; want: number }

const opRows: OpRow[] = [
  { why: 'UNLOCK needs the unlock permission', op: C.OP_UNLOCK, want: C.PERM_UNLOCK },
  { why: 'LOCK needs the lock permission', op: C.OP_LOCK, want: C.PERM_LOCK },
  { why: 'DRIVE needs the drive permission', op: C.OP_DRIVE, want: C.PERM_DRIVE },
  { why: 'STATUS needs only a valid key (permission 0)', op: C.OP_STATUS, want: 0 },
  { why: 'ADD_KEY is management: owners only', op: C.OP_ADD_KEY, want: C.PERM_MANAGE },
  { why: 'REVOKE is management: owners only', op: C.OP_REVOKE, want: C.PERM_MANAGE },
  { why: 'REMOVE is management: owners only', op: C.OP_REMOVE, want: C.PERM_MANAGE },
  { why: 'LIST_KEYS reveals the key table: owners only', op: C.OP_LIST_KEYS, want: C.PERM_MANAGE },
  { why: 'READ_LOG reveals who came and went: owners only', op: C.OP_READ_LOG, want: C.PERM_MANAGE },
  { why: 'SET_TIME moves every time-bounded key: owners only', op: C.OP_SET_TIME, want: C.PERM_MANAGE },
  { why: 'SET_CONFIG changes the settings: owners only', op: C.OP_SET_CONFIG, want: C.PERM_MANAGE },
  { why: 'ENROL_CARD adds a key: owners only', op: C.OP_ENROL_CARD, want: C.PERM_MANAGE },
  { why: 'an unknown operation asks for the most (the manage permission), never for less', op: 99, want: C.PERM_MANAGE },
];

describe('who may do what: the permission each phone-key operation needs, row by row', () => {
  for (const r of opRows) {
    it(r.why, () => {
      assert.equal(opPermission(r.op), r.want);
      // The same decision end to end: a guest with unlock, lock and drive passes exactly the ops needing no more.
      const g = guest({ perms: C.PERM_UNLOCK | C.PERM_LOCK | C.PERM_DRIVE });
      assert.equal(checkAccess(g, opPermission(r.op), NOON_FRIDAY, 0, false), r.want === C.PERM_MANAGE ? C.R_NOT_PERMITTED : C.R_OK);
    });
  }
});

interface OwnerRow { why: string; actor: KeyRecord | undefined; manage: boolean }

const ownerRows: OwnerRow[] = [
  { why: 'an active owner manages', actor: key(1), manage: true },
  { why: 'no actor: someone at the board or the USB tool (the caller checked that) manages', actor: undefined, manage: true },
  { why: 'a driver does not manage, even with the manage bit', actor: key(3, C.ROLE_DRIVER, { perms: C.PERM_MANAGE }), manage: false },
  { why: 'a guest does not manage', actor: guest(), manage: false },
  { why: 'a disabled owner does not manage', actor: key(1, C.ROLE_OWNER, { flags: FLAG_DISABLED }), manage: false },
  { why: 'a revoked owner does not manage', actor: key(1, C.ROLE_OWNER, { flags: FLAG_REVOKED }), manage: false },
  { why: 'an owner enrolled through the window but not yet used manages: its proof shows it has the secret', actor: key(1, C.ROLE_OWNER, { flags: C.FLAG_UNCONFIRMED }), manage: true },
];

describe('who may do what: who may change keys, the time and the settings, row by row', () => {
  for (const r of ownerRows) {
    it(r.why, () => {
      assert.equal(mayManage(r.actor), r.manage);
      if (r.actor) assert.equal(isActiveOwner(r.actor), r.manage);
    });
  }
});

interface LastOwnerRow { why: string; was: boolean; stays: boolean; owners: number; refused: boolean }

const counted = (n: number) => { let asked = 0; return { count: () => (asked++, n), asked: () => asked }; };

const lastOwnerRows: LastOwnerRow[] = [
  { why: 'the only active owner stops being one: refused', was: true, stays: false, owners: 1, refused: true },
  { why: 'one of two active owners stops being one: allowed', was: true, stays: false, owners: 2, refused: false },
  { why: 'the only owner stays an owner (e.g. a new label): allowed', was: true, stays: true, owners: 1, refused: false },
  { why: 'a key that was no active owner: the count does not matter', was: false, stays: false, owners: 0, refused: false },
  { why: 'a key becomes an owner: allowed', was: false, stays: true, owners: 0, refused: false },
];

describe('who may do what: the last-owner rule, row by row', () => {
  for (const r of lastOwnerRows) {
    it(r.why, () => {
      const c = counted(r.owners);
      assert.equal(leavesNoOwner(r.was, r.stays, c.count, undefined), r.refused);
      // Counting reads the whole key table: only when the key stops being an active owner.
      assert.equal(c.asked(), r.was && !r.stays ? 1 : 0);
    });
  }
});

interface ButtonRow { why: string; owners: number; buttonEnrol: boolean; want: number }

const buttonRows: ButtonRow[] = [
  { why: 'a board without an owner: the hold makes the first owner', owners: 0, buttonEnrol: false, want: C.ROLE_OWNER },
  { why: 'no owner, button enrolment allowed: still the first owner', owners: 0, buttonEnrol: true, want: C.ROLE_OWNER },
  { why: 'an owner exists and did not allow button enrolment: refused', owners: 1, buttonEnrol: false, want: -1 },
  { why: 'an owner exists and allowed button enrolment: a driver, never another owner', owners: 1, buttonEnrol: true, want: C.ROLE_DRIVER },
  { why: 'several owners, allowed: a driver', owners: 3, buttonEnrol: true, want: C.ROLE_DRIVER },
];

describe('who may do what: the button policy and the enrolment defaults, row by row', () => {
  for (const r of buttonRows) {
    it(r.why, () => assert.equal(buttonWindowRole(r.owners, r.buttonEnrol), r.want));
  }
  it('an owner card with the button held opens a window for a driver, not an owner: a card is cloneable from a distance, a phone owner is made only at an ownerless board', () => {
    assert.equal(CARD_WINDOW_ROLE, C.ROLE_DRIVER);
  });
  it('a key enrolled through the window may unlock, lock and drive, and manages only if the window made it an owner', () => {
    assert.equal(ENROL_PERMS, C.PERM_UNLOCK | C.PERM_LOCK | C.PERM_DRIVE);
    assert.equal(checkAccess(key(9, C.ROLE_DRIVER, { perms: ENROL_PERMS }), C.PERM_MANAGE, NOON_FRIDAY, 0, false), C.R_NOT_PERMITTED);
    assert.equal(checkAccess(key(9, C.ROLE_OWNER, { perms: ENROL_PERMS }), C.PERM_MANAGE, NOON_FRIDAY, 0, false), C.R_OK);
  });
});
