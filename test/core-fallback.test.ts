// The webhook-failure fallback in the core (fakes over a real SQLite store): when an
// application's webhooks are failing (WebhookHealth 'failing', or the call's own
// call.incoming delivery failing) its unanswered inbound calls get the configured fallback —
// hang up (default), apology (answer, TTS, hang up) or transfer — once per call; answered
// calls and other applications' calls are left alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallService, applicationPrincipal, type Participant, type Synthesizer, type WebhookHealthSignal } from '../src/core/index.ts';
import { FakeChannel, FakeMediaEndpoint } from '../src/core/testing/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type ApplicationCallHandling, type Store } from '../src/store/index.ts';

const CALLER: Participant = { kind: 'phone', number: '+4930123456' };
const NUMBER: Participant = { kind: 'phone', number: '+4930999000' };

let dir: string;
let store: Store;
let appSeq = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'core-fallback-'));
  store = await openDatabase({ dataDir: dir });
  await store.migrate();
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function app(callHandling?: ApplicationCallHandling): Promise<string> {
  const id = `app-fb-${++appSeq}`;
  await store.tenancy.applications.insert({
    id, name: id, callbackUrl: 'http://127.0.0.1:9/hook', webhookSecrets: ['s'.repeat(32)],
    limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null },
    ...(callHandling ? { callHandling } : {}), createdAt: 0, updatedAt: 0,
  });
  return id;
}

/** A WebhookHealth stand-in the test flips. */
class FakeHealth implements WebhookHealthSignal {
  readonly failing = new Set<string>();
  private readonly listeners = new Set<(i: { applicationId: string }) => void>();
  isFailing(id: string): boolean { return this.failing.has(id); }
  on(_e: 'failing', l: (i: { applicationId: string }) => void): () => void { this.listeners.add(l); return () => this.listeners.delete(l); }
  fail(applicationId: string): void { this.failing.add(applicationId); for (const l of this.listeners) l({ applicationId }); }
}

const synthesizer: Synthesizer = {
  async synthesize() { return { rate: 8000, samples: new Int16Array(160), cached: false }; },
};

function setup() {
  const clock = new FakeClock(1_700_000_000_000);
  const dialed: FakeChannel[] = [];
  const health = new FakeHealth();
  const svc = new CallService({
    store, clock, recordingsDir: join(dir, 'rec'), homeCountryCode: '49', synthesizer,
    channelFactory: { async dial(t) { const ch = new FakeChannel(t, NUMBER, 'outbound'); dialed.push(ch); return { channel: ch, media: new FakeMediaEndpoint() }; } },
  });
  svc.attachWebhookHealth(health);
  return { clock, svc, dialed, health };
}

async function inbound(svc: CallService, applicationId: string) {
  const ch = new FakeChannel(CALLER, NUMBER, 'inbound');
  const ep = new FakeMediaEndpoint();
  const call = await svc.incoming(ch, ep, { applicationId, from: CALLER, to: NUMBER });
  return { ch, ep, call };
}

const ended = (call: { state: string; once(e: 'ended', f: () => void): unknown }) =>
  new Promise<void>((r) => (call.state === 'ended' ? r() : call.once('ended', () => r())));
const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), what);
};

async function eventTypes(callId: string): Promise<string[]> {
  const rows = await store.db.selectFrom('events').select(['type', 'seq']).where('call_id', '=', callId).orderBy('seq').execute();
  return rows.map((r) => r.type);
}

describe('webhook failure fallback', () => {
  it('default (hangup): "failing" rejects the application\'s ringing calls with 480 at once, not the answered ones, not other applications\'', async () => {
    const id = await app();
    const other = await app();
    const { svc, health } = setup();
    const ringing = await inbound(svc, id);
    const answered = await inbound(svc, id);
    await (await svc.execute(answered.call.id, 'answer', {}, { principal: applicationPrincipal(id) })).done;
    const foreign = await inbound(svc, other);
    health.fail(id);
    await ended(ringing.call);
    assert.deepEqual(ringing.ch.calls, ['ring', 'reject:none']);
    const row = await store.calls.calls.get(ringing.call.id);
    assert.equal(row?.endReason, 'webhook-failure');
    assert.equal(row?.sipStatus, 480);
    assert.equal(answered.call.state, 'established');
    assert.equal(foreign.call.state, 'ringing');
    await ringing.call.journal.settled();
    assert.deepEqual(await eventTypes(ringing.call.id), ['call.incoming', 'call.ringing', 'call.fallback', 'call.ended']);
    await svc.close();
  });

  it('while failing, a new inbound call gets the fallback without waiting for the no-answer timeout', async () => {
    const id = await app({ unansweredStatus: 486 });
    const { svc, health } = setup();
    health.failing.add(id);
    const { ch, call } = await inbound(svc, id);
    await ended(call);
    assert.deepEqual(ch.calls, ['ring', 'reject:busy']);
    await svc.close();
  });

  it('the call\'s own call.incoming delivery failing triggers it (once), other event types do not', async () => {
    const id = await app();
    const { svc } = setup();
    const fallbacks: string[] = [];
    svc.on('fallback', (c, i) => fallbacks.push(`${c.id}:${i.reason}`));
    const { call } = await inbound(svc, id);
    svc.webhookDeliveryFailed({ callId: call.id, eventType: 'call.ringing' });
    assert.equal(call.state, 'ringing');
    svc.webhookDeliveryFailed({ callId: call.id, eventType: 'call.incoming' });
    svc.webhookDeliveryFailed({ callId: call.id, eventType: 'call.incoming' });
    await ended(call);
    assert.deepEqual(fallbacks, [`${call.id}:incoming-delivery-failed`]);
    await svc.close();
  });

  it('apology: answers, plays the TTS text, then hangs up', async () => {
    const id = await app({ webhookFallback: { action: 'apology', text: 'Sorry, we cannot take your call right now.' } });
    const { svc, health } = setup();
    const { ch, ep, call } = await inbound(svc, id);
    health.fail(id);
    await until(() => ep.running('play').length === 1, 'the apology plays');
    assert.equal(call.state, 'established');
    assert.ok(ch.calls.includes('answer'));
    const items = (ep.running('play')[0].detail as { items: unknown[] }).items;
    assert.equal(items.length, 1);
    ep.running('play')[0].finish({ reason: 'completed' });
    await ended(call);
    assert.deepEqual(ch.calls, ['ring', 'answer', 'hangup:normal']);
    assert.equal(call.ttsUsage.characters, 'Sorry, we cannot take your call right now.'.length);
    await svc.close();
  });

  it('transfer: answers and transfers blind to the fallback number (REFER accepted → our leg leaves)', async () => {
    const id = await app({ webhookFallback: { action: 'transfer', target: '+4930777' } });
    const { svc, health } = setup();
    const { ch, call } = await inbound(svc, id);
    health.fail(id);
    await ended(call);
    assert.deepEqual(ch.calls, ['ring', 'answer', 'refer:tel:+4930777', 'hangup:transferred']);
    await svc.close();
  });

  it('transfer to a destination the policy forbids: hangs up instead of dialing it', async () => {
    const id = await app({ webhookFallback: { action: 'transfer', target: '+33123456789' } });
    const { svc, health, dialed } = setup();
    const { ch, call } = await inbound(svc, id);
    health.fail(id);
    await ended(call);
    assert.equal(dialed.length, 0);
    assert.ok(!ch.calls.some((c) => c.startsWith('refer')));
    assert.deepEqual(ch.calls.at(-1), 'hangup:webhook-failure');
    await svc.close();
  });
});
