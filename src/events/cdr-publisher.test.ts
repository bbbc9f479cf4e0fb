// cdr.created's occurredAt: after call.ended's, so replay in (occurredAt, id) order — and
// paging with afterId = call.ended's id — returns the CDR behind call.ended, never before it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApplicationService, newEventId } from '../core/index.ts';
import { FakeClock } from '../lib/index.ts';
import { openDatabase } from '../store/index.ts';
import { CdrPublisher, cdrOccurredAt } from './cdr-publisher.ts';

test('cdrOccurredAt: now, never before the end, strictly after call.ended', () => {
  assert.equal(cdrOccurredAt(1000, 1005), 1005);
  assert.equal(cdrOccurredAt(1000, 900), 1000, 'a clock behind the end time');
  assert.equal(cdrOccurredAt(1000, 1003, 1003), 1004, 'same millisecond as call.ended: one later');
  assert.equal(cdrOccurredAt(1000, 1010, 1003), 1010);
  assert.equal(cdrOccurredAt(1000, 1000, Number.NaN), 1000);
});

test('replay after call.ended\'s id returns cdr.created (call.ended stamped after the end time, as core does)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-cdr-order-'));
  const store = await openDatabase({ dataDir });
  try {
    await store.migrate();
    const appId = (await new ApplicationService(store).create({ name: 'cdr-order' })).application.id;
    const clock = new FakeClock(1_700_000_000_000);
    const publisher = new CdrPublisher({ store, clock });
    await publisher.start();
    // Core takes endedAt, reads media stats, then stamps call.ended: a few ms apart.
    const endedAt = clock.now();
    const endedEventAt = endedAt + 3;
    clock.advance(3);
    await store.transaction(async (tx) => {
      await tx.calls.cdrs.insertMany([{ id: 'c1', applicationId: appId, callId: 'c1', legId: null, kind: 'call', startedAt: endedAt - 5000, endedAt, record: { kind: 'call', callId: 'c1' } }]);
      await tx.outbox.append({ id: newEventId(endedEventAt), type: 'call.ended', applicationId: appId, callId: 'c1', occurredAt: new Date(endedEventAt).toISOString(), data: {} }, []);
    });
    await publisher.settled();
    await publisher.stop();
    const all = await store.outbox.listEvents({ applicationId: appId });
    assert.deepEqual(all.map((e) => e.type), ['call.ended', 'cdr.created']);
    assert.ok(Date.parse(all[1].occurredAt) > Date.parse(all[0].occurredAt));
    const after = await store.outbox.listEvents({ applicationId: appId, afterId: all[0].id });
    assert.deepEqual(after.map((e) => e.type), ['cdr.created']);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
