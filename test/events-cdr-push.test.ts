// CDR push: a committed call.ended makes the CdrPublisher append cdr.created (the call CDR
// and its legs' CDRs) to the outbox, aimed at the application's callback URL, queued behind
// call.ended in the call's order, and delivered signed by the engine to a real receiver; a
// call that ended while no publisher ran is published by the start-up sweep; the event id is
// stable, so publishing again (sweep, second node) never adds a second cdr.created.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { ApplicationService, newEventId } from '../src/core/index.ts';
import { CDR_EVENT_TYPE, CdrPublisher, cdrEventId, verifySignature, WebhookDeliveryEngine } from '../src/events/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(): Promise<{ store: Store; appId: string; secret: string; receiver: WebhookReceiver }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-cdr-push-'));
  const store = await openDatabase({ dataDir });
  await store.migrate();
  cleanups.push(async () => { await store.close(); rmSync(dataDir, { recursive: true, force: true }); });
  const receiver = await startReceiver(() => 204);
  cleanups.push(() => receiver.close());
  const created = await new ApplicationService(store).create({ name: 'cdr-app', callbackUrl: receiver.url });
  return { store, appId: created.application.id, secret: created.webhookSecrets[0], receiver };
}

/** What core does when a call ends: CDR rows and call.ended in one transaction. */
async function endCall(store: Store, appId: string, callId: string, endedAt: number): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.calls.cdrs.insertMany([
      { id: callId, applicationId: appId, callId, legId: null, kind: 'call', startedAt: endedAt - 5000, endedAt, record: { kind: 'call', callId, talkMs: 4000, endReason: 'hangup' } },
      { id: `${callId}-leg1`, applicationId: appId, callId, legId: `${callId}-leg1`, kind: 'leg', startedAt: endedAt - 5000, endedAt, record: { kind: 'leg', legId: `${callId}-leg1` } },
    ]);
    await tx.outbox.append(
      { id: newEventId(endedAt), type: 'call.ended', applicationId: appId, callId, occurredAt: new Date(endedAt).toISOString(), data: { reason: 'hangup' } },
      [],
    );
  });
}

it('pushes cdr.created after call.ended, to the callback URL, signed, with the call and leg CDRs', async () => {
  const { store, appId, secret, receiver } = await setup();
  const publisher = new CdrPublisher({ store });
  cleanups.push(() => publisher.stop());
  const engine = new WebhookDeliveryEngine({ outbox: store.outbox, secrets: () => [secret] });
  cleanups.push(() => engine.stop());
  await publisher.start();
  await engine.start();
  const endedAt = Date.now() - 1000;
  await endCall(store, appId, 'call-1', endedAt);
  await receiver.waitFor(1);
  await publisher.settled();
  const req = receiver.received[0];
  const body = JSON.parse(req.body) as { id: string; type: string; callId: string; occurredAt: string; data: { cdr: { callId: string; talkMs: number }; legs: { legId: string }[] } };
  assert.equal(body.type, CDR_EVENT_TYPE);
  assert.equal(body.id, cdrEventId('call-1', endedAt));
  assert.match(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(body.callId, 'call-1');
  assert.ok(Date.parse(body.occurredAt) > endedAt, 'stamped when created, after call.ended (replay order)');
  assert.deepEqual(body.data.cdr, { kind: 'call', callId: 'call-1', talkMs: 4000, endReason: 'hangup' });
  assert.deepEqual(body.data.legs.map((l) => l.legId), ['call-1-leg1']);
  assert.ok(verifySignature([secret], String(req.headers['switchboard-signature']), String(req.headers['switchboard-timestamp']), req.body));
  // Behind call.ended in the call's order.
  const stored = await store.outbox.getEvent(body.id);
  const events = await store.outbox.listEvents({ applicationId: appId });
  const ended = events.find((e) => e.type === 'call.ended')!;
  assert.ok(stored!.seq! > ended.seq!, `cdr.created seq ${stored!.seq} after call.ended seq ${ended.seq}`);
  // Publishing again (a sweep, another node) adds nothing.
  assert.equal(await publisher.publish('call-1'), undefined);
  assert.equal(await publisher.sweep(), 0);
  assert.equal((await store.outbox.listEvents({ applicationId: appId })).filter((e) => e.type === CDR_EVENT_TYPE).length, 1);
});

it('the start-up sweep publishes calls that ended while no publisher ran, once', async () => {
  const { store, appId, receiver } = await setup();
  await endCall(store, appId, 'call-a', Date.now() - 2000);
  await endCall(store, appId, 'call-b', Date.now() - 1000);
  // Ended long ago: outside the sweep window, left alone.
  await endCall(store, appId, 'call-old', Date.now() - 3 * 3_600_000);
  const publisher = new CdrPublisher({ store });
  cleanups.push(() => publisher.stop());
  const published: string[] = [];
  publisher.on('published', (e) => published.push(e.callId!));
  await publisher.start();
  assert.deepEqual(published.sort(), ['call-a', 'call-b']);
  const [d] = await store.outbox.deliveriesOf(cdrEventId('call-a', (await store.calls.cdrs.get('call-a'))!.endedAt));
  assert.equal(d.url, receiver.url);
  const again = new CdrPublisher({ store });
  await again.start();
  await again.stop();
  assert.equal((await store.outbox.listEvents({ applicationId: appId })).filter((e) => e.type === CDR_EVENT_TYPE).length, 2);
});

it('an application without a callback URL gets cdr.created stored for replay, with no delivery', async () => {
  const { store } = await setup();
  const app = await new ApplicationService(store).create({ name: 'no-hook' });
  const publisher = new CdrPublisher({ store });
  cleanups.push(() => publisher.stop());
  await publisher.start();
  await endCall(store, app.application.id, 'call-x', Date.now());
  await publisher.settled();
  const end = (await store.calls.cdrs.get('call-x'))!.endedAt;
  assert.ok(await store.outbox.getEvent(cdrEventId('call-x', end)));
  assert.deepEqual(await store.outbox.deliveriesOf(cdrEventId('call-x', end)), []);
});
