// The participant/hold callbacks as the official SDK reads them: each core event is formatted
// by the 'acs' formatter and parsed back with parseCallAutomationEvent of SDK 1.5.1 and 1.6.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { DomainEvent } from '../../../core/index.ts';
import { SUBCODE } from '../../../core/index.ts';
import { acsFormatter } from '../callback-events.ts';
import { callIdOfServerCallId } from '../identifiers.ts';
import { serverCallIdOf } from '../callback-events.ts';

const require = createRequire(import.meta.url);
const SDKS = ['acs-sdk-151', 'acs-sdk-160'] as const;

const ev = (type: string, data: Record<string, unknown>): DomainEvent => ({
  id: '0190a0a0-0000-7000-8000-000000000001', type, applicationId: 'app1', callId: 'call-1', occurredAt: '2026-01-02T03:04:05.000Z', data,
});
const phone = { kind: 'phone', number: '+4930555666' };
const user = { kind: 'sip', uri: 'sip:alice@localhost' };

for (const v of SDKS) {
  const sdk = require(v) as typeof import('acs-sdk-160');
  const parse = (e: DomainEvent): Record<string, any> => {
    const body = acsFormatter(e);
    assert.ok(body, `${e.type} has an ACS callback`);
    assert.equal((JSON.parse(body) as unknown[]).length, 1, 'one event per POST');
    return sdk.parseCallAutomationEvent(body) as unknown as Record<string, any>;
  };

  test(`${v}: AddParticipantSucceeded / Failed carry the participant identifier and the invitation`, () => {
    const ok = parse(ev('addParticipant.completed', { participant: phone, legId: 'l2', invitationId: 'inv-1', operationContext: 'add', result: { code: 200, subcode: SUBCODE.OK, message: 'ok' } }));
    assert.equal(ok.kind, 'AddParticipantSucceeded');
    assert.equal(ok.participant.phoneNumber, '+4930555666');
    assert.equal(ok.operationContext, 'add');
    assert.equal(ok.callConnectionId, 'call-1');
    assert.deepEqual([ok.resultInformation.code, ok.resultInformation.subCode], [200, 0]);
    const failed = parse(ev('addParticipant.failed', { participant: user, invitationId: 'inv-1', result: { code: 408, subcode: SUBCODE.NO_ANSWER, message: 'no answer' } }));
    assert.equal(failed.kind, 'AddParticipantFailed');
    assert.equal(failed.participant.communicationUserId, '8:acs:alice');
    assert.deepEqual([failed.resultInformation.code, failed.resultInformation.subCode], [480, 8541], 'ACS: callee unavailable');
    const busy = parse(ev('addParticipant.failed', { participant: phone, result: { code: 400, subcode: SUBCODE.BUSY, message: 'busy' }, sipStatus: 486 }));
    assert.deepEqual([busy.resultInformation.code, busy.resultInformation.subCode], [486, 8539], 'ACS: callee busy');
    const declined = parse(ev('addParticipant.failed', { participant: phone, result: { code: 400, subcode: SUBCODE.PEER_REJECTED, message: 'x' }, sipStatus: 404 }));
    assert.deepEqual([declined.resultInformation.code, declined.resultInformation.subCode], [404, 8538], 'ACS: callee declined, with the SIP status');
    const cancelled = parse(ev('addParticipant.cancelled', { participant: phone, invitationId: 'inv-1', result: { code: 499, subcode: SUBCODE.CANCELLED, message: 'cancelled' } }));
    assert.equal(cancelled.kind, 'AddParticipantFailed');
    assert.deepEqual([cancelled.resultInformation.code, cancelled.resultInformation.subCode], [487, 8508], 'ACS: canceled / operation cancelled');
  });

  test(`${v}: RemoveParticipant*, CancelAddParticipant*, HoldFailed`, () => {
    const removed = parse(ev('removeParticipant.completed', { participant: phone, legId: 'l2', result: { code: 200, subcode: SUBCODE.OK, message: 'ok' } }));
    assert.equal(removed.kind, 'RemoveParticipantSucceeded');
    assert.equal(removed.participant.phoneNumber, '+4930555666');
    assert.equal(parse(ev('removeParticipant.failed', { participant: phone, result: { code: 404, subcode: 1, message: 'x' } })).kind, 'RemoveParticipantFailed');
    const c = parse(ev('cancelAddParticipant.completed', { invitationId: 'inv-9', result: { code: 200, subcode: SUBCODE.OK, message: 'ok' } }));
    assert.equal(c.kind, 'CancelAddParticipantSucceeded');
    assert.equal(c.invitationId, 'inv-9');
    const cf = parse(ev('cancelAddParticipant.failed', { invitationId: 'inv-9', result: { code: 404, subcode: SUBCODE.INVITATION_NOT_FOUND, message: 'gone' } }));
    assert.equal(cf.kind, 'CancelAddParticipantFailed');
    assert.deepEqual([cf.resultInformation.code, cf.resultInformation.subCode], [404, 8522], 'ACS: not found');
    assert.equal(cf.invitationId, 'inv-9');
    const hf = parse(ev('hold.failed', { result: { code: 500, subcode: SUBCODE.MEDIA_FAILED, message: 'x' } }));
    assert.equal(hf.kind, 'HoldFailed');
    assert.deepEqual([hf.resultInformation.code, hf.resultInformation.subCode], [500, 8511], 'ACS: play prompt failed');
  });

  test(`${v}: ParticipantsUpdated lists CallParticipants with isMuted / isOnHold`, () => {
    const u = parse(ev('participants.updated', {
      sequence: 3,
      participants: [
        { legId: 'l1', participant: phone, muted: false, onHold: true, role: 'caller' },
        { legId: 'l2', participant: user, muted: true, onHold: false, role: 'participant' },
      ],
    }));
    assert.equal(u.kind, 'ParticipantsUpdated');
    assert.equal(u.sequenceNumber, 3);
    assert.equal(u.participants.length, 2);
    assert.equal(u.participants[0].identifier.phoneNumber, '+4930555666');
    assert.deepEqual([u.participants[0].isMuted, u.participants[0].isOnHold], [false, true]);
    assert.equal(u.participants[1].identifier.communicationUserId, '8:acs:alice');
    assert.deepEqual([u.participants[1].isMuted, u.participants[1].isOnHold], [true, false]);
  });
}

test('no ACS callback for mute, hold.completed, unhold', () => {
  for (const t of ['muteParticipant.completed', 'unmuteParticipant.completed', 'hold.completed', 'unhold.completed', 'unhold.failed']) {
    assert.equal(acsFormatter(ev(t, { legId: 'l1' })), null, t);
  }
});

test('serverCallId round-trips to the call id; foreign or junk ids do not', () => {
  assert.equal(callIdOfServerCallId(serverCallIdOf('0190a0a0-1234')), '0190a0a0-1234');
  assert.equal(callIdOfServerCallId('aHR0cHM6Ly9leGFtcGxlLmNvbQ=='), undefined, 'base64 of something else');
  assert.equal(callIdOfServerCallId('not base64 !!'), undefined);
  assert.equal(callIdOfServerCallId(42), undefined);
});
