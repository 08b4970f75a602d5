/** Key records for tests. */
import { KIND_PHONE, PERM_LOCK, PERM_UNLOCK, ROLE_OWNER } from '../../firmware/codes';
import type { KeyRecord } from '../../firmware/keystore';

export function key(id: number, role = ROLE_OWNER, extra: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id, kind: KIND_PHONE, flags: 0, role, perms: PERM_UNLOCK | PERM_LOCK, weekdays: 0, notBefore: 0, notAfter: 0,
    winStart: 0, winEnd: 0, salt: id ^ 0x5a5a, label: 'k' + id, ...extra,
  };
}
