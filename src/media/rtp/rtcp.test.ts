import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRtcp, isRtcp, parseRtcp, RtcpParseError, type RtcpPacket } from './rtcp.ts';

// A compound RR + SDES(CNAME) as a softphone sends it, written out field by field.
const RR_SDES = Buffer.from(
  '81c90007' + '11223344' + // RR, RC=1, length 7, sender SSRC
  'aabbccdd' + '05fffffe' + '0001ffff' + '00000123' + 'e8f41234' + '00018000' + // block: fraction 5, lost -2
  '81ca0004' + '11223344' + '0109' + Buffer.from('bob@host1').toString('hex') + '00', // SDES, CNAME, end
  'hex',
);

test('parses a compound RR + SDES and rebuilds the same bytes', () => {
  const pkts = parseRtcp(RR_SDES);
  assert.equal(pkts.length, 2);
  const rr = pkts[0];
  assert.equal(rr.type, 'rr');
  if (rr.type !== 'rr') return;
  assert.equal(rr.ssrc, 0x11223344);
  assert.deepEqual(rr.reports, [{
    ssrc: 0xaabbccdd, fractionLost: 5, cumulativeLost: -2, extendedHighestSeq: 0x1ffff,
    jitter: 0x123, lsr: 0xe8f41234, dlsr: 0x18000,
  }]);
  assert.deepEqual(pkts[1], { type: 'sdes', chunks: [{ ssrc: 0x11223344, items: [{ type: 1, text: 'bob@host1' }] }] });
  assert.deepEqual(buildRtcp(pkts), RR_SDES);
});

test('SR with report blocks, SDES with several items, BYE with reason and unknown types round-trip', () => {
  const pkts: RtcpPacket[] = [
    {
      type: 'sr', ssrc: 1, ntpMsw: 0xe8f40000, ntpLsw: 0x80000000, rtpTimestamp: 0xfffffff0, packetCount: 100, octetCount: 16000,
      reports: [
        { ssrc: 2, fractionLost: 255, cumulativeLost: 0x7fffff, extendedHighestSeq: 0x20005, jitter: 40, lsr: 0, dlsr: 0 },
        { ssrc: 3, fractionLost: 0, cumulativeLost: -0x800000, extendedHighestSeq: 1, jitter: 0, lsr: 7, dlsr: 65536 },
      ],
    },
    { type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'a@b' }, { type: 2, text: 'Ålice' }] }, { ssrc: 9, items: [{ type: 1, text: 'xyz1' }] }] },
    { type: 'other', packetType: 205, count: 1, body: Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2) },
    { type: 'bye', ssrcs: [1, 0xffffffff], reason: 'shutdown' },
  ];
  const bytes = buildRtcp(pkts);
  assert.equal(bytes.length % 4, 0);
  const back = parseRtcp(bytes);
  assert.deepEqual(back.map((p) => (p.type === 'other' ? { ...p, body: Uint8Array.from(p.body) } : p)), pkts);
  assert.deepEqual(buildRtcp(back), bytes);
  assert.deepEqual(parseRtcp(buildRtcp([{ type: 'rr', ssrc: 5, reports: [] }, { type: 'bye', ssrcs: [5] }])),
    [{ type: 'rr', ssrc: 5, reports: [] }, { type: 'bye', ssrcs: [5] }]);
});

test('rejects malformed compounds', () => {
  const bad = (b: Buffer, re: RegExp) => assert.throws(() => parseRtcp(b), (e: unknown) => e instanceof RtcpParseError && re.test(e.message));
  bad(Buffer.from('41c90001' + '00000000', 'hex'), /version/);
  bad(RR_SDES.subarray(0, 30), /length/);
  bad(Buffer.from('81ca0001' + '11223344', 'hex').subarray(0, 3), /truncated/);
  bad(Buffer.from('81cb0001' + '11223344', 'hex'), /SR or RR/);
  bad(Buffer.from('81c90001' + '11223344', 'hex'), /too short/); // RC=1 but no block
  const padded = Buffer.from(RR_SDES); padded[0] |= 0x20; // padding flag on the first of two packets
  bad(padded, /padding/);
  assert.deepEqual(parseRtcp(Buffer.from('81cb0001' + '11223344', 'hex'), false), [{ type: 'bye', ssrcs: [0x11223344] }]);
});

test('rtcp-mux demux: PT 64–95 (second octet 192–223) is RTCP, everything else RTP (RFC 5761 §4)', () => {
  assert.equal(isRtcp(RR_SDES), true);
  for (const b1 of [200, 201, 202, 203, 204, 205, 206, 207, 192, 223]) assert.equal(isRtcp(Uint8Array.of(0x80, b1)), true, String(b1));
  for (const b1 of [0, 8, 0x80, 0x88, 101, 0x80 | 101, 96, 127, 63, 0x80 | 63]) assert.equal(isRtcp(Uint8Array.of(0x80, b1)), false, String(b1));
});
