// moveParticipant with fake ports over SQLite: two conferences of one application, BOB answered
// in the first and CAROL in the second; BOB's leg moves into the second — its channel is never
// hung up, its media leaves the first mixer and joins the second, the first call journals
// participant.removed (reason 'moved'), the second gets a new 'participant' leg and
// participants.updated with both, moveParticipant.completed carries participant + fromCallId.
// Refused moves (the mixer refuses the endpoint, e.g. another media worker) roll back: the leg
// stays in its call and is mixed there again. Bad params fail validation before anything runs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { FakeClock } from '../../lib/index.ts';
import { openDatabase, type Store } from '../../store/index.ts';
import { FakeChannel, FakeMediaEndpoint, FakeMixerFactory, type FakeMixer } from '../testing/index.ts';
import { applicationPrincipal } from '../tenancy/index.ts';
import type { Participant } from '../ports/index.ts';
import { CallError } from '../calls/call-error.ts';
import { CallService } from '../calls/call-service.ts';

const BOB: Participant = { kind: 'sip', uri: 'sip:bob@example.org' };
const CAROL: Participant = { kind: 'sip', uri: 'sip:carol@example.org' };
const me = applicationPrincipal('app-move');
const other = applicationPrincipal('app-move-2');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-move-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  for (const id of ['app-move', 'app-move-2']) {
    await store.tenancy.applications.insert({
      id, name: id, callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
      limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
    });
  }
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));
const types = async (callId: string) => (await store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', callId).orderBy('seq').execute());

/** Two conferences of `me`, BOB answered in the first, CAROL in the second. */
async function setup() {
  const dialed: { ch: FakeChannel; ep: FakeMediaEndpoint }[] = [];
  const svc = new CallService({
    store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), mixerFactory: new FakeMixerFactory(),
    channelFactory: {
      async dial(t) {
        const ch = new FakeChannel(t, t, 'outbound');
        const ep = new FakeMediaEndpoint();
        dialed.push({ ch, ep });
        return { channel: ch, media: ep };
      },
    },
  });
  const join1 = async (locator: string, who: Participant) => {
    const { call } = await svc.openConference(me, { locator });
    const op = await svc.execute(call.id, 'addParticipant', { target: who }, { principal: me });
    for (let i = 0; i < 50 && !dialed.some((d) => d.ch.remote === who); i++) await tick();
    dialed.find((d) => d.ch.remote === who)!.ch.peerAnswers();
    assert.equal((await op.done).code, 200);
    return call;
  };
  const one = await join1('one', BOB);
  const two = await join1('two', CAROL);
  const bob = dialed.find((d) => d.ch.remote === BOB)!;
  const legB = [...one.legs.values()][0];
  return { svc, one, two, bob, legB };
}

it('moves an answered leg into another call without hanging it up', async () => {
  const { svc, one, two, bob, legB } = await setup();
  const mixOne = one.mix.currentMixer as FakeMixer;
  const mixTwo = two.mix.currentMixer as FakeMixer;
  assert.ok(mixOne.has(bob.ep));
  const op = await svc.execute(two.id, 'moveParticipant', { fromCallId: one.id, legId: legB.id }, { principal: me, operationContext: 'mv' });
  const r = await op.done;
  assert.equal(r.code, 200, r.message);
  assert.ok(!bob.ch.calls.some((c) => c.startsWith('hangup')), `bob was not hung up: ${bob.ch.calls.join(',')}`);
  assert.ok(!mixOne.has(bob.ep), 'bob left the first mix');
  assert.ok(mixTwo.has(bob.ep), 'bob is in the second mix');
  assert.equal(one.legs.has(legB.id), false);
  const moved = [...two.legs.values()].find((l) => l.participant === BOB)!;
  assert.ok(moved && moved.id !== legB.id && moved.role === 'participant' && moved.state === 'answered');
  assert.equal(moved.channel, bob.ch);
  assert.deepEqual(two.participantViews().map((v) => v.participant), [CAROL, BOB], 'carol, then bob who moved in');
  // Bob's digits now belong to the second call only.
  const digits: string[] = [];
  two.on('dtmf', (d) => digits.push(`two:${d.digit}`));
  one.on('dtmf', (d) => digits.push(`one:${d.digit}`));
  bob.ep.emit('dtmf', { digit: '5', source: 'rfc4733' });
  assert.deepEqual(digits, ['two:5']);
  await Promise.all([one.journal.settled(), two.journal.settled()]);
  const evOne = await types(one.id);
  const removed = evOne.find((e) => e.type === 'participant.removed');
  assert.ok(removed, evOne.map((e) => e.type).join(','));
  assert.equal((JSON.parse(String(removed.data)) as { reason: string }).reason, 'moved');
  const evTwo = await types(two.id);
  const done = evTwo.find((e) => e.type === 'moveParticipant.completed');
  assert.ok(done, evTwo.map((e) => e.type).join(','));
  const data = JSON.parse(String(done.data)) as { participant: Participant; fromCallId: string; operationContext: string };
  assert.deepEqual([data.participant, data.fromCallId, data.operationContext], [BOB, one.id, 'mv']);
  const updated = evTwo.filter((e) => e.type === 'participants.updated').at(-1)!;
  assert.equal((JSON.parse(String(updated.data)) as { participants: unknown[] }).participants.length, 2);
  // Bob hangs up later: the second call (not the first) sees it.
  bob.ch.peerHangsUp();
  await tick();
  assert.deepEqual(two.participantViews().map((v) => v.participant), [CAROL]);
  assert.equal(moved.state, 'ended');
  await svc.close();
});

it('a refused mix (another media worker) rolls back: the leg stays and is mixed in its call again', async () => {
  const { svc, one, two, bob, legB } = await setup();
  const mixOne = one.mix.currentMixer as FakeMixer;
  const mixTwo = two.mix.currentMixer as FakeMixer;
  mixTwo.add = async () => { throw Object.assign(new Error('the conference lives in another media worker'), { code: 'CROSS_WORKER' }); };
  const r = await (await svc.execute(two.id, 'moveParticipant', { fromCallId: one.id, legId: legB.id }, { principal: me })).done;
  assert.equal(r.code, 500);
  assert.match(r.message, /another media worker/);
  assert.equal(one.legs.get(legB.id), legB);
  assert.equal(legB.state, 'answered');
  assert.ok(mixOne.has(bob.ep), 'mixed in its own call again');
  assert.ok(!bob.ch.calls.some((c) => c.startsWith('hangup')));
  await svc.close();
});

it('bad moves are refused before anything runs; another application\'s call is not found', async () => {
  const { svc, one, two, legB } = await setup();
  const code = (p: Promise<unknown>) => p.then(() => 'ran', (e: unknown) => (e instanceof CallError ? e.code : String(e)));
  assert.equal(await code(svc.execute(two.id, 'moveParticipant', { fromCallId: two.id, legId: legB.id }, { principal: me })), 'VALIDATION_FAILED');
  assert.equal(await code(svc.execute(two.id, 'moveParticipant', { legId: legB.id }, { principal: me })), 'VALIDATION_FAILED');
  assert.equal(await code(svc.execute(two.id, 'moveParticipant', { fromCallId: one.id, legId: legB.id }, { principal: other })), 'CALL_NOT_FOUND');
  const r = await (await svc.execute(two.id, 'moveParticipant', { fromCallId: one.id, legId: 'nope' }, { principal: me })).done;
  assert.equal(r.code, 404);
  assert.equal(one.legs.get(legB.id), legB);
  await svc.close();
});
