import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameStream, parseMessage, SipParseError } from './index.ts';

const msg = (body: string, cl: string | undefined = String(Buffer.byteLength(body))): string =>
  `OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n${cl === undefined ? '' : `l: ${cl}\r\n`}\r\n${body}`;

describe('frameStream (RFC 3261 §18.3)', () => {
  it('cuts complete messages out of a stream and waits for the rest', () => {
    const one = msg('hello');
    const stream = Buffer.from(`\r\n\r\n${one}${msg('')}`);
    const f = frameStream(stream);
    assert.deepEqual(f, { skip: 4, length: Buffer.byteLength(one) });
    assert.equal(parseMessage(stream.subarray(f.skip, f.skip + f.length)).body.toString(), 'hello');
    const rest = stream.subarray(f.skip + f.length);
    assert.equal(frameStream(rest)?.length, rest.length);
    assert.equal(frameStream(Buffer.from(one).subarray(0, 20)), undefined);
    assert.equal(frameStream(Buffer.from(one).subarray(0, one.length - 1)), undefined);
    assert.equal(frameStream(Buffer.from('\r\n\r\n')), undefined);
  });

  it('no Content-Length frames as no body', () => {
    const s = msg('', undefined);
    assert.equal(frameStream(Buffer.from(`${s}NEXT`))?.length, s.length);
  });

  it('an unusable Content-Length is fatal for the connection', () => {
    for (const cl of ['-999', 'x', '1\r\nContent-Length: 2']) {
      assert.throws(() => frameStream(Buffer.from(msg('ab', cl))),
        (e: unknown) => e instanceof SipParseError && e.fatalFraming);
    }
  });
});
