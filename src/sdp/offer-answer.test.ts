// Offer/answer as RFC 3264 tells it: what the answerer keeps, mirrors, narrows and rejects, and
// what the offerer concludes from the answer. Offers come from the real-peer fixtures where one fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  applyAnswer, bumpVersion, createOffer, holdOffer, mediaView, negotiateAnswer, parseSdp, resumeOffer, serializeSdp,
  WELL_KNOWN_CODECS, type AnswerOptions, type AnswerResult, type Codec, type NegotiatedMedia, type SessionDescription,
} from './index.ts';

const { PCMU, PCMA, opus, telephoneEvent } = WELL_KNOWN_CODECS;
const fixture = (name: string) => parseSdp(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const us: AnswerOptions = { address: '10.0.0.1', port: 40000, codecs: [PCMU, PCMA], sessionId: '42' };

/** An audio offer from a generic peer, with extra lines spliced into the m= section. */
function offer(formats: string, lines: string[], session: string[] = ['c=IN IP4 192.0.2.7']): SessionDescription {
  return parseSdp(['v=0', 'o=peer 1 1 IN IP4 192.0.2.7', 's=-', ...session, 't=0 0', `m=audio 5004 RTP/AVP ${formats}`, ...lines, ''].join('\r\n'));
}

function accepted(r: AnswerResult): { answer: SessionDescription; media: NegotiatedMedia } {
  if ('error' in r) assert.fail(`expected an answer, got 488: ${r.error.reason}`);
  return r;
}

test('a PCMA-only offer is answered with PCMA on the offer\'s payload type', () => {
  const { answer, media } = accepted(negotiateAnswer(offer('8', ['a=rtpmap:8 PCMA/8000']), us));
  assert.deepEqual(answer.media[0]!.formats, ['8']);
  assert.deepEqual(media.codec, { name: 'PCMA', clockRate: 8000, channels: 1, payloadType: 8 });
  assert.equal(media.remoteAddress, '192.0.2.7');
  assert.equal(media.remotePort, 5004);
  assert.equal(media.remoteRtcpPort, 5005, 'RTCP on RTP port + 1 without a=rtcp or rtcp-mux');
  assert.equal(media.direction, 'sendrecv');
  assert.equal(media.telephoneEvent, undefined, 'no telephone-event when none was offered');
  assert.equal(media.remoteHold, false);
});

test('the answer is well-formed SDP with our address, one codec and the offer\'s ptime', () => {
  const { answer } = accepted(negotiateAnswer(fixture('asterisk-offer.sdp'), us));
  assert.equal(serializeSdp(answer), [
    'v=0', 'o=- 42 42 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0',
    'm=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
    'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n'));
  assert.deepEqual(parseSdp(serializeSdp(answer)), answer, 'the answer survives its own round trip');
});

test('codec choice follows our preference by default and the offerer\'s with preferOfferOrder', () => {
  const asterisk = fixture('asterisk-offer.sdp'); // offers PCMA before PCMU
  assert.equal(accepted(negotiateAnswer(asterisk, us)).media.codec.name, 'PCMU');
  assert.equal(accepted(negotiateAnswer(asterisk, { ...us, preferOfferOrder: true })).media.codec.name, 'PCMA');
});

test('codecs match by name case-insensitively, clock rate and channels', () => {
  const lower = accepted(negotiateAnswer(offer('97', ['a=rtpmap:97 pcma/8000']), us));
  assert.equal(lower.media.codec.payloadType, 97);
  const mono = negotiateAnswer(offer('111', ['a=rtpmap:111 opus/48000/1']), { ...us, codecs: [opus] });
  assert.ok('error' in mono, 'opus/48000/1 is not opus/48000/2');
  const l16 = negotiateAnswer(offer('98', ['a=rtpmap:98 L16/16000']), { ...us, codecs: [WELL_KNOWN_CODECS.L16_8000] });
  assert.ok('error' in l16, 'L16/16000 is not L16/8000');
});

test('an offer with no codec we support gets 488 with a reason naming both sides', () => {
  const r = negotiateAnswer(offer('18 4', ['a=rtpmap:18 G729/8000']), us);
  assert.ok('error' in r);
  assert.equal(r.error.status, 488);
  assert.equal(r.error.reason, 'no common audio codec (offered G729/8000, G723/8000; supported PCMU/8000, PCMA/8000)');
  const te = negotiateAnswer(offer('101', ['a=rtpmap:101 telephone-event/8000']), us);
  assert.ok('error' in te, 'telephone-event alone is not a codec');
});

test('offers we cannot take at all: no audio, SDES-SRTP transport, no connection address', () => {
  const video = parseSdp('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n');
  assert.deepEqual(negotiateAnswer(video, us), { error: { status: 488, reason: 'no audio stream offered' } });
  const savp = parseSdp('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n');
  assert.deepEqual(negotiateAnswer(savp, us), { error: { status: 488, reason: 'audio transport RTP/SAVP not supported' } });
  const noC = parseSdp('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n');
  assert.deepEqual(negotiateAnswer(noC, us), { error: { status: 488, reason: 'audio stream has no c= line' } });
});

test('telephone-event is answered on the OFFER\'s payload type: 101 and 96 alike', () => {
  for (const pt of ['101', '96']) {
    const { answer, media } = accepted(negotiateAnswer(offer(`0 ${pt}`, [`a=rtpmap:${pt} telephone-event/8000`, `a=fmtp:${pt} 0-15`]), us));
    assert.deepEqual(answer.media[0]!.formats, ['0', pt]);
    assert.deepEqual(media.telephoneEvent, { payloadType: Number(pt), clockRate: 8000 });
    assert.equal(mediaView(answer.media[0]!).fmtp.get(Number(pt)), '0-15', 'events mirrored from the offer');
  }
  const off = accepted(negotiateAnswer(offer('0 101', ['a=rtpmap:101 telephone-event/8000']), { ...us, telephoneEvent: false }));
  assert.deepEqual(off.answer.media[0]!.formats, ['0']);
});

test('telephone-event at the chosen codec\'s clock rate wins (Linphone offers 48000, 16000 and 8000)', () => {
  const linphone = fixture('linphone-offer.sdp');
  const withOpus = accepted(negotiateAnswer(linphone, { ...us, codecs: [opus, PCMU] }));
  assert.equal(withOpus.media.codec.payloadType, 96);
  assert.deepEqual(withOpus.media.telephoneEvent, { payloadType: 101, clockRate: 48000 });
  const withPcmu = accepted(negotiateAnswer(linphone, us));
  assert.deepEqual(withPcmu.media.telephoneEvent, { payloadType: 100, clockRate: 8000 });
});

test('direction per RFC 3264 §6.1: sendonly→recvonly, recvonly→sendonly, inactive→inactive, narrowed by ours', () => {
  const cases: [string, string | undefined, string, boolean][] = [
    ['sendonly', undefined, 'recvonly', true],
    ['recvonly', undefined, 'sendonly', false],
    ['inactive', undefined, 'inactive', true],
    ['sendrecv', undefined, 'sendrecv', false],
    ['sendrecv', 'recvonly', 'recvonly', false],
    ['sendonly', 'sendonly', 'inactive', true],
  ];
  for (const [offered, ours, expected, hold] of cases) {
    const local = ours ? { ...us, direction: ours as 'recvonly' } : us;
    const { answer, media } = accepted(negotiateAnswer(offer('0', [`a=${offered}`]), local));
    assert.equal(mediaView(answer.media[0]!, answer).direction, expected, `offer ${offered}, we ${ours ?? 'sendrecv'}`);
    assert.equal(media.direction, expected);
    assert.equal(media.remoteHold, hold, `remoteHold for offer ${offered}`);
  }
});

test('a session-level direction in the offer is honoured', () => {
  const { media } = accepted(negotiateAnswer(offer('0', [], ['c=IN IP4 192.0.2.7', 'a=sendonly']), us));
  assert.equal(media.direction, 'recvonly');
});

test('legacy hold: a=sendrecv with c=0.0.0.0 is a hold — answer recvonly, send nothing', () => {
  const { answer, media } = accepted(negotiateAnswer(offer('0', ['a=sendrecv'], ['c=IN IP4 0.0.0.0']), us));
  assert.equal(mediaView(answer.media[0]!).direction, 'recvonly');
  assert.equal(media.direction, 'recvonly');
  assert.equal(media.remoteHold, true);
  assert.equal(media.remoteAddress, '0.0.0.0');
});

test('other m-lines are rejected with port 0 in their place (Linphone audio+video)', () => {
  const { answer } = accepted(negotiateAnswer(fixture('linphone-offer.sdp'), us));
  assert.equal(answer.media.length, 2);
  assert.equal(answer.media[0]!.port, 40000);
  assert.deepEqual(answer.media[1], { type: 'video', port: 0, protocol: 'RTP/AVP', formats: ['96'], bandwidths: [], attributes: [] });
  assert.match(serializeSdp(answer), /\r\nm=video 0 RTP\/AVP 96\r\n$/);
});

test('a second audio m-line is rejected too: we take one audio stream', () => {
  const two = parseSdp('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 18\r\nm=audio 5002 RTP/AVP 8\r\nm=audio 5004 RTP/AVP 0\r\n');
  const { answer, media } = accepted(negotiateAnswer(two, us));
  assert.deepEqual(answer.media.map((m) => m.port), [0, 40000, 0], 'the first audio stream we can serve is taken');
  assert.equal(media.remotePort, 5002);
});

test('Chrome offer with DTLS: audio accepted with mid, rtcp-mux, setup active and BUNDLE; video rejected keeping its mid', () => {
  const chrome = fixture('chrome-offer.sdp');
  const fingerprint = { algorithm: 'sha-256', value: 'AA:BB' };
  const { answer, media } = accepted(negotiateAnswer(chrome, {
    ...us, codecs: [opus, PCMU], dtls: { fingerprint }, ice: { ufrag: 'abcd', pwd: 'p'.repeat(24) },
  }));
  assert.equal(answer.media[0]!.protocol, 'UDP/TLS/RTP/SAVPF');
  assert.deepEqual(answer.media[0]!.formats, ['111', '110'], 'opus with telephone-event at its own 48 kHz clock');
  const v = mediaView(answer.media[0]!, answer);
  assert.equal(v.mid, '0');
  assert.equal(v.rtcpMux, true);
  assert.equal(v.dtls.setup, 'active');
  assert.deepEqual(v.dtls.fingerprints, [fingerprint]);
  assert.equal(v.ice.ufrag, 'abcd');
  assert.equal(v.fmtp.get(111), 'minptime=10;useinbandfec=1');
  assert.deepEqual(answer.attributes, [{ name: 'group', value: 'BUNDLE 0' }]);
  assert.deepEqual(answer.media[1], { type: 'video', port: 0, protocol: 'UDP/TLS/RTP/SAVPF', formats: ['96', '97', '102', '103'], bandwidths: [], attributes: [{ name: 'mid', value: '1' }] });
  assert.equal(media.rtcpMux, true);
  assert.equal(media.remoteRtcpPort, 54400);
  assert.deepEqual(media.telephoneEvent, { payloadType: 110, clockRate: 48000 });
  assert.ok('error' in negotiateAnswer(chrome, { ...us, codecs: [opus] }), 'no DTLS from us → SAVPF not served');
  // Listing telephone-event among our codecs restricts the clock rates we take.
  const only8k = accepted(negotiateAnswer(chrome, { ...us, codecs: [opus, telephoneEvent], dtls: { fingerprint } }));
  assert.deepEqual(only8k.media.telephoneEvent, { payloadType: 126, clockRate: 8000 });
});

test('rtcp-mux is kept when offered and supported, dropped when we say no; a=rtcp gives the RTCP port', () => {
  const mux = accepted(negotiateAnswer(offer('0', ['a=rtcp-mux']), us));
  assert.equal(mux.media.rtcpMux, true);
  assert.equal(mux.media.remoteRtcpPort, 5004);
  assert.equal(mediaView(mux.answer.media[0]!).rtcpMux, true);
  const noMux = accepted(negotiateAnswer(offer('0', ['a=rtcp-mux', 'a=rtcp:6000']), { ...us, rtcpMux: false }));
  assert.equal(noMux.media.rtcpMux, false);
  assert.equal(noMux.media.remoteRtcpPort, 6000);
  assert.equal(mediaView(noMux.answer.media[0]!).rtcpMux, false);
});

test('ptime mirrors the offer when sensible, else ours, capped by maxptime', () => {
  const ptime = (lines: string[], ours?: number) => accepted(negotiateAnswer(offer('0', lines), { ...us, ptime: ours })).media.ptime;
  assert.equal(ptime(['a=ptime:30']), 30);
  assert.equal(ptime(['a=ptime:25']), 20, '25 ms does not fit a 10 ms media clock');
  assert.equal(ptime(['a=ptime:200']), 20);
  assert.equal(ptime([]), 20);
  assert.equal(ptime([], 40), 40);
  assert.equal(ptime(['a=maxptime:10']), 10);
});

test('the answer to a re-offer keeps our o=, bumping its version only when the answer changed (RFC 3264 §8)', () => {
  const first = accepted(negotiateAnswer(offer('0', []), us)).answer;
  const second = accepted(negotiateAnswer(offer('0', ['a=sendonly']), { ...us, previous: first })).answer;
  assert.deepEqual(second.origin, { ...first.origin, sessVersion: '43' });
  const third = accepted(negotiateAnswer(offer('0', ['a=sendonly']), { ...us, previous: second })).answer;
  assert.deepEqual(third, second, 'an unchanged answer repeats the same version (session refresh)');
});

test('createOffer writes codecs, telephone-event 101, ptime and direction', () => {
  const sd = createOffer({ address: '10.0.0.1', port: 30000, codecs: [PCMU, PCMA], sessionId: '7' });
  assert.equal(serializeSdp(sd), [
    'v=0', 'o=- 7 7 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 30000 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
    'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n'));
});

test('createOffer: telephone-event moves off a taken 101, can be turned off, and IPv6 is detected', () => {
  const taken = createOffer({ address: '::1', port: 1, codecs: [PCMU, { name: 'opus', clockRate: 48000, channels: 2, payloadType: 101 }] });
  assert.deepEqual(taken.media[0]!.formats, ['0', '101', '96']);
  assert.equal(taken.connection?.addrType, 'IP6');
  assert.equal(taken.origin.addrType, 'IP6');
  assert.ok(mediaView(taken.media[0]!).rtpmap.get(101)?.encoding === 'opus');
  const none = createOffer({ address: '10.0.0.1', port: 1, codecs: [PCMU, telephoneEvent], telephoneEvent: false });
  assert.deepEqual(none.media[0]!.formats, ['0']);
  const own = createOffer({ address: '10.0.0.1', port: 1, codecs: [PCMU, { ...telephoneEvent, payloadType: 96 }] });
  assert.deepEqual(own.media[0]!.formats, ['0', '96'], 'the caller\'s telephone-event is used as is');
  assert.throws(() => createOffer({ address: 'h', port: 1, codecs: [], telephoneEvent: false }), RangeError);
});

test('createOffer with ICE and DTLS: SAVPF, setup actpass, rtcp-mux, mid, candidates', () => {
  const sd = createOffer({
    address: '10.0.0.1', port: 30000, codecs: [opus], rtcpMux: true, mid: '0', sessionId: '1',
    ice: { ufrag: 'u', pwd: 'p', options: ['trickle'], candidates: ['1 1 udp 2130706431 10.0.0.1 30000 typ host'], endOfCandidates: true },
    dtls: { fingerprint: { algorithm: 'sha-256', value: '01:02' } },
  });
  const m = sd.media[0]!;
  assert.equal(m.protocol, 'UDP/TLS/RTP/SAVPF');
  const v = mediaView(m, sd);
  assert.equal(v.dtls.setup, 'actpass');
  assert.equal(v.rtcpMux, true);
  assert.equal(v.mid, '0');
  assert.deepEqual(v.ice.options, ['trickle']);
  assert.equal(v.ice.candidates[0]!.port, 30000);
  assert.equal(v.ice.endOfCandidates, true);
  assert.equal(v.fmtp.get(111), 'minptime=10;useinbandfec=1');
  assert.equal(v.rtpmap.get(111)?.channels, 2);
});

test('UAC side: createOffer → peer answers → applyAnswer settles codec, events, direction and ports', () => {
  const ours = createOffer({ address: '10.0.0.1', port: 30000, codecs: [PCMA, PCMU], rtcpMux: true, sessionId: '5' });
  const peer: AnswerOptions = { address: '192.0.2.9', port: 7000, codecs: [PCMU, PCMA], rtcpMux: true };
  const { answer, media: theirs } = accepted(negotiateAnswer(ours, peer));
  const media = applyAnswer(ours, parseSdp(serializeSdp(answer)));
  assert.ok(!('error' in media));
  assert.deepEqual(media, {
    remoteAddress: '192.0.2.9', remotePort: 7000, remoteRtcpPort: 7000,
    codec: { name: 'PCMU', clockRate: 8000, channels: 1, payloadType: 0 },
    ptime: 20, direction: 'sendrecv', rtcpMux: true, remoteHold: false,
    telephoneEvent: { payloadType: 101, clockRate: 8000 },
  });
  assert.equal(theirs.codec.name, 'PCMU');
});

test('applyAnswer: a recvonly answer to our sendrecv means we only send; sendonly means we are held', () => {
  const ours = createOffer({ address: '10.0.0.1', port: 30000, codecs: [PCMU], sessionId: '5' });
  const answer = (dir: string) => parseSdp(`v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\na=${dir}\r\n`);
  const recvonly = applyAnswer(ours, answer('recvonly'));
  assert.ok(!('error' in recvonly));
  assert.equal(recvonly.direction, 'sendonly');
  assert.equal(recvonly.remoteHold, false);
  assert.equal(recvonly.telephoneEvent, undefined, 'the answer left out telephone-event');
  const sendonly = applyAnswer(ours, answer('sendonly'));
  assert.ok(!('error' in sendonly));
  assert.equal(sendonly.direction, 'recvonly');
  assert.equal(sendonly.remoteHold, true);
});

test('applyAnswer rejects answers that break RFC 3264 §6', () => {
  const ours = createOffer({ address: '10.0.0.1', port: 30000, codecs: [PCMU], sessionId: '5' });
  const head = 'v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n';
  const reason = (sdp: string) => {
    const r = applyAnswer(ours, parseSdp(head + sdp));
    assert.ok('error' in r, `expected an error for ${JSON.stringify(sdp)}`);
    assert.equal(r.error.status, 488);
    return r.error.reason;
  };
  assert.equal(reason('m=audio 0 RTP/AVP 0\r\n'), 'the answer rejected the audio stream');
  assert.equal(reason('m=audio 7000 RTP/AVP 8\r\n'), 'the answer has no codec from the offer (answered PCMA/8000)');
  assert.equal(reason('m=audio 7000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n'), 'answer has 2 m-lines, the offer had 1');
  assert.equal(reason('m=video 7000 RTP/AVP 0\r\n'), 'answer m-line 1 is video, the offer\'s is audio');
});

test('hold and resume re-offers: sendonly then sendrecv, version +1 each time, input untouched (RFC 3264 §8.4)', () => {
  const first = createOffer({ address: '10.0.0.1', port: 30000, codecs: [PCMU], sessionId: '9' });
  const held = holdOffer(first);
  assert.equal(held.origin.sessVersion, '10');
  assert.equal(mediaView(held.media[0]!, held).direction, 'sendonly');
  assert.equal(mediaView(first.media[0]!, first).direction, 'sendrecv', 'the original offer is not modified');
  assert.equal(first.origin.sessVersion, '9');
  // The held line replaces the old direction where it stood.
  assert.deepEqual(held.media[0]!.attributes.map((a) => a.name), first.media[0]!.attributes.map((a) => (a.name === 'sendrecv' ? 'sendonly' : a.name)));

  const peer = accepted(negotiateAnswer(held, { ...us }));
  assert.equal(mediaView(peer.answer.media[0]!).direction, 'recvonly', 'the held peer answers recvonly');
  assert.equal(peer.media.remoteHold, true);
  const ourView = applyAnswer(held, peer.answer);
  assert.ok(!('error' in ourView));
  assert.equal(ourView.direction, 'sendonly');
  assert.equal(ourView.remoteHold, false, 'holding them is not being held');

  const resumed = resumeOffer(held);
  assert.equal(resumed.origin.sessVersion, '11');
  assert.equal(mediaView(resumed.media[0]!, resumed).direction, 'sendrecv');

  const recvonly = createOffer({ address: 'h', port: 1, codecs: [PCMU], direction: 'recvonly', sessionId: '1' });
  assert.equal(mediaView(holdOffer(recvonly).media[0]!).direction, 'inactive');
  assert.equal(mediaView(resumeOffer(holdOffer(recvonly)).media[0]!).direction, 'recvonly');
  assert.equal(mediaView(resumeOffer(holdOffer(recvonly), 'sendrecv').media[0]!).direction, 'sendrecv');
});

test('hold moves a session-level direction down to the media and leaves rejected streams alone', () => {
  const sd = parseSdp('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\na=sendrecv\r\nm=audio 1 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n');
  const held = holdOffer(sd);
  assert.deepEqual(held.attributes, []);
  assert.deepEqual(held.media[0]!.attributes, [{ name: 'sendonly' }]);
  assert.deepEqual(held.media[1]!.attributes, []);
});

test('bumpVersion counts past 2^53 without losing digits', () => {
  const sd = fixture('chrome-offer.sdp');
  sd.origin.sessVersion = '9007199254740993';
  assert.equal(bumpVersion(sd).origin.sessVersion, '9007199254740994');
});

test('negotiation never throws on fixture offers and always lines up m-lines', () => {
  const codecs: Codec[] = [opus, PCMU, PCMA, WELL_KNOWN_CODECS.L16_16000, WELL_KNOWN_CODECS.L16_8000];
  for (const name of ['sipp-uac.sdp', 'baresip-offer.sdp', 'asterisk-offer.sdp', 'linphone-offer.sdp']) {
    const o = fixture(name);
    const { answer } = accepted(negotiateAnswer(o, { ...us, codecs }));
    assert.equal(answer.media.length, o.media.length, name);
  }
});

test('real baresip answer to our createOffer (captured): round-trips and applyAnswer settles PCMA + events', () => {
  // baresip-answer.sdp is what baresip 1.0.0 (answermode=auto) sent back in its 200 OK to exactly this offer.
  const ours = createOffer({ address: '127.0.0.1', port: 40000, codecs: [PCMA, PCMU], sessionId: '1234' });
  const bytes = readFileSync(new URL('./fixtures/baresip-answer.sdp', import.meta.url));
  const answer = parseSdp(bytes);
  assert.equal(serializeSdp(answer), bytes.toString('utf8'));
  assert.deepEqual(applyAnswer(ours, answer), {
    remoteAddress: '192.0.2.2', remotePort: 38242, remoteRtcpPort: 38243,
    codec: { name: 'PCMA', clockRate: 8000, channels: 1, payloadType: 8 },
    ptime: 20, direction: 'sendrecv', rtcpMux: false, remoteHold: false,
    telephoneEvent: { payloadType: 101, clockRate: 8000 },
  });
});
