// Typed views and attribute helpers: session-level fallbacks (RFC 8839 §5.4, RFC 8122 §5),
// candidates both ways, fmtp parameters, and in-place direction edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCandidate, mediaView, parseCandidate, parseFmtpParams, parseSdp, removeAttributes, setDirection } from './index.ts';

test('ICE credentials, fingerprint, setup and extmap fall back to the session level; media level wins', () => {
  const sd = parseSdp([
    'v=0', 'o=- 1 1 IN IP4 h', 's=-', 't=0 0', 'a=ice-lite', 'a=ice-ufrag:S', 'a=ice-pwd:SP', 'a=fingerprint:sha-1 AA:BB',
    'a=setup:passive', 'a=extmap:5/recvonly urn:x attr', 'c=IN IP4 198.51.100.1',
    'm=audio 1 UDP/TLS/RTP/SAVPF 0', 'a=ice-ufrag:M',
    'm=audio 2 UDP/TLS/RTP/SAVPF 0', 'a=fingerprint:sha-256 CC', 'a=setup:active', 'a=extmap:1 urn:y', '',
  ].join('\r\n'));
  const a = mediaView(sd.media[0]!, sd);
  assert.equal(a.ice.lite, true);
  assert.equal(a.ice.ufrag, 'M');
  assert.equal(a.ice.pwd, 'SP');
  assert.deepEqual(a.dtls.fingerprints, [{ algorithm: 'sha-1', value: 'AA:BB' }]);
  assert.equal(a.dtls.setup, 'passive');
  assert.deepEqual(a.extmaps, [{ id: 5, direction: 'recvonly', uri: 'urn:x', attributes: 'attr' }]);
  assert.equal(a.connection?.address, '198.51.100.1');
  const b = mediaView(sd.media[1]!, sd);
  assert.deepEqual(b.dtls.fingerprints, [{ algorithm: 'sha-256', value: 'CC' }]);
  assert.equal(b.dtls.setup, 'active');
  assert.deepEqual(b.extmaps.map((e) => e.id), [1, 5]);
  assert.equal(mediaView(sd.media[0]!).ice.pwd, undefined, 'without the session, only media-level values');
});

test('malformed attribute values are skipped by the view but kept in the attribute list', () => {
  const sd = parseSdp('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\na=rtpmap:0 PCMU\r\na=candidate:1 1 udp\r\na=ptime:abc\r\na=setup:sideways\r\n');
  const v = mediaView(sd.media[0]!, sd);
  assert.equal(v.rtpmap.size, 0);
  assert.equal(v.ice.candidates.length, 0);
  assert.equal(v.ptime, undefined);
  assert.equal(v.dtls.setup, undefined);
  assert.equal(sd.media[0]!.attributes.length, 5);
});

test('candidates parse and format back to the same text', () => {
  for (const text of [
    '2999745851 1 udp 2122260223 192.0.2.10 54400 typ host generation 0 network-id 1',
    '842163049 1 udp 1686052607 198.51.100.7 54400 typ srflx raddr 192.0.2.10 rport 54400 generation 0',
    '1 2 TCP 1518280446 4f9d9c7b-8d8b-4a5d-9d4a-6c3c1b1f3a2e.local 9 typ host tcptype active',
    '3 1 udp 41885439 203.0.113.9 3478 typ relay raddr 0.0.0.0 rport 0',
  ]) {
    const c = parseCandidate(text);
    assert.ok(c, text);
    assert.equal(formatCandidate(c), text);
  }
  assert.equal(parseCandidate('1 1 udp 1 h 1 type host'), undefined);
  assert.equal(parseCandidate('1 x udp 1 h 1 typ host'), undefined);
});

test('fmtp parameters: key=value pairs and flags, keys lower-cased, spaces tolerated', () => {
  assert.deepEqual([...parseFmtpParams('minptime=10; useinbandfec=1;Stereo=1;flag')], [
    ['minptime', '10'], ['useinbandfec', '1'], ['stereo', '1'], ['flag', ''],
  ]);
  assert.deepEqual([...parseFmtpParams('0-16')], [['0-16', '']]);
});

test('setDirection replaces the direction where it stood and removes duplicates', () => {
  const attrs = [{ name: 'rtpmap', value: '0 PCMU/8000' }, { name: 'sendrecv' }, { name: 'ptime', value: '20' }, { name: 'recvonly' }];
  setDirection(attrs, 'inactive');
  assert.deepEqual(attrs, [{ name: 'rtpmap', value: '0 PCMU/8000' }, { name: 'inactive' }, { name: 'ptime', value: '20' }]);
  removeAttributes(attrs, 'ptime');
  setDirection(attrs, 'sendonly');
  assert.deepEqual(attrs, [{ name: 'rtpmap', value: '0 PCMU/8000' }, { name: 'sendonly' }]);
  const empty: { name: string; value?: string }[] = [];
  setDirection(empty, 'recvonly');
  assert.deepEqual(empty, [{ name: 'recvonly' }]);
});
