// StreamingSession (src/core/operations/streaming-session.ts) stops exactly once. Engineer D found
// that TranscriptionSession.end() was re-entered from the tap's synchronous 'closed' and ran its
// stop twice (two closes, two events); StreamingSession.end() has the same `stopping ??= (async …)()`
// shape, where the async body's synchronous prefix (tap.close() calls) runs BEFORE `stopping` is
// assigned. These checks drive it with fakes that emit 'closed' synchronously from close() — the
// worst case — and with every pair of stop causes racing in one tick (stopMediaStreaming, the call
// ending, the peer closing, the socket failing while closing), over core with SQLite. Each must
// close the socket once, each tap once, and journal exactly one mediaStreaming.stopped/failed.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { CallService, applicationPrincipal, type MediaStreamer, type Participant, type StreamConnectRequest, type StreamConnection } from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const me = applicationPrincipal('app-ss');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-ss-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-ss', name: 'ss', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type CloseReason = { reason: 'closed' | 'peer' | 'error'; error?: string };

/** A connection whose close() emits 'closed' synchronously (with `closeAs`, default a normal close). */
class SyncCloseStreamer implements MediaStreamer {
  closes = 0;
  conn?: EventEmitter & { emitClosed(c: CloseReason): void };
  constructor(private readonly closeAs: CloseReason = { reason: 'closed' }) {}
  async connect(_req: StreamConnectRequest): Promise<StreamConnection> {
    const e = new EventEmitter();
    let ended = false;
    const emitClosed = (c: CloseReason): void => {
      if (ended) return;
      ended = true;
      e.emit('closed', c);
    };
    const conn = Object.assign(e, {
      id: 'c1', dropped: 0, emitClosed,
      sendAudio() {}, sendDtmf() {}, sendTranscript() {},
      close: async () => { this.closes++; emitClosed(this.closeAs); },
    });
    this.conn = conn;
    return conn as unknown as StreamConnection;
  }
}

async function streaming(streamer: SyncCloseStreamer) {
  const svc = new CallService({ store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), mediaStreamer: streamer });
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(new FakeChannel(CALLER, NUMBER, 'inbound'), ep, { applicationId: 'app-ss', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  const op = await svc.execute(call.id, 'startMediaStreaming', { url: 'ws://127.0.0.1:1/m', bidirectional: true }, { principal: me });
  assert.equal((await op.done).code, 200);
  assert.equal(ep.taps.length, 1, 'one tap open');
  const tap = ep.taps[0]!;
  let tapClosedEvents = 0;
  tap.on('closed', () => { tapClosedEvents++; });
  return { svc, ep, call, tap, tapClosed: () => tapClosedEvents };
}

async function finalEvents(callId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  // Let every racing stop finish its journal write.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  const rows = await store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows
    .map((r) => ({ type: r.type, data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown> }))
    .filter((e) => e.type === 'mediaStreaming.stopped' || e.type === 'mediaStreaming.failed');
}

it('stopMediaStreaming with synchronous closes: one socket close, one tap close, one mediaStreaming.stopped', async () => {
  const streamer = new SyncCloseStreamer();
  const { svc, ep, call, tapClosed } = await streaming(streamer);
  assert.equal((await (await svc.execute(call.id, 'stopMediaStreaming', {}, { principal: me })).done).code, 200);
  const evs = await finalEvents(call.id);
  assert.deepEqual(evs.map((e) => `${e.type}:${String(e.data.reason)}`), ['mediaStreaming.stopped:stopped']);
  assert.equal(streamer.closes, 1, 'socket closed once');
  assert.equal(tapClosed(), 1, 'tap closed once');
  assert.equal(ep.log.filter((l) => l === 'closeTap').length, 1);
  // Nothing is left to stop: a second stop is refused as a state error.
  await assert.rejects(svc.execute(call.id, 'stopMediaStreaming', {}, { principal: me }), /not|no /i);
});

it('the socket fails while closing (close() emits an error at once): still one stopped event, reason stopped', async () => {
  const streamer = new SyncCloseStreamer({ reason: 'error', error: 'reset while closing' });
  const { svc, call } = await streaming(streamer);
  assert.equal((await (await svc.execute(call.id, 'stopMediaStreaming', {}, { principal: me })).done).code, 200);
  const evs = await finalEvents(call.id);
  assert.deepEqual(evs.map((e) => `${e.type}:${String(e.data.reason)}`), ['mediaStreaming.stopped:stopped']);
  assert.equal(streamer.closes, 1);
});

it('stopMediaStreaming and hangup in the same tick: one stop, one event', async () => {
  const streamer = new SyncCloseStreamer();
  const { svc, call, tapClosed } = await streaming(streamer);
  const stop = svc.execute(call.id, 'stopMediaStreaming', {}, { principal: me });
  const hang = svc.execute(call.id, 'hangup', { forEveryone: true }, { principal: me });
  await Promise.allSettled([(await stop).done, (await hang).done]);
  const evs = await finalEvents(call.id);
  assert.equal(evs.length, 1, JSON.stringify(evs));
  assert.equal(evs[0]!.type, 'mediaStreaming.stopped');
  assert.equal(streamer.closes, 1);
  assert.equal(tapClosed(), 1);
});

it('the peer closes and the call ends in the same tick: one event (peer), the socket is not closed again', async () => {
  const streamer = new SyncCloseStreamer();
  const { svc, call, tapClosed } = await streaming(streamer);
  streamer.conn!.emitClosed({ reason: 'peer' });
  const hang = await svc.execute(call.id, 'hangup', { forEveryone: true }, { principal: me });
  await hang.done;
  const evs = await finalEvents(call.id);
  assert.deepEqual(evs.map((e) => `${e.type}:${String(e.data.reason)}`), ['mediaStreaming.stopped:peer']);
  assert.equal(tapClosed(), 1);
  assert.ok(streamer.closes <= 1, `close() called ${streamer.closes} times`);
});

it('the socket errors, then stopMediaStreaming races it: one mediaStreaming.failed', async () => {
  const streamer = new SyncCloseStreamer();
  const { svc, call } = await streaming(streamer);
  streamer.conn!.emitClosed({ reason: 'error', error: 'ECONNRESET' });
  await svc.execute(call.id, 'stopMediaStreaming', {}, { principal: me }).then((op) => op.done, () => undefined);
  const evs = await finalEvents(call.id);
  assert.deepEqual(evs.map((e) => `${e.type}:${String(e.data.reason)}`), ['mediaStreaming.failed:error']);
  assert.equal(evs[0]!.data.error, 'ECONNRESET');
});
