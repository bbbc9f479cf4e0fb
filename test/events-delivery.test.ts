// Webhook delivery against a real node:http receiver on loopback (SQLite store): signatures
// checked with an independent HMAC (WebCrypto), retry on 500 then success, no retry on 400
// (dead letter visible), per-call order with a slow receiver that answers out of order, and
// the backoff schedule on a FakeClock.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { newEventId, type DomainEvent } from '../src/core/index.ts';
import { computeSignature, verifySignature, WebhookDeliveryEngine, type WebhookDeliveryOptions } from '../src/events/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const stores: Store[] = [];
const dirs: string[] = [];
const receivers: WebhookReceiver[] = [];
const engines: WebhookDeliveryEngine[] = [];
after(async () => {
  for (const e of engines) await e.stop();
  for (const r of receivers) await r.close();
  for (const s of stores) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function store(clock?: FakeClock): Promise<Store> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-events-'));
  dirs.push(dataDir);
  const s = await openDatabase({ dataDir, clock });
  stores.push(s);
  await s.migrate();
  return s;
}

async function receiver(respond?: Parameters<typeof startReceiver>[0]): Promise<WebhookReceiver> {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

function engine(opts: WebhookDeliveryOptions): WebhookDeliveryEngine {
  const e = new WebhookDeliveryEngine({ pollIntervalMs: 200, ...opts });
  engines.push(e);
  return e;
}

function ev(over: Partial<DomainEvent> = {}): DomainEvent {
  return { id: newEventId(), type: 'call.answered', applicationId: 'app1', occurredAt: new Date().toISOString(), data: {}, ...over };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function hmacHex(secret: string, message: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return Buffer.from(await crypto.subtle.sign('HMAC', key, enc.encode(message))).toString('hex');
}

describe('webhook delivery', () => {
  it('signs timestamp.body with both active secrets (checked with WebCrypto) and sends the native JSON', async () => {
    // A fixed vector first: the helper and WebCrypto agree.
    assert.equal(computeSignature('whsec_a', '1700000000', '{"a":1}'), await hmacHex('whsec_a', '1700000000.{"a":1}'));
    const s = await store();
    const r = await receiver();
    const e = engine({ outbox: s.outbox, secrets: (app) => (app === 'app1' ? ['new-secret', 'old-secret'] : []) });
    await e.start();
    const event = ev({ callId: 'c1', data: { to: '+15551234', ü: 'ß' } });
    await s.outbox.append(event, [{ url: r.url }]);
    await r.waitFor(1);
    const { headers, body } = r.received[0];
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['switchboard-event-id'], event.id);
    const ts = String(headers['switchboard-timestamp']);
    assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 5);
    const expected = `v1=${await hmacHex('new-secret', `${ts}.${body}`)} v1=${await hmacHex('old-secret', `${ts}.${body}`)}`;
    assert.equal(headers['switchboard-signature'], expected);
    assert.deepEqual(JSON.parse(body), { id: event.id, type: 'call.answered', applicationId: 'app1', callId: 'c1', occurredAt: event.occurredAt, data: event.data });
    // A receiver knowing only the old secret (mid-rotation) accepts; a wrong secret or body does not.
    assert.equal(verifySignature(['old-secret'], expected, ts, body), true);
    assert.equal(verifySignature(['other'], expected, ts, body), false);
    assert.equal(verifySignature(['old-secret'], expected, ts, body + ' '), false);
    assert.equal(verifySignature(['old-secret'], expected, ts, body, { nowSeconds: Number(ts) + 301 }), false);
  });

  it('retries a 500 and then delivers, with the same event id', async () => {
    const s = await store();
    const r = await receiver((_req, i) => (i === 0 ? 500 : 200));
    const e = engine({ outbox: s.outbox, retry: { baseDelayMs: 50 } });
    const delivered = new Promise((resolve) => e.on('delivered', resolve));
    await e.start();
    const event = ev();
    await s.outbox.append(event, [{ url: r.url }]);
    await delivered;
    assert.equal(r.received.length, 2);
    assert.deepEqual(r.received.map((x) => x.headers['switchboard-event-id']), [event.id, event.id]);
    const [d] = await s.outbox.deliveriesOf(event.id);
    assert.deepEqual([d.state, d.attempts, d.lastStatus], ['delivered', 2, 200]);
  });

  it('does not retry a 400: the delivery is dead with its status, and listed as a dead letter', async () => {
    const s = await store();
    const r = await receiver(() => 400);
    const e = engine({ outbox: s.outbox, retry: { baseDelayMs: 10 } });
    const dead = new Promise((resolve) => e.on('dead', resolve));
    await e.start();
    const event = ev();
    await s.outbox.append(event, [{ url: r.url }]);
    await dead;
    await sleep(100);
    assert.equal(r.received.length, 1);
    const letters = await s.outbox.listDeliveries({ state: 'dead' });
    assert.deepEqual(letters.map((d) => [d.eventId, d.attempts, d.lastStatus, d.lastError]), [[event.id, 1, 400, 'HTTP 400']]);
  });

  it('keeps each call in order while calls run in parallel, with a slow receiver answering out of order', async () => {
    const s = await store();
    let inFlight = 0;
    let maxInFlight = 0;
    const failedOnce = new Set<string>();
    const r = await receiver(async (req) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const { data, id } = JSON.parse(req.body) as DomainEvent;
      await sleep(((data.n as number) * 7 + (data.call as number) * 13) % 25);
      inFlight--;
      // Every 4th event fails once: order must hold across retries too.
      if ((data.n as number) % 4 === 1 && !failedOnce.has(id)) {
        failedOnce.add(id);
        return 503;
      }
      return 200;
    });
    const e = engine({ outbox: s.outbox, concurrency: 32, retry: { baseDelayMs: 20 } });
    await e.start();
    const CALLS = 12;
    const PER_CALL = 8;
    // Appended interleaved across calls, in small transactions, while delivery runs.
    for (let n = 0; n < PER_CALL; n++) {
      await s.transaction(async (tx) => {
        for (let call = 0; call < CALLS; call++) await tx.outbox.append(ev({ callId: `call-${call}`, data: { call, n } }), [{ url: r.url }]);
      });
    }
    const total = CALLS * PER_CALL;
    await r.waitFor(total + failedOnce.size, 20_000);
    for (let i = 0; i < 100 && (await s.outbox.countByState()).delivered < total; i++) await sleep(50);
    assert.equal((await s.outbox.countByState()).delivered, total);
    assert.ok(maxInFlight > 1, `calls were not delivered in parallel (max in flight ${maxInFlight})`);
    for (let call = 0; call < CALLS; call++) {
      const arrivals = r.received.map((x) => JSON.parse(x.body) as DomainEvent).filter((x) => x.data.call === call).map((x) => x.data.n as number);
      // Arrival order may repeat an event (its retry) but never go back or skip ahead.
      for (let i = 1; i < arrivals.length; i++) {
        assert.ok(arrivals[i] === arrivals[i - 1] || arrivals[i] === arrivals[i - 1] + 1, `call ${call} arrived out of order: ${arrivals.join(',')}`);
      }
      assert.equal(arrivals.at(-1), PER_CALL - 1);
    }
  });

  it('backs off 1 s, 2 s, 4 s, 8 s between attempts (jitter 0 here) and gives up after maxAttempts', async () => {
    const T0 = Date.UTC(2024, 0, 1);
    const clock = new FakeClock(T0);
    const s = await store(clock);
    const times: number[] = [];
    const fakeFetch = (async () => {
      times.push(clock.now() - T0);
      return new Response('busy', { status: 503 });
    }) as typeof fetch;
    const e = engine({ outbox: s.outbox, clock, fetch: fakeFetch, random: () => 0, pollIntervalMs: 60_000, retry: { maxAttempts: 5 } });
    let deadError = '';
    e.on('dead', (info) => { deadError = info.error ?? ''; });
    await e.start();
    await s.outbox.append(ev(), [{ url: 'http://127.0.0.1:9/never' }]);
    // 10 ms of real time per 100 ms step: the engine's claim/mark round trips must fit in a
    // step even on a loaded machine, or the fake clock runs past a due time before the POST.
    for (let step = 0; step < 300 && !deadError; step++) {
      await sleep(10);
      clock.advance(100);
    }
    assert.deepEqual(times, [0, 1000, 3000, 7000, 15000]);
    assert.equal(deadError, 'gave up after 5 attempts: HTTP 503');
  });

  it('jitter takes up to half of each nominal delay, and the cap is 5 minutes', async () => {
    const { retryDelay, DEFAULT_RETRY_POLICY: p } = await import('../src/events/index.ts');
    assert.deepEqual([1, 2, 3, 9, 10, 30].map((a) => retryDelay(a, p, 0)), [1000, 2000, 4000, 256_000, 300_000, 300_000]);
    assert.deepEqual([1, 2, 10].map((a) => retryDelay(a, p, 0.999999)), [500, 1000, 150_000]);
  });
});
