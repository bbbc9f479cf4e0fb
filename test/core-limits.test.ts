// Application limits and unanswered calls in the core (fakes over a real SQLite store):
// maxConcurrentCalls and callsPerSecond refuse inbound calls in SIP (limitStatus) and outbound
// ones with an API error; every dialed leg (createCall, transferBlind) obeys the destination
// policy; an unanswered call is rejected after the application's timeout with its status.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallError, CallService, applicationPrincipal, type Participant } from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type ApplicationCallHandling, type ApplicationLimits, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };
const NO_LIMITS: ApplicationLimits = { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null };

let dir: string;
let store: Store;
let appSeq = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-limits-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function app(limits: Partial<ApplicationLimits>, callHandling?: ApplicationCallHandling): Promise<string> {
  const id = `app-limits-${++appSeq}`;
  await store.tenancy.applications.insert({
    id, name: id, callbackUrl: null, webhookSecrets: ['s'.repeat(32)], limits: { ...NO_LIMITS, ...limits },
    ...(callHandling ? { callHandling } : {}), createdAt: 0, updatedAt: 0,
  });
  return id;
}

function setup() {
  const clock = new FakeClock(1_700_000_000_000);
  const dialed: FakeChannel[] = [];
  const svc = new CallService({
    store, clock, recordingsDir: join(dir, 'rec'), homeCountryCode: '49',
    channelFactory: { async dial(t) { const ch = new FakeChannel(t, NUMBER, 'outbound'); dialed.push(ch); return { channel: ch, media: new FakeMediaEndpoint() }; } },
  });
  return { clock, svc, dialed };
}

async function inbound(svc: CallService, applicationId: string) {
  const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
  const call = await svc.incoming(ch, new FakeMediaEndpoint(), { applicationId, from: CALLER, to: NUMBER });
  return { ch, call };
}

const ended = (call: { state: string; once(e: 'ended', f: () => void): unknown }) =>
  new Promise<void>((r) => (call.state === 'ended' ? r() : call.once('ended', () => r())));

async function stored(callId: string) {
  await new Promise((r) => setImmediate(r));
  return store.calls.calls.get(callId);
}

async function eventTypes(callId: string): Promise<string[]> {
  const rows = await store.db.selectFrom('events').select(['type', 'seq']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows.map((r) => r.type);
}

describe('max concurrent calls', () => {
  it('refuses the inbound call over the limit with 503 by default; recorded with a CDR, never offered to the application', async () => {
    const id = await app({ maxConcurrentCalls: 2 });
    const { svc } = setup();
    const a = await inbound(svc, id);
    const b = await inbound(svc, id);
    const c = await inbound(svc, id);
    assert.deepEqual(c.ch.calls, ['reject:unavailable']);
    await ended(c.call);
    assert.equal(a.call.state, 'ringing');
    assert.equal(b.call.state, 'ringing');
    const row = await stored(c.call.id);
    assert.equal(row?.endReason, 'concurrent-call-limit');
    assert.equal(row?.endedBy, 'system');
    assert.equal(row?.sipStatus, 503);
    await c.call.journal.settled();
    assert.deepEqual(await eventTypes(c.call.id), ['call.ended']);
    assert.equal((await store.calls.cdrs.list({ callId: c.call.id })).filter((r) => r.kind === 'call').length, 1);
    // One ends: room for the next.
    a.ch.peerHangsUp();
    await ended(a.call);
    await a.call.journal.settled();
    await new Promise((r) => setImmediate(r));
    const d = await inbound(svc, id);
    assert.equal(d.call.state, 'ringing');
    await svc.close();
  });

  it('uses the application\'s limitStatus (486 → busy)', async () => {
    const id = await app({ maxConcurrentCalls: 0 }, { limitStatus: 486 });
    const { svc } = setup();
    const c = await inbound(svc, id);
    assert.deepEqual(c.ch.calls, ['reject:busy']);
    await ended(c.call);
    assert.equal((await stored(c.call.id))?.sipStatus, 486);
    await svc.close();
  });

  it('refuses an outbound call over the limit with CALL_LIMIT_EXCEEDED (inbound and outbound share it)', async () => {
    const id = await app({ maxConcurrentCalls: 1 });
    const { svc } = setup();
    await inbound(svc, id);
    await assert.rejects(
      svc.createCall({ target: { kind: 'phone', number: '+4930111' } }, { principal: applicationPrincipal(id) }),
      (e: unknown) => e instanceof CallError && e.code === 'CALL_LIMIT_EXCEEDED',
    );
    await svc.close();
  });
});

describe('calls per second (token bucket per application)', () => {
  it('lets a burst of callsPerSecond through, refuses the next, refills with time', async () => {
    const id = await app({ callsPerSecond: 2 });
    const { svc, clock } = setup();
    const me = applicationPrincipal(id);
    const target = { kind: 'phone', number: '+4930111' };
    await svc.createCall({ target }, { principal: me });
    await svc.createCall({ target }, { principal: me });
    await assert.rejects(svc.createCall({ target }, { principal: me }), (e: unknown) => e instanceof CallError && e.code === 'RATE_LIMITED');
    const refused = await inbound(svc, id);
    assert.deepEqual(refused.ch.calls, ['reject:unavailable']);
    await ended(refused.call);
    assert.equal((await stored(refused.call.id))?.endReason, 'call-rate-limit');
    clock.advance(500); // half a second at 2/s = one token
    await svc.createCall({ target }, { principal: me });
    await assert.rejects(svc.createCall({ target }, { principal: me }), (e: unknown) => e instanceof CallError && e.code === 'RATE_LIMITED');
    await svc.close();
  });

  it('another application has its own bucket', async () => {
    const a = await app({ callsPerSecond: 1 });
    const b = await app({ callsPerSecond: 1 });
    const { svc } = setup();
    await svc.createCall({ target: { kind: 'phone', number: '+4930111' } }, { principal: applicationPrincipal(a) });
    await svc.createCall({ target: { kind: 'phone', number: '+4930111' } }, { principal: applicationPrincipal(b) });
    await svc.close();
  });
});

describe('destination policy on every dialed leg', () => {
  it('createCall: international refused by default, allowed by prefix, domestic and SIP always', async () => {
    const id = await app({ allowedDestinationPrefixes: ['+44'] });
    const { svc } = setup();
    const me = applicationPrincipal(id);
    await assert.rejects(svc.createCall({ target: { kind: 'phone', number: '+33123456789' } }, { principal: me }),
      (e: unknown) => e instanceof CallError && e.code === 'DESTINATION_NOT_ALLOWED');
    await svc.createCall({ target: { kind: 'phone', number: '+442079460000' } }, { principal: me });
    await svc.createCall({ target: { kind: 'phone', number: '+4930111' } }, { principal: me });
    await svc.createCall({ target: { kind: 'sip', uri: 'sip:bob@example.com' } }, { principal: me });
    await svc.close();
  });

  it('transferBlind to an international number is refused before anything is dialed or REFERred', async () => {
    const id = await app({});
    const { svc, dialed } = setup();
    const me = applicationPrincipal(id);
    const { ch, call } = await inbound(svc, id);
    await (await svc.execute(call.id, 'answer', {}, { principal: me })).done;
    await assert.rejects(svc.execute(call.id, 'transferBlind', { target: { kind: 'phone', number: '+33123456789' } }, { principal: me }),
      (e: unknown) => e instanceof CallError && e.code === 'DESTINATION_NOT_ALLOWED');
    assert.equal(dialed.length, 0);
    assert.ok(!ch.calls.some((c) => c.startsWith('refer')));
    const ok = await svc.execute(call.id, 'transferBlind', { target: { kind: 'phone', number: '+4930555' } }, { principal: me });
    assert.equal((await ok.done).code, 200);
    await svc.close();
  });
});

describe('unanswered inbound call', () => {
  it('is rejected after the node default (30 s) with 480', async () => {
    const id = await app({});
    const { svc, clock } = setup();
    const { ch, call } = await inbound(svc, id);
    clock.advance(29_999);
    assert.deepEqual(ch.calls, ['ring']);
    clock.advance(1);
    await ended(call);
    assert.deepEqual(ch.calls, ['ring', 'reject:none']);
    const row = await stored(call.id);
    assert.equal(row?.endReason, 'no-answer');
    assert.equal(row?.sipStatus, 480);
    await svc.close();
  });

  it('uses the application\'s unansweredTimeoutMs and unansweredStatus (603 → decline)', async () => {
    const id = await app({}, { unansweredTimeoutMs: 5000, unansweredStatus: 603 });
    const { svc, clock } = setup();
    const { ch, call } = await inbound(svc, id);
    clock.advance(5000);
    await ended(call);
    assert.deepEqual(ch.calls, ['ring', 'reject:decline']);
    assert.equal((await stored(call.id))?.sipStatus, 603);
    await svc.close();
  });

  it('is not rejected once answered', async () => {
    const id = await app({}, { unansweredTimeoutMs: 5000 });
    const { svc, clock } = setup();
    const { ch, call } = await inbound(svc, id);
    await (await svc.execute(call.id, 'answer', {}, { principal: applicationPrincipal(id) })).done;
    clock.advance(60_000);
    assert.equal(call.state, 'established');
    assert.ok(!ch.calls.some((c) => c.startsWith('reject')));
    await svc.close();
  });
});

describe('live call counts per application (admission without a scan)', () => {
  type Live = { live: Map<string, { applicationId: string; state: string }> };
  /** What liveCountOf used to compute by walking every live call. */
  const scanned = (svc: CallService, applicationId: string) =>
    [...(svc as unknown as Live).live.values()].filter((c) => c.applicationId === applicationId && c.state !== 'ended').length;

  it('stays equal to a scan of the live calls across answer, refusal, no-answer, failed dial, hang-up and close', async () => {
    const id = await app({ maxConcurrentCalls: 3 });
    const other = await app({});
    const { svc, clock, dialed } = setup();
    const me = applicationPrincipal(id);
    const check = (want: number, step: string) => {
      assert.equal(svc.liveCountOf(id), want, step);
      assert.equal(scanned(svc, id), want, `${step} (scan)`);
    };
    check(0, 'nothing yet');
    const a = await inbound(svc, id);
    check(1, 'one ringing inbound');
    await (await svc.execute(a.call.id, 'answer', {}, { principal: me })).done;
    check(1, 'answered');
    const out = await svc.createCall({ target: { kind: 'phone', number: '+4930111' } }, { principal: me });
    check(2, 'outbound dialing');
    dialed[0]!.peerHangsUp('busy', 486);
    await ended(out.call);
    check(1, 'outbound failed (busy)');
    const b = await inbound(svc, id);
    const c = await inbound(svc, id);
    check(3, 'at the limit');
    const refused = await inbound(svc, id);
    assert.deepEqual(refused.ch.calls, ['reject:unavailable']);
    await ended(refused.call);
    check(3, 'refused call ended, the others still up');
    clock.advance(30_000);
    await Promise.all([ended(b.call), ended(c.call)]);
    check(1, 'two unanswered calls timed out');
    await inbound(svc, other);
    a.ch.peerHangsUp();
    await ended(a.call);
    check(0, 'answered call hung up by the peer');
    assert.equal(svc.liveCountOf(other), 1, 'the other application kept its call');
    const again = await inbound(svc, id);
    check(1, 'room again');
    await (await svc.execute(again.call.id, 'hangup', {}, { principal: me })).done;
    await ended(again.call);
    check(0, 'hung up through the API');
    await inbound(svc, id);
    await svc.close();
    check(0, 'closed');
    assert.equal(svc.liveCountOf(other), 0);
  });

  it('admits a call without walking the live calls', async () => {
    const id = await app({ maxConcurrentCalls: 100 });
    const { svc } = setup();
    for (let i = 0; i < 5; i++) await inbound(svc, id);
    const live = (svc as unknown as Live).live;
    let walks = 0;
    const values = live.values.bind(live);
    live.values = () => { walks++; return values(); };
    await inbound(svc, id);
    await assert.rejects(svc.createCall({ target: { kind: 'phone', number: '+33123' } }, { principal: applicationPrincipal(id) }));
    await svc.createCall({ target: { kind: 'phone', number: '+4930111' } }, { principal: applicationPrincipal(id) });
    assert.equal(walks, 0);
    assert.equal(svc.liveCountOf(id), 7);
    live.values = values;
    await svc.close();
  });
});
