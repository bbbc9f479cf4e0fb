// GET /v1/events/stream with application API keys: a key streams only its own application's
// events (another application's events never reach it, naming another application is 403),
// an unknown key is 401, the admin key still sees every application. Also checks the webhook
// metrics the events service exports after a real delivery to a loopback receiver.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import WebSocket from 'ws';
import { newEventId, type DomainEvent } from '../src/core/index.ts';
import type { EventsService } from '../src/server/events-service.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const ADMIN = 'test-admin-key-0123456789';
let node: TestNode;
let events: EventsService;
let receiver: Server;
let receiverUrl = '';
const sockets: WebSocket[] = [];
const apps: { id: string; key: string }[] = [];

before(async () => {
  receiver = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(204).end()); });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  node = await startNode();
  events = node.server.service<EventsService>('events')!;
  for (const name of ['alpha', 'beta']) {
    const res = await fetch(`${node.http}/v1/applications`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, callbackUrl: receiverUrl }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const body = await res.json() as { application: { id: string }; apiKey: { key: string } };
    apps.push({ id: body.application.id, key: body.apiKey.key });
  }
});
after(async () => {
  for (const s of sockets) s.terminate();
  await node.stop();
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

function ev(applicationId: string, n: number): DomainEvent {
  return { id: newEventId(), type: 'test.tick', applicationId, callId: `c-${applicationId}`, occurredAt: new Date().toISOString(), data: { n } };
}

function open(query: string, key: string): Promise<{ got: DomainEvent[]; waitFor(n: number): Promise<void> }> {
  const ws = new WebSocket(`${node.http.replace('http', 'ws')}/v1/events/stream${query}`, { headers: { authorization: `Bearer ${key}` } });
  sockets.push(ws);
  const got: DomainEvent[] = [];
  ws.on('message', (data) => got.push(JSON.parse(String(data)) as DomainEvent));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({
      got,
      async waitFor(n) {
        const deadline = Date.now() + 5000;
        while (got.length < n) {
          if (Date.now() > deadline) throw new Error(`got ${got.length} of ${n} stream messages`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
    }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

it('an application key streams only its own application; the admin key sees both', async () => {
  const [alpha, beta] = apps;
  const asAlpha = await open('', alpha.key);
  const asAdmin = await open('', ADMIN);
  await events.outbox.appendMany([
    { event: ev(beta.id, 1), targets: [] },
    { event: ev(alpha.id, 2), targets: [] },
    { event: ev(beta.id, 3), targets: [] },
    { event: ev(alpha.id, 4), targets: [] },
  ]);
  await asAdmin.waitFor(4);
  await asAlpha.waitFor(2);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(asAlpha.got.map((e) => [e.applicationId, e.data.n]), [[alpha.id, 2], [alpha.id, 4]]);
  assert.deepEqual(asAdmin.got.map((e) => e.data.n), [1, 2, 3, 4]);
});

it('an application key naming another application is 403; an unknown key is 401', async () => {
  const [alpha, beta] = apps;
  await assert.rejects(open(`?applicationId=${beta.id}`, alpha.key), (err: { status?: number }) => err.status === 403);
  await assert.rejects(open('', 'sk_not-a-real-key-at-all'), (err: { status?: number }) => err.status === 401);
  // Naming its own application is fine.
  const own = await open(`?applicationId=${alpha.id}`, alpha.key);
  await events.outbox.append(ev(alpha.id, 9), []);
  await own.waitFor(1);
  assert.equal(own.got[0].data.n, 9);
});

it('exports webhook deliveries by outcome, request and delivery latency, and the queue depth', async () => {
  const [alpha] = apps;
  const delivered = new Promise<void>((resolve) => { const off = events.engine.on('delivered', () => { off(); resolve(); }); });
  await events.outbox.append(ev(alpha.id, 100), [{ url: receiverUrl }]);
  await delivered;
  const text = await (await fetch(`${node.http}/metrics`)).text();
  const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
  assert.ok(value(/^webhook_deliveries_total\{outcome="delivered"\} (\d+)/m) >= 1, text.split('\n').filter((l) => l.startsWith('webhook')).join('\n'));
  assert.ok(value(/^webhook_request_duration_seconds_count\{outcome="delivered"\} (\d+)/m) >= 1);
  assert.ok(value(/^webhook_delivery_latency_seconds_count (\d+)/m) >= 1);
  assert.equal(value(/^webhook_queue_depth (\d+)/m), 0);
});
