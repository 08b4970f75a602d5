/**
 * The one log decoder (tools/host/names.ts) that the web page, the REPL, the scenarios and `phonekey log`
 * print with: every code in firmware/codes.ts has a name made from its constant, entries read as
 * words, and a tap's or command's outcome is read from the entries written meanwhile.
 */
import { strict as assert } from 'node:assert';
import * as C from '../../firmware/codes';
import type { LogEntry } from '../../firmware/auditlog';
import { describeEntry, describeEntryAt, eventName, outcomeOf, reasonName } from '../../tools/host/names';

const entry = (event: number, result: number, reason: number, keyId = 0, seq = 1): LogEntry => ({ seq, time: 100, trusted: false, event, result, reason, keyId });

describe('log decoder (tools/host/names.ts)', () => {
  it('names every event and reason code from its constant, never a raw number', () => {
    for (const [k, v] of Object.entries(C)) {
      if (typeof v !== 'number') continue;
      if (/^(EV|LOG)_/.test(k)) assert.doesNotMatch(eventName(v), /^event \d/, k);
      if (/^R_/.test(k)) assert.doesNotMatch(reasonName(v), /^reason \d/, k);
    }
    assert.equal(eventName(C.EV_RELOCK_TIMER), 'relock timer');
    assert.equal(reasonName(C.R_BAD_MAC), 'bad MAC');
    assert.equal(eventName(126), 'event 126', 'an unknown code still prints');
  });

  it('reads entries as words, with key names', () => {
    const names = (id: number) => (id === 7 ? 'owner' : '#' + id);
    assert.equal(describeEntry(entry(C.EV_UNLOCK, C.S_UNLOCKED, C.R_OK, 7), names), 'unlock \u2192 unlocked, key owner');
    assert.equal(describeEntry(entry(C.LOG_DENIED, C.PERM_UNLOCK, C.R_BAD_MAC, 9), names), 'denied (unlock): bad MAC, key #9');
    assert.equal(describeEntry(entry(C.LOG_GRANTED, C.PERM_MANAGE, C.R_OK, 7), names), 'granted (manage), key owner');
    assert.equal(describeEntry(entry(C.LOG_KEY_ADDED, C.ROLE_GUEST, C.R_OK, 9)), 'key added (guest), key #9');
    assert.equal(describeEntry(entry(C.LOG_CONFIG, 3, C.R_OK)), 'config');
    assert.equal(describeEntryAt(entry(C.EV_BOOT, C.S_LOCKED, C.R_OK)), '#1 +100 s since boot  boot \u2192 locked');
    assert.equal(describeEntryAt({ ...entry(C.EV_BOOT, C.S_LOCKED, C.R_OK), trusted: true, time: 1767603600 }), '#1 2026-01-05 09:00:00 UTC  boot \u2192 locked');
  });

  it('says what a tap or command came to from the entries written meanwhile', () => {
    assert.equal(outcomeOf([entry(C.LOG_DENIED, C.PERM_UNLOCK, C.R_BAD_MAC, 9)], 9), 'refused (bad MAC)');
    assert.equal(outcomeOf([entry(C.LOG_GRANTED, C.PERM_UNLOCK, C.R_OK, 9, 1), entry(C.EV_UNLOCK, C.S_UNLOCKED, C.R_OK, 9, 2)], 9), 'granted: unlock \u2192 unlocked');
    assert.equal(outcomeOf([entry(C.LOG_GRANTED, C.PERM_LOCK, C.R_OK, 9)], 9), 'granted (lock)');
    assert.equal(outcomeOf([entry(C.LOG_DENIED, C.PERM_UNLOCK, C.R_BAD_MAC, 8)], 9), undefined, 'another key\'s entry says nothing about this one');
  });
});
