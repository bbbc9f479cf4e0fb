import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage, serialize, SipRequest, SipResponse } from './index.ts';

describe('serialize', () => {
  it('writes canonical names and a correct Content-Length where the old one stood', () => {
    const m = parseMessage(Buffer.from(
      'MESSAGE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\ni: c\r\nl: 2\r\ncseq: 1 MESSAGE\r\nwww-authenticate: x\r\n\r\nhi',
    ));
    m.body = Buffer.from('héllo');
    assert.equal(serialize(m).toString(),
      'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\nContent-Length: 6\r\n'
      + 'CSeq: 1 MESSAGE\r\nWWW-Authenticate: x\r\n\r\nhéllo');
  });

  it('adds Content-Length when missing and writes only one', () => {
    const r = new SipResponse(486, 'Busy Here', [{ name: 'call-id', value: 'c' }]);
    assert.equal(serialize(r).toString(), 'SIP/2.0 486 Busy Here\r\nCall-ID: c\r\nContent-Length: 0\r\n\r\n');
    r.add('content-length', 0).add('content-length', 9);
    assert.equal(serialize(r).toString().match(/Content-Length/g)?.length, 1);
  });

  it('round-trips a non-canonical message semantically', () => {
    const wire = Buffer.from('INVITE  sip:a@b SIP/2.0\r\nTo :\r\n <sip:a@b>\r\nf: <sip:f@g>;tag=1\r\n'
      + 'Content-Length : 4\r\n\r\nbody');
    const a = parseMessage(wire) as SipRequest;
    const b = parseMessage(serialize(a)) as SipRequest;
    assert.equal(b.method, a.method);
    assert.equal(b.uri, a.uri);
    assert.deepEqual(b.headers, a.headers);
    assert.deepEqual(b.body, a.body);
    assert.deepEqual(serialize(b), serialize(a));
  });

  it('refuses CR or LF inside a header value (header injection)', () => {
    const r = new SipRequest('OPTIONS', 'sip:a@b', [{ name: 'subject', value: 'x\r\nVia: evil' }]);
    assert.throws(() => serialize(r), /CR or LF/);
  });
});
