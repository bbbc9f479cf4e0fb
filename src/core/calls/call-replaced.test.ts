// A leg whose channel is replaced by another dialog (INVITE with Replaces, RFC 3891), with fake
// ports over SQLite: the leg keeps its id and takes the new party; participant.replaced
// {legId, previous, participant} is journaled after call.answered and before call.ended; the
// leg row (GET /v1/calls) and the leg CDR name the new party, the CDR also the replaced one;
// participants.updated follows only when the roster is published.
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
const COLLEAGUE: Participant = { kind: 'phone', number: '+4915100000002' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const BOB: Participant = { kind: 'sip', uri: 'sip:bob@example.org' };
const me = applicationPrincipal('app-repl');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-replaced-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-repl', name: 'repl', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));
const endedCall = (call: Call) => new Promise((r) => (call.state === 'ended' ? r(undefined) : call.once('ended', r)));

async function answered() {
  const dialed: FakeChannel[] = [];
  const svc = new CallService({
    store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), homeCountryCode: '49', mixerFactory: new FakeMixerFactory(),
    channelFactory: { async dial(t) { const ch = new FakeChannel(t, NUMBER, 'outbound'); dialed.push(ch); return { channel: ch, media: new FakeMediaEndpoint() }; } },
  });
  const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
  const call = await svc.incoming(ch, new FakeMediaEndpoint(), { applicationId: 'app-repl', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  return { svc, ch, call, dialed };
}

async function journaled(callId: string): Promise<{ type: string; data: Record<string, any> }[]> {
  const rows = await store.db.selectFrom('events').select(['type', 'data']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows.map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, any> }));
}

it('a two-party call: the leg takes the new party; event, leg row and CDR say so; no roster', async () => {
  const t = await answered();
  const leg = t.call.primaryLeg!;
  t.ch.peerReplacedBy(COLLEAGUE);
  assert.deepEqual(leg.participant, COLLEAGUE);
  assert.deepEqual(leg.previousParticipants, [CALLER]);
  assert.equal(t.call.legs.size, 1, 'the same leg, not a new one');
  await t.call.journal.settled();

  const view = await t.svc.get(me, t.call.id);
  assert.deepEqual(view.legs[0].participant, COLLEAGUE, 'the leg row names the new party');
  assert.deepEqual(view.from, CALLER, 'the call itself keeps its original from');

  t.ch.peerHangsUp();
  await endedCall(t.call);
  await t.call.journal.settled();
  const evs = await journaled(t.call.id);
  const types = evs.map((e) => e.type);
  assert.deepEqual(types, ['call.incoming', 'call.ringing', 'call.answered', 'participant.replaced', 'call.ended'], 'in order, no participants.updated');
  assert.deepEqual(evs.find((e) => e.type === 'participant.replaced')!.data, { legId: leg.id, previous: CALLER, participant: COLLEAGUE });

  const cdr = await store.calls.cdrs.get(leg.id);
  assert.deepEqual(cdr!.record.participant, COLLEAGUE);
  assert.deepEqual(cdr!.record.replacedParticipants, [CALLER]);
  const callCdr = await store.calls.cdrs.get(t.call.id);
  assert.equal(callCdr!.record.endedBy, 'remote', 'ended once, by the replacing party');
  await t.svc.close();
});

it('with the roster published, participants.updated follows with the new party', async () => {
  const t = await answered();
  const op = await t.svc.execute(t.call.id, 'addParticipant', { target: BOB }, { principal: me });
  for (let i = 0; i < 50 && t.dialed.length < 1; i++) await tick();
  t.dialed[0].peerAnswers();
  assert.equal((await op.done).code, 200);
  await t.call.journal.settled();
  const leg = t.call.primaryLeg!;
  t.ch.peerReplacedBy(COLLEAGUE);
  await t.call.journal.settled();
  const evs = await journaled(t.call.id);
  const i = evs.findIndex((e) => e.type === 'participant.replaced');
  assert.ok(i > 0, 'participant.replaced journaled');
  const next = evs[i + 1];
  assert.equal(next.type, 'participants.updated');
  const me2 = next.data.participants.find((p: { legId: string }) => p.legId === leg.id);
  assert.deepEqual(me2.participant, COLLEAGUE);
  await t.svc.close();
});

it('an ended leg is not re-partied', async () => {
  const t = await answered();
  const leg = t.call.primaryLeg!;
  t.ch.peerHangsUp();
  await endedCall(t.call);
  t.ch.emit('replaced', { remote: COLLEAGUE });
  assert.deepEqual(leg.participant, CALLER);
  await t.call.journal.settled();
  assert.ok(!(await journaled(t.call.id)).some((e) => e.type === 'participant.replaced'));
  await t.svc.close();
});
