// Core live transcription and free-form recognize with fake ports over SQLite: a fake
// Transcriber (one final per 10 frames written), a fake MediaStreamer recording what it is sent.
// Checks the plumbing (tap → engine → sendTranscript with the leg's participant, events, stop
// flushes, update restarts with the new locale, refused locale, free-form recognize result).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  CallService, applicationPrincipal, type MediaStreamer, type Participant, type StreamConnectRequest, type StreamConnection,
  type Transcriber, type TranscriberSessionEvents, type TranscriptResult,
} from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const me = applicationPrincipal('app-tr');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-tr-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-tr', name: 'tr', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Emits "words N" (final) after every 10 writes and on end() for a partial batch. */
class FakeTranscriber implements Transcriber {
  readonly started: { rate: number; locale?: string }[] = [];
  startSession(opts: { rate: number; locale?: string }) {
    if (opts.locale === 'xx-XX') throw Object.assign(new Error('locale xx-XX is not installed'), { code: 'BAD_REQUEST' });
    this.started.push(opts);
    const e = new EventEmitter<TranscriberSessionEvents>();
    let n = 0;
    let batch = 0;
    const emit = (): void => {
      e.emit('result', { text: `words ${n}`, final: true, confidence: 0.5, offsetMs: n * 20, durationMs: 200 });
      batch = 0;
    };
    return Object.assign(e, {
      write(_s: Int16Array) { n++; if (++batch === 10) emit(); },
      async end() { if (batch > 0) emit(); e.emit('closed'); },
      async close() { e.emit('closed'); },
    });
  }
}

class FakeStreamer implements MediaStreamer {
  readonly sent: TranscriptResult[] = [];
  readonly reqs: StreamConnectRequest[] = [];
  closed = 0;
  async connect(req: StreamConnectRequest): Promise<StreamConnection> {
    this.reqs.push(req);
    const e = new EventEmitter();
    return Object.assign(e, {
      id: 'c1', dropped: 0,
      sendAudio() {}, sendDtmf() {},
      sendTranscript: (r: TranscriptResult) => { this.sent.push(r); },
      close: async () => { this.closed++; },
    }) as unknown as StreamConnection;
  }
}

async function answered() {
  const transcriber = new FakeTranscriber();
  const streamer = new FakeStreamer();
  const svc = new CallService({ store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), transcriber, mediaStreamer: streamer });
  const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(ch, ep, { applicationId: 'app-tr', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  return { svc, ep, call, transcriber, streamer };
}

async function events(callId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows.map((r) => ({ type: r.type, data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown> }));
}

it('startTranscription: tap → engine → sendTranscript with the caller as speaker; update restarts; stop flushes', async () => {
  const { svc, ep, call, transcriber, streamer } = await answered();
  const op = await svc.execute(call.id, 'startTranscription', { url: 'ws://127.0.0.1:1/t', format: 'acs', locale: 'en-US' }, { principal: me });
  assert.equal((await op.done).code, 200);
  assert.equal(streamer.reqs[0]!.content, 'transcription');
  assert.deepEqual(streamer.reqs[0]!.transcription, { locale: 'en-US' });
  assert.deepEqual(transcriber.started, [{ rate: 16000, locale: 'en-US' }]);
  assert.equal(ep.taps.length, 1);
  for (let i = 0; i < 10; i++) ep.tapAudio();
  assert.equal(streamer.sent.length, 1);
  assert.equal(streamer.sent[0]!.text, 'words 10');
  assert.deepEqual(streamer.sent[0]!.participant, CALLER);
  // A second start is refused while one runs.
  await assert.rejects(svc.execute(call.id, 'startTranscription', { url: 'ws://127.0.0.1:1/t' }, { principal: me }), /already being transcribed/);
  assert.equal((await (await svc.execute(call.id, 'updateTranscription', { locale: 'en-GB' }, { principal: me })).done).code, 200);
  assert.equal(transcriber.started[1]!.locale, 'en-GB');
  for (let i = 0; i < 3; i++) ep.tapAudio();
  assert.equal((await (await svc.execute(call.id, 'stopTranscription', {}, { principal: me })).done).code, 200);
  assert.equal(streamer.sent.length, 2, 'stop flushed the utterance in progress');
  assert.equal(streamer.sent[1]!.offsetMs, 200 + 3 * 20, 'offsets count from the start across the locale change');
  assert.equal(ep.taps.length, 0, 'tap closed');
  assert.equal(streamer.reqs.length, 1, 'the refused second start opened no socket');
  assert.equal(streamer.closed, 1);
  const ev = await events(call.id);
  const types = ev.map((e) => e.type).filter((t) => t.startsWith('transcription.'));
  assert.deepEqual(types, ['transcription.started', 'transcription.updated', 'transcription.stopped']);
  assert.equal(ev.find((e) => e.type === 'transcription.stopped')!.data.results, 2);
});

it('a locale the engine refuses: transcription.failed (start) and the socket closed again', async () => {
  const { svc, call, streamer } = await answered();
  const op = await svc.execute(call.id, 'startTranscription', { url: 'ws://127.0.0.1:1/t', locale: 'xx-XX' }, { principal: me });
  const r = await op.done;
  assert.equal(r.code, 400);
  assert.equal(streamer.closed, 1);
  const failed = (await events(call.id)).find((e) => e.type === 'transcription.failed');
  assert.equal(failed?.data.reason, 'start');
  assert.match(String(failed?.data.error), /not installed/);
});

it('recognize mode speech without choices: the utterance is transcribed → {speech, confidence}', async () => {
  const { svc, ep, call } = await answered();
  const op = await svc.execute(call.id, 'recognize', { mode: 'speech' }, { principal: me });
  await new Promise((r) => setImmediate(r));
  ep.utterance();
  const r = await op.done;
  assert.equal(r.code, 200, JSON.stringify(r));
  const done = (await events(call.id)).find((e) => e.type === 'recognize.completed');
  assert.equal(done?.data.speech, 'words 1');
  assert.equal(done?.data.confidence, 0.5);
});
