// The delivery engine's own HTTP client (keep-alive node:http) against real loopback peers:
// many deliveries reuse a few sockets, the body is byte-for-byte nativeFormatter's output and
// verifies, a refused connection is retried as ECONNREFUSED, a redirect is not followed (dead
// with its 3xx), a receiver that never answers times out; and WebhookHealth turns consecutive
// failures of one application into 'failing', then 'recovered' on the next 2xx.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { newEventId, type DomainEvent } from '../src/core/index.ts';
import {
  nativeFormatter, verifySignature, WebhookDeliveryEngine, WebhookHealth,
  type AttemptInfo, type WebhookDeliveryOptions, type WebhookFailureInfo,
} from '../src/events/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function store(): Promise<Store> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-events-client-'));
  const s = await openDatabase({ dataDir });
  await s.migrate();
  cleanups.push(async () => { await s.close(); rmSync(dataDir, { recursive: true, force: true }); });
  return s;
}

async function receiver(respond?: Parameters<typeof startReceiver>[0]): Promise<WebhookReceiver> {
  const r = await startReceiver(respond);
  cleanups.push(() => r.close());
  return r;
}

function engine(opts: WebhookDeliveryOptions): WebhookDeliveryEngine {
  const e = new WebhookDeliveryEngine({ pollIntervalMs: 200, random: () => 0, ...opts });
  cleanups.push(() => e.stop());
  return e;
}

function ev(over: Partial<DomainEvent> = {}): DomainEvent {
  return { id: newEventId(), type: 'call.answered', applicationId: 'app1', occurredAt: new Date().toISOString(), data: {}, ...over };
}

function next<T>(e: WebhookDeliveryEngine, name: 'delivered' | 'retry' | 'dead'): Promise<T> {
  return new Promise((resolve) => { const off = e.on(name, ((info: T) => { off(); resolve(info); }) as never); });
}

describe('webhook HTTP client', () => {
  it('sends keep-alive requests carrying exactly nativeFormatter\'s bytes, signed', async () => {
    const s = await store();
    const r = await receiver(() => 204);
    const e = engine({ outbox: s.outbox, concurrency: 4, secrets: () => ['sec-new', 'sec-old'] });
    await e.start();
    const sent: DomainEvent[] = [];
    for (let i = 0; i < 40; i++) sent.push(ev({ callId: `call-${i % 4}`, data: { i, nested: { ok: true, list: [1, 'two', null] }, text: 'héllo "q" \u2028' } }));
    await s.outbox.appendMany(sent.map((event) => ({ event, targets: [{ url: r.url }] })));
    await r.waitFor(40);
    for (const req of r.received) {
      const parsed = JSON.parse(req.body) as DomainEvent;
      const original = sent.find((x) => x.id === parsed.id)!;
      assert.equal(req.body, nativeFormatter(original));
      assert.equal(req.headers['switchboard-event-id'], original.id);
      assert.ok(verifySignature(['sec-old'], String(req.headers['switchboard-signature']), String(req.headers['switchboard-timestamp']), req.body));
      assert.equal(req.headers.connection, 'keep-alive');
    }
  });

  it('keeps the number of sockets to the receiver at most the concurrency', async () => {
    const s = await store();
    const ports = new Set<number>();
    const srv: Server = createServer((req, res) => { ports.add(req.socket.remotePort!); req.resume(); req.on('end', () => res.writeHead(200).end()); });
    srv.keepAliveTimeout = 60_000;
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    cleanups.push(() => new Promise<void>((ok) => { srv.closeAllConnections(); srv.close(() => ok()); }));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/h`;
    const e = engine({ outbox: s.outbox, concurrency: 3 });
    let n = 0;
    const all = new Promise<void>((ok) => e.on('delivered', () => { if (++n === 60) ok(); }));
    await e.start();
    await s.outbox.appendMany(Array.from({ length: 60 }, (_, i) => ({ event: ev({ callId: `c${i % 6}`, data: { i } }), targets: [{ url }] })));
    await all;
    assert.ok(ports.size >= 1 && ports.size <= 3, `60 deliveries used ${ports.size} sockets`);
  });

  it('retries a refused connection as ECONNREFUSED', async () => {
    const s = await store();
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((ok) => probe.close(() => ok()));
    const e = engine({ outbox: s.outbox, retry: { maxAttempts: 2 } });
    const retry = next<AttemptInfo & { nextAttemptAt: number }>(e, 'retry');
    await e.start();
    await s.outbox.append(ev(), [{ url: `http://127.0.0.1:${port}/gone` }]);
    const info = await retry;
    assert.equal(info.error, 'ECONNREFUSED');
    assert.equal(info.status, undefined);
  });

  it('does not follow a redirect: the delivery is dead with the 302', async () => {
    const s = await store();
    const target = await receiver(() => 200);
    const r = await receiver(() => 302);
    const e = engine({ outbox: s.outbox });
    const dead = next<AttemptInfo>(e, 'dead');
    await e.start();
    await s.outbox.append(ev(), [{ url: r.url }]);
    const info = await dead;
    assert.equal(info.status, 302);
    assert.equal(target.received.length, 0);
    const [d] = await s.outbox.listDeliveries({ state: 'dead' });
    assert.equal(d.lastStatus, 302);
  });

  it('times out a receiver that never answers, and retries', async () => {
    const s = await store();
    const r = await receiver(() => new Promise<number>(() => {}));
    const e = engine({ outbox: s.outbox, timeoutMs: 150 });
    const retry = next<AttemptInfo>(e, 'retry');
    await e.start();
    await s.outbox.append(ev(), [{ url: r.url }]);
    const info = await retry;
    assert.equal(info.error, 'timeout after 150 ms');
    await e.stop();
  });
});

describe('WebhookHealth', () => {
  it('says an application is failing after 3 failures in a row, once, and recovered after a 2xx', async () => {
    const s = await store();
    let status = 503;
    const r = await receiver(() => status);
    const e = engine({ outbox: s.outbox, retry: { baseDelayMs: 20, maxDelayMs: 20 } });
    const health = new WebhookHealth(e);
    cleanups.push(() => health.close());
    const failing: WebhookFailureInfo[] = [];
    const recovered: string[] = [];
    health.on('failing', (i) => failing.push(i));
    health.on('recovered', (i) => recovered.push(i.applicationId));
    await e.start();
    await s.outbox.append(ev({ applicationId: 'sick' }), [{ url: r.url }]);
    await r.waitFor(4);
    assert.equal(failing.length, 1, 'failing is reported once per episode');
    assert.deepEqual({ ...failing[0], consecutiveFailures: 3 }, { applicationId: 'sick', consecutiveFailures: 3, lastError: 'HTTP 503', lastStatus: 503, url: r.url });
    assert.ok(health.isFailing('sick'));
    assert.ok(!health.isFailing('other'));
    const delivered = next<AttemptInfo>(e, 'delivered');
    status = 200;
    await delivered;
    assert.deepEqual(recovered, ['sick']);
    assert.ok(!health.isFailing('sick'));
    assert.equal(health.status('sick'), undefined);
  });
});
