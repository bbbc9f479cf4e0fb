// SdpMedia's codec choice: G.711 stays preferred, Opus is answered when it is the only codec we
// carry in the offer, the endpoint's media rate (fixed at creation) bounds every later answer,
// and our own offers stay G.711.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANSWER_CODECS, answerCodecsAt, endpointSpecFor, SdpMedia } from './sdp-media.ts';
import { parseSdp, codecsOf } from '../sdp/index.ts';
import type { EndpointUpdate, MediaEndpointHandle } from '../media/index.ts';

function fakeHandle(updates: EndpointUpdate[]): MediaEndpointHandle {
  return { localPort: 30000, closed: false, update: async (u: EndpointUpdate) => { updates.push(u); } } as unknown as MediaEndpointHandle;
}

/** An offer with these `pt name/rate[/ch]` formats (what baresip, Asterisk or a browser would send). */
function offer(...formats: string[]): string {
  const pts = formats.map((f) => f.split(' ')[0]);
  return [
    'v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0',
    `m=audio 4000 RTP/AVP ${pts.join(' ')}`,
    ...formats.map((f) => `a=rtpmap:${f}`),
    'a=sendrecv', '',
  ].join('\r\n');
}

const BARESIP_OPUS = offer('96 opus/48000/2', '101 telephone-event/8000');

function answered(v: Awaited<ReturnType<SdpMedia['answer']>>) {
  assert.ok('sdp' in v, `refused: ${JSON.stringify(v)}`);
  const m = parseSdp(v.sdp).media[0]!;
  return { v, codecs: codecsOf(m).map((c) => `${c.payloadType} ${c.name}/${c.clockRate}${c.channels === 2 ? '/2' : ''}`) };
}

test('an opus-only offer (baresip: opus/48000/2 + telephone-event/8000) is answered with opus and te/8000, the offer\'s payload types', async () => {
  const spec = endpointSpecFor(BARESIP_OPUS);
  assert.deepEqual(spec, { codec: { name: 'opus', clockRate: 48000, payloadType: 96 }, telephoneEvent: { payloadType: 101, clockRate: 8000 } });
  const updates: EndpointUpdate[] = [];
  const media = new SdpMedia(fakeHandle(updates), '10.0.0.2', { mediaRate: spec.codec.clockRate });
  const { v, codecs } = answered(await media.answer(BARESIP_OPUS));
  assert.deepEqual(codecs, ['96 opus/48000/2', '101 telephone-event/8000']);
  assert.equal(v.media.codec.name, 'opus');
  assert.deepEqual(updates[0]!.codec, { name: 'opus', clockRate: 48000, payloadType: 96 });
  assert.deepEqual(updates[0]!.telephoneEvent, { payloadType: 101, clockRate: 8000 });
});

test('opus + PCMU offered: PCMU (our preference), so G.711 peers see no change; opus first in the offer does not matter', async () => {
  const o = offer('111 opus/48000/2', '0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000');
  assert.deepEqual(endpointSpecFor(o), { codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 }, telephoneEvent: { payloadType: 101, clockRate: 8000 } });
  const { codecs } = answered(await new SdpMedia(fakeHandle([]), '10.0.0.2').answer(o));
  assert.deepEqual(codecs, ['0 PCMU/8000', '101 telephone-event/8000']);
  // PCMA without PCMU: PCMA, still not opus.
  const { codecs: c2 } = answered(await new SdpMedia(fakeHandle([]), '10.0.0.2').answer(offer('111 opus/48000/2', '8 PCMA/8000')));
  assert.deepEqual(c2, ['8 PCMA/8000']);
});

test('opus + codecs we do not carry (G.722, G.729): opus; nothing we carry: 488 with the lists in the reason', async () => {
  const o = offer('9 G722/8000', '18 G729/8000', '102 opus/48000/2', '101 telephone-event/48000');
  const spec = endpointSpecFor(o);
  assert.equal(spec.codec.name, 'opus');
  // RFC 4733 §7.1: events at the audio codec's rate when offered.
  assert.deepEqual(spec.telephoneEvent, { payloadType: 101, clockRate: 48000 });
  const { codecs } = answered(await new SdpMedia(fakeHandle([]), '10.0.0.2', { mediaRate: 48000 }).answer(o));
  assert.deepEqual(codecs, ['102 opus/48000/2', '101 telephone-event/48000']);
  const v = await new SdpMedia(fakeHandle([]), '10.0.0.2').answer(offer('9 G722/8000', '18 G729/8000'));
  assert.ok('status' in v);
  assert.equal(v.status, 488);
  assert.match(v.reason, /offered G722\/8000, G729\/8000; supported PCMU\/8000, PCMA\/8000/);
});

test('the media rate bounds later offers: an 8 kHz leg refuses an opus-only re-INVITE (488), a 48 kHz leg refuses a G.711-only one', async () => {
  const g711 = new SdpMedia(fakeHandle([]), '10.0.0.2');
  answered(await g711.answer(offer('0 PCMU/8000')));
  const r1 = await g711.answer(BARESIP_OPUS);
  assert.ok('status' in r1 && r1.status === 488, JSON.stringify(r1));
  const opus = new SdpMedia(fakeHandle([]), '10.0.0.2', { mediaRate: 48000 });
  answered(await opus.answer(BARESIP_OPUS));
  const r2 = await opus.answer(offer('0 PCMU/8000', '8 PCMA/8000'));
  assert.ok('status' in r2 && r2.status === 488, JSON.stringify(r2));
  // …and a re-offer with both keeps opus (the only codec at the leg's rate).
  const { codecs } = answered(await opus.answer(offer('0 PCMU/8000', '96 opus/48000/2')));
  assert.deepEqual(codecs, ['96 opus/48000/2']);
});

test('our own offers stay G.711 (PCMU, PCMA, te/8000); a 48 kHz leg\'s offer (offerless re-INVITE) is opus', () => {
  const sdp = new SdpMedia(fakeHandle([]), '10.0.0.2').offer();
  assert.deepEqual(codecsOf(parseSdp(sdp).media[0]!).map((c) => c.name), ['PCMU', 'PCMA', 'telephone-event']);
  const o48 = new SdpMedia(fakeHandle([]), '10.0.0.2', { mediaRate: 48000 }).offer();
  assert.deepEqual(codecsOf(parseSdp(o48).media[0]!).map((c) => `${c.name}/${c.clockRate}`), ['opus/48000', 'telephone-event/8000']);
});

test('endpointSpecFor: no offer or an unusable one → PCMU/8000 (never throws)', () => {
  const pcmu = { codec: { name: 'PCMU', clockRate: 8000, payloadType: 0 } };
  assert.deepEqual(endpointSpecFor(undefined), pcmu);
  assert.deepEqual(endpointSpecFor(''), pcmu);
  assert.deepEqual(endpointSpecFor('not sdp at all'), pcmu);
  assert.deepEqual(endpointSpecFor(offer('18 G729/8000')), pcmu);
  assert.deepEqual(answerCodecsAt(48000).map((c) => c.name), ['opus']);
  assert.deepEqual(answerCodecsAt(8000).map((c) => c.name), ['PCMU', 'PCMA']);
  assert.deepEqual(ANSWER_CODECS.map((c) => c.name), ['PCMU', 'PCMA', 'opus']);
});
