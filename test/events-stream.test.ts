// GET /v1/events/stream on a real node: WebSocket upgrade with the admin key (401 without),
// live events filtered by application, catch-up from the outbox after an id with no gap and
// no duplicate, and the events service registered in the default services.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import WebSocket from 'ws';
import { newEventId, type DomainEvent } from '../src/core/index.ts';
import type { EventsService } from '../src/server/events-service.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const KEY = 'test-admin-key-0123456789';
let node: TestNode;
let events: EventsService;
const sockets: WebSocket[] = [];

before(async () => {
  node = await startNode();
  events = node.server.service<EventsService>('events')!;
  assert.ok(events, 'events service runs by default');
});
after(async () => {
  for (const s of sockets) s.terminate();
  await node.stop();
});

function ev(applicationId: string, n: number): DomainEvent {
  return { id: newEventId(), type: 'test.tick', applicationId, callId: 'c1', occurredAt: new Date().toISOString(), data: { n } };
}

/** Opens the stream and collects messages; resolves once open. */
function open(query: string, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }): Promise<{ ws: WebSocket; got: DomainEvent[]; waitFor(n: number): Promise<void> }> {
  const ws = new WebSocket(`${node.http.replace('http', 'ws')}/v1/events/stream${query}`, { headers });
  sockets.push(ws);
  const got: DomainEvent[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    got.push(JSON.parse(String(data)) as DomainEvent);
    for (const w of waiters.splice(0)) w();
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        got,
        async waitFor(n) {
          const deadline = Date.now() + 5000;
          while (got.length < n) {
            if (Date.now() > deadline) throw new Error(`got ${got.length} of ${n} stream messages`);
            await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
          }
        },
      }),
    );
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

it('refuses the stream without the admin key', async () => {
  await assert.rejects(open('', {}), (err: { status?: number }) => err.status === 401);
  await assert.rejects(open('', { authorization: 'Bearer wrong' }), (err: { status?: number }) => err.status === 401);
});

it('pushes committed events live, only the requested application, as native JSON in order', async () => {
  const s = await open('?applicationId=app1');
  const mine = [ev('app1', 1), ev('app1', 2), ev('app1', 3)];
  await events.outbox.append(ev('app2', 0), []);
  await events.outbox.appendMany(mine.map((event) => ({ event, targets: [] })));
  await s.waitFor(3);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(s.got, mine);
});

it('catches up after an id from the outbox, then continues live without gap or duplicate', async () => {
  const past = [ev('app3', 1), ev('app3', 2), ev('app3', 3)];
  for (const e of past) await events.outbox.append(e, []);
  const s = await open(`?applicationId=app3&afterId=${past[0].id}`);
  const live = ev('app3', 4);
  await events.outbox.append(live, []);
  await s.waitFor(3);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(s.got.map((e) => e.data.n), [2, 3, 4]);
});
