// Conferences without a first leg (CallService.openConference, ConferenceRegistry,
// watchConferenceIdle) with fake ports over SQLite and a fake clock: find-or-create by
// (application, locator) — concurrent opens share one call, another application gets its own;
// bad input refused before anything is written; established at once with call.created +
// call.answered; the idle timer runs with no leg, stops while a leg is there (ringing counts),
// restarts when the last one leaves, and ends the call 'idle-timeout' with its CDR; the first
// two invitations are dialed one after the other, the second near the first.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { FakeClock } from '../../lib/index.ts';
import { openDatabase, type Store } from '../../store/index.ts';
import { FakeChannel, FakeMediaEndpoint, FakeMixerFactory } from '../testing/index.ts';
import { ADMIN, applicationPrincipal } from '../tenancy/index.ts';
import type { Participant } from '../ports/index.ts';
import { CallError } from './call-error.ts';
import { CallService } from './call-service.ts';
import type { Call } from './call.ts';

const BOB: Participant = { kind: 'sip', uri: 'sip:bob@example.org' };
const CAROL: Participant = { kind: 'sip', uri: 'sip:carol@example.org' };
const me = applicationPrincipal('app-conf');
const other = applicationPrincipal('app-conf-2');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-conference-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  for (const id of ['app-conf', 'app-conf-2']) {
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

function service() {
  const dialed: { ch: FakeChannel; ep: FakeMediaEndpoint; near?: unknown }[] = [];
  const clock = new FakeClock(1_700_000_000_000);
  const svc = new CallService({
    store, clock, recordingsDir: join(dir, 'rec'), mixerFactory: new FakeMixerFactory(), conferenceIdleTimeoutMs: 10_000,
    channelFactory: {
      async dial(t, o) {
        // Real adapters take a moment to send the INVITE: a concurrent dial must wait for it.
        await tick();
        const ch = new FakeChannel(t, t, 'outbound');
        const ep = new FakeMediaEndpoint();
        dialed.push({ ch, ep, near: o.near });
        return { channel: ch, media: ep };
      },
    },
  });
  const waitDialed = async (n: number) => { for (let i = 0; i < 50 && dialed.length < n; i++) await tick(); assert.equal(dialed.length, n); return dialed[n - 1]; };
  return { svc, clock, dialed, waitDialed };
}

const types = async (callId: string) => (await store.db.selectFrom('events').select(['type']).where('call_id', '=', callId).orderBy('seq').execute()).map((r) => r.type);
const endedCall = (call: Call) => new Promise((r) => (call.state === 'ended' ? r(undefined) : call.once('ended', r)));

it('find-or-create by (application, locator): concurrent opens share one call; another application gets its own', async () => {
  const { svc } = service();
  const [a, b] = await Promise.all([svc.openConference(me, { locator: 'daily' }), svc.openConference(me, { locator: 'daily' })]);
  assert.equal(a.call, b.call);
  assert.deepEqual([a.created, b.created].sort(), [false, true]);
  assert.equal(a.call.state, 'established');
  assert.equal(a.call.direction, 'outbound');
  assert.deepEqual(a.call.conference, { locator: 'daily' });
  assert.equal(a.call.legs.size, 0);
  const o = await svc.openConference(other, { locator: 'daily' });
  assert.equal(o.created, true);
  assert.notEqual(o.call.id, a.call.id);
  assert.equal((await svc.openConference(me, { locator: 'weekly' })).created, true);
  await a.call.journal.settled();
  assert.deepEqual(await types(a.call.id), ['call.created', 'call.answered']);
  await svc.close();
});

it('bad input is refused before anything is written', async () => {
  const { svc } = service();
  const refused = async (p: Promise<unknown>) => p.then(() => 'opened', (e: unknown) => (e instanceof CallError ? e.code : String(e)));
  assert.equal(await refused(svc.openConference(me, { locator: '' })), 'VALIDATION_FAILED');
  assert.equal(await refused(svc.openConference(me, { locator: 'x'.repeat(257) })), 'VALIDATION_FAILED');
  assert.equal(await refused(svc.openConference(me, { locator: 'a\nb' })), 'VALIDATION_FAILED');
  assert.equal(await refused(svc.openConference(me, { locator: 'ok', callbackUrl: 'ftp://x' })), 'VALIDATION_FAILED');
  assert.equal(await refused(svc.openConference(me, { locator: 'ok', idleTimeoutMs: 10 })), 'VALIDATION_FAILED');
  assert.equal(await refused(svc.openConference(ADMIN, { locator: 'ok' })), 'VALIDATION_FAILED');
  assert.equal(svc.liveCount, 0);
  await svc.close();
  assert.equal(await refused(svc.openConference(me, { locator: 'ok' })), 'CLOSED');
});

it('an empty conference ends after its idle timeout (reason idle-timeout, CDR written); a new open is a new call', async () => {
  const { svc, clock } = service();
  const { call } = await svc.openConference(me, { locator: 'idle', idleTimeoutMs: 5000 });
  clock.advance(4999);
  await tick();
  assert.equal(call.state, 'established');
  clock.advance(1);
  await endedCall(call);
  await call.journal.settled();
  const row = await svc.get(me, call.id);
  assert.equal(row.endReason, 'idle-timeout');
  assert.equal(row.endedBy, 'system');
  const cdrs = await store.calls.cdrs.list({ callId: call.id });
  assert.deepEqual(cdrs.map((c) => c.kind), ['call'], 'the call CDR (no legs)');
  assert.equal((cdrs[0].record as { endReason: string }).endReason, 'idle-timeout');
  const again = await svc.openConference(me, { locator: 'idle' });
  assert.equal(again.created, true);
  assert.notEqual(again.call.id, call.id);
  await svc.close();
});

it('parties: the idle timer stops while a leg is there and restarts when the last one leaves; removing the last party keeps it open', async () => {
  const { svc, clock, waitDialed } = service();
  const { call } = await svc.openConference(me, { locator: 'parties' });
  // Two invitations at once: the second is dialed after the first, near its media.
  const opB = await svc.execute(call.id, 'addParticipant', { target: BOB }, { principal: me });
  const opC = await svc.execute(call.id, 'addParticipant', { target: CAROL }, { principal: me });
  const b = await waitDialed(1);
  const c = await waitDialed(2);
  assert.equal(b.near, undefined, 'the first party has nothing to be near');
  assert.equal(c.near, b.ep, 'the second is placed beside the first');
  clock.advance(30_000); // ringing legs count: not idle (idle timeout 10 s, invitation 60 s)
  await tick();
  assert.equal(call.state, 'established');
  b.ch.peerAnswers();
  c.ch.peerAnswers();
  assert.equal((await opB.done).code, 200);
  assert.equal((await opC.done).code, 200);
  assert.equal(call.mix.mode, 'mixed');
  const legB = [...call.legs.values()].find((l) => l.participant === BOB)!;
  const legC = [...call.legs.values()].find((l) => l.participant === CAROL)!;
  assert.equal((await (await svc.execute(call.id, 'removeParticipant', { legId: legB.id }, { principal: me })).done).code, 200);
  assert.equal((await (await svc.execute(call.id, 'removeParticipant', { legId: legC.id }, { principal: me })).done).code, 200);
  await tick();
  assert.equal(call.state, 'established', 'a conference outlives its last party');
  clock.advance(9_999);
  await tick();
  assert.equal(call.state, 'established');
  clock.advance(1);
  await endedCall(call);
  await call.journal.settled();
  const t = await types(call.id);
  assert.equal(t.filter((x) => x === 'participant.removed').length, 2, t.join(','));
  assert.ok(t.includes('call.ended'));
  await svc.close();
});

it('hangup ends a conference at once, its ringing invitation too', async () => {
  const { svc, waitDialed } = service();
  const { call } = await svc.openConference(me, { locator: 'hangup' });
  const op = await svc.execute(call.id, 'addParticipant', { target: BOB }, { principal: me });
  const b = await waitDialed(1);
  await (await svc.execute(call.id, 'hangup', {}, { principal: me })).done;
  await endedCall(call);
  assert.equal((await op.done).code, 410, 'the invitation ended with the call');
  assert.ok(b.ch.calls.some((x) => x.startsWith('hangup:')), `the invitation was cancelled: ${b.ch.calls.join(',')}`);
  assert.equal((await svc.get(me, call.id)).endReason, 'normal');
  await svc.close();
});
