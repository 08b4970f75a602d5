/**
 * Fail-safe boot order, checked with sinon spies: the relay and drive outputs are driven off
 * before the firmware reads anything from flash (a corrupt file cannot delay it), and an
 * exception anywhere in an entry point is reported and leaves them off.
 */
import { strict as assert } from 'node:assert';
import sinon from 'sinon';
import * as C from '../../firmware/codes';
import { startCore as startFirmware } from '../../firmware/app';
import { manageKey, request } from '../../firmware/core';
import { fakeBoard } from '../support/fake-ports';
import { key } from '../support/keys';

describe('boot order and error reporting (sinon)', () => {
  afterEach(() => sinon.restore());

  it('drives relay and drive off before the first flash read', () => {
    const b = fakeBoard();
    const relayOff = sinon.spy(b.ports.relay, 'set');
    const driveOff = sinon.spy(b.ports.drive!, 'set');
    const read = sinon.spy(b.ports.storage, 'read');
    startFirmware(b.ports, { id: 'test', keyCapacity: 10, logSegments: 3, logPerSegment: 32 });
    assert.ok(read.called, 'the firmware did read flash');
    assert.ok(relayOff.firstCall.calledWithExactly(false));
    assert.ok(driveOff.firstCall.calledWithExactly(false));
    assert.ok(relayOff.firstCall.calledBefore(read.firstCall), 'relay off before the first read');
    assert.ok(driveOff.firstCall.calledBefore(read.firstCall), 'drive off before the first read');
    assert.ok(relayOff.neverCalledWith(true), 'never on during boot');
  });

  it('an exception in a key check is reported on the console and the relay stays off', () => {
    const b = fakeBoard();
    const core = startFirmware(b.ports, { id: 'test', keyCapacity: 10, logSegments: 3, logPerSegment: 32 });
    manageKey(core, undefined, 'add', key(1));
    const log = sinon.spy(b.ports.console, 'log');
    const relay = sinon.spy(b.ports.relay, 'set');
    const verify = sinon.stub().throws(new Error('corrupt secret'));
    assert.equal(request(core, 1, C.PERM_UNLOCK, verify), C.R_ERROR);
    sinon.assert.calledOnce(verify);
    sinon.assert.calledWithMatch(log, sinon.match(/fault: .*corrupt secret/));
    assert.ok(relay.neverCalledWith(true));
    assert.equal(core.state, C.S_FAULT);
  });
});
