// Participants with fake ports over SQLite: addParticipant (answered → one mixer holds every
// answered leg; busy; invitation timeout; cancelled while ringing), cancelAddParticipant (found,
// not found), removeParticipant (the call goes on; removing the last party ends it), mute and
// unmute (mixer per-member mute; endpoint mute without a mixer; unknown leg → LEG_NOT_FOUND),
// hold twice and unhold (music loop, out of the mix and back), participants.updated sequence.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { FakeClock } from '../../lib/index.ts';
import { openDatabase, type Store } from '../../store/index.ts';
import { FakeChannel, FakeMediaEndpoint, FakeMixerFactory } from '../testing/index.ts';
import { applicationPrincipal } from '../tenancy/index.ts';
import type { Participant } from '../ports/index.ts';
import { CallService } from './call-service.ts';
import type { Call } from './call.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const BOB: Participant = { kind: 'sip', uri: 'sip:bob@example.org' };
const CAROL: Participant = { kind: 'sip', uri: 'sip:carol@example.org' };
const me = applicationPrincipal('app-parts');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-participants-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-parts', name: 'parts', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));

async function answered(opts: { mixer?: boolean } = {}) {
  const dialed: { ch: FakeChannel; ep: FakeMediaEndpoint; near?: unknown }[] = [];
  const mixers = new FakeMixerFactory();
  const clock = new FakeClock(1_700_000_000_000);
  const svc = new CallService({
    store, clock, recordingsDir: join(dir, 'rec'), homeCountryCode: '49',
    ...(opts.mixer === false ? {} : { mixerFactory: mixers }),
    channelFactory: { async dial(t, o) { const ch = new FakeChannel(t, NUMBER, 'outbound'); const ep = new FakeMediaEndpoint(); dialed.push({ ch, ep, near: o.near }); return { channel: ch, media: ep }; } },
  });
  const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(ch, ep, { applicationId: 'app-parts', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  const waitDialed = async (n: number) => { for (let i = 0; i < 50 && dialed.length < n; i++) await tick(); assert.equal(dialed.length, n); return dialed[n - 1]; };
  return { svc, ch, ep, call, dialed, mixers, clock, waitDialed };
}

async function events(callId: string, type: string): Promise<Record<string, any>[]> {
  const rows = await store.db.selectFrom('events').select(['data']).where('call_id', '=', callId).where('type', '=', type).orderBy('seq').execute();
  return rows.map((r) => JSON.parse(r.data) as Record<string, any>);
}

async function add(t: Awaited<ReturnType<typeof answered>>, target: Participant, params: Record<string, unknown> = {}) {
  const n = t.dialed.length + 1;
  const op = await t.svc.execute(t.call.id, 'addParticipant', { target, ...params }, { principal: me });
  const d = await t.waitDialed(n);
  return { op, ...d };
}

const endedCall = (call: Call) => new Promise((r) => (call.state === 'ended' ? r(undefined) : call.once('ended', r)));

it('addParticipant answered: both legs in one mixer near the first leg; completed and participants.updated', async () => {
  const t = await answered();
  const { op, ch, ep, near } = await add(t, BOB, { invitationId: 'inv-1' });
  assert.equal(near, t.ep, 'dialed near the call\'s first leg');
  ch.peerRings();
  ch.peerAnswers();
  const r = await op.done;
  assert.equal(r.code, 200);
  const mixer = t.mixers.created[0];
  assert.equal(mixer.near, t.ep);
  assert.deepEqual([...mixer.members.keys()].sort(), [t.ep.id, ep.id].sort());
  assert.equal(t.call.mix.mode, 'mixed');
  await t.call.journal.settled();
  const [done] = await events(t.call.id, 'addParticipant.completed');
  assert.deepEqual(done.participant, BOB);
  assert.equal(done.invitationId, 'inv-1');
  assert.ok(t.call.legs.has(done.legId));
  const [upd] = await events(t.call.id, 'participants.updated');
  assert.equal(upd.sequence, 1);
  assert.deepEqual(upd.participants.map((p: { role: string }) => p.role).sort(), ['caller', 'participant']);
  await t.svc.close();
  assert.ok(mixer.closed, 'the mixer is released when the call ends');
});

it('a third party joins the same mixer; a bridged pair is replaced by it', async () => {
  const t = await answered();
  const a = await add(t, BOB);
  a.ch.peerAnswers();
  await a.op.done;
  const b = await add(t, CAROL);
  b.ch.peerAnswers();
  assert.equal((await b.op.done).code, 200);
  assert.equal(t.mixers.created.length, 1);
  assert.equal(t.mixers.created[0].members.size, 3);
  await t.call.journal.settled();
  const ups = await events(t.call.id, 'participants.updated');
  assert.deepEqual(ups.map((u) => u.sequence), [1, 2]);
  assert.equal(ups[1].participants.length, 3);
  await t.svc.close();
});

it('addParticipant: busy → failed with participant, invitationId (default the operation id), result', async () => {
  const t = await answered();
  const { op, ch } = await add(t, BOB);
  ch.peerHangsUp('busy', 486);
  const r = await op.done;
  assert.equal(r.code, 400);
  await t.call.journal.settled();
  const [f] = await events(t.call.id, 'addParticipant.failed');
  assert.equal(f.invitationId, op.id);
  assert.deepEqual(f.participant, BOB);
  assert.equal(f.result.subcode, 11);
  assert.equal(t.call.state, 'established', 'the call goes on');
  assert.equal(t.mixers.created.length, 0, 'no mixer for a party that never came');
  await t.svc.close();
});

it('addParticipant: the invitation times out after ringTimeoutMs (CANCEL, failed no-answer)', async () => {
  const t = await answered();
  const { op, ch } = await add(t, BOB, { ringTimeoutMs: 5000 });
  ch.peerRings();
  // The ring timer starts once the leg is added (after a store write): advance until it fired.
  let settled = false;
  void op.done.then(() => { settled = true; });
  for (let i = 0; i < 100 && !settled; i++) { t.clock.advance(1000); await tick(); }
  const r = await op.done;
  assert.equal(r.code, 400);
  assert.equal(r.subcode, 10);
  assert.ok(ch.calls.includes('hangup:no-answer'));
  await t.svc.close();
});

it('cancelAddParticipant while ringing: CANCEL sent, addParticipant.cancelled, then completed', async () => {
  const t = await answered();
  const { op, ch } = await add(t, BOB, { invitationId: 'ring-1' });
  ch.peerRings();
  await tick();
  const cancel = await t.svc.execute(t.call.id, 'cancelAddParticipant', { invitationId: 'ring-1' }, { principal: me });
  assert.equal((await cancel.done).code, 200);
  assert.equal((await op.done).code, 499);
  assert.ok(ch.calls.includes('hangup:cancelled'), 'the ringing leg got a CANCEL');
  await t.call.journal.settled();
  const [c] = await events(t.call.id, 'addParticipant.cancelled');
  assert.equal(c.invitationId, 'ring-1');
  assert.deepEqual(c.participant, BOB);
  const [cc] = await events(t.call.id, 'cancelAddParticipant.completed');
  assert.equal(cc.invitationId, 'ring-1');
  assert.equal(t.call.state, 'established');
  // Too late: the invitation is gone.
  const again = await t.svc.execute(t.call.id, 'cancelAddParticipant', { invitationId: 'ring-1' }, { principal: me });
  const r = await again.done;
  assert.equal(r.code, 404);
  assert.equal(r.subcode, 19);
  await t.svc.close();
});

it('a pending invitation id cannot be reused; a call not yet answered cannot add; no mixer → NOT_CONFIGURED', async () => {
  const t = await answered();
  await add(t, BOB, { invitationId: 'dup' });
  await assert.rejects(t.svc.execute(t.call.id, 'addParticipant', { target: CAROL, invitationId: 'dup' }, { principal: me }), { code: 'VALIDATION_FAILED' });
  await assert.rejects(t.svc.execute(t.call.id, 'addParticipant', { target: CAROL, ringTimeoutMs: 10 }, { principal: me }), { code: 'VALIDATION_FAILED' });
  await t.svc.close();
  const n = await answered({ mixer: false });
  await assert.rejects(n.svc.execute(n.call.id, 'addParticipant', { target: CAROL }, { principal: me }), { code: 'NOT_CONFIGURED' });
  await n.svc.close();
  const svc = new CallService({ store, clock: new FakeClock(1), recordingsDir: join(dir, 'rec'), mixerFactory: new FakeMixerFactory() });
  const ringing = await svc.incoming(new FakeChannel(CALLER, NUMBER, 'inbound'), new FakeMediaEndpoint(), { applicationId: 'app-parts', from: CALLER, to: NUMBER });
  await assert.rejects(svc.execute(ringing.id, 'addParticipant', { target: CAROL }, { principal: me }), { code: 'INVALID_STATE' });
  await svc.close();
});

it('the call ends while an invitation rings: the ringing leg is cancelled', async () => {
  const t = await answered();
  const { op, ch } = await add(t, BOB);
  ch.peerRings();
  t.ch.peerHangsUp();
  assert.equal((await op.done).code, 410);
  await endedCall(t.call);
  assert.ok(ch.ended);
  await t.svc.close();
});

it('removeParticipant: the leg is hung up, the call goes on; removing the last party ends the call', async () => {
  const t = await answered();
  const a = await add(t, BOB);
  a.ch.peerAnswers();
  const { data } = await a.op.done.then(async () => ({ data: (await events(t.call.id, 'addParticipant.completed'))[0] }));
  const rm = await t.svc.execute(t.call.id, 'removeParticipant', { legId: data.legId }, { principal: me });
  assert.equal((await rm.done).code, 200);
  assert.ok(a.ch.calls.includes('hangup:removed'));
  assert.equal(t.call.state, 'established');
  await t.call.journal.settled();
  const [done] = await events(t.call.id, 'removeParticipant.completed');
  assert.equal(done.legId, data.legId);
  assert.deepEqual(done.participant, BOB);
  const ups = await events(t.call.id, 'participants.updated');
  assert.equal(ups.at(-1)!.participants.length, 1, 'the roster lost the removed leg');
  assert.ok(!t.mixers.created[0].has(a.ep));
  await assert.rejects(t.svc.execute(t.call.id, 'removeParticipant', { legId: data.legId }, { principal: me }), { code: 'LEG_NOT_FOUND' });
  const last = await t.svc.execute(t.call.id, 'removeParticipant', { legId: t.call.primaryLeg!.id }, { principal: me });
  assert.equal((await last.done).code, 200);
  await endedCall(t.call);
  assert.equal(t.call.endInfo?.reason, 'removed');
  await t.svc.close();
});

it('mute/unmute: an unknown leg is LEG_NOT_FOUND; without a mixer the endpoint mutes; in a mixer the member does', async () => {
  const t = await answered();
  await assert.rejects(t.svc.execute(t.call.id, 'muteParticipant', { legId: 'nope' }, { principal: me }), { code: 'LEG_NOT_FOUND' });
  await assert.rejects(t.svc.execute(t.call.id, 'muteParticipant', {}, { principal: me }), { code: 'VALIDATION_FAILED' });
  const legId = t.call.primaryLeg!.id;
  assert.equal((await (await t.svc.execute(t.call.id, 'muteParticipant', { legId }, { principal: me })).done).code, 200);
  assert.ok(t.ep.log.includes('mute'));
  assert.equal(t.call.primaryLeg!.muted, true);
  // Muting a muted leg changes nothing.
  assert.equal((await (await t.svc.execute(t.call.id, 'muteParticipant', { legId }, { principal: me })).done).message, 'already muted');
  const a = await add(t, BOB);
  a.ch.peerAnswers();
  await a.op.done;
  const mixer = t.mixers.created[0];
  assert.equal(mixer.members.get(t.ep.id), true, 'joined muted');
  assert.ok(t.ep.log.includes('unmute'), 'the endpoint mute is lifted: the mixer\'s takes over');
  await (await t.svc.execute(t.call.id, 'unmuteParticipant', { legId }, { principal: me })).done;
  assert.equal(mixer.members.get(t.ep.id), false);
  await t.call.journal.settled();
  const [m] = await events(t.call.id, 'muteParticipant.completed');
  assert.equal(m.legId, legId);
  const ups = await events(t.call.id, 'participants.updated');
  assert.deepEqual(ups.map((u) => u.sequence), [1, 2, 3], 'mute, answered participant, unmute');
  assert.equal(ups[0].participants[0].muted, true);
  assert.equal(ups[2].participants.find((p: { legId: string }) => p.legId === legId).muted, false);
  await t.svc.close();
});

it('hold twice then unhold: music loops to the held leg, which leaves the mix and comes back', async () => {
  const t = await answered();
  const a = await add(t, BOB);
  a.ch.peerAnswers();
  await a.op.done;
  const mixer = t.mixers.created[0];
  const legId = t.call.primaryLeg!.id;
  const [h1, h2] = await Promise.all([
    t.svc.execute(t.call.id, 'hold', { legId }, { principal: me }),
    t.svc.execute(t.call.id, 'hold', { legId }, { principal: me }),
  ]);
  const [r1, r2] = await Promise.all([h1.done, h2.done]);
  assert.equal(r1.code, 200);
  assert.equal(r2.code, 200);
  assert.equal(r2.message, 'already on hold');
  const music = t.ep.running('play');
  assert.equal(music.length, 1, 'one music loop, not two');
  assert.equal((music[0].detail as { opts: { loop: boolean } }).opts.loop, true);
  assert.ok(!mixer.has(t.ep), 'the held leg is out of the mix');
  assert.equal(t.call.primaryLeg!.onHold, true);
  const u = await t.svc.execute(t.call.id, 'unhold', { legId }, { principal: me });
  assert.equal((await u.done).code, 200);
  assert.equal(t.ep.running('play').length, 0, 'music stopped');
  assert.ok(mixer.has(t.ep), 'back in the mix');
  assert.equal((await (await t.svc.execute(t.call.id, 'unhold', {}, { principal: me })).done).message, 'not on hold');
  await t.call.journal.settled();
  const ups = await events(t.call.id, 'participants.updated');
  assert.deepEqual(ups.slice(1).map((x) => x.participants.find((p: { legId: string }) => p.legId === legId).onHold), [true, false]);
  await t.svc.close();
});

it('hold in a two-party bridge cuts the bridge and restores it; a ringing leg cannot be held', async () => {
  const t = await answered();
  t.ch.referOutcome = { accepted: false, sipStatus: 405 };
  const tr = await t.svc.execute(t.call.id, 'transferBlind', { target: BOB }, { principal: me });
  const d = await t.waitDialed(1);
  d.ch.peerAnswers();
  await tr.done;
  assert.equal(t.ep.connectedTo, d.ep);
  await (await t.svc.execute(t.call.id, 'hold', {}, { principal: me })).done;
  assert.equal(t.ep.connectedTo, undefined);
  await (await t.svc.execute(t.call.id, 'unhold', {}, { principal: me })).done;
  assert.equal(t.ep.connectedTo, d.ep);
  const r = await add(t, CAROL);
  r.ch.peerRings();
  const ringingLeg = [...t.call.legs.values()].find((l) => l.state === 'ringing')!;
  await assert.rejects(t.svc.execute(t.call.id, 'hold', { legId: ringingLeg.id }, { principal: me }), { code: 'INVALID_STATE' });
  await t.svc.close();
});
