// The Event Grid notices of a node (eventGridNotices, src/server/acs-wiring.ts) over a real
// SQLite store: a recording that became final while no node followed the commits (it died
// between core's commit and the notice's) gets its RecordingFileStatusUpdated from the sweep
// at start — once, however often the node starts; rows still recording, rows final for longer
// than the sweep window and applications without an Event Grid URL get none; a committed
// recording.stateChanged stopped and a call.incoming are followed live.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newEventId, type Tenancy } from '../src/core/index.ts';
import { openDatabase, type RecordingRecord } from '../src/store/index.ts';
import { eventGridNotices } from '../src/server/acs-wiring.ts';

test('sweep at start and live following append each notice once, only for applications with an Event Grid URL', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-eg-sweep-'));
  const store = await openDatabase({ dataDir });
  try {
    await store.migrate();
    const urls: Record<string, string> = { app1: 'http://127.0.0.1:9/eg' };
    const tenancy = { acs: { incomingCallUrl: async (id: string) => urls[id] ?? null } } as unknown as Tenancy;
    const now = Date.now();
    const rec = (id: string, applicationId: string, state: string, updatedAt: number): RecordingRecord => ({
      id, callId: `call-${id}`, applicationId, path: `/tmp/${id}.wav`, format: 'wav', channels: 1, durationMs: 1000, sizeBytes: 16_044, state, accessTokenHash: null, createdAt: updatedAt - 1000, updatedAt,
    });
    for (const r of [rec('missed', 'app1', 'completed', now - 5000), rec('running', 'app1', 'recording', now - 5000), rec('old', 'app1', 'completed', now - 2 * 3_600_000), rec('nourl', 'app2', 'completed', now - 5000)]) {
      await store.calls.recordings.insert(r);
    }
    const first = eventGridNotices(store, tenancy);
    assert.equal(await first.start(), 1, 'only the recently final recording of app1');
    await first.stop();
    const second = eventGridNotices(store, tenancy);
    assert.equal(await second.start(), 0, 'a second start adds nothing');

    // Live: core's commit of a final recording, and a call.incoming.
    await store.transaction(async (tx) => {
      await tx.calls.recordings.insert(rec('live', 'app1', 'recording', now));
      await tx.calls.recordings.update('live', { state: 'completed', durationMs: 2000, updatedAt: now + 2000 });
      await tx.outbox.append({ id: newEventId(), type: 'recording.stateChanged', applicationId: 'app1', callId: 'call-live', occurredAt: new Date(now + 2000).toISOString(), data: { recordingId: 'live', state: 'stopped' } }, []);
      await tx.outbox.append({ id: newEventId(), type: 'call.incoming', applicationId: 'app1', callId: 'call-in', occurredAt: new Date(now).toISOString(), data: { from: { kind: 'phone', number: '+491' }, to: { kind: 'phone', number: '+492' } } }, []);
      await tx.outbox.append({ id: newEventId(), type: 'call.incoming', applicationId: 'app2', callId: 'call-in2', occurredAt: new Date(now).toISOString(), data: {} }, []);
    });
    await second.settled();
    await second.stop();
    const derived = (await store.outbox.listEvents({ limit: 1000 })).filter((e) => e.type.startsWith('acs.eventGrid.'));
    assert.deepEqual(derived.map((e) => `${e.type} ${String(e.data.recordingId ?? e.callId)}`).sort(), [
      'acs.eventGrid.incomingCall call-in',
      'acs.eventGrid.recordingFileStatusUpdated live',
      'acs.eventGrid.recordingFileStatusUpdated missed',
    ]);
    for (const e of derived) {
      const [d] = await store.outbox.deliveriesOf(e.id);
      assert.deepEqual([d.url, d.format, d.state], ['http://127.0.0.1:9/eg', 'acs-eventgrid', 'pending']);
    }
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
