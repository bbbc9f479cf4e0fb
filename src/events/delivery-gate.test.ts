// Delivery gates of the webhook engine over a real SQLite outbox and a real HTTP receiver: a
// gate that holds a delivery back makes it a retried attempt (last error = the gate's reason,
// nothing POSTed) until the gate opens; a gate that never opens ends in a dead letter after
// maxAttempts; other formats are not gated.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newEventId } from '../core/index.ts';
import { openDatabase } from '../store/index.ts';
import { WebhookDeliveryEngine } from './webhook-delivery-engine.ts';

test('a gate holds deliveries of its format back as retryable attempts, then lets them through; never open → dead', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-gate-'));
  const store = await openDatabase({ dataDir });
  const got: { url: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => { got.push({ url: req.url ?? '', body }); res.writeHead(200).end('ok'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let open = false;
  const asked: string[] = [];
  const engine = new WebhookDeliveryEngine({
    outbox: store.outbox, pollIntervalMs: 50, random: () => 0, retry: { baseDelayMs: 20, maxDelayMs: 40, maxAttempts: 4 },
    formatters: { gated: (e) => JSON.stringify({ id: e.id }) },
    gates: { gated: (d) => { asked.push(d.url); return d.url.endsWith('/never') ? 'not ready (never)' : open ? undefined : 'not ready yet'; } },
  });
  const outcomes: string[] = [];
  engine.on('retry', (i) => outcomes.push(`retry ${i.error}`));
  engine.on('dead', (i) => outcomes.push(`dead ${i.error}`));
  engine.on('delivered', (i) => outcomes.push(`delivered ${i.delivery.url}`));
  try {
    await store.migrate();
    await engine.start();
    const ev = (type: string) => ({ id: newEventId(), type, applicationId: 'app', occurredAt: new Date().toISOString(), data: {} });
    const gated = ev('a');
    const never = ev('b');
    const plain = ev('c');
    await store.outbox.append(gated, [{ url: `${base}/gated`, format: 'gated' }]);
    await store.outbox.append(never, [{ url: `${base}/never`, format: 'gated' }]);
    await store.outbox.append(plain, [{ url: `${base}/plain` }]);
    for (let i = 0; i < 200 && outcomes.filter((o) => o === 'retry not ready yet').length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(outcomes.includes(`delivered ${base}/plain`), 'an ungated format is sent at once');
    assert.equal(got.filter((g) => g.url === '/gated').length, 0, 'nothing was POSTed while held back');
    const [held] = await store.outbox.deliveriesOf(gated.id);
    assert.equal(held.state, 'pending');
    assert.equal(held.lastError, 'not ready yet');
    open = true;
    for (let i = 0; i < 300 && !(outcomes.includes(`delivered ${base}/gated`) && outcomes.some((o) => o.startsWith('dead'))); i++) await new Promise((r) => setTimeout(r, 10));
    const [done] = await store.outbox.deliveriesOf(gated.id);
    assert.equal(done.state, 'delivered');
    assert.ok(done.attempts >= 3, `attempts ${done.attempts}`);
    assert.deepEqual(got.filter((g) => g.url === '/gated').map((g) => JSON.parse(g.body) as unknown), [{ id: gated.id }]);
    const [dead] = await store.outbox.deliveriesOf(never.id);
    assert.equal(dead.state, 'dead');
    assert.equal(dead.attempts, 4);
    assert.match(dead.lastError ?? '', /gave up after 4 attempts: not ready \(never\)/);
    assert.ok(!asked.includes(`${base}/plain`), 'the gate is asked only for its format');
  } finally {
    await engine.stop();
    await store.close();
    server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
