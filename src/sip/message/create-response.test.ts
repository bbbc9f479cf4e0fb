import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse, parseMessage, reasonPhrase, serialize, SipParseError, SipRequest } from './index.ts';

const INVITE = Buffer.from([
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1',
  'Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1',
  'Max-Forwards: 69',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 314159 INVITE',
  'Timestamp: 54',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Length: 0',
  '', '',
].join('\r\n'));

describe('createResponse (RFC 3261 §8.2.6)', () => {
  const req = parseMessage(INVITE) as SipRequest;

  it('copies every Via in order, From, To, Call-ID, CSeq; Timestamp on a 100', () => {
    const r = createResponse(req, 100);
    assert.equal(r.reason, 'Trying');
    assert.deepEqual(r.headers.map((h) => h.name), ['via', 'via', 'to', 'from', 'call-id', 'cseq', 'timestamp']);
    assert.deepEqual(r.vias.map((v) => v.branch), ['z9hG4bKnashds8', 'z9hG4bK77ef4c2312983.1']);
    assert.equal(r.toTag, undefined);
  });

  it('adds the To tag to non-100 responses, never a second one', () => {
    const r = createResponse(req, 180, undefined, { toTag: 'a6c85cf' });
    assert.equal(r.get('to'), 'Bob <sip:bob@biloxi.example.com>;tag=a6c85cf');
    assert.equal(r.has('timestamp'), false);
    const again = createResponse(parseMessage(serialize(r)) as unknown as SipRequest, 200, undefined, { toTag: 'zzz' });
    assert.equal(again.toTag, 'a6c85cf');
    assert.equal(createResponse(req, 100, undefined, { toTag: 'x' }).toTag, undefined);
  });

  it('takes extra headers, a body and its type', () => {
    const body = Buffer.from('v=0\r\n');
    const r = createResponse(req, 200, 'Fine', {
      toTag: 't', headers: [['Contact', '<sip:bob@192.0.2.4>'], ['Allow', 'INVITE, ACK, BYE']], body,
      contentType: 'application/sdp',
    });
    assert.equal(r.reason, 'Fine');
    assert.equal(r.get('contact'), '<sip:bob@192.0.2.4>');
    assert.equal(r.contentType, 'application/sdp');
    const wire = serialize(r).toString();
    assert.match(wire, /^SIP\/2\.0 200 Fine\r\n/);
    assert.match(wire, /\r\nContent-Length: 5\r\n\r\nv=0\r\n$/);
  });

  it('can answer the partial request of a parse error', () => {
    const broken = Buffer.from(INVITE.toString().replace('SIP/2.0\r\n', 'SIP/2.1\r\n'));
    try {
      parseMessage(broken);
      assert.fail('expected 505');
    } catch (e) {
      assert.ok(e instanceof SipParseError && e.partial);
      const r = createResponse(e.partial, e.status, undefined, { toTag: 'x' });
      assert.equal(r.status, 505);
      assert.equal(r.reason, 'Version Not Supported');
      assert.equal(r.callId, 'a84b4c76e66710');
    }
  });

  it('falls back to a text search for the tag when To does not parse', () => {
    const bad = new SipRequest('OPTIONS', 'sip:a@b', [{ name: 'to', value: 'Bell, A <sip:a@b>;tag=1' }]);
    assert.equal(createResponse(bad, 400, undefined, { toTag: 'x' }).get('to'), 'Bell, A <sip:a@b>;tag=1');
  });
});

describe('reasonPhrase', () => {
  it('knows the standard phrases and falls back to the class', () => {
    assert.equal(reasonPhrase(200), 'OK');
    assert.equal(reasonPhrase(481), 'Call/Transaction Does Not Exist');
    assert.equal(reasonPhrase(603), 'Decline');
    assert.equal(reasonPhrase(499), 'Client Error');
  });
});
