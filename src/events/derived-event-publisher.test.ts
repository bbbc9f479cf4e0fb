// DerivedEventPublisher over a real SQLite outbox: a committed source event gets its derived
// event (with its own target) appended once, even when the source is seen twice; the sweep
// appends what a previous run missed and nothing twice; derivedEventId is stable and a UUID v7.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newEventId } from '../core/index.ts';
import { openDatabase, type StoredEvent } from '../store/index.ts';
import { DerivedEventPublisher, derivedEventId, type DerivedEvent } from './derived-event-publisher.ts';

test('derivedEventId: same key and time → same UUID v7; another key → another id', () => {
  const a = derivedEventId('IncomingCall:e1', 1_700_000_000_000);
  assert.equal(a, derivedEventId('IncomingCall:e1', 1_700_000_000_000));
  assert.notEqual(a, derivedEventId('IncomingCall:e2', 1_700_000_000_000));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(a.replace(/-/g, '').slice(0, 12), 16), 1_700_000_000_000, 'the time is the first 48 bits');
});

test('follows commits: one derived event per source, appended once, to its own target; sweep fills gaps', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-derived-'));
  const store = await openDatabase({ dataDir });
  try {
    await store.migrate();
    const derive = (e: StoredEvent): DerivedEvent | undefined => (e.type !== 'src.happened' ? undefined : {
      event: { id: derivedEventId(`d:${e.id}`, Date.parse(e.occurredAt)), type: 'derived.happened', applicationId: e.applicationId, ...(e.callId ? { callId: e.callId } : {}), occurredAt: e.occurredAt, data: { from: e.id } },
      target: { url: 'http://127.0.0.1:9/derived', format: 'x' },
    });
    const missed = { id: newEventId(), type: 'src.happened', applicationId: 'app', callId: 'c0', occurredAt: new Date().toISOString(), data: {} };
    await store.outbox.append(missed, []); // committed before anyone followed: only the sweep sees it
    const p = new DerivedEventPublisher({
      outbox: store.outbox, derive,
      sweep: async () => { const s = await store.outbox.getEvent(missed.id); return s ? [derive(s)!] : []; },
    });
    assert.equal(await p.start(), 1, 'the sweep appended the missed one');
    assert.equal(await p.start(), 0, 'start twice: no-op');
    const src = { id: newEventId(), type: 'src.happened', applicationId: 'app', callId: 'c1', occurredAt: new Date().toISOString(), data: {} };
    await store.transaction(async (tx) => { await tx.outbox.append(src, [{ url: 'http://127.0.0.1:9/native' }]); });
    await store.outbox.append({ id: newEventId(), type: 'other', applicationId: 'app', occurredAt: new Date().toISOString(), data: {} }, []);
    await p.settled();
    // The same source again (a replay, another node): nothing new.
    assert.equal(await p.publish(derive((await store.outbox.getEvent(src.id))!)!), false);
    await p.stop();
    const all = await store.outbox.listEvents({ applicationId: 'app' });
    const derived = all.filter((e) => e.type === 'derived.happened');
    assert.deepEqual(derived.map((e) => e.data.from).sort(), [missed.id, src.id].sort());
    const d = await store.outbox.deliveriesOf(derived.find((e) => e.data.from === src.id)!.id);
    assert.deepEqual(d.map((x) => [x.url, x.format, x.state]), [['http://127.0.0.1:9/derived', 'x', 'pending']]);
    // After stop, commits are no longer followed.
    const late = { id: newEventId(), type: 'src.happened', applicationId: 'app', occurredAt: new Date().toISOString(), data: {} };
    await store.outbox.append(late, []);
    await p.settled();
    assert.equal((await store.outbox.listEvents({ applicationId: 'app' })).filter((e) => e.data.from === late.id).length, 0);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
