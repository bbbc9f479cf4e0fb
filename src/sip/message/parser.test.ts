import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, serialize, SipParseError, SipRequest, SipResponse } from './index.ts';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

// An INVITE as a softphone (Linphone-style) sends it, already in canonical form.
const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=Talk',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 7078 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  '',
].join('\r\n');
const INVITE = crlf([
  'INVITE sip:bot@switchboard.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK.hSYt3oQ1A;rport',
  'From: "Alice" <sip:alice@example.com>;tag=u6Kq5pDyy',
  'To: <sip:bot@switchboard.example.com>',
  'CSeq: 20 INVITE',
  'Call-ID: Rj2kSq9ZkE',
  'Max-Forwards: 70',
  'Supported: replaces, outbound, gruu, path',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, PRACK, UPDATE',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  'Contact: <sip:alice@192.0.2.10;transport=udp>;+sip.instance="<urn:uuid:5ba6b7c4-2d11-4d0c-9b57-1e6b1c1a5e27>"',
  'User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)',
  '',
  SDP,
]);

const OK = crlf([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK.hSYt3oQ1A;rport=5060;received=198.51.100.7',
  'From: "Alice" <sip:alice@example.com>;tag=u6Kq5pDyy',
  'To: <sip:bot@switchboard.example.com>;tag=sb-83bd1',
  'Call-ID: Rj2kSq9ZkE',
  'CSeq: 20 INVITE',
  'Contact: <sip:bot@203.0.113.5:5060>',
  'Record-Route: <sip:proxy.example.com;lr>, <sip:edge.example.com;lr>',
  'Content-Length: 0',
  '',
  '',
]);

describe('parseMessage: a captured INVITE with SDP', () => {
  const req = parseMessage(INVITE, { datagram: true });

  it('reads the request line', () => {
    assert.ok(req instanceof SipRequest);
    assert.equal(req.method, 'INVITE');
    assert.equal(req.uri, 'sip:bot@switchboard.example.com');
    assert.equal(req.requestUri.user, 'bot');
    assert.equal(req.requestUri.host, 'switchboard.example.com');
  });

  it('exposes what the transaction layer reads', () => {
    assert.equal(req.topVia?.branch, 'z9hG4bK.hSYt3oQ1A');
    assert.equal(req.topVia?.rport, null);
    assert.equal(req.topVia?.port, 5060);
    assert.equal(req.topVia?.transport, 'UDP');
    assert.deepEqual(req.cseq, { seq: 20, method: 'INVITE' });
    assert.equal(req.callId, 'Rj2kSq9ZkE');
    assert.equal(req.fromTag, 'u6Kq5pDyy');
    assert.equal(req.toTag, undefined);
    assert.equal(req.from?.displayName, 'Alice');
    assert.equal(req.maxForwards, 70);
  });

  it('keeps list headers whole but splits them on demand', () => {
    assert.equal(req.count('allow'), 1);
    assert.equal(req.tokens('allow').length, 12);
    assert.deepEqual(req.tokens('supported'), ['replaces', 'outbound', 'gruu', 'path']);
    assert.equal(req.contacts[0].params.get('+sip.instance'), '"<urn:uuid:5ba6b7c4-2d11-4d0c-9b57-1e6b1c1a5e27>"');
    assert.equal(req.contacts[0].uri.params.get('transport'), 'udp');
  });

  it('takes the body by Content-Length, as bytes', () => {
    assert.ok(Buffer.isBuffer(req.body));
    assert.equal(req.body.toString('utf8'), SDP);
  });

  it('serializes back to the same bytes', () => {
    assert.deepEqual(serialize(req), INVITE);
  });
});

describe('parseMessage: a captured 200 OK', () => {
  const res = parseMessage(OK, { datagram: true });

  it('reads the status line and the dialog fields', () => {
    assert.ok(res instanceof SipResponse);
    assert.equal(res.status, 200);
    assert.equal(res.reason, 'OK');
    assert.equal(res.toTag, 'sb-83bd1');
    assert.equal(res.topVia?.rport, 5060);
    assert.equal(res.topVia?.received, '198.51.100.7');
    assert.deepEqual(res.recordRoutes.map((r) => r.uri.host), ['proxy.example.com', 'edge.example.com']);
    assert.equal(res.body.length, 0);
  });

  it('serializes back to the same bytes', () => {
    assert.deepEqual(serialize(res), OK);
  });
});

describe('parseMessage: header syntax', () => {
  it('unfolds continuation lines, accepts LWS before the colon and compact names', () => {
    const m = parseMessage(crlf([
      'OPTIONS sip:a@b SIP/2.0',
      'v : SIP/2.0/UDP h;branch=z9hG4bK1',
      'Subject: one',
      ' two',
      '\tthree',
      'i:x@y',
      'f: <sip:f@g>;tag=1',
      't: <sip:a@b>',
      'CSeq: 1 OPTIONS',
      'l: 0',
      '',
      '',
    ]));
    assert.equal(m.get('subject'), 'one two three');
    assert.equal(m.get('Call-ID'), 'x@y');
    assert.equal(m.get('i'), 'x@y');
    assert.equal(m.vias.length, 1);
    assert.deepEqual(m.headers.map((h) => h.name), ['via', 'subject', 'call-id', 'from', 'to', 'cseq', 'content-length']);
  });

  it('ignores CRLFs before the start line (RFC 3261 §7.5)', () => {
    const m = parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), OK]));
    assert.equal((m as SipResponse).status, 200);
  });

  it('tolerates bare LF line ends', () => {
    const m = parseMessage(Buffer.from('SIP/2.0 180 Ringing\nCall-ID: a\nContent-Length: 2\n\nhi'));
    assert.equal((m as SipResponse).reason, 'Ringing');
    assert.equal(m.body.toString(), 'hi');
  });

  it('keeps a UTF-8 reason phrase and an empty one', () => {
    const a = parseMessage(Buffer.from('SIP/2.0 480 Ça sonne occupé\r\nContent-Length: 0\r\n\r\n')) as SipResponse;
    assert.equal(a.reason, 'Ça sonne occupé');
    const b = parseMessage(Buffer.from('SIP/2.0 100 \r\nContent-Length: 0\r\n\r\n')) as SipResponse;
    assert.equal(b.reason, '');
  });
});

describe('parseMessage: errors are SipParseError with a status and, for requests, a partial', () => {
  const broken = (start: string, extra: string[] = [], body = ''): Buffer => crlf([
    start,
    'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
    'From: <sip:f@g>;tag=1',
    'To: <sip:a@b>',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    ...extra,
    '',
    body,
  ]);
  const err = (buf: Buffer, datagram = true): SipParseError => {
    try {
      parseMessage(buf, { datagram });
    } catch (e) {
      assert.ok(e instanceof SipParseError);
      return e;
    }
    assert.fail('expected a SipParseError');
  };

  it('505 for another SIP version, with the headers kept', () => {
    const e = err(broken('INVITE sip:a@b SIP/3.0', ['Content-Length: 0']));
    assert.equal(e.status, 505);
    assert.equal(e.partial?.callId, 'c1');
    assert.equal(e.partial?.topVia?.branch, 'z9hG4bK1');
  });

  it('400 for a header line without a colon, the other headers still readable', () => {
    const e = err(broken('INVITE sip:a@b SIP/2.0', ['Garbage line', 'Content-Length: 0']));
    assert.equal(e.status, 400);
    assert.equal(e.partial?.cseq?.seq, 1);
    assert.equal(e.partial?.method, 'INVITE');
  });

  it('400 for status codes outside 100..699', () => {
    assert.equal(err(Buffer.from('SIP/2.0 099 Low\r\nContent-Length: 0\r\n\r\n')).status, 400);
    assert.equal(err(Buffer.from('SIP/2.0 700 High\r\nContent-Length: 0\r\n\r\n')).status, 400);
    assert.equal(err(Buffer.from('SIP/2.0 20 Short\r\nContent-Length: 0\r\n\r\n')).partial, undefined);
  });

  it('datagram: discards octets past Content-Length (RFC 3261 §18.3)', () => {
    const m = parseMessage(broken('INVITE sip:a@b SIP/2.0', ['Content-Length: 3'], 'abcdef'), { datagram: true });
    assert.equal(m.body.toString(), 'abc');
  });

  it('datagram: no Content-Length means the rest of the datagram', () => {
    const m = parseMessage(broken('INVITE sip:a@b SIP/2.0', [], 'abcdef'), { datagram: true });
    assert.equal(m.body.toString(), 'abcdef');
  });

  it('Content-Length larger than the body: 400; on a stream the framing is lost', () => {
    const buf = broken('INVITE sip:a@b SIP/2.0', ['Content-Length: 10'], 'abc');
    const d = err(buf, true);
    assert.equal(d.status, 400);
    assert.equal(d.fatalFraming, false);
    assert.equal(d.partial?.callId, 'c1');
    assert.equal(err(buf, false).fatalFraming, true);
  });

  it('negative, non-numeric or conflicting Content-Length: 400', () => {
    for (const extra of [['Content-Length: -1'], ['Content-Length: ten'], ['l: 1', 'Content-Length: 2']]) {
      assert.equal(err(broken('INVITE sip:a@b SIP/2.0', extra, 'ab')).status, 400, extra.join());
    }
    // The same value twice frames fine (validateRequest still flags the duplicate).
    const m = parseMessage(broken('INVITE sip:a@b SIP/2.0', ['l: 2', 'Content-Length: 2'], 'ab'));
    assert.equal(m.body.toString(), 'ab');
  });

  it('no empty line after the headers: 400', () => {
    assert.equal(err(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n')).status, 400);
  });

  it('a method that is not a token: 400', () => {
    assert.equal(err(broken('INV(ITE sip:a@b SIP/2.0', ['Content-Length: 0'])).status, 400);
  });

  it('never throws anything else on garbage', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let n = 0; n < 2000; n++) {
      const src = n % 2 ? INVITE : OK;
      const b = Buffer.from(src);
      for (let k = 0; k < 1 + Math.floor(rnd() * 8); k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const cut = b.subarray(0, Math.floor(rnd() * b.length) + 1);
      try {
        const m = parseMessage(cut, { datagram: true });
        // The lazy getters must hold to the same rule.
        for (const get of [() => m.vias, () => m.cseq, () => m.from, () => m.to, () => m.contacts,
          () => m.recordRoutes, () => (m instanceof SipRequest ? m.requestUri : undefined)]) {
          try {
            get();
          } catch (e) {
            assert.ok(e instanceof SipParseError, String(e));
          }
        }
      } catch (e) {
        assert.ok(e instanceof SipParseError, String(e));
      }
    }
  });
});
