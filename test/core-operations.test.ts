// Core operations beyond the basics, with fake ports over SQLite: sendDtmf, recordResponse
// (recording row + token hash), call recording start/stop (state events, ended with the call),
// blind transfer by REFER and by bridge, cancelAllMediaOperations.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { CallService, applicationPrincipal, type Participant } from '../src/core/index.ts';
import { hashRecordingToken } from '../src/core/operations/recording-token.ts';
import { FakeChannel, FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const me = applicationPrincipal('app-ops');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-ops-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-ops', name: 'ops', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));

async function answered() {
  const dialed: { ch: FakeChannel; ep: FakeMediaEndpoint }[] = [];
  const svc = new CallService({
    store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), homeCountryCode: '49', // +49 targets are domestic (transfers obey the destination policy)
    channelFactory: { async dial(t) { const ch = new FakeChannel(t, NUMBER, 'outbound'); const ep = new FakeMediaEndpoint(); dialed.push({ ch, ep }); return { channel: ch, media: ep }; } },
  });
  const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(ch, ep, { applicationId: 'app-ops', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  return { svc, ch, ep, call, dialed };
}

async function types(callId: string): Promise<string[]> {
  const rows = await store.db.selectFrom('events').select(['type']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows.map((r) => r.type);
}

it('sendDtmf sends through the endpoint and completes when the media does', async () => {
  const { svc, ep, call } = await answered();
  const op = await svc.execute(call.id, 'sendDtmf', { tones: '12#' }, { principal: me });
  await tick();
  ep.running('sendDtmf')[0].finish({ reason: 'completed' });
  assert.equal((await op.done).code, 200);
  assert.ok(ep.log.includes('sendDtmf:12#'));
  await svc.close();
});

it('recordResponse: completed recording row with a token hash, record.completed carries the token', async () => {
  const { svc, ep, call } = await answered();
  const op = await svc.execute(call.id, 'recordResponse', { maxDurationMs: 10_000 }, { principal: me, operationContext: 'rr' });
  for (let i = 0; i < 5 && ep.running('record').length === 0; i++) await tick();
  ep.running('record')[0].finish({ reason: 'stopTone', tone: '#', durationMs: 3200, sizeBytes: 51_244 });
  assert.equal((await op.done).code, 200);
  await call.journal.settled();
  const ev = await store.db.selectFrom('events').select(['data']).where('call_id', '=', call.id).where('type', '=', 'record.completed').executeTakeFirstOrThrow();
  const data = JSON.parse(ev.data) as { recordingId: string; accessToken: string; operationContext: string };
  assert.equal(data.operationContext, 'rr');
  const rec = await store.calls.recordings.get(data.recordingId);
  assert.equal(rec?.state, 'completed');
  assert.equal(rec?.durationMs, 3200);
  assert.equal(rec?.accessTokenHash, hashRecordingToken(data.accessToken));
  await assert.rejects(svc.execute(call.id, 'recordResponse', { maxDurationMs: 121_000 }, { principal: me }), /maxDurationMs/);
  await svc.close();
});

it('call recording: active → stopped; a second one is refused while active; the call end stops it before call.ended', async () => {
  const { svc, ch, ep, call } = await answered();
  await (await svc.execute(call.id, 'startRecording', {}, { principal: me })).done;
  await assert.rejects(svc.execute(call.id, 'startRecording', {}, { principal: me }), /already being recorded/);
  await (await svc.execute(call.id, 'stopRecording', {}, { principal: me })).done;
  await (await svc.execute(call.id, 'startRecording', { channels: 2 }, { principal: me })).done;
  assert.equal(ep.running('record').length, 1);
  ch.peerHangsUp();
  await new Promise((r) => call.once('ended', r));
  await call.journal.settled();
  const t = await types(call.id);
  assert.deepEqual(t.filter((x) => x.startsWith('recording') || x === 'call.ended'),
    ['recording.stateChanged', 'recording.stateChanged', 'recording.stateChanged', 'recording.stateChanged', 'call.ended']);
  const recs = await store.calls.recordings.listByCall(call.id);
  assert.deepEqual(recs.map((r) => r.state), ['completed', 'completed']);
  const cdr = await store.calls.cdrs.get(call.id);
  assert.equal((cdr?.record.recordingIds as string[]).length, 2);
});

it('transferBlind by REFER: transfer.accepted, the leg is hung up as transferred', async () => {
  const { svc, ch, call } = await answered();
  const op = await svc.execute(call.id, 'transferBlind', { target: { kind: 'sip', uri: 'sip:desk@example.org' } }, { principal: me, operationContext: 't' });
  assert.equal((await op.done).code, 200);
  assert.ok(ch.calls.includes('refer:sip:desk@example.org'));
  assert.ok(ch.calls.includes('hangup:transferred'));
  await new Promise((r) => (call.state === 'ended' ? r(undefined) : call.once('ended', r)));
  await call.journal.settled();
  assert.ok((await types(call.id)).includes('transfer.accepted'));
});

it('transferBlind falls back to a bridged leg when REFER is refused; either side hanging up ends both', async () => {
  const { svc, ch, ep, call, dialed } = await answered();
  ch.referOutcome = { accepted: false, sipStatus: 603 };
  const op = await svc.execute(call.id, 'transferBlind', { target: { kind: 'phone', number: '+4930555' } }, { principal: me });
  for (let i = 0; i < 5 && dialed.length === 0; i++) await tick();
  dialed[0].ch.peerAnswers();
  assert.equal((await op.done).code, 200);
  assert.equal(ep.connectedTo, dialed[0].ep);
  dialed[0].ch.peerHangsUp();
  await new Promise((r) => (call.state === 'ended' ? r(undefined) : call.once('ended', r)));
  assert.equal(ch.ended, true, 'the transferee was hung up too');
});

it('cancelAllMediaOperations cancels play and recognize, not the call recording', async () => {
  const { svc, ep, call } = await answered();
  await (await svc.execute(call.id, 'startRecording', {}, { principal: me })).done;
  const play = await svc.execute(call.id, 'play', { sources: [{ kind: 'file', path: 'm.wav' }], loop: true }, { principal: me });
  const rec = await svc.execute(call.id, 'recognize', { maxTones: 4 }, { principal: me });
  await (await svc.execute(call.id, 'cancelAllMediaOperations', {}, { principal: me })).done;
  assert.equal((await play.done).code, 499);
  assert.equal((await rec.done).code, 499);
  assert.equal(ep.running('record').length, 1);
  await svc.close();
});
