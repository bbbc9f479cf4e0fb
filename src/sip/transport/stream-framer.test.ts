import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FramingError, StreamFramer } from './stream-framer.ts';

const LIMITS = { maxMessageBytes: 4096, maxHeaders: 20, maxLineBytes: 200 };

function options(body = '', extra = ''): string {
  return (
    'OPTIONS sip:a@example.com SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1\r\n' +
    'From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n' +
    'Call-ID: abc\r\nCSeq: 1 OPTIONS\r\n' +
    extra +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function framer(limits = LIMITS) {
  const out = { frames: [] as string[], pings: 0, errors: [] as FramingError[] };
  const f = new StreamFramer(limits, {
    onMessage: (b) => out.frames.push(b.toString()),
    onPing: () => out.pings++,
    onError: (e) => out.errors.push(e),
  });
  return { f, out };
}

test('two messages in one chunk come out as two frames, bodies included', () => {
  const { f, out } = framer();
  const a = options('v=0\r\n');
  const b = options();
  f.push(Buffer.from(a + b));
  assert.deepEqual(out.frames, [a, b]);
  assert.equal(f.inMessage, false);
});

test('a message split byte by byte is reassembled exactly once', () => {
  const { f, out } = framer();
  const a = options('hello');
  const bytes = Buffer.from(a);
  for (let i = 0; i < bytes.length; i++) {
    f.push(bytes.subarray(i, i + 1));
    if (i < bytes.length - 1) assert.equal(out.frames.length, 0);
  }
  assert.deepEqual(out.frames, [a]);
  assert.equal(f.inMessage, false);
});

test('CRLFs before a message are skipped; a double CRLF is a ping (RFC 5626 §3.5.1)', () => {
  const { f, out } = framer();
  f.push(Buffer.from('\r\n\r\n'));
  assert.equal(out.pings, 1);
  f.push(Buffer.from('\r\n'));
  assert.equal(f.inMessage, false, 'a lone CRLF is not a pending message');
  f.push(Buffer.from('\r\n'));
  assert.equal(out.pings, 2, 'two halves make a ping');
  f.push(Buffer.from('\r\n' + options()));
  assert.equal(out.frames.length, 1);
  assert.equal(out.errors.length, 0);
});

test('compact Content-Length `l` frames the body', () => {
  const { f, out } = framer();
  const msg = options('x').replace('Content-Length: 1', 'l :1');
  f.push(Buffer.from(msg + options()));
  assert.equal(out.frames.length, 2);
  assert.ok(out.frames[0].endsWith('\r\n\r\nx'));
});

for (const [name, cl, why] of [
  ['negative', '-999', /negative/],
  ['non-numeric', 'abc', /not a number/],
] as const) {
  test(`${name} Content-Length is a framing error with the head kept for a 400`, () => {
    const { f, out } = framer();
    f.push(Buffer.from(options().replace('Content-Length: 0', `Content-Length: ${cl}`)));
    assert.equal(out.errors.length, 1);
    assert.match(out.errors[0].message, why);
    assert.equal(out.errors[0].status, 400);
    assert.match(out.errors[0].head.toString(), /^OPTIONS sip:a@example.com SIP\/2.0\r\nVia: /);
    f.push(Buffer.from(options()));
    assert.equal(out.frames.length, 0, 'nothing is framed after an error');
  });
}

test('two Content-Length headers, or none, are framing errors', () => {
  const a = framer();
  a.f.push(Buffer.from(options('', 'l: 5\r\n')));
  assert.match(a.out.errors[0]?.message ?? '', /more than one/);
  const b = framer();
  b.f.push(Buffer.from(options().replace('Content-Length: 0\r\n', '')));
  assert.match(b.out.errors[0]?.message ?? '', /missing/);
});

test('limits: long line, too many headers, oversize header block, oversize body', () => {
  const line = framer();
  line.f.push(Buffer.from(options('', `X-Long: ${'a'.repeat(300)}\r\n`)));
  assert.match(line.out.errors[0]?.message ?? '', /line too long/);

  const unterminated = framer();
  unterminated.f.push(Buffer.from(`OPTIONS sip:a SIP/2.0\r\nX: ${'a'.repeat(250)}`));
  assert.match(unterminated.out.errors[0]?.message ?? '', /line too long/, 'detected before the line ends');

  const many = framer();
  many.f.push(Buffer.from(options('', 'X-A: 1\r\n'.repeat(30))));
  assert.match(many.out.errors[0]?.message ?? '', /too many/);

  const block = framer({ maxMessageBytes: 600, maxHeaders: 100, maxLineBytes: 200 });
  block.f.push(Buffer.from(options('', `X-B: ${'b'.repeat(100)}\r\n`.repeat(6))));
  assert.match(block.out.errors[0]?.message ?? '', /too large/);

  const body = framer();
  body.f.push(Buffer.from(options().replace('Content-Length: 0', 'Content-Length: 99999')));
  assert.match(body.out.errors[0]?.message ?? '', /larger than allowed/);
});

test('an incomplete body waits (RFC 4475 clerr over a stream) and reports inMessage', () => {
  const { f, out } = framer();
  f.push(Buffer.from(options().replace('Content-Length: 0', 'Content-Length: 10') + 'abc'));
  assert.equal(out.frames.length, 0);
  assert.equal(out.errors.length, 0);
  assert.equal(f.inMessage, true);
  f.push(Buffer.from('defghij'));
  assert.equal(out.frames.length, 1);
  assert.equal(f.inMessage, false);
});

test('emitted frames stay intact while later pieces are appended', () => {
  const frames: Buffer[] = [];
  const f = new StreamFramer(LIMITS, { onMessage: (b) => frames.push(b), onPing() {}, onError() {} });
  const a = options('first');
  const b = options('second');
  const c = options('third');
  const all = Buffer.from(a + b + c);
  // Pieces that straddle message boundaries, so frames come from the growable store.
  for (let i = 0; i < all.length; i += 7) f.push(all.subarray(i, i + 7));
  assert.deepEqual(frames.map(String), [a, b, c]);
});
