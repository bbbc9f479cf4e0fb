import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findBodyPart, parseMultipart, SipParseError } from './index.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
// SIP-I style: SDP plus an ISUP IAM with binary octets, including CR LF and '--'.
const ISUP = Buffer.from([0x01, 0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff, 0x0a]);
const BODY = Buffer.concat([
  Buffer.from('preamble\r\n--unique-boundary-1\r\nContent-Type: application/sdp\r\n\r\n'),
  Buffer.from(SDP),
  Buffer.from('\r\n--unique-boundary-1\r\nContent-Type: application/ISUP;version=itu-t92+\r\nContent-Disposition: signal;\r\n handling=optional\r\n\r\n'),
  ISUP,
  Buffer.from('\r\n--unique-boundary-1--\r\nepilogue'),
]);
const CT = 'multipart/mixed; boundary="unique-boundary-1"';

describe('parseMultipart (RFC 2046 §5.1)', () => {
  it('splits parts, binary-safe, with their headers', () => {
    const parts = parseMultipart(BODY, CT);
    assert.equal(parts.length, 2);
    assert.equal(parts[0].headers[0].value, 'application/sdp');
    assert.equal(parts[0].body.toString(), SDP);
    assert.deepEqual(parts[1].body, ISUP);
    assert.deepEqual(parts[1].headers[1], { name: 'content-disposition', value: 'signal; handling=optional' });
  });

  it('finds the SDP in a multipart body or a plain one', () => {
    assert.equal(findBodyPart(BODY, CT, 'application/sdp')?.toString(), SDP);
    assert.equal(findBodyPart(Buffer.from(SDP), 'Application/SDP', 'application/sdp')?.toString(), SDP);
    assert.equal(findBodyPart(BODY, CT, 'text/plain'), undefined);
  });

  it('400 without boundary or closing delimiter', () => {
    assert.throws(() => parseMultipart(BODY, 'multipart/mixed'), SipParseError);
    assert.throws(() => parseMultipart(BODY.subarray(0, 120), CT), SipParseError);
    assert.throws(() => parseMultipart(Buffer.from('no delimiters'), CT), SipParseError);
  });
});
