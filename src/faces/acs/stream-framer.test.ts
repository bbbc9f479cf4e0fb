// The ACS media streaming frames (vendor-apis.md A.7) as the official SDK 1.6.0 reads and writes
// them: what we send is parsed by its StreamingData.parse; what its createOutboundAudioData /
// createOutboundStopAudioData produce (and the .NET SDK's PascalCase) is parsed by us.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { StreamConnectRequest } from '../../core/index.ts';
import { acsStreamFramer, parseAcsInbound } from './stream-framer.ts';

const require = createRequire(import.meta.url);
const sdk = require('acs-sdk-160') as typeof import('acs-sdk-160');

const req: StreamConnectRequest = {
  url: 'wss://bot.example/ws', format: 'acs', content: 'audio', callId: 'call-1', applicationId: 'app-1',
  audio: { rate: 16000, channels: 'unmixed', bidirectional: true, dtmf: true }, meta: { callConnectionId: 'cc-1', correlationId: 'corr-1' },
};

function ramp(n: number): Int16Array {
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = (i * 397) % 65536 - 32768;
  return s;
}

describe('ACS stream framer', () => {
  const f = acsStreamFramer({ sign: (app) => `token-for-${app}` });

  test('connect headers: correlation id, call connection id, Bearer token', async () => {
    assert.deepEqual(await f.headers!(req), { 'x-ms-call-correlation-id': 'corr-1', 'x-ms-call-connection-id': 'cc-1', authorization: 'Bearer token-for-app-1' });
    assert.equal((await acsStreamFramer().headers!(req)).authorization, undefined, 'no signer, no Authorization');
  });

  test('AudioMetadata parses with the SDK: 16 kHz mono PCM, 640-byte frames; 24 kHz: 960', () => {
    const [m] = f.open(req, 'sub-1');
    const p = sdk.StreamingData.parse(m!) as unknown as Record<string, unknown>;
    assert.equal(sdk.StreamingData.getStreamingKind(), 'AudioMetadata');
    assert.deepEqual(p, { subscriptionId: 'sub-1', encoding: 'PCM', sampleRate: 16000, channels: 1 });
    assert.equal(JSON.parse(m!).audioMetadata.length, 640);
    const [m24] = f.open({ ...req, audio: { ...req.audio!, rate: 24000 } }, 's');
    assert.equal(JSON.parse(m24!).audioMetadata.length, 960);
  });

  test('AudioData parses with the SDK: the PCM round-trips bit-exact, the participant is its raw id, timestamp ISO', () => {
    const samples = ramp(320);
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const msg = String(f.audio(req, { samples, participant: { kind: 'phone', number: '+4930123' }, timestampMs: at, silent: false }));
    const p = sdk.StreamingData.parse(msg) as unknown as { data: string; timestamp: string; isSilent: boolean; participant: { kind: string; phoneNumber?: string } };
    assert.equal(sdk.StreamingData.getStreamingKind(), 'AudioData');
    assert.equal(p.timestamp, '2026-01-02T03:04:05.678Z');
    assert.equal(p.isSilent, false);
    assert.equal(p.participant.kind, 'phoneNumber');
    assert.equal(p.participant.phoneNumber, '+4930123');
    const back = Buffer.from(p.data, 'base64');
    assert.equal(back.length, 640);
    for (let i = 0; i < 320; i++) assert.equal(back.readInt16LE(i * 2), samples[i]);
    const mixed = sdk.StreamingData.parse(String(f.audio(req, { samples, timestampMs: at, silent: true }))) as unknown as { participant?: unknown; isSilent: boolean };
    assert.equal(mixed.participant, undefined, 'a mixed stream names no participant');
    assert.equal(mixed.isSilent, true);
  });

  test('DtmfData parses with the SDK; no digits unless enableDtmfTones', () => {
    const p = sdk.StreamingData.parse(f.dtmf(req, '5')!) as unknown as { data: string };
    assert.equal(sdk.StreamingData.getStreamingKind(), 'DtmfData');
    assert.equal(p.data, '5');
    assert.equal(f.dtmf({ ...req, audio: { ...req.audio!, dtmf: false } }, '5'), null);
  });

  test('what the SDK sends back: createOutboundAudioData → audio (bit-exact), createOutboundStopAudioData → stopAudio', () => {
    const samples = ramp(480);
    const out = sdk.createOutboundAudioData(Buffer.from(samples.buffer).toString('base64'));
    const m = f.parse(out, req);
    assert.equal(m?.kind, 'audio');
    assert.deepEqual(m.kind === 'audio' ? [...m.samples] : [], [...samples]);
    assert.deepEqual(f.parse(sdk.createOutboundStopAudioData(), req), { kind: 'stopAudio' });
  });

  test('.NET PascalCase keys and kinds are understood (case-insensitive), also as a binary frame', () => {
    const b64 = Buffer.from(new Int16Array([1, -2, 3]).buffer).toString('base64');
    const m = parseAcsInbound(`{"Kind":"AudioData","AudioData":{"Data":"${b64}","Timestamp":null,"IsSilent":false},"StopAudio":null}`);
    assert.deepEqual(m?.kind === 'audio' ? [...m.samples] : null, [1, -2, 3]);
    assert.deepEqual(parseAcsInbound(Buffer.from('{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}')), { kind: 'stopAudio' });
    assert.deepEqual(parseAcsInbound('{"KIND":"stopaudio"}'), { kind: 'stopAudio' });
  });

  test('bad input is refused, not thrown: not JSON, no kind, unknown kind, bad base64, empty audio', () => {
    for (const bad of ['not json', '[]', '{}', '{"kind":"Hello"}', '{"kind":"audioData","audioData":{"data":"***"}}', '{"kind":"audioData","audioData":{"data":""}}', '{"kind":"audioData"}', 'null']) {
      assert.equal(parseAcsInbound(bad), null, bad);
    }
  });

  test('transcription connections are framed by transcription-frames (TranscriptionMetadata parses with the SDK)', () => {
    const t: StreamConnectRequest = { ...req, content: 'transcription', transcription: { locale: 'en-US' } };
    delete (t as { audio?: unknown }).audio;
    const [m] = f.open(t, 'sub-t');
    const p = sdk.StreamingData.parse(m!) as unknown as { locale: string; subscriptionId: string };
    assert.equal(sdk.StreamingData.getStreamingKind(), 'TranscriptionMetadata');
    assert.equal(p.locale, 'en-US');
    assert.equal(f.transcript(req, { text: 'x', final: true, offsetMs: 0, durationMs: 1 }), null, 'an audio stream carries no transcripts');
  });
});
