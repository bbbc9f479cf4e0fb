// The call-model repositories (calls, legs, operations, recordings, CDRs — migration 0005) on
// PostgreSQL, with the same checks on SQLite side by side so a dialect difference shows up as
// one backend failing: round trips of every column (bigint times come back as numbers, JSON
// columns as objects, nulls as null), patches, pages by time with afterId cursors and ties,
// tenant filters, cascades, and atomicity inside Store.transaction; the legs' participant
// flags (muted, onHold — migration 0009), also on rows written before 0009.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { MIGRATIONS, migrateToLatest, openDatabase, type CallRecord, type CdrRecord, type LegRecord, type RecordingRecord, type Store } from '../src/store/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';

// Beyond 2^31 on purpose: ms timestamps need bigint columns and a lossless read-back.
const T0 = Date.UTC(2024, 4, 31, 12, 0, 0);
const pgSkip = postgresSkipReason();

function call(id: string, over: Partial<CallRecord> = {}): CallRecord {
  return {
    id, applicationId: 'app1', direction: 'inbound', state: 'ringing',
    from: { kind: 'phone', number: '+15550001' }, to: { kind: 'sip', uri: 'sip:bot@example.com' },
    callbackUrl: 'https://app.example/hook', createdAt: T0, ringingAt: null, answeredAt: null,
    endedAt: null, endReason: null, endedBy: null, sipStatus: null, updatedAt: T0, ...over,
  };
}

function leg(id: string, callId: string, createdAt: number): LegRecord {
  return {
    id, callId, applicationId: 'app1', participant: { kind: 'phone', number: '+15550001', display: 'Ann "A" Ö' },
    role: 'caller', direction: 'inbound', state: 'ringing', createdAt, ringingAt: null, answeredAt: null,
    endedAt: null, endReason: null, endedBy: null, sipStatus: null, updatedAt: createdAt, muted: false, onHold: false,
  };
}

for (const backend of ['postgres', 'sqlite'] as const) {
  describe(`call repositories on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let cluster: PostgresCluster | undefined;
    let store: Store;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchboard-calls-'));
      if (backend === 'postgres') cluster = await startPostgres();
      const url = cluster ? await cluster.createDatabase() : undefined;
      store = await openDatabase({ url, dataDir: dir });
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('round-trips a call and its legs, and patches them', async () => {
      const c = call('call-rt');
      await store.calls.calls.insert(c);
      assert.deepEqual(await store.calls.calls.get('call-rt'), c);
      assert.equal(await store.calls.calls.get('nope'), undefined);
      await store.calls.calls.insertLeg(leg('leg-2', 'call-rt', T0 + 10));
      await store.calls.calls.insertLeg(leg('leg-1', 'call-rt', T0 + 10));
      await store.calls.calls.insertLeg(leg('leg-0', 'call-rt', T0 + 5));
      assert.deepEqual((await store.calls.calls.legs('call-rt')).map((l) => l.id), ['leg-0', 'leg-1', 'leg-2']);
      assert.deepEqual((await store.calls.calls.legs('call-rt'))[0], leg('leg-0', 'call-rt', T0 + 5));

      assert.equal(await store.calls.calls.update('call-rt', { state: 'connected', answeredAt: T0 + 2000, updatedAt: T0 + 2000 }), true);
      assert.equal(await store.calls.calls.update('call-rt', { state: 'ended', endedAt: T0 + 9000, endReason: 'hangup', endedBy: 'remote', sipStatus: 200, updatedAt: T0 + 9000 }), true);
      assert.equal(await store.calls.calls.update('nope', { state: 'ended', updatedAt: T0 }), false);
      assert.deepEqual(await store.calls.calls.get('call-rt'), {
        ...c, state: 'ended', answeredAt: T0 + 2000, endedAt: T0 + 9000, endReason: 'hangup', endedBy: 'remote', sipStatus: 200, updatedAt: T0 + 9000,
      });
      assert.equal(await store.calls.calls.updateLeg('leg-1', { state: 'ended', endedAt: T0 + 9000, sipStatus: 487, updatedAt: T0 + 9000 }), true);
      const l1 = (await store.calls.calls.legs('call-rt')).find((l) => l.id === 'leg-1')!;
      assert.equal(l1.sipStatus, 487);
      assert.equal(l1.endedAt, T0 + 9000);
      assert.equal(typeof l1.createdAt, 'number');
    });

    it('lists calls oldest first with ties by id, pages with afterId, filters by application and state', async () => {
      const base = T0 + 100_000;
      for (const [id, at, app, state] of [
        ['p-b', base, 'appP', 'ringing'], ['p-a', base, 'appP', 'ended'], ['p-c', base + 1, 'appP', 'connected'],
        ['p-d', base + 2, 'appQ', 'ringing'], ['p-e', base + 3, 'appP', 'ringing'],
      ] as const) {
        await store.calls.calls.insert(call(id, { createdAt: at, applicationId: app, state }));
      }
      const since = { since: base, until: base + 10 };
      assert.deepEqual((await store.calls.calls.list(since)).map((c) => c.id), ['p-a', 'p-b', 'p-c', 'p-d', 'p-e']);
      const page1 = await store.calls.calls.list({ ...since, applicationId: 'appP', limit: 2 });
      assert.deepEqual(page1.map((c) => c.id), ['p-a', 'p-b']);
      const page2 = await store.calls.calls.list({ ...since, applicationId: 'appP', limit: 2, afterId: 'p-b' });
      assert.deepEqual(page2.map((c) => c.id), ['p-c', 'p-e']);
      assert.deepEqual((await store.calls.calls.list({ ...since, states: ['ringing'] })).map((c) => c.id), ['p-b', 'p-d', 'p-e']);
      assert.deepEqual((await store.calls.calls.list({ since: base + 1, until: base + 3 })).map((c) => c.id), ['p-c', 'p-d']);
    });

    it('stores operations with params and results as JSON, and finishes them', async () => {
      await store.calls.calls.insert(call('call-op'));
      const op = {
        id: 'op-1', callId: 'call-op', applicationId: 'app1', name: 'play', state: 'running', operationContext: 'ctx "1"',
        params: { prompts: [{ text: 'hi' }], loop: false }, result: null, createdAt: T0, updatedAt: T0,
      };
      await store.calls.operations.insert(op);
      await store.calls.operations.insert({ ...op, id: 'op-0', operationContext: null, createdAt: T0 - 1 });
      assert.deepEqual(await store.calls.operations.get('op-1'), op);
      assert.equal(await store.calls.operations.finish('op-1', 'completed', { code: 200, subcode: 0, message: 'ok' }, T0 + 50), true);
      assert.equal(await store.calls.operations.finish('nope', 'completed', {}, T0), false);
      const done = await store.calls.operations.get('op-1');
      assert.deepEqual(done?.result, { code: 200, subcode: 0, message: 'ok' });
      assert.equal(done?.updatedAt, T0 + 50);
      assert.deepEqual((await store.calls.operations.listByCall('call-op')).map((o) => [o.id, o.operationContext]), [['op-0', null], ['op-1', 'ctx "1"']]);
    });

    it('stores recordings, updates them, lists and deletes', async () => {
      await store.calls.calls.insert(call('call-rec'));
      const rec: RecordingRecord = {
        id: 'rec-1', callId: 'call-rec', applicationId: 'app1', path: '/data/rec-1.wav', format: 'wav', channels: 2,
        durationMs: null, sizeBytes: null, state: 'recording', accessTokenHash: null, createdAt: T0 + 200_000, updatedAt: T0 + 200_000,
      };
      await store.calls.recordings.insert(rec);
      assert.deepEqual(await store.calls.recordings.get('rec-1'), rec);
      // A size past 2^31 must survive (bigint column).
      assert.equal(await store.calls.recordings.update('rec-1', { state: 'ready', durationMs: 61_000, sizeBytes: 3_000_000_000, accessTokenHash: 'h', updatedAt: T0 + 261_000 }), true);
      const ready = await store.calls.recordings.get('rec-1');
      assert.deepEqual({ state: ready?.state, d: ready?.durationMs, s: ready?.sizeBytes, h: ready?.accessTokenHash }, { state: 'ready', d: 61_000, s: 3_000_000_000, h: 'h' });
      await store.calls.recordings.insert({ ...rec, id: 'rec-2', applicationId: 'app2', createdAt: T0 + 200_001 });
      assert.deepEqual((await store.calls.recordings.listByCall('call-rec')).map((r) => r.id), ['rec-1', 'rec-2']);
      assert.deepEqual((await store.calls.recordings.list({ applicationId: 'app2' })).map((r) => r.id), ['rec-2']);
      assert.deepEqual((await store.calls.recordings.list({ since: T0 + 200_000, afterId: 'rec-1' })).map((r) => r.id), ['rec-2']);
      assert.equal(await store.calls.recordings.delete('rec-2'), true);
      assert.equal(await store.calls.recordings.delete('rec-2'), false);
    });

    it('stores CDRs once per id, lists by kind, call, application and time, with afterId pages', async () => {
      const s = T0 + 300_000;
      const rows: CdrRecord[] = [
        { id: 'cdr-call', applicationId: 'app1', callId: 'cdr-call', legId: null, kind: 'call', startedAt: s, endedAt: s + 5000, record: { kind: 'call', talkMs: 4000, tts: { characters: 12 } } },
        { id: 'cdr-leg-b', applicationId: 'app1', callId: 'cdr-call', legId: 'cdr-leg-b', kind: 'leg', startedAt: s, endedAt: s + 5000, record: { kind: 'leg', quality: { lossRate: 0.25 } } },
        { id: 'cdr-leg-a', applicationId: 'app1', callId: 'cdr-call', legId: 'cdr-leg-a', kind: 'leg', startedAt: s, endedAt: s + 5000, record: { kind: 'leg' } },
        { id: 'cdr-other', applicationId: 'app2', callId: 'cdr-other', legId: null, kind: 'call', startedAt: s + 1, endedAt: s + 2, record: { kind: 'call' } },
      ];
      await store.calls.cdrs.insertMany(rows);
      assert.deepEqual(await store.calls.cdrs.get('cdr-leg-b'), rows[1]);
      await assert.rejects(store.calls.cdrs.insertMany([rows[0]]), 'a second CDR for one call is refused');
      const window = { since: s, until: s + 10 };
      assert.deepEqual((await store.calls.cdrs.list(window)).map((r) => r.id), ['cdr-call', 'cdr-leg-a', 'cdr-leg-b', 'cdr-other']);
      assert.deepEqual((await store.calls.cdrs.list({ ...window, kind: 'leg' })).map((r) => r.id), ['cdr-leg-a', 'cdr-leg-b']);
      assert.deepEqual((await store.calls.cdrs.list({ callId: 'cdr-call', kind: 'leg', limit: 1, afterId: 'cdr-leg-a' })).map((r) => r.id), ['cdr-leg-b']);
      assert.deepEqual((await store.calls.cdrs.list({ ...window, applicationId: 'app2' })).map((r) => r.id), ['cdr-other']);
      assert.deepEqual((await store.calls.cdrs.list({ ...window, kind: 'call' })).map((r) => r.endedAt), [s + 5000, s + 2]);
    });

    it('writes a call, its leg and its CDR atomically: a failed transaction leaves none of them', async () => {
      await assert.rejects(store.transaction(async (tx) => {
        await tx.calls.calls.insert(call('call-tx'));
        await tx.calls.calls.insertLeg(leg('leg-tx', 'call-tx', T0));
        await tx.calls.cdrs.insertMany([{ id: 'call-tx', applicationId: 'app1', callId: 'call-tx', legId: null, kind: 'call', startedAt: T0, endedAt: T0, record: {} }]);
        throw new Error('boom');
      }), /boom/);
      assert.equal(await store.calls.calls.get('call-tx'), undefined);
      assert.deepEqual(await store.calls.calls.legs('call-tx'), []);
      assert.equal(await store.calls.cdrs.get('call-tx'), undefined);
      // A leg of an unknown call is refused (foreign key) on both engines.
      await assert.rejects(store.calls.calls.insertLeg(leg('leg-orphan', 'no-such-call', T0)));
    });

    it('keeps the participant flags (migration 0009): default false, patched alone, the rest unchanged', async () => {
      await store.calls.calls.insert(call('call-flags'));
      // Written without the flags, as Call.addLeg writes a new leg: neither muted nor held.
      const { muted: _m, onHold: _h, ...bare } = leg('leg-f1', 'call-flags', T0 + 1);
      await store.calls.calls.insertLeg(bare);
      await store.calls.calls.insertLeg({ ...leg('leg-f2', 'call-flags', T0 + 2), muted: true, onHold: true });
      let [f1, f2] = await store.calls.calls.legs('call-flags');
      assert.deepEqual([f1!.muted, f1!.onHold, f2!.muted, f2!.onHold], [false, false, true, true]);

      assert.equal(await store.calls.calls.updateLeg('leg-f1', { muted: true, updatedAt: T0 + 10 }), true);
      [f1] = await store.calls.calls.legs('call-flags');
      assert.deepEqual(f1, { ...leg('leg-f1', 'call-flags', T0 + 1), muted: true, updatedAt: T0 + 10 }, 'only muted (and updatedAt) changed');
      assert.equal(await store.calls.calls.updateLeg('leg-f1', { onHold: true, updatedAt: T0 + 20 }), true);
      assert.equal(await store.calls.calls.updateLeg('leg-f1', { muted: false, updatedAt: T0 + 30 }), true);
      [f1] = await store.calls.calls.legs('call-flags');
      assert.deepEqual([f1!.muted, f1!.onHold], [false, true], 'unmute leaves hold as it was');
      // A state patch (the leg ends) leaves the flags as they were.
      assert.equal(await store.calls.calls.updateLeg('leg-f1', { state: 'ended', endedAt: T0 + 40, updatedAt: T0 + 40 }), true);
      assert.equal(await store.calls.calls.updateLeg('leg-f1', { onHold: false, updatedAt: T0 + 50 }), true);
      [f1, f2] = await store.calls.calls.legs('call-flags');
      assert.deepEqual([f1!.state, f1!.muted, f1!.onHold, f2!.muted, f2!.onHold], ['ended', false, false, true, true], 'the other leg untouched');
      assert.equal(await store.calls.calls.updateLeg('no-leg', { muted: true, updatedAt: T0 }), false);
      // The flags are plain booleans, not the 0/1 of the column.
      assert.equal(typeof f2!.muted, 'boolean');
    });
  });
}

describe('migration 0009 on a store that already holds legs', { skip: pgSkip }, () => {
  it('adds the flags as false to the rows of 0008, on PostgreSQL and on SQLite', async () => {
    const cluster = await startPostgres();
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-legflags-'));
    try {
      for (const url of [await cluster.createDatabase(), undefined]) {
        const store = await openDatabase({ url, dataDir: dir });
        try {
          const before0009 = Object.fromEntries(Object.entries(MIGRATIONS).filter(([name]) => name < '0009'));
          await migrateToLatest(store.db, { migrations: before0009 });
          // A leg row as 0008's code wrote it: no flag columns yet.
          await store.db.insertInto('calls').values({
            id: 'old-call', application_id: 'app1', direction: 'inbound', state: 'established', from_party: '{}', to_party: '{}',
            callback_url: null, created_at: T0, ringing_at: null, answered_at: null, ended_at: null, end_reason: null,
            ended_by: null, sip_status: null, updated_at: T0,
          }).execute();
          await (store.db as unknown as Kysely<Record<string, Record<string, unknown>>>).insertInto('legs').values({
            id: 'old-leg', call_id: 'old-call', application_id: 'app1', participant: '{"kind":"phone","number":"+1555"}', role: 'caller',
            direction: 'inbound', state: 'answered', created_at: T0, updated_at: T0,
          }).execute();
          assert.deepEqual(await migrateToLatest(store.db), ['0009_leg_flags'], `${url ? 'postgres' : 'sqlite'}: 0009 applied`);
          const [old] = await store.calls.calls.legs('old-call');
          assert.deepEqual([old!.id, old!.muted, old!.onHold], ['old-leg', false, false]);
          assert.equal(await store.calls.calls.updateLeg('old-leg', { muted: true, onHold: true, updatedAt: T0 + 1 }), true);
          const [now] = await store.calls.calls.legs('old-call');
          assert.deepEqual([now!.muted, now!.onHold], [true, true]);
        } finally {
          await store.close();
        }
      }
    } finally {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
