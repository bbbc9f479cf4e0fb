// Identifier models as the SDKs send them (vendor-apis.md A.3) ↔ core participants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callParticipant, toIdentifier, toParticipant } from './identifiers.ts';

test('phone numbers: with or without kind, rawId only, and the bare PhoneNumberIdentifierModel {value}', () => {
  const want = { kind: 'phone', number: '+4930555666' };
  assert.deepEqual(toParticipant({ rawId: '4:+4930555666', phoneNumber: { value: '+4930555666', isAnonymous: false } }, 'localhost'), want);
  assert.deepEqual(toParticipant({ kind: 'phoneNumber', phoneNumber: { value: '+4930555666' } }, 'localhost'), want);
  assert.deepEqual(toParticipant({ rawId: '4:+4930555666' }, 'localhost'), want);
  // sourceCallerIdNumber as the SDK serializes it.
  assert.deepEqual(toParticipant({ value: '+4930555666' }, 'localhost'), want);
  assert.match((toParticipant({ value: '030555666' }, 'localhost') as { problem: string }).problem, /not E\.164/);
});

test('ACS users map to SIP users of the domain; Teams and junk are refused with a reason', () => {
  assert.deepEqual(toParticipant({ communicationUser: { id: '8:acs:alice' } }, 'sb.example'), { kind: 'sip', uri: 'sip:alice@sb.example' });
  assert.deepEqual(toParticipant({ rawId: '8:acs:bob' }, 'sb.example'), { kind: 'sip', uri: 'sip:bob@sb.example' });
  assert.match((toParticipant({ microsoftTeamsUser: { userId: 'u' } }, 'x') as { problem: string }).problem, /Teams/);
  assert.ok('problem' in (toParticipant('4:+491', 'x') as object));
  assert.ok('problem' in (toParticipant({}, 'x') as object));
});

test('CallParticipant always carries kind, rawId and both flags', () => {
  assert.deepEqual(callParticipant({ kind: 'phone', number: '+4930555666' }, { muted: true }), {
    identifier: toIdentifier({ kind: 'phone', number: '+4930555666' }), isMuted: true, isOnHold: false,
  });
  assert.equal((callParticipant({ kind: 'sip', uri: 'sip:alice@localhost' }, { onHold: true }).identifier as { rawId: string }).rawId, '8:acs:alice');
});
