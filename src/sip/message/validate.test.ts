import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, SipRequest, SipResponse, validateRequest, validateResponse } from './index.ts';

const req = (start: string, headers: string[]): SipRequest => {
  const m = parseMessage(Buffer.from([start, ...headers, 'Content-Length: 0', '', ''].join('\r\n')));
  assert.ok(m instanceof SipRequest);
  return m;
};
const BASE = [
  'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:f@g>;tag=1', 'To: <sip:a@b>', 'Call-ID: c1', 'CSeq: 1 OPTIONS',
  'Max-Forwards: 70',
];
const without = (name: string): string[] => BASE.filter((h) => !h.startsWith(`${name}:`));

describe('validateRequest', () => {
  it('passes a well-formed request', () => {
    assert.equal(validateRequest(req('OPTIONS sip:a@b SIP/2.0', BASE)), undefined);
  });

  it('400 when Via, From, To, Call-ID or CSeq is missing (RFC 3261 §8.1.1)', () => {
    for (const h of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
      const v = validateRequest(req('OPTIONS sip:a@b SIP/2.0', without(h)));
      assert.equal(v?.status, 400, h);
      assert.match(v.reason, new RegExp(h));
    }
  });

  it('tolerates a missing Max-Forwards (RFC 2543 peers) and a value above 255', () => {
    assert.equal(validateRequest(req('OPTIONS sip:a@b SIP/2.0', without('Max-Forwards'))), undefined);
    assert.equal(validateRequest(req('OPTIONS sip:a@b SIP/2.0', [...without('Max-Forwards'), 'Max-Forwards: 300'])), undefined);
    assert.equal(validateRequest(req('OPTIONS sip:a@b SIP/2.0', [...without('Max-Forwards'), 'Max-Forwards: many']))?.status, 400);
  });

  it('400 for a repeated single-valued header', () => {
    for (const extra of ['Call-ID: c2', 'To: <sip:x@y>', 'From: <sip:x@y>;tag=2', 'CSeq: 2 OPTIONS', 'Max-Forwards: 5']) {
      assert.equal(validateRequest(req('OPTIONS sip:a@b SIP/2.0', [...BASE, extra]))?.status, 400, extra);
    }
  });

  it('400 for a CSeq method that is not the request method; 501 when the method is unknown', () => {
    assert.equal(validateRequest(req('INVITE sip:a@b SIP/2.0', BASE))?.status, 400);
    const v = validateRequest(req('FOO sip:a@b SIP/2.0', BASE));
    assert.equal(v?.status, 501);
    assert.equal(validateRequest(req('FOO sip:a@b SIP/2.0', [...without('CSeq'), 'CSeq: 1 FOO'])), undefined);
  });

  it('400 for a bad Request-URI, one in <> or one with headers', () => {
    for (const ruri of ['<sip:a@b>', 'sip:a@', 'nocolon', 'sip:a@b?Route=%3Csip:x%3E']) {
      assert.equal(validateRequest(req(`OPTIONS ${ruri} SIP/2.0`, BASE))?.status, 400, ruri);
    }
    // An unknown scheme is syntactically fine: answering 416 is the UA's call.
    assert.equal(validateRequest(req('OPTIONS urn:x:y SIP/2.0', BASE)), undefined);
  });

  it('400 for malformed Via, From, To, Contact, Route, CSeq', () => {
    const cases: [string, string][] = [
      ['Via', 'Via: SIP/2.0/UDP 192.0.2.15;;,;,,'], ['From', 'From: Bell, Alexander <sip:a@b>;tag=1'],
      ['To', 'To: "Mr. J. User <sip:j.user@example.com>'], ['CSeq', 'CSeq: 4294967296 OPTIONS'],
    ];
    for (const [name, line] of cases) {
      assert.equal(validateRequest(req('OPTIONS sip:a@b SIP/2.0', [...without(name), line]))?.status, 400, line);
    }
    assert.equal(validateRequest(req('OPTIONS sip:a@b SIP/2.0', [...BASE, 'Contact: "Joe" <sip:joe@x>;;;;']))?.status, 400);
    assert.equal(validateRequest(req('OPTIONS sip:a@b SIP/2.0', [...BASE, 'Route: <sip:a@b']))?.status, 400);
  });
});

describe('validateResponse', () => {
  const res = (headers: string[]): SipResponse =>
    parseMessage(Buffer.from(['SIP/2.0 200 OK', ...headers, '', ''].join('\r\n'))) as SipResponse;
  it('accepts a usable response and names what makes one unusable', () => {
    assert.equal(validateResponse(res(BASE)), undefined);
    assert.match(validateResponse(res(without('Via'))) ?? '', /Via/);
    assert.match(validateResponse(res([...without('CSeq'), 'CSeq: 9292394834772304023312 OPTIONS'])) ?? '', /CSeq/);
  });
});
