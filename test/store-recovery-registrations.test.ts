// Store pieces of this slice on PostgreSQL and SQLite side by side: trunk_registrations
// (migration 0008: upsert, read back, cascade with the trunk, no row for a vanished trunk),
// outbox lastTargetsOfCall, and closeInterruptedCalls over real tables (call + legs ended as
// node-restart, CDRs written, call.ended in the outbox to the call's last targets, idempotent).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Store, type TrunkRecord } from '../src/store/index.ts';
import { closeInterruptedCalls } from '../src/core/index.ts';
import { nullLogger } from '../src/lib/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';
import pg from 'pg';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const pgSkip = postgresSkipReason();

function trunk(id: string): TrunkRecord {
  return {
    id, applicationId: null, name: `t-${id}`, host: 'sip.carrier.test', port: 5060, transport: 'udp', username: 'u', password: 'p',
    register: true, inboundSources: [], callerIdRules: [], codecs: ['PCMU'], createdAt: T0, updatedAt: T0,
  };
}

/** Resolves once some session of the database waits for a lock (bounded: 5 s). */
async function waitForLockWait(client: pg.Client): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const r = await client.query('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted');
    if ((r.rows[0] as { n: number }).n > 0) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('no session ever waited for a lock');
}

for (const backend of ['postgres', 'sqlite'] as const) {
  describe(`trunk registrations and call recovery on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let cluster: PostgresCluster | undefined;
    let store: Store;
    let dir: string;
    let dbUrl = '';
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchboard-recovery-'));
      if (backend === 'postgres') cluster = await startPostgres();
      const url = cluster ? await cluster.createDatabase() : undefined;
      dbUrl = url ?? '';
      store = await openDatabase({ url, dataDir: dir });
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('trunk_registrations: upsert, read back, cascade with the trunk; nothing stored for an unknown trunk', async () => {
      const repo = store.tenancy.trunkRegistrations;
      await store.tenancy.trunks.insert(trunk('trk1'));
      const first = { trunkId: 'trk1', state: 'registering' as const, lastStatus: null, lastError: null, registeredAt: null, expiresAt: null, updatedAt: T0 };
      await repo.put(first);
      assert.deepEqual(await repo.get('trk1'), first);
      const bound = { ...first, state: 'registered' as const, registeredAt: T0 + 10, expiresAt: T0 + 3_600_010, updatedAt: T0 + 10 };
      await repo.put(bound);
      assert.deepEqual(await repo.get('trk1'), bound);
      await repo.put({ ...first, trunkId: 'nope' });
      assert.deepEqual((await repo.list()).map((r) => r.trunkId), ['trk1']);
      await store.tenancy.trunks.delete('trk1');
      assert.equal(await repo.get('trk1'), undefined);
    });

    it('a registration status racing its trunk\'s delete is dropped, not a foreign-key error', async () => {
      const repo = store.tenancy.trunkRegistrations;
      const status = (trunkId: string) => ({ trunkId, state: 'registered' as const, lastStatus: null, lastError: null, registeredAt: T0, expiresAt: T0 + 60_000, updatedAt: T0 });
      // The delete interleaves with put()'s write, in both orders of the two promises (the store
      // is shared; each statement is its own await): where a look-up of the trunk before the
      // write used to leave a gap, put() now relies on the foreign key's refusal.
      for (const order of ['put-first', 'delete-first'] as const) {
        const id = `race-${order}`;
        await store.tenancy.trunks.insert(trunk(id));
        const put = () => repo.put(status(id));
        const del = () => store.tenancy.trunks.delete(id);
        await Promise.all(order === 'put-first' ? [put(), del()] : [del(), put()]);
        assert.equal(await repo.get(id), undefined, order);
        assert.equal(await store.tenancy.trunks.get(id), undefined, order);
      }
      if (backend === 'postgres') {
        // A delete committed while put()'s INSERT waits on the trunk row's lock (another
        // connection holds the delete open): the foreign key check then finds no trunk.
        await store.tenancy.trunks.insert(trunk('race-locked'));
        const client = new pg.Client({ connectionString: dbUrl });
        await client.connect();
        try {
          await client.query('BEGIN');
          await client.query("DELETE FROM trunks WHERE id = 'race-locked'");
          const put = repo.put(status('race-locked'));
          const outcome = put.then(() => 'ok', (err: unknown) => err);
          await waitForLockWait(client);
          await client.query('COMMIT');
          assert.equal(await outcome, 'ok');
        } finally {
          await client.end();
        }
        assert.equal(await repo.get('race-locked'), undefined);
      }
    });

    it('closeInterruptedCalls ends open calls as node-restart with CDRs and call.ended to the last targets, once', async () => {
      const app = { id: 'app-r', name: 'r', callbackUrl: 'https://app.example/hook', webhookSecrets: ['s'], limits: { maxConcurrentCalls: null, callsPerSecond: null, allowedDestinationPrefixes: [], recordingRetentionDays: null }, createdAt: T0, updatedAt: T0 };
      await store.tenancy.applications.insert(app);
      const base = { applicationId: 'app-r', direction: 'inbound', from: { kind: 'phone', number: '+4930111' }, to: { kind: 'phone', number: '+4930222' }, callbackUrl: null, ringingAt: null, endReason: null, endedBy: null, endedAt: null, sipStatus: null };
      await store.calls.calls.insert({ ...base, id: 'c-up', state: 'established', createdAt: T0, answeredAt: T0 + 1000, updatedAt: T0 + 5000 });
      await store.calls.calls.insertLeg({ id: 'l-up', callId: 'c-up', applicationId: 'app-r', participant: base.from, role: 'caller', direction: 'inbound', state: 'answered', createdAt: T0, ringingAt: null, answeredAt: T0 + 1000, endedAt: null, endReason: null, endedBy: null, sipStatus: null, updatedAt: T0 + 7000 });
      await store.calls.calls.insert({ ...base, id: 'c-done', state: 'ended', createdAt: T0, answeredAt: null, endedAt: T0 + 100, endReason: 'normal', endedBy: 'remote', updatedAt: T0 + 100 });
      // The call's last event went to an ACS-format receiver: call.ended must follow it there.
      await store.outbox.append({ id: 'evt-1', type: 'call.answered', applicationId: 'app-r', callId: 'c-up', occurredAt: new Date(T0 + 1000).toISOString(), data: {} }, [{ url: 'https://acs.example/cb', format: 'acs' }]);
      assert.deepEqual(await store.outbox.lastTargetsOfCall('c-up'), [{ url: 'https://acs.example/cb', format: 'acs' }]);

      const report = await closeInterruptedCalls({ store, logger: nullLogger, now: () => T0 + 60_000 });
      assert.deepEqual(report.closed, ['c-up']);
      const c = await store.calls.calls.get('c-up');
      assert.equal(c?.state, 'ended');
      assert.equal(c?.endReason, 'node-restart');
      assert.equal(c?.endedBy, 'system');
      assert.equal(c?.endedAt, T0 + 7000, 'the last thing known: the leg update');
      const [l] = await store.calls.calls.legs('c-up');
      assert.equal(l?.state, 'ended');
      assert.equal(l?.endReason, 'node-restart');
      const cdrs = await store.calls.cdrs.list({ callId: 'c-up' });
      assert.deepEqual(cdrs.map((x) => x.kind).sort(), ['call', 'leg']);
      const callCdr = cdrs.find((x) => x.kind === 'call')!.record as Record<string, unknown>;
      assert.equal(callCdr.talkMs, 6000);
      assert.equal(callCdr.endReason, 'node-restart');
      const ended = (await store.outbox.listEvents({ applicationId: 'app-r' })).filter((e) => e.type === 'call.ended');
      assert.equal(ended.length, 1);
      assert.deepEqual(ended[0]!.data, { reason: 'node-restart', by: 'system', durationMs: 6000 });
      const deliveries = await store.outbox.deliveriesOf(ended[0]!.id);
      assert.deepEqual(deliveries.map((d) => [d.url, d.format]), [['https://acs.example/cb', 'acs']]);
      assert.equal((await store.calls.calls.get('c-done'))?.endReason, 'normal', 'ended calls are left alone');

      assert.deepEqual((await closeInterruptedCalls({ store, logger: nullLogger, now: () => T0 + 90_000 })).closed, []);
    });
  });
}
