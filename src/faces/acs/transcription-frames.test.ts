import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { StreamConnectRequest } from '../../core/index.ts';
import { transcriptionFrame, transcriptionOpen } from './transcription-frames.ts';

// The frames are checked with the SDK's own streaming parser, not with our idea of the shape.
const require = createRequire(import.meta.url);
const sdk = require('acs-sdk-160') as typeof import('acs-sdk-160');

const req: StreamConnectRequest = {
  url: 'ws://127.0.0.1:1/t', format: 'acs', content: 'transcription', callId: 'call-1', applicationId: 'app',
  transcription: { locale: 'en-GB' },
};

test('TranscriptionMetadata parses with StreamingData.parse (SDK 1.6.0)', () => {
  const frames = transcriptionOpen(req, 'sub-9');
  assert.equal(frames.length, 1);
  const m = sdk.StreamingData.parse(frames[0]!) as import('acs-sdk-160').TranscriptionMetadata;
  assert.equal(sdk.StreamingData.getStreamingKind(), 'TranscriptionMetadata');
  assert.deepEqual(
    { s: m.subscriptionId, l: m.locale, c: m.callConnectionId, k: m.correlationId },
    { s: 'sub-9', l: 'en-GB', c: 'call-1', k: 'call-1' },
  );
});

test('TranscriptionData: ticks, words, participant and result state parse with the SDK', () => {
  const frame = transcriptionFrame(req, {
    text: 'pay my bill', final: true, confidence: 0.8, offsetMs: 1500, durationMs: 900,
    words: [{ text: 'pay', offsetMs: 1500, durationMs: 300 }, { text: 'bill', offsetMs: 2100, durationMs: 300 }],
    participant: { kind: 'phone', number: '+4930123456' },
  });
  const d = sdk.StreamingData.parse(frame) as import('acs-sdk-160').TranscriptionData;
  assert.equal(sdk.StreamingData.getStreamingKind(), 'TranscriptionData');
  assert.equal(d.text, 'pay my bill');
  assert.equal(d.format, 'display');
  assert.equal(d.confidence, 0.8);
  assert.equal(d.offsetInTicks, 15_000_000);
  assert.equal(d.durationInTicks, 9_000_000);
  assert.deepEqual(d.words.map((w) => [w.text, w.offsetInTicks, w.durationInTicks]), [['pay', 15_000_000, 3_000_000], ['bill', 21_000_000, 3_000_000]]);
  assert.equal((d.participant as { kind?: string }).kind, 'phoneNumber');
  // A.8 and Microsoft's samples send PascalCase; the SDK passes the wire value through.
  assert.equal(d.resultState, 'Final');
});

test('an intermediate result without words or speaker still parses (SDK throws on undefined ones)', () => {
  const d = sdk.StreamingData.parse(transcriptionFrame(req, { text: 'pay my', final: false, offsetMs: 0, durationMs: 400 })) as import('acs-sdk-160').TranscriptionData;
  assert.deepEqual(d.words, []);
  assert.equal(d.confidence, 0);
  assert.equal(JSON.parse(transcriptionFrame(req, { text: 'x', final: false, offsetMs: 0, durationMs: 1 })).transcriptionData.resultStatus, 'Intermediate');
});
