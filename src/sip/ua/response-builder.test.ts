// buildResponse must answer requests whose From/To do not parse (RFC 4475 §3.1.2.6 quotbal,
// §3.1.2.15 baddn): those requests are rejected with 400, and building that 400 used to throw
// on the To tag check, so the live server left them unanswered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, SipRequest } from '../message/index.ts';
import { buildResponse } from './response-builder.ts';

function request(to: string, from = '<sip:a@example.com>;tag=f1'): SipRequest {
  const raw = [
    'OPTIONS sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKrb1', 'Max-Forwards: 70',
    `From: ${from}`, `To: ${to}`, 'Call-ID: rb1@example.com', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n');
  const m = parseMessage(Buffer.from(raw), { datagram: true });
  assert.ok(m instanceof SipRequest);
  return m;
}

describe('buildResponse with malformed To/From', () => {
  it('adds a To tag to a 400 for an unterminated quoted display name in To (quotbal)', () => {
    const req = request('"Mr. J. User <sip:j.user@example.com>');
    assert.throws(() => req.toTag);
    const res = buildResponse(req, 400, undefined, { toTag: 'abc' });
    assert.equal(res.status, 400);
    assert.equal(res.get('to'), '"Mr. J. User <sip:j.user@example.com>;tag=abc');
    assert.equal(res.get('call-id'), 'rb1@example.com');
  });

  it('keeps an existing tag of an unparsable To and copies a malformed From (baddn)', () => {
    const req = request('Watson, Thomas <sip:t.watson@example.org>;tag=t9', 'Bell, Alexander <sip:a.g.bell@example.com>;tag=f2');
    const res = buildResponse(req, 400, undefined, { toTag: 'abc' });
    assert.equal(res.get('to'), 'Watson, Thomas <sip:t.watson@example.org>;tag=t9');
    assert.equal(res.get('from'), 'Bell, Alexander <sip:a.g.bell@example.com>;tag=f2');
  });

  it('still adds the tag when To parses and has none', () => {
    const res = buildResponse(request('<sip:bob@example.com>'), 404, undefined, { toTag: 'zz' });
    assert.equal(res.get('to'), '<sip:bob@example.com>;tag=zz');
  });
});
