// Unit tests of the adapters' pure rules: E.164 normalisation and inbound routing order,
// trunk caller-ID rules, the mapping of SIP endings onto core's HangupInfo, dtmf-relay bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipRequest } from '../sip/index.ts';
import { InboundRouter, normaliseE164, callerParticipant, type NumberEntry } from './inbound-router.ts';
import { applyCallerIdRules } from './sip-channel-factory.ts';
import { hangupInfo } from './sip-channel.ts';
import { parseDtmfRelay } from './dtmf-relay.ts';

test('normaliseE164 reads +, 00, national 0 (with a home country) and bare digits', () => {
  assert.equal(normaliseE164('+49 (30) 123-456'), '+4930123456');
  assert.equal(normaliseE164('004930123456'), '+4930123456');
  assert.equal(normaliseE164('030123456', '49'), '+4930123456');
  assert.equal(normaliseE164('4930123456'), '+4930123456');
  assert.equal(normaliseE164('+4930123456;npdi'), '+4930123456');
  assert.equal(normaliseE164('alice'), undefined);
  assert.equal(normaliseE164('+0123'), undefined);
});

function entry(pattern: string, kind: NumberEntry['kind'], app: string): NumberEntry {
  return { pattern, kind, applicationId: app, targetType: 'application', target: null };
}

function directory(entries: NumberEntry[]) {
  return {
    getByPattern: async (p: string) => entries.find((e) => e.pattern === p),
    // The rule the store implements with an indexed query (test/store-number-routing.test.ts).
    longestPrefixFor: async (n: string) => entries.filter((e) => e.kind === 'e164-prefix' && n.startsWith(e.pattern.slice(0, -1)))
      .sort((a, b) => b.pattern.length - a.pattern.length)[0],
  };
}

function invite(ruri: string, to = ruri, from = 'sip:+4915112345678@10.0.0.1'): SipRequest {
  const r = new SipRequest('INVITE', ruri);
  r.add('to', `<${to}>`);
  r.add('from', `<${from}>;tag=1`);
  return r;
}

test('routing: exact number first, then the longest DID block, then SIP URIs and the domain catch-all', async () => {
  const router = new InboundRouter({ numbers: directory([
    entry('+4930123456', 'e164', 'exact'), entry('+49301*', 'e164-prefix', 'short'), entry('+4930123*', 'e164-prefix', 'long'),
    entry('sip:sales@example.com', 'sip-uri', 'sales'), entry('sip:*@example.com', 'sip-uri', 'any'),
  ]) });
  assert.equal((await router.route(invite('sip:004930123456@sbc')))?.entry.applicationId, 'exact');
  assert.equal((await router.route(invite('sip:+4930123999@sbc')))?.entry.applicationId, 'long');
  assert.equal((await router.route(invite('sip:+4930199999@sbc')))?.entry.applicationId, 'short');
  assert.equal((await router.route(invite('sip:sales@example.com')))?.entry.applicationId, 'sales');
  assert.equal((await router.route(invite('sip:bob@example.com')))?.entry.applicationId, 'any');
  assert.equal(await router.route(invite('sip:bob@other.org')), undefined);
  // A peer that puts the number only in To.
  const viaTo = await router.route(invite('sip:gw@sbc', 'sip:+4930123456@sbc'));
  assert.deepEqual(viaTo?.to, { kind: 'phone', number: '+4930123456' });
});

test('the caller is a phone number when the From user reads as one, else a SIP URI', () => {
  assert.deepEqual(callerParticipant(invite('sip:x@y')), { kind: 'phone', number: '+4915112345678' });
  assert.deepEqual(callerParticipant(invite('sip:x@y', 'sip:x@y', 'sip:alice@example.com')), { kind: 'sip', uri: 'sip:alice@example.com' });
});

test('caller-ID rules: first matching prefix rewrites (set, strip, prepend) or withholds', () => {
  const rules = [{ matchPrefix: '+44', withhold: true }, { matchPrefix: '+49', stripDigits: 3, prepend: '0' }, { set: '+15550100' }];
  assert.deepEqual(applyCallerIdRules('+4930123456', '+4989111', rules), { user: '030123456', withhold: false });
  assert.deepEqual(applyCallerIdRules('+4930123456', '+44207', rules), { user: '+4930123456', withhold: true });
  assert.deepEqual(applyCallerIdRules('+4930123456', '+1212', rules), { user: '+15550100', withhold: false });
  assert.deepEqual(applyCallerIdRules('+4930123456', '+1212', []), { user: '+4930123456', withhold: false });
});

test('SIP endings map onto core hangup info (who, reason, status)', () => {
  assert.deepEqual(hangupInfo({ by: 'remote', reason: 'bye' }, undefined), { by: 'remote', reason: 'normal', sipStatus: 200 });
  assert.deepEqual(hangupInfo({ by: 'remote', reason: 'rejected', status: 486 }, undefined), { by: 'remote', reason: 'busy', sipStatus: 486 });
  assert.deepEqual(hangupInfo({ by: 'remote', reason: 'rejected', status: 603 }, undefined), { by: 'remote', reason: 'declined', sipStatus: 603 });
  assert.deepEqual(hangupInfo({ by: 'timeout', reason: 'no-answer', status: 487 }, undefined), { by: 'system', reason: 'no-answer', sipStatus: 487 });
  assert.deepEqual(hangupInfo({ by: 'local', reason: 'bye' }, 'transferred'), { by: 'local', reason: 'transferred', sipStatus: 200 });
  assert.deepEqual(hangupInfo({ by: 'remote', reason: 'cancelled', status: 487 }, undefined), { by: 'remote', reason: 'cancelled', sipStatus: 487 });
});

test('dtmf-relay bodies: Signal and Duration, 10/11 as * and #, junk ignored', () => {
  assert.deepEqual(parseDtmfRelay('Signal=5\r\nDuration=160\r\n'), { digit: '5', durationMs: 160 });
  assert.deepEqual(parseDtmfRelay('Signal= 11\nDuration=100'), { digit: '#', durationMs: 100 });
  assert.equal(parseDtmfRelay('Signal=X'), undefined);
});
