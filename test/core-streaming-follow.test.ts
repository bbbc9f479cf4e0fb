// Core media streaming that follows the call (no legId): a leg that answers after streaming
// started (addParticipant) is tapped — unmixed: its own frames tagged with its participant;
// mixed: its audio is summed into the one stream by the session — and, in a bidirectional mixed
// stream, what the application sends is played to the legs but never comes back in the mix
// (the session mixes what each party SAYS; the fake endpoint's taps carry only the peer's audio).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  CallService, applicationPrincipal, type MediaStreamer, type Participant,
} from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint, FakeMixerFactory, fakeStreamer } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const me = applicationPrincipal('app-sf');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-stream-follow-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-sf', name: 'sf', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));


const BOB: Participant = { kind: 'phone', number: '+4930555111' };

async function answeredWithDialer(streamer: MediaStreamer) {
  const dialed: { ch: FakeChannel; ep: FakeMediaEndpoint }[] = [];
  const svc = new CallService({
    store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), homeCountryCode: '49', mediaStreamer: streamer, mixerFactory: new FakeMixerFactory(),
    channelFactory: { async dial(t) { const ch = new FakeChannel(t, NUMBER, 'outbound'); const ep = new FakeMediaEndpoint(); dialed.push({ ch, ep }); return { channel: ch, media: ep }; } },
  });
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(new FakeChannel(CALLER, NUMBER, 'inbound'), ep, { applicationId: 'app-sf', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  const addBob = async () => {
    const op = await svc.execute(call.id, 'addParticipant', { target: BOB }, { principal: me });
    for (let i = 0; i < 50 && dialed.length < 1; i++) await tick();
    const bob = dialed[0]!;
    bob.ch.peerRings();
    bob.ch.peerAnswers();
    assert.equal((await op.done).code, 200);
    for (let i = 0; i < 20 && bob.ep.taps.length === 0; i++) await tick();
    return bob;
  };
  return { svc, ep, call, addBob };
}

it('unmixed: a leg answering after the start is tapped; its frames carry its participant', async () => {
  const streamer = fakeStreamer();
  const { svc, ep, call, addBob } = await answeredWithDialer(streamer);
  assert.equal((await (await svc.execute(call.id, 'startMediaStreaming', { url: 'ws://app/m', channels: 'unmixed' }, { principal: me })).done).code, 200);
  const conn = streamer.conns[0]!;
  const bob = await addBob();
  assert.ok(bob.ep.log.includes('openTap:16000:peer'), `the new leg is tapped: ${bob.ep.log.join(',')}`);
  ep.tapAudio(100);
  bob.ep.tapAudio(200);
  assert.deepEqual(conn.sent.map((f) => [f.participant, f.samples[0]]), [[CALLER, 100], [BOB, 200]]);
  await svc.close();
});

it('mixed, bidirectional: the new leg joins the mix (sum of what each says); the app\'s audio is played, not mixed back', async () => {
  const streamer = fakeStreamer();
  const { svc, ep, call, addBob } = await answeredWithDialer(streamer);
  assert.equal((await (await svc.execute(call.id, 'startMediaStreaming', { url: 'ws://app/m', bidirectional: true }, { principal: me })).done).code, 200);
  const conn = streamer.conns[0]!;
  ep.tapAudio(100);
  assert.deepEqual(conn.sent.map((f) => f.samples[0]), [100], 'alone: the caller as is');
  const bob = await addBob();
  assert.ok(bob.ep.log.includes('openTap:16000:peer'), 'the new leg is tapped for what it says');
  assert.ok(!ep.log.includes('openTap:16000:mixed'), 'no engine mix (it would carry the app\'s audio)');
  conn.emit('audio', { samples: new Int16Array(320).fill(5000) });
  assert.equal(ep.streamedIn.length, 1, 'the app\'s audio is played to the caller');
  bob.ep.tapAudio(200);
  ep.tapAudio(100);
  assert.deepEqual(conn.sent.slice(1).map((f) => [f.participant, f.samples[0], f.samples.length]), [[undefined, 300, 320]], 'one frame: caller + Bob, no 5000');
  // Saturation, and a leg that is late does not hold the stream up.
  bob.ep.tapAudio(30000);
  ep.tapAudio(30000);
  ep.tapAudio(7);
  assert.deepEqual(conn.sent.slice(2).map((f) => f.samples[0]), [32767, 7]);
  await svc.close();
});
