// Core startMediaStreaming / stopMediaStreaming with fake ports over SQLite: taps and the
// connection wired both ways (tap audio → sendAudio, app audio → streamIn, stopAudio →
// clearStreamIn, digits), one session per call, ends with the call, the peer closing and a
// failed connect reported as events with `dropped`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  CallService, applicationPrincipal, type MediaStreamer, type Participant,
} from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint, fakeStreamer } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const me = applicationPrincipal('app-st');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-stream-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-st', name: 'st', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));

async function answered(streamer?: MediaStreamer) {
  const svc = new CallService({ store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), ...(streamer ? { mediaStreamer: streamer } : {}) });
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(new FakeChannel(CALLER, NUMBER, 'inbound'), ep, { applicationId: 'app-st', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  return { svc, ep, call };
}

async function events(callId: string, prefix: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows.filter((r) => r.type.startsWith(prefix)).map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
}

it('start: a tap on the caller leg, the connect request; audio both ways, stopAudio, digits; stop: stopped event with dropped', async () => {
  const streamer = fakeStreamer();
  const { svc, ep, call } = await answered(streamer);
  const op = await svc.execute(call.id, 'startMediaStreaming', { url: 'wss://app.example/media', rate: 24000, bidirectional: true, dtmf: true }, { principal: me, operationContext: 'go' });
  assert.equal((await op.done).code, 200);
  const conn = streamer.conns[0]!;
  assert.equal(conn.req.format, 'native');
  assert.deepEqual(conn.req.audio, { rate: 24000, channels: 'mixed', bidirectional: true, dtmf: true });
  assert.ok(ep.log.includes('openTap:24000:peer'), 'a single-leg call taps what the caller says');
  ep.tapAudio(7);
  ep.tapAudio(0);
  assert.equal(conn.sent.length, 2);
  assert.equal(conn.sent[0]!.samples.length, 480);
  assert.equal(conn.sent[0]!.participant, undefined, 'mixed frames name nobody');
  conn.emit('audio', { samples: new Int16Array([1, 2, 3]) });
  assert.deepEqual(ep.streamedIn.map((x) => [x.rate, [...x.samples]]), [[24000, [1, 2, 3]]]);
  conn.emit('stopAudio');
  await tick();
  assert.ok(ep.log.includes('clearStreamIn'));
  ep.digit('5');
  assert.deepEqual(conn.digits, ['5']);
  await assert.rejects(svc.execute(call.id, 'startMediaStreaming', { url: 'ws://x/y' }, { principal: me }), /already streaming/);
  conn.dropped = 4;
  assert.equal((await (await svc.execute(call.id, 'stopMediaStreaming', {}, { principal: me })).done).code, 200);
  assert.equal(conn.closedBy, 'us');
  assert.equal(ep.taps.length, 0, 'tap closed');
  await call.journal.settled();
  const evs = await events(call.id, 'mediaStreaming.');
  assert.deepEqual(evs.map((e) => e.type), ['mediaStreaming.started', 'mediaStreaming.stopped']);
  assert.equal(evs[0]!.data.operationContext, 'go');
  assert.equal(evs[1]!.data.reason, 'stopped');
  assert.equal(evs[1]!.data.dropped, 4);
  await assert.rejects(svc.execute(call.id, 'stopMediaStreaming', {}, { principal: me }), /not streaming/);
  await svc.close();
});

it('validation: ws/wss URL required, rate 16000/24000, channels, unknown fields', async () => {
  const { svc, call } = await answered(fakeStreamer());
  for (const bad of [{}, { url: 'http://x/y' }, { url: 'ws://x', rate: 8000 }, { url: 'ws://x', rate: 20000 }, { url: 'ws://x', channels: 'stereo' }, { url: 'ws://x', nope: 1 }]) {
    await assert.rejects(svc.execute(call.id, 'startMediaStreaming', bad, { principal: me }), (e: { code?: string }) => e.code === 'VALIDATION_FAILED', JSON.stringify(bad));
  }
  await svc.close();
});

it('a one-way stream ignores audio from the application; the peer closing ends it (stopped, reason peer)', async () => {
  const streamer = fakeStreamer();
  const { svc, ep, call } = await answered(streamer);
  await (await svc.execute(call.id, 'startMediaStreaming', { url: 'ws://app/m', channels: 'unmixed' }, { principal: me })).done;
  const conn = streamer.conns[0]!;
  ep.tapAudio(1);
  assert.deepEqual(conn.sent[0]!.participant, CALLER, 'unmixed frames carry their participant');
  conn.emit('audio', { samples: new Int16Array([9]) });
  assert.equal(ep.streamedIn.length, 0);
  conn.closedBy = 'peer';
  conn.emit('closed', { reason: 'peer' });
  await tick();
  await call.journal.settled();
  const evs = await events(call.id, 'mediaStreaming.');
  assert.deepEqual(evs.map((e) => [e.type, e.data.reason]), [['mediaStreaming.started', undefined], ['mediaStreaming.stopped', 'peer']]);
  assert.equal(ep.taps.length, 0);
  // A new session may start after the old one ended.
  assert.equal((await (await svc.execute(call.id, 'startMediaStreaming', { url: 'ws://app/m' }, { principal: me })).done).code, 200);
  await svc.close();
});

it('the call ending stops the stream before call.ended (reason callEnded)', async () => {
  const streamer = fakeStreamer();
  const { svc, ep, call } = await answered(streamer);
  await (await svc.execute(call.id, 'startMediaStreaming', { url: 'ws://app/m' }, { principal: me })).done;
  await (await svc.execute(call.id, 'hangup', { forEveryone: true }, { principal: me })).done;
  for (let i = 0; i < 20 && call.state !== 'ended'; i++) await tick();
  await call.journal.settled();
  const rows = await store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', call.id).orderBy('seq').execute();
  const order = rows.map((r) => r.type);
  const stopped = order.indexOf('mediaStreaming.stopped');
  assert.ok(stopped >= 0 && stopped < order.indexOf('call.ended'), order.join(', '));
  assert.equal((JSON.parse(rows[stopped]!.data) as { reason: string }).reason, 'callEnded');
  assert.equal(streamer.conns[0]!.closedBy, 'us');
  assert.equal(ep.taps.length, 0);
  await svc.close();
});

it('a failed connect: the operation fails (500, MEDIA_FAILED) and mediaStreaming.failed says why; no streamer: NOT_CONFIGURED', async () => {
  const { svc, ep, call } = await answered(fakeStreamer('connect ECONNREFUSED 127.0.0.1:9'));
  const r = await (await svc.execute(call.id, 'startMediaStreaming', { url: 'ws://127.0.0.1:9/' }, { principal: me })).done;
  assert.equal(r.code, 500);
  assert.match(r.message, /ECONNREFUSED/);
  assert.equal(ep.taps.length, 0);
  await call.journal.settled();
  const evs = await events(call.id, 'mediaStreaming.');
  assert.deepEqual(evs.map((e) => [e.type, e.data.reason, e.data.error]), [['mediaStreaming.failed', 'connect', 'connect ECONNREFUSED 127.0.0.1:9']]);
  await svc.close();
  const none = await answered();
  const r2 = await (await none.svc.execute(none.call.id, 'startMediaStreaming', { url: 'ws://x/y' }, { principal: me })).done;
  assert.notEqual(r2.code, 200);
  assert.match(r2.message, /not configured/i);
  await none.svc.close();
});

it('every tapped leg gone while the call goes on: the stream ends (stopped, reason legsEnded), the socket closed', async () => {
  const streamer = fakeStreamer();
  const { svc, ep, call } = await answered(streamer);
  await (await svc.execute(call.id, 'startMediaStreaming', { url: 'ws://app/m' }, { principal: me })).done;
  await ep.taps[0]!.close(); // what the adapter does when the leg's endpoint closes
  await tick();
  await call.journal.settled();
  const evs = await events(call.id, 'mediaStreaming.');
  assert.deepEqual(evs.map((e) => [e.type, e.data.reason]), [['mediaStreaming.started', undefined], ['mediaStreaming.stopped', 'legsEnded']]);
  assert.equal(streamer.conns[0]!.closedBy, 'us');
  await svc.close();
});
