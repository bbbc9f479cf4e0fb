import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { RtpHeader, parseRtp, parseRtpHeader, rtpPacketSize, writeRtp } from './rtp-packet.ts';
import { readPcapUdp } from './pcap-reader.ts';

const G711A_PCAP = '/usr/share/sip-tester/g711a.pcap';

// First packet of SIPp's g711a.pcap: V=2, PT=8, seq 0xe6fd, ts 0xf0, SSRC 0xdee0ee8f, 240 × 0xd5.
const SIPP_FIRST = Buffer.concat([
  Buffer.from('8008e6fd000000f0dee0ee8f', 'hex'),
  Buffer.alloc(240, 0xd5),
]);

test('parses a captured PCMA packet and writes the same bytes back', () => {
  const { header: h, payload } = parseRtp(SIPP_FIRST);
  assert.equal(h.version, 2);
  assert.equal(h.padding, false);
  assert.equal(h.extension, false);
  assert.equal(h.csrcCount, 0);
  assert.equal(h.marker, false);
  assert.equal(h.payloadType, 8);
  assert.equal(h.sequenceNumber, 0xe6fd);
  assert.equal(h.timestamp, 0xf0);
  assert.equal(h.ssrc, 0xdee0ee8f);
  assert.equal(payload.length, 240);
  assert.equal(payload.buffer, SIPP_FIRST.buffer, 'payload is a view, not a copy');
  const out = Buffer.alloc(300);
  const n = writeRtp(h, payload, out);
  assert.deepEqual(out.subarray(0, n), SIPP_FIRST);
});

test('every packet of SIPp g711a.pcap round-trips byte for byte', { skip: !existsSync(G711A_PCAP) && 'sip-tester not installed' }, () => {
  const dgrams = readPcapUdp(readFileSync(G711A_PCAP));
  assert.ok(dgrams.length > 100);
  const h = new RtpHeader();
  const out = Buffer.alloc(2048);
  let prevSeq = -1;
  for (const d of dgrams) {
    assert.equal(parseRtpHeader(d.payload, h), undefined);
    assert.equal(h.payloadType, 8);
    if (prevSeq >= 0) assert.equal(h.sequenceNumber, (prevSeq + 1) & 0xffff);
    prevSeq = h.sequenceNumber;
    const n = writeRtp(h, h.payloadView(d.payload), out);
    assert.deepEqual(out.subarray(0, n), Buffer.from(d.payload));
  }
});

test('CSRCs, header extension and padding are parsed, skipped and removed', () => {
  const payload = Buffer.from([1, 2, 3, 4, 5]);
  const ext = Buffer.from([0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22, 0x33, 0x44]);
  const fields = {
    marker: true, payloadType: 101, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0x80000001,
    csrcCount: 2, csrcs: [0xdeadbeef, 7],
  };
  const buf = Buffer.alloc(rtpPacketSize(fields, payload.length, { extension: ext, padding: 3 }));
  const n = writeRtp(fields, payload, buf, 0, { extension: ext, extensionProfile: 0xbede, padding: 3 });
  assert.equal(n, 12 + 8 + 4 + 8 + 5 + 3);
  assert.equal(buf[0], 0x80 | 0x20 | 0x10 | 2);
  const { header: h, payload: p } = parseRtp(buf);
  assert.equal(h.marker, true);
  assert.equal(h.payloadType, 101);
  assert.equal(h.sequenceNumber, 65535);
  assert.equal(h.timestamp, 0xfffffff0);
  assert.equal(h.ssrc, 0x80000001);
  assert.deepEqual([...h.csrcs.subarray(0, h.csrcCount)], [0xdeadbeef, 7]);
  assert.equal(h.extensionProfile, 0xbede);
  assert.deepEqual(buf.subarray(h.extensionOffset, h.extensionOffset + h.extensionLength), ext);
  assert.equal(h.paddingLength, 3);
  assert.deepEqual(Buffer.from(p), payload);
});

test('rejects malformed packets', () => {
  const h = new RtpHeader();
  assert.equal(parseRtpHeader(SIPP_FIRST.subarray(0, 11), h), 'truncated');
  const v1 = Buffer.from(SIPP_FIRST); v1[0] = 0x40;
  assert.equal(parseRtpHeader(v1, h), 'bad-version');
  const cc = Buffer.from(SIPP_FIRST.subarray(0, 20)); cc[0] = 0x80 | 3; // 3 CSRCs need 24 bytes
  assert.equal(parseRtpHeader(cc, h), 'truncated');
  const ext = Buffer.from(SIPP_FIRST.subarray(0, 20)); ext[0] = 0x90; ext[14] = 0; ext[15] = 2; // 8 bytes claimed, 4 left
  assert.equal(parseRtpHeader(ext, h), 'truncated');
  const pad = Buffer.from(SIPP_FIRST.subarray(0, 16)); pad[0] = 0xa0; pad[15] = 5; // 5 > 4 bytes after header
  assert.equal(parseRtpHeader(pad, h), 'bad-padding');
  pad[15] = 0;
  assert.equal(parseRtpHeader(pad, h), 'bad-padding');
  pad[15] = 4; // exactly the 4 bytes after the header: empty payload
  assert.equal(parseRtpHeader(pad, h), undefined);
  assert.equal(h.payloadLength, 0);
  assert.throws(() => parseRtp(v1), /bad-version/);
});

test('writer refuses a buffer that is too small', () => {
  assert.throws(() => writeRtp({ marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 }, Buffer.alloc(160), Buffer.alloc(100)), RangeError);
});
