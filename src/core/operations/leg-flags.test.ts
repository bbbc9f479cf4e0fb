// The participant flags reach the leg's row (legs.muted / legs.on_hold, ./leg-flags.ts): core's
// CallService with fake ports over a real SQLite store. Mute, unmute, hold and unhold write the
// row before their operation completes; a mute or hold that failed (rolled back in memory)
// writes nothing; an unhold whose re-mix failed still writes "not held" (memory says so);
// concurrent hold/unhold leave the row equal to memory; mute and hold do not disturb each other.
// (The PostgreSQL side of the columns is in test/store-calls-postgres.test.ts, the whole path
// through the APIs with SIPp and the ACS SDK in test/participant-flags-persisted.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { FakeClock } from '../../lib/index.ts';
import { openDatabase, type Store } from '../../store/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../testing/index.ts';
import { applicationPrincipal } from '../tenancy/index.ts';
import type { Participant } from '../ports/index.ts';
import { CallService } from '../calls/call-service.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const me = applicationPrincipal('app-flags');
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-leg-flags-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
  await store.tenancy.applications.insert({
    id: 'app-flags', name: 'flags', callbackUrl: null, webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: 0, updatedAt: 0,
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An answered inbound call with one leg (no mixer: mute goes to the endpoint). */
async function answered() {
  const clock = new FakeClock(1_700_000_000_000);
  const svc = new CallService({ store, clock, recordingsDir: join(dir, 'rec'), homeCountryCode: '49' });
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(new FakeChannel(CALLER, NUMBER, 'inbound'), ep, { applicationId: 'app-flags', from: CALLER, to: NUMBER });
  await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
  const legId = call.primaryLeg!.id;
  const run = async (op: string, params: Record<string, unknown> = { legId }) => (await svc.execute(call.id, op, params, { principal: me })).done;
  /** The leg's flags as the store has them now (no waiting for the journal). */
  const row = async () => {
    const l = (await store.calls.calls.legs(call.id)).find((x) => x.id === legId)!;
    return { muted: l.muted, onHold: l.onHold };
  };
  return { svc, ep, call, legId, clock, run, row };
}

it('mute, hold, unmute, unhold: the row has each flag when the operation completes; the two are independent', async () => {
  const t = await answered();
  assert.deepEqual(await t.row(), { muted: false, onHold: false }, 'a new leg: neither');
  const before = (await store.calls.calls.legs(t.call.id))[0]!.updatedAt;
  t.clock.advance(1000);
  assert.equal((await t.run('muteParticipant')).code, 200);
  assert.deepEqual(await t.row(), { muted: true, onHold: false });
  assert.equal((await store.calls.calls.legs(t.call.id))[0]!.updatedAt, before + 1000, 'updatedAt moves with the flag');
  assert.equal((await t.run('hold')).code, 200);
  assert.deepEqual(await t.row(), { muted: true, onHold: true });
  assert.equal((await t.run('unmuteParticipant')).code, 200);
  assert.deepEqual(await t.row(), { muted: false, onHold: true });
  assert.equal((await t.run('unhold')).code, 200);
  assert.deepEqual(await t.row(), { muted: false, onHold: false });
  assert.equal(t.call.journal.failures, 0);
  await t.svc.close();
});

it('a mute or hold that failed writes nothing; the row stays equal to memory', async () => {
  const t = await answered();
  t.ep.mute = async () => { throw new Error('worker gone'); };
  const m = await t.run('muteParticipant');
  assert.equal(m.code, 500, JSON.stringify(m));
  assert.equal(t.call.primaryLeg!.muted, false, 'rolled back in memory');
  t.ep.failPlay = new Error('no music');
  const h = await t.run('hold');
  assert.equal(h.code, 500, JSON.stringify(h));
  assert.equal(t.call.primaryLeg!.onHold, false);
  await t.call.journal.settled();
  assert.deepEqual(await t.row(), { muted: false, onHold: false });
  await t.svc.close();
});

it('an unhold whose re-mix failed still writes "not held": the leg is not held in memory either', async () => {
  const t = await answered();
  assert.equal((await t.run('hold')).code, 200);
  assert.deepEqual(await t.row(), { muted: false, onHold: true });
  t.call.mix.arrange = async () => { throw new Error('mixer gone'); };
  const u = await t.run('unhold');
  assert.equal(u.code, 500, JSON.stringify(u));
  assert.equal(t.call.primaryLeg!.onHold, false);
  assert.deepEqual(await t.row(), { muted: false, onHold: false });
  await t.svc.close();
});

it('hold, unhold and hold again sent at once: the row ends as memory does', async () => {
  const t = await answered();
  const ops = await Promise.all(['hold', 'unhold', 'hold', 'muteParticipant', 'unmuteParticipant', 'muteParticipant']
    .map((op) => t.svc.execute(t.call.id, op, { legId: t.legId }, { principal: me })));
  for (const o of ops) assert.equal((await o.done).code, 200);
  await t.call.journal.settled();
  const leg = t.call.primaryLeg!;
  assert.deepEqual(await t.row(), { muted: leg.muted, onHold: leg.onHold });
  await t.svc.close();
});
