// CallService.joinConference (dial-in to a meeting number) with fake ports over SQLite: two
// callers of one meeting join ONE conference `meeting:<id>` (the second leg made near the
// first), are answered and mixed, and the roster is published; the conference counts as one
// call; a limit refusing a NEW conference gives the application's limitStatus and writes
// nothing; a connect() that fails leaves no leg.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { FakeClock } from '../../lib/index.ts';
import { openDatabase, type Store } from '../../store/index.ts';
import { FakeChannel, FakeMediaEndpoint, FakeMixerFactory } from '../testing/index.ts';
import { applicationPrincipal } from '../tenancy/index.ts';
import type { MediaEndpoint, Participant } from '../ports/index.ts';
import { CallService } from './call-service.ts';

const TO: Participant = { kind: 'phone', number: '+4930555100' };
const ALICE: Participant = { kind: 'phone', number: '+4915100000001' };
const BOB: Participant = { kind: 'phone', number: '+4915100000002' };
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-conference-join-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-meet', name: 'app-meet', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
  await store.tenancy.applications.insert({
    id: 'app-small', name: 'app-small', callbackUrl: null, webhookSecrets: ['s'.repeat(32)], callHandling: { limitStatus: 486 },
    limits: { maxConcurrentCalls: 1, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function service() {
  return new CallService({ store, clock: new FakeClock(1_700_000_000_000), recordingsDir: join(dir, 'rec'), mixerFactory: new FakeMixerFactory() });
}

/** A connect() over fakes that remembers what it made and the `near` it was given. */
function connector(from: Participant) {
  const made: { ch: FakeChannel; ep: FakeMediaEndpoint; near: MediaEndpoint | undefined }[] = [];
  const connect = async (near?: MediaEndpoint) => {
    const ch = new FakeChannel(from, TO, 'inbound');
    const ep = new FakeMediaEndpoint();
    made.push({ ch, ep, near });
    return { channel: ch, media: ep };
  };
  return { made, connect };
}

it('two callers of one meeting: one conference meeting:<id>, answered, mixed, near each other, one call', async () => {
  const svc = service();
  const a = connector(ALICE);
  const b = connector(BOB);
  const ra = await svc.joinConference({ applicationId: 'app-meet', meetingId: 'weekly', from: ALICE, to: TO }, a.connect);
  const rb = await svc.joinConference({ applicationId: 'app-meet', meetingId: 'weekly', from: BOB, to: TO }, b.connect);
  assert.equal(ra.kind, 'joined');
  assert.equal(rb.kind, 'joined');
  if (ra.kind !== 'joined' || rb.kind !== 'joined') return;
  assert.equal(ra.call, rb.call, 'the same conference');
  const call = ra.call;
  assert.equal(call.conference?.locator, 'meeting:weekly');
  assert.equal(a.made[0].near, undefined, 'nothing to be near yet');
  assert.equal(b.made[0].near, a.made[0].ep, 'the second caller is made beside the first');
  assert.deepEqual(a.made[0].ch.calls, ['answer']);
  assert.deepEqual(b.made[0].ch.calls, ['answer']);
  assert.equal(call.mix.mode, 'mixed');
  assert.ok(call.mix.currentMixer?.has(a.made[0].ep) && call.mix.currentMixer.has(b.made[0].ep), 'both in the mixer');
  assert.deepEqual(call.participantViews().map((p) => [p.participant, p.role]), [[ALICE, 'participant'], [BOB, 'participant']]);
  assert.equal(svc.liveCountOf('app-meet'), 1, 'a meeting is one call, whatever its callers');
  await call.journal.settled();
  const events = await store.db.selectFrom('events').select(['type']).where('call_id', '=', call.id).orderBy('seq').execute();
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ['call.created', 'call.answered']);
  assert.equal(types.filter((t) => t === 'participants.updated').length, 2, types.join(','));
  assert.ok(!types.includes('call.incoming'));
  // The API's openConference of the same locator reaches it too.
  const again = await svc.openConference(applicationPrincipal('app-meet'), { locator: 'meeting:weekly' });
  assert.equal(again.call, call);
  assert.equal(again.created, false);
  await svc.close();
});

it('a limit refusing a new conference: limitStatus (486 → busy), nothing made; a live one is joined', async () => {
  const svc = service();
  const open = await svc.openConference(applicationPrincipal('app-small'), { locator: 'meeting:a' });
  const refused = connector(ALICE);
  const r = await svc.joinConference({ applicationId: 'app-small', meetingId: 'b', from: ALICE, to: TO }, refused.connect);
  assert.deepEqual(r, { kind: 'refused', reject: 'busy', reason: 'concurrent-call-limit' });
  assert.equal(refused.made.length, 0, 'no endpoint for a refused caller');
  const joined = await svc.joinConference({ applicationId: 'app-small', meetingId: 'a', from: BOB, to: TO }, connector(BOB).connect);
  assert.equal(joined.kind, 'joined');
  assert.equal(joined.kind === 'joined' && joined.call, open.call);
  await svc.close();
});

it('connect() failing (caller gone): the error goes back, no leg is added, the conference stays', async () => {
  const svc = service();
  await assert.rejects(svc.joinConference({ applicationId: 'app-meet', meetingId: 'gone', from: ALICE, to: TO }, async () => { throw new Error('cancelled'); }), /cancelled/);
  const { call } = await svc.openConference(applicationPrincipal('app-meet'), { locator: 'meeting:gone' });
  assert.equal(call.legs.size, 0);
  assert.equal(call.state, 'established');
  await svc.close();
});
