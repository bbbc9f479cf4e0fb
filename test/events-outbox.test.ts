// The outbox repository on SQLite and PostgreSQL: append in a transaction (rolled back =
// never seen), per-call seq, claims that respect per-call order and leases, retry/dead/
// delivered marks, dead letters, replay by time or id, redelivery. Also pins at compile time
// that the store's OutboxEvent is core's DomainEvent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newEventId, type DomainEvent } from '../src/core/index.ts';
import { FakeClock } from '../src/lib/index.ts';
import { openDatabase, type OutboxEvent, type StoredEvent, type Store } from '../src/store/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameEvent: Equal<OutboxEvent, DomainEvent> = true;
void sameEvent;

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const A = 'http://127.0.0.1:9/a';
const B = 'http://127.0.0.1:9/b';

function ev(over: Partial<DomainEvent> = {}, at = T0): DomainEvent {
  return { id: newEventId(at), type: 'call.answered', applicationId: 'app1', occurredAt: new Date(at).toISOString(), data: { n: 1 }, ...over };
}

const pgSkip = postgresSkipReason();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`OutboxRepository on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let cluster: PostgresCluster | undefined;
    const stores: Store[] = [];
    const dirs: string[] = [];

    before(async () => {
      if (backend === 'postgres') cluster = await startPostgres();
    });
    after(async () => {
      for (const s of stores) await s.close();
      await cluster?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    async function fresh(clock: FakeClock): Promise<Store> {
      const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-outbox-'));
      dirs.push(dataDir);
      const url = cluster ? await cluster.createDatabase() : undefined;
      const s = await openDatabase({ url, dataDir, clock });
      stores.push(s);
      await s.migrate();
      return s;
    }

    it('appends in the caller transaction: a rollback leaves no event, a commit announces after COMMIT', async () => {
      const clock = new FakeClock(T0);
      const s = await fresh(clock);
      const heard: string[][] = [];
      s.outbox.onCommitted((evs) => heard.push(evs.map((e) => e.id)));
      const lost = ev({ callId: 'c1' });
      await assert.rejects(
        s.transaction(async (tx) => {
          await tx.outbox.append(lost, [{ url: A }]);
          throw new Error('state change failed');
        }),
        /state change failed/,
      );
      assert.equal(await s.outbox.getEvent(lost.id), undefined);
      assert.deepEqual(heard, []);
      const kept = ev({ callId: 'c1', data: { nested: { ü: 'ß', list: [1, null] } } });
      await s.transaction(async (tx) => {
        await tx.outbox.append(kept, [{ url: A }, { url: B, format: 'acs' }]);
        assert.deepEqual(heard, [], 'announced before COMMIT');
      });
      assert.deepEqual(heard, [[kept.id]]);
      const back = await s.outbox.getEvent(kept.id);
      assert.deepEqual(back, { ...kept, seq: 1, createdAt: T0 });
      const ds = await s.outbox.deliveriesOf(kept.id);
      assert.deepEqual(ds.map((d) => [d.url, d.format, d.state, d.attempts]), [[A, 'native', 'pending', 0], [B, 'acs', 'pending', 0]]);
    });

    it('numbers events per call and claims only the head of each (call, endpoint) queue', async () => {
      const clock = new FakeClock(T0);
      const s = await fresh(clock);
      const c1 = [ev({ callId: 'c1' }), ev({ callId: 'c1' }), ev({ callId: 'c1' })];
      const c2 = [ev({ callId: 'c2' }), ev({ callId: 'c2' })];
      const loose = ev();
      await s.outbox.appendMany([...c1, ...c2, loose].map((event) => ({ event, targets: [{ url: A }] })));
      assert.deepEqual((await s.outbox.listEvents({ limit: 10 })).filter((e) => e.callId === 'c1').map((e) => e.seq), [1, 2, 3]);
      const more = ev({ callId: 'c1' });
      assert.equal((await s.outbox.append(more, [{ url: A }])).seq, 4);

      let claimed = await s.outbox.claimDue({ owner: 'n1', leaseMs: 10_000, limit: 100 });
      assert.deepEqual(claimed.map((c) => c.event.id).sort(), [c1[0].id, c2[0].id, loose.id].sort());
      // Leased: not claimable again, and the next of each call still waits.
      assert.deepEqual(await s.outbox.claimDue({ owner: 'n2', leaseMs: 10_000, limit: 100 }), []);
      const byEvent = new Map(claimed.map((c) => [c.event.id, c.delivery.id]));
      await s.outbox.markDelivered(byEvent.get(c1[0].id)!, 200);
      await s.outbox.markDead(byEvent.get(c2[0].id)!, { status: 410, error: 'HTTP 410' });
      claimed = await s.outbox.claimDue({ owner: 'n1', leaseMs: 10_000, limit: 100 });
      assert.deepEqual(claimed.map((c) => c.event.id).sort(), [c1[1].id, c2[1].id].sort());

      // A lease that runs out (its worker died) makes the delivery claimable again.
      clock.advance(10_000);
      const again = await s.outbox.claimDue({ owner: 'n2', leaseMs: 10_000, limit: 100 });
      assert.deepEqual(again.map((c) => c.event.id).sort(), [c1[1].id, c2[1].id, loose.id].sort());
      assert.equal(await s.outbox.releaseLeases('n2'), 3);
    });

    it('marks a batch delivered in one call (mixed statuses), hands out the stored data JSON, and counts pending', async () => {
      const clock = new FakeClock(T0);
      const s = await fresh(clock);
      const evs = [ev({ callId: 'b1', data: { k: 'é', n: [1, 2] } }), ev({ callId: 'b1' }), ev({ callId: 'b2' }), ev()];
      await s.outbox.appendMany(evs.map((event) => ({ event, targets: [{ url: A }] })));
      assert.equal(await s.outbox.countPending(), 4);
      const claimed = await s.outbox.claimDue({ owner: 'n1', leaseMs: 10_000, limit: 100 });
      assert.deepEqual(claimed.map((c) => c.event.id).sort(), [evs[0].id, evs[2].id, evs[3].id].sort());
      const first = claimed.find((c) => c.event.id === evs[0].id)!;
      assert.equal(first.dataJson, JSON.stringify(evs[0].data));
      clock.advance(5);
      await s.outbox.markDeliveredMany(claimed.map((c, i) => ({ id: c.delivery.id, status: i === 0 ? 200 : 204 })));
      for (const [i, c] of claimed.entries()) {
        const [d] = await s.outbox.deliveriesOf(c.event.id);
        assert.deepEqual([d.state, d.attempts, d.lastStatus, d.deliveredAt], ['delivered', 1, i === 0 ? 200 : 204, T0 + 5]);
      }
      assert.equal(await s.outbox.countPending(), 1);
      // The next event of b1 is the head now.
      assert.deepEqual((await s.outbox.claimDue({ owner: 'n1', leaseMs: 10_000, limit: 100 })).map((c) => c.event.id), [evs[1].id]);
    });

    it('retry waits until next_attempt_at; dead letters are listed with status and error; redeliver revives them', async () => {
      const clock = new FakeClock(T0);
      const s = await fresh(clock);
      const e1 = ev({ callId: 'c9' });
      const e2 = ev({ callId: 'c9' });
      await s.outbox.appendMany([{ event: e1, targets: [{ url: A }] }, { event: e2, targets: [{ url: A }] }]);
      let [c] = await s.outbox.claimDue({ owner: 'n', leaseMs: 60_000, limit: 10 });
      await s.outbox.markRetry(c.delivery.id, { nextAttemptAt: T0 + 2000, status: 503, error: 'HTTP 503' });
      assert.equal(await s.outbox.nextDueAt(), T0 + 2000);
      assert.deepEqual(await s.outbox.claimDue({ owner: 'n', leaseMs: 60_000, limit: 10 }), [], 'e2 must wait behind e1, e1 behind its backoff');
      clock.advance(2000);
      [c] = await s.outbox.claimDue({ owner: 'n', leaseMs: 60_000, limit: 10 });
      assert.equal(c.event.id, e1.id);
      assert.equal(c.delivery.attempts, 1);
      assert.equal(c.delivery.lastError, 'HTTP 503');
      await s.outbox.markDead(c.delivery.id, { status: 400, error: 'HTTP 400' });
      const dead = await s.outbox.listDeliveries({ state: 'dead', applicationId: 'app1' });
      assert.deepEqual(dead.map((d) => [d.eventId, d.state, d.attempts, d.lastStatus, d.lastError]), [[e1.id, 'dead', 2, 400, 'HTTP 400']]);
      // Dead unblocks the call's next event.
      [c] = await s.outbox.claimDue({ owner: 'n', leaseMs: 60_000, limit: 10 });
      assert.equal(c.event.id, e2.id);
      await s.outbox.markDelivered(c.delivery.id, 204);
      assert.deepEqual(await s.outbox.countByState(), { pending: 0, delivered: 1, dead: 1 });
      assert.equal(await s.outbox.redeliver({ eventIds: [e1.id] }), 1);
      [c] = await s.outbox.claimDue({ owner: 'n', leaseMs: 60_000, limit: 10 });
      assert.equal(c.event.id, e1.id);
      assert.equal(c.delivery.attempts, 0);
    });

    it('replays by time or after an id, per application, in (occurredAt, id) order', async () => {
      const clock = new FakeClock(T0);
      const s = await fresh(clock);
      const evs: StoredEvent[] = [];
      for (let i = 0; i < 6; i++) {
        evs.push(await s.outbox.append(ev({ applicationId: i % 2 ? 'app2' : 'app1', data: { i } }, T0 + i * 1000), []));
      }
      const ids = (xs: StoredEvent[]): number[] => xs.map((e) => e.data.i as number);
      assert.deepEqual(ids(await s.outbox.listEvents()), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(ids(await s.outbox.listEvents({ since: T0 + 2000 })), [2, 3, 4, 5]);
      assert.deepEqual(ids(await s.outbox.listEvents({ applicationId: 'app2', since: T0 + 2000 })), [3, 5]);
      assert.deepEqual(ids(await s.outbox.listEvents({ afterId: evs[1].id, limit: 2 })), [2, 3]);
      assert.deepEqual(await s.outbox.listEvents({ afterId: newEventId() }), [], 'unknown id replays nothing');
      await assert.rejects(s.outbox.append({ ...ev(), occurredAt: '2024-01-01' }, []), /occurredAt/);
    });
  });
}
