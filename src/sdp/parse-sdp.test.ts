// Round-trips descriptions as real peers send them: parse, check the fields, serialize, compare
// bytes. sipp-uac.sdp and baresip-offer.sdp were captured from SIPp 3.6.1 (`-sn uac`) and
// baresip 1.0.0 dialing a UDP socket on this machine; the Chrome, Linphone and Asterisk offers
// are written in those stacks' exact line layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { codecsOf, mediaView, parseSdp, SdpParseError, serializeSdp } from './index.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

function roundTrip(name: string) {
  const bytes = fixture(name);
  assert.ok(bytes.includes('\r\n'), `${name} must keep CRLF line ends`);
  const sd = parseSdp(bytes);
  assert.equal(serializeSdp(sd), bytes.toString('utf8'), `${name} serializes back byte for byte`);
  return sd;
}

test('SIPp uac: the minimal PCMU offer', () => {
  const sd = roundTrip('sipp-uac.sdp');
  assert.deepEqual(sd.origin, {
    username: 'user1', sessId: '53655765', sessVersion: '2353687637', netType: 'IN', addrType: 'IP4', address: '127.0.0.1',
  });
  assert.equal(sd.sessionName, '-');
  assert.deepEqual(sd.connection, { netType: 'IN', addrType: 'IP4', address: '127.0.0.1' });
  assert.deepEqual(sd.timing, [{ start: 0, stop: 0, repeats: [] }]);
  assert.equal(sd.media.length, 1);
  const m = sd.media[0]!;
  assert.equal(m.type, 'audio');
  assert.equal(m.port, 6000);
  assert.equal(m.protocol, 'RTP/AVP');
  assert.deepEqual(m.formats, ['0']);
  const v = mediaView(m, sd);
  assert.deepEqual(v.rtpmap.get(0), { payloadType: 0, encoding: 'PCMU', clockRate: 8000 });
  assert.equal(v.direction, 'sendrecv');
  assert.equal(v.connection?.address, '127.0.0.1');
});

test('baresip: PCMU/PCMA/G722/opus/telephone-event with ptime, ssrc and a session-level tool attribute', () => {
  const sd = roundTrip('baresip-offer.sdp');
  assert.deepEqual(sd.attributes, [{ name: 'tool', value: 'baresip 1.0.0' }]);
  const m = sd.media[0]!;
  assert.deepEqual(m.formats, ['0', '8', '9', '96', '101']);
  const v = mediaView(m, sd);
  assert.equal(v.ptime, 20);
  assert.equal(v.direction, 'sendrecv');
  assert.equal(v.rtcpRsize, true);
  assert.deepEqual(v.rtpmap.get(96), { payloadType: 96, encoding: 'opus', clockRate: 48000, channels: 2 });
  assert.equal(v.fmtp.get(101), '0-15');
  assert.equal(v.fmtp.get(96), 'stereo=1;sprop-stereo=1');
  assert.deepEqual(v.ssrcs, [{ id: 376970178, attribute: 'cname', value: 'sip:bob@127.0.0.1:5077' }]);
  // Unknown attributes (label, minptime) are kept in order.
  assert.deepEqual(m.attributes.map((a) => a.name), [
    'rtpmap', 'rtpmap', 'rtpmap', 'rtpmap', 'fmtp', 'rtpmap', 'fmtp', 'sendrecv', 'label', 'rtcp-rsize', 'ssrc', 'minptime', 'ptime',
  ]);
  assert.deepEqual(codecsOf(m).map((c) => `${c.payloadType} ${c.name}/${c.clockRate}/${c.channels}`), [
    '0 PCMU/8000/1', '8 PCMA/8000/1', '9 G722/8000/1', '96 opus/48000/2', '101 telephone-event/8000/1',
  ]);
});

test('Chrome WebRTC offer: BUNDLE, ICE candidates, DTLS fingerprint, rtcp-mux, opus fmtp, ssrc, extmap, rtcp-fb', () => {
  const sd = roundTrip('chrome-offer.sdp');
  assert.equal(sd.origin.sessId, '4611731400430051336', 'a 19-digit sess-id survives as a string');
  assert.deepEqual(sd.attributes[0], { name: 'group', value: 'BUNDLE 0 1' });
  assert.deepEqual(sd.attributes[1], { name: 'extmap-allow-mixed' });
  assert.equal(sd.connection, undefined);
  const [audio, video] = sd.media as [typeof sd.media[0], typeof sd.media[0]];
  assert.equal(audio.protocol, 'UDP/TLS/RTP/SAVPF');
  assert.deepEqual(audio.connection, { netType: 'IN', addrType: 'IP4', address: '192.0.2.10' });
  const v = mediaView(audio, sd);
  assert.equal(v.mid, '0');
  assert.equal(v.rtcpMux, true);
  assert.deepEqual(v.rtcp, { port: 9, netType: 'IN', addrType: 'IP4', address: '0.0.0.0' });
  assert.equal(v.ice.ufrag, 'Hm8b');
  assert.equal(v.ice.pwd, 'RkX6tL4iE4QbO2n1hZk3pW7q');
  assert.deepEqual(v.ice.options, ['trickle']);
  assert.equal(v.ice.candidates.length, 3);
  assert.deepEqual(v.ice.candidates[2], {
    foundation: '842163049', component: 1, transport: 'udp', priority: 1686052607, address: '198.51.100.7', port: 54400,
    type: 'srflx', relatedAddress: '192.0.2.10', relatedPort: 54400,
    extensions: [['generation', '0'], ['network-id', '1'], ['network-cost', '10']],
  });
  assert.deepEqual(v.ice.candidates[1]!.extensions[0], ['tcptype', 'active']);
  assert.equal(v.dtls.setup, 'actpass');
  assert.deepEqual(v.dtls.fingerprints, [{
    algorithm: 'sha-256',
    value: '7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
  }]);
  assert.deepEqual(v.rtpmap.get(111), { payloadType: 111, encoding: 'opus', clockRate: 48000, channels: 2 });
  assert.equal(v.fmtp.get(111), 'minptime=10;useinbandfec=1');
  assert.deepEqual(v.rtcpFb, [{ payloadType: '111', type: 'transport-cc' }]);
  assert.deepEqual(v.extmaps.map((e) => [e.id, e.uri]), [
    [1, 'urn:ietf:params:rtp-hdrext:ssrc-audio-level'],
    [2, 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time'],
    [3, 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01'],
    [4, 'urn:ietf:params:rtp-hdrext:sdes:mid'],
  ]);
  assert.deepEqual(v.ssrcs[0], { id: 3735928559, attribute: 'cname', value: 'Yq2J8xw6bq4FMPQ9' });
  assert.equal(v.direction, 'sendrecv');
  const vv = mediaView(video, sd);
  assert.deepEqual(vv.ssrcGroups, [{ semantics: 'FID', ssrcs: [2864950404, 1206263853] }]);
  assert.deepEqual(vv.rtcpFb.find((f) => f.subtype === 'pli'), { payloadType: '96', type: 'nack', subtype: 'pli' });
  assert.equal(vv.fmtp.get(102), 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f');
});

test('Linphone offer: static G729 with fmtp and no rtpmap, rtcp-fb wildcard, video with b=AS', () => {
  const sd = roundTrip('linphone-offer.sdp');
  assert.equal(sd.sessionName, 'Talk');
  const [audio, video] = sd.media as [typeof sd.media[0], typeof sd.media[0]];
  const codecs = codecsOf(audio);
  assert.deepEqual(codecs.find((c) => c.payloadType === 18), { name: 'G729', clockRate: 8000, channels: 1, payloadType: 18, fmtp: 'annexb=yes' });
  assert.deepEqual(codecs.filter((c) => c.name === 'telephone-event').map((c) => [c.payloadType, c.clockRate]), [[101, 48000], [99, 16000], [100, 8000]]);
  assert.deepEqual(mediaView(audio).rtcpFb[0], { payloadType: '*', type: 'trr-int', subtype: '1000' });
  assert.deepEqual(video.bandwidths, [{ type: 'AS', value: 380 }]);
});

test('Asterisk offer: PCMA first, telephone-event 0-16, ptime and maxptime', () => {
  const sd = roundTrip('asterisk-offer.sdp');
  const v = mediaView(sd.media[0]!, sd);
  assert.equal(v.ptime, 20);
  assert.equal(v.maxptime, 150);
  assert.equal(v.fmtp.get(101), '0-16');
  assert.equal(sd.origin.sessVersion, '1700000001');
});

test('LF-only line ends, blank lines and trailing spaces are accepted; output uses CRLF', () => {
  const sd = parseSdp('v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\n\nc=IN IP4 10.0.0.1 \nt=0 0\nm=audio 4000 RTP/AVP 0\na=sendonly\n');
  assert.equal(sd.connection?.address, '10.0.0.1');
  assert.equal(mediaView(sd.media[0]!, sd).direction, 'sendonly');
  assert.equal(serializeSdp(sd), 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n');
});

test('every RFC 8866 line type round-trips in canonical order, multicast c= included', () => {
  const text = [
    'v=0', 'o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1', 's=Call to John Smith', 'i=SDP Offer #1',
    'u=http://www.jdoe.example.com/home.html', 'e=Jane Doe <jane@jdoe.example.com>', 'p=+1 617 555-6011',
    'c=IN IP4 233.252.0.1/127/2', 'b=CT:128', 't=3724394400 3724398000', 'r=7d 1h 0 25h', 'z=2882844526 -1h 2898848070 0',
    'k=prompt', 'a=recvonly',
    'm=audio 49170/2 RTP/AVP 0', 'i=voice', 'c=IN IP6 ff00::db8:0:101/3', 'b=AS:64', 'k=prompt', 'a=ptime:30',
    'm=video 51372 RTP/AVP 99', 'a=rtpmap:99 h263-1998/90000', '',
  ].join('\r\n');
  const sd = parseSdp(text);
  assert.deepEqual(sd.connection, { netType: 'IN', addrType: 'IP4', address: '233.252.0.1', ttl: 127, numAddresses: 2 });
  assert.deepEqual(sd.media[0]!.connection, { netType: 'IN', addrType: 'IP6', address: 'ff00::db8:0:101', numAddresses: 3 });
  assert.equal(sd.media[0]!.numPorts, 2);
  assert.deepEqual(sd.timing[0]!.repeats, ['7d 1h 0 25h']);
  assert.equal(mediaView(sd.media[1]!, sd).direction, 'recvonly', 'session-level direction applies');
  assert.equal(mediaView(sd.media[0]!, sd).ptime, 30);
  assert.equal(serializeSdp(sd), text);
});

test('media-level direction overrides the session level', () => {
  const sd = parseSdp('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\na=inactive\r\nm=audio 1 RTP/AVP 0\r\na=sendonly\r\nm=audio 2 RTP/AVP 0\r\n');
  assert.equal(mediaView(sd.media[0]!, sd).direction, 'sendonly');
  assert.equal(mediaView(sd.media[1]!, sd).direction, 'inactive');
});

function parseError(text: string): SdpParseError {
  try {
    parseSdp(text);
  } catch (e) {
    assert.ok(e instanceof SdpParseError, `expected SdpParseError, got ${String(e)}`);
    return e;
  }
  assert.fail('parseSdp accepted malformed SDP');
}

test('malformed SDP: the error names the line number and its text', () => {
  const base = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 't=0 0'];
  const cases: [string[], number, string, RegExp][] = [
    [['o=- 1 1 IN IP4 10.0.0.1', 's=-', 't=0 0'], 1, 'o=- 1 1 IN IP4 10.0.0.1', /start with v=/],
    [['v=1', ...base.slice(1)], 1, 'v=1', /version 0/],
    [['v=0', 'o=- 1 IN IP4 10.0.0.1', 's=-', 't=0 0'], 2, 'o=- 1 IN IP4 10.0.0.1', /6 fields/],
    [['v=0', 'o=- abc 1 IN IP4 10.0.0.1', 's=-', 't=0 0'], 2, 'o=- abc 1 IN IP4 10.0.0.1', /sess-id/],
    [[...base, 'm=audio RTP/AVP 0'], 5, 'm=audio RTP/AVP 0', /m= needs/],
    [[...base, 'm=audio 70000 RTP/AVP 0'], 5, 'm=audio 70000 RTP/AVP 0', /port/],
    [[...base, 'm=audio 4000 RTP/AVP'], 5, 'm=audio 4000 RTP/AVP', /at least one format/],
    [[...base, 'c=IN IP4'], 5, 'c=IN IP4', /3 fields/],
    [[...base, 'b=AS'], 5, 'b=AS', /bwtype/],
    [[...base, 'hello'], 5, 'hello', /<type>=<value>/],
    [[...base, 'x=1'], 5, 'x=1', /unknown line type x=/],
    [[...base, 'm=audio 4000 RTP/AVP 0', 's=again'], 6, 's=again', /not allowed inside a media/],
    [['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'r=1d 1h 0', 't=0 0'], 4, 'r=1d 1h 0', /follow a t=/],
    [['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 't=now 0'], 4, 't=now 0', /t= must/],
    [[...base, 'a=:x'], 5, 'a=:x', /attribute name/],
  ];
  for (const [lines, line, text, reason] of cases) {
    const e = parseError(lines.join('\r\n') + '\r\n');
    assert.equal(e.line, line, `${lines.join(' | ')} → line`);
    assert.equal(e.text, text);
    assert.match(e.message, reason);
    assert.match(e.message, new RegExp(`^SDP line ${line} `));
  }
});

test('malformed SDP: missing required lines are named', () => {
  assert.match(parseError('').message, /no v= line/);
  assert.match(parseError('v=0\r\ns=-\r\nt=0 0\r\n').message, /missing o=/);
  assert.match(parseError('v=0\r\no=- 1 1 IN IP4 h\r\nt=0 0\r\n').message, /missing s=/);
  assert.match(parseError('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n').message, /missing t=/);
  assert.equal(parseError('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n').code, 'ERR_SDP_PARSE');
});

test('hostile input stays linear: a 1 MB attribute and 20,000 lines parse quickly', () => {
  const big = `v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\na=x:${'a '.repeat(500_000)}\r\n`;
  const many = `v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n${'a=rtpmap:0 PCMU/8000\r\n'.repeat(20_000)}`;
  const t0 = performance.now();
  parseSdp(big);
  const sd = parseSdp(many);
  assert.equal(sd.media[0]!.attributes.length, 20_000);
  assert.ok(performance.now() - t0 < 1000);
});

test('parsing a typical offer is fast (Chrome offer, averaged)', () => {
  const texts = ['baresip-offer.sdp', 'chrome-offer.sdp'].map((n) => fixture(n).toString('utf8'));
  for (const text of texts) {
    for (let i = 0; i < 2000; i++) parseSdp(text); // warm up the JIT
    const n = 5000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) parseSdp(text);
    const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
    // Budget is 20 µs per typical SDP; the bound here is loose because the CI machine is shared.
    assert.ok(us < 100, `parse took ${us.toFixed(2)} µs`);
  }
});
