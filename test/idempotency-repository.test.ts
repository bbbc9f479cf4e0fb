// The idempotency repository on SQLite and on a private PostgreSQL cluster: the claim is
// atomic (one winner among racing claims, also across two Store instances sharing a database,
// as two nodes would), finished responses round-trip, only the claimant completes or releases,
// expired rows are re-claimable and purged, and the store satisfies the HTTP layer's port.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IdempotencyStore } from '../src/http/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type Store, type StoredResponse } from '../src/store/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const pgSkip = postgresSkipReason();
const RESPONSE: StoredResponse = {
  status: 201, headers: { 'content-type': 'application/json; charset=utf-8', location: '/v1/things/1' },
  body: '{"id":1,"name":"é"}', bodyEncoding: 'utf8',
};

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`idempotency repository on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let cluster: PostgresCluster | undefined;
    const stores: Store[] = [];
    const dirs: string[] = [];
    const clock = new FakeClock(T0);

    before(async () => {
      if (backend === 'postgres') cluster = await startPostgres();
    });
    after(async () => {
      for (const s of stores) await s.close();
      await cluster?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    /**
     * A fresh database and `nodes` stores opened on it. SQLite refuses a second Store on one
     * file in one process, so there every "node" shares the one Store (its one connection).
     */
    async function fresh(nodes = 1): Promise<Store[]> {
      const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-idem-'));
      dirs.push(dataDir);
      const url = cluster ? await cluster.createDatabase() : undefined;
      const out: Store[] = [];
      for (let i = 0; i < nodes; i++) {
        if (backend === 'sqlite' && out.length) {
          out.push(out[0]);
          continue;
        }
        const store = await openDatabase({ url, dataDir, clock });
        stores.push(store);
        await store.migrate();
        out.push(store);
      }
      return out;
    }

    const claimOf = (over: Partial<{ scope: string; key: string; fingerprint: string; now: number; expiresAt: number }> = {}) => ({
      scope: 'app:a', key: 'rr:1', fingerprint: 'f1', now: T0, expiresAt: T0 + 300_000, ...over,
    });

    it('claims once, reports the in-flight holder, then the completed response', async () => {
      const [store] = await fresh();
      const port: IdempotencyStore = store.idempotency; // the store fits the HTTP layer's port
      const first = await port.claim(claimOf());
      assert.equal(first.claimed, true);
      const second = await port.claim(claimOf({ fingerprint: 'other' }));
      assert.equal(second.claimed, false);
      assert.equal(!second.claimed && second.record.state, 'in_flight');
      assert.equal(!second.claimed && second.record.fingerprint, 'f1');
      assert.equal(!second.claimed && second.record.response, undefined);

      assert.ok(first.claimed);
      assert.equal(await port.complete('app:a', 'rr:1', 'not-the-token', RESPONSE), false);
      assert.equal(await port.complete('app:a', 'rr:1', first.token, RESPONSE), true);
      const third = await port.claim(claimOf({ now: T0 + 1000 }));
      assert.ok(!third.claimed);
      assert.equal(third.record.state, 'completed');
      assert.deepEqual(third.record.response, RESPONSE);
      assert.equal(third.record.createdAt, T0);
      assert.equal(third.record.expiresAt, T0 + 300_000);
    });

    it('keeps binary bodies as base64 and keys apart per scope', async () => {
      const [store] = await fresh();
      const a = await store.idempotency.claim(claimOf());
      const b = await store.idempotency.claim(claimOf({ scope: 'app:b' }));
      assert.ok(a.claimed && b.claimed, 'the same key in two scopes is two keys');
      const bin: StoredResponse = { status: 200, headers: {}, body: Buffer.from([0, 255, 1]).toString('base64'), bodyEncoding: 'base64' };
      assert.equal(await store.idempotency.complete('app:b', 'rr:1', b.token, bin), true);
      assert.deepEqual((await store.idempotency.get('app:b', 'rr:1'))?.response, bin);
      assert.equal((await store.idempotency.get('app:a', 'rr:1'))?.state, 'in_flight');
    });

    it('release frees the key for the claimant only', async () => {
      const [store] = await fresh();
      const c = await store.idempotency.claim(claimOf());
      assert.ok(c.claimed);
      await store.idempotency.release('app:a', 'rr:1', 'someone-else');
      assert.ok(await store.idempotency.get('app:a', 'rr:1'));
      await store.idempotency.release('app:a', 'rr:1', c.token);
      assert.equal(await store.idempotency.get('app:a', 'rr:1'), undefined);
      assert.equal((await store.idempotency.claim(claimOf())).claimed, true);
    });

    it('an expired row is re-claimable at once, and the old claimant can no longer complete it', async () => {
      const [store] = await fresh();
      const old = await store.idempotency.claim(claimOf());
      assert.ok(old.claimed);
      const held = await store.idempotency.claim(claimOf({ now: T0 + 299_999 }));
      assert.equal(held.claimed, false);
      const again = await store.idempotency.claim(claimOf({ now: T0 + 300_000, expiresAt: T0 + 600_000, fingerprint: 'f2' }));
      assert.ok(again.claimed);
      assert.notEqual(again.token, old.token);
      assert.equal(await store.idempotency.complete('app:a', 'rr:1', old.token, RESPONSE), false);
      assert.equal((await store.idempotency.get('app:a', 'rr:1'))?.fingerprint, 'f2');
    });

    it('purgeExpired deletes expired rows only', async () => {
      const [store] = await fresh();
      await store.idempotency.claim(claimOf({ key: 'k1', expiresAt: T0 + 10 }));
      await store.idempotency.claim(claimOf({ key: 'k2', expiresAt: T0 + 20 }));
      await store.idempotency.claim(claimOf({ key: 'k3', expiresAt: T0 + 30 }));
      assert.equal(await store.idempotency.purgeExpired(T0 + 20), 2);
      const left = await store.db.selectFrom('idempotency_keys').select('key').execute();
      assert.deepEqual(left.map((r) => r.key), ['k3']);
      assert.equal(await store.idempotency.purgeExpired(T0 + 20), 0);
    });

    it('racing claims from two nodes on one database: exactly one wins', async () => {
      const [n1, n2] = await fresh(2);
      for (let round = 0; round < 5; round++) {
        const key = `rr:race-${round}`;
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 ? n1 : n2).idempotency.claim(claimOf({ key }))),
        );
        assert.equal(results.filter((r) => r.claimed).length, 1, `round ${round}`);
        assert.ok(results.every((r) => r.claimed || r.record.state === 'in_flight'));
      }
      // Also when every racer finds an expired row to replace.
      await n1.idempotency.claim(claimOf({ key: 'rr:stale', expiresAt: T0 + 1 }));
      const later = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? n1 : n2).idempotency.claim(claimOf({ key: 'rr:stale', now: T0 + 5 }))),
      );
      assert.equal(later.filter((r) => r.claimed).length, 1);
    });
  });
}
