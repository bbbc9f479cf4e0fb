// Outbound destination policy ("no international by default") and number pattern kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDestinationAllowed } from './destination-policy.ts';
import { numberKind } from './number-service.ts';

test('international E.164 needs an allowed prefix; domestic and SIP destinations pass', () => {
  assert.equal(isDestinationAllowed('+4930123456', [], '49'), true, 'home country');
  assert.equal(isDestinationAllowed('+442071234567', [], '49'), false, 'international, nothing allowed');
  assert.equal(isDestinationAllowed('+442071234567', ['+44'], '49'), true);
  assert.equal(isDestinationAllowed('+332071234567', ['+44'], '49'), false);
  assert.equal(isDestinationAllowed('+4930123456', []), false, 'no home country: every E.164 is international');
  assert.equal(isDestinationAllowed('sip:bob@example.com', []), true);
  assert.equal(isDestinationAllowed('alice', []), true, 'a registered user');
});

test('number kinds: E.164, E.164 prefix block, SIP URI; anything else is rejected', () => {
  assert.equal(numberKind('+4930123456'), 'e164');
  assert.equal(numberKind('+4930*'), 'e164-prefix');
  assert.equal(numberKind('sip:sales@example.com'), 'sip-uri');
  assert.equal(numberKind('sips:*@bots.example.com:5061'), 'sip-uri');
  for (const bad of ['4930123', '+0301', '+49 30', '+4930**', 'tel:+4930', 'sip:@x', '']) assert.equal(numberKind(bad), undefined, bad);
});
