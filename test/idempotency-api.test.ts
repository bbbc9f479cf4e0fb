// Request idempotency end to end through Fastify inject(), on SQLite and on PostgreSQL: a tiny
// route behind bearer auth and the idempotency guard counts how often its handler runs, and
// each case checks what ACS's "Repeatable requests" table prescribes — replay of the finished
// response with the handler run once, 409 while in flight, 400 for a reused id with another
// request or malformed headers, 412 for a stale First-Sent, re-execution after a 5xx and after
// the window, isolation between applications, and two nodes sharing one database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { apiKeyAuth, buildHttpApp, createIdempotencyGuard, type IdempotencyStore } from '../src/http/index.ts';
import { FakeClock, nullLogger } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';
import { postgresSkipReason, startPostgres, type PostgresCluster } from './helpers/postgres.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const ADMIN_KEY = 'admin-key-0123456789';
const KEYS: Record<string, string> = { 'key-a': 'app-a', 'key-b': 'app-b' };
const pgSkip = postgresSkipReason();

interface Deferred { promise: Promise<void>; resolve: () => void }
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

/** One "node": an HTTP app with idempotent test routes over the given store. */
function node(store: IdempotencyStore, clock: FakeClock) {
  const calls = { things: 0, flaky: 0, empty: 0 };
  let gate: Deferred | undefined;
  let entered: Deferred | undefined;
  let flakyFailures = 1;
  const app: FastifyInstance = buildHttpApp({ logger: nullLogger, readiness: () => true, adminKey: ADMIN_KEY });
  const auth = apiKeyAuth({ adminKey: ADMIN_KEY, authenticateApiKey: async (k) => (KEYS[k] ? { id: KEYS[k] } : undefined) });
  const guard = createIdempotencyGuard({ store, clock, purgeIntervalMs: 0 });

  app.post('/v1/things', guard.route({ preHandler: auth }), async (request, reply) => {
    const n = ++calls.things;
    entered?.resolve();
    if (gate) await gate.promise;
    reply.header('location', `/v1/things/${n}`).header('x-run', String(n)).code(201);
    return { id: n, who: request.principal, got: request.body };
  });
  app.post('/v1/flaky', guard.route({ preHandler: auth }), async () => {
    calls.flaky++;
    if (flakyFailures-- > 0) throw new Error('database fell over');
    return { ok: true };
  });
  app.post('/v1/empty', guard.route({ preHandler: auth }), async (_req, reply) => {
    calls.empty++;
    return reply.code(204).send();
  });
  app.post('/v1/rejects', guard.route({ preHandler: auth }), async () => {
    calls.things++;
    throw Object.assign(new Error('nope'), { statusCode: 404 });
  });
  return {
    app, calls,
    hold(): { entered: Promise<void>; release: () => void } {
      gate = deferred();
      entered = deferred();
      const g = gate;
      return { entered: entered.promise, release: () => { g.resolve(); gate = undefined; } };
    },
  };
}

function rrHeaders(id: string, firstSent: number, key = 'key-a'): Record<string, string> {
  return {
    authorization: `Bearer ${key}`,
    'repeatability-request-id': id,
    'repeatability-first-sent': new Date(firstSent).toUTCString(),
  };
}

function post(app: FastifyInstance, url: string, headers: Record<string, string>, payload?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, headers, payload: payload as object | undefined });
}

const ID1 = '5d5c7b5e-2b4a-4c1e-9f0a-0c6a1f6b2d11';
const ID2 = 'a0f1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`idempotent routes on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let cluster: PostgresCluster | undefined;
    const stores: Store[] = [];
    const apps: FastifyInstance[] = [];
    const dirs: string[] = [];

    before(async () => {
      if (backend === 'postgres') cluster = await startPostgres();
    });
    after(async () => {
      for (const a of apps) await a.close();
      for (const s of stores) await s.close();
      await cluster?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    async function freshStore(): Promise<{ store: Store; url?: string; dataDir: string }> {
      const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-idem-api-'));
      dirs.push(dataDir);
      const url = cluster ? await cluster.createDatabase() : undefined;
      const store = await openDatabase({ url, dataDir });
      stores.push(store);
      await store.migrate();
      return { store, url, dataDir };
    }

    async function fresh() {
      const clock = new FakeClock(T0);
      const { store } = await freshStore();
      const n = node(store.idempotency, clock);
      apps.push(n.app);
      return { ...n, clock, store };
    }

    it('replays the finished response (status, body, headers) and runs the handler once', async () => {
      const { app, calls, clock } = await fresh();
      const first = await post(app, '/v1/things', rrHeaders(ID1, clock.now()), { name: 'x' });
      assert.equal(first.statusCode, 201);
      assert.equal(first.headers['repeatability-result'], 'accepted');
      assert.deepEqual(first.json(), { id: 1, who: { kind: 'application', applicationId: 'app-a' }, got: { name: 'x' } });

      clock.advance(30_000);
      const again = await post(app, '/v1/things', rrHeaders(ID1, T0), { name: 'x' });
      assert.equal(again.statusCode, 201);
      assert.equal(again.body, first.body);
      assert.equal(again.headers.location, '/v1/things/1');
      assert.equal(again.headers['x-run'], '1');
      assert.equal(again.headers['content-type'], first.headers['content-type']);
      assert.equal(again.headers['repeatability-result'], 'accepted');
      assert.equal(calls.things, 1);

      // The id is case-insensitive (a GUID), so an upper-cased retry is the same request id.
      const upper = await post(app, '/v1/things', rrHeaders(ID1.toUpperCase(), T0), { name: 'x' });
      assert.equal(upper.body, first.body);
      assert.equal(calls.things, 1);

      // Requests without the headers are not affected.
      await post(app, '/v1/things', { authorization: 'Bearer key-a' }, { name: 'x' });
      await post(app, '/v1/things', { authorization: 'Bearer key-a' }, { name: 'x' });
      assert.equal(calls.things, 3);
    });

    it('a duplicate while the first is in flight gets 409, then the finished response', async () => {
      const { app, calls, clock, hold } = await fresh();
      const h = hold();
      const firstP = post(app, '/v1/things', rrHeaders(ID1, clock.now()), { n: 1 });
      await h.entered;
      const dup = await post(app, '/v1/things', rrHeaders(ID1, T0), { n: 1 });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().error.code, 'IDEMPOTENT_REQUEST_IN_PROGRESS');
      assert.equal(dup.headers['retry-after'], '1');
      assert.equal(dup.headers['repeatability-result'], 'accepted');
      h.release();
      const first = await firstP;
      assert.equal(first.statusCode, 201);
      const after = await post(app, '/v1/things', rrHeaders(ID1, T0), { n: 1 });
      assert.equal(after.statusCode, 201);
      assert.equal(after.body, first.body);
      assert.equal(calls.things, 1);
    });

    it('the same id with a different body, path or First-Sent is 400 IDEMPOTENCY_KEY_REUSED', async () => {
      const { app, calls, clock } = await fresh();
      assert.equal((await post(app, '/v1/things', rrHeaders(ID1, clock.now()), { n: 1 })).statusCode, 201);
      const otherBody = await post(app, '/v1/things', rrHeaders(ID1, T0), { n: 2 });
      assert.equal(otherBody.statusCode, 400);
      assert.equal(otherBody.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(otherBody.headers['repeatability-result'], 'rejected');
      const otherPath = await post(app, '/v1/things?x=1', rrHeaders(ID1, T0), { n: 1 });
      assert.equal(otherPath.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
      const otherFirstSent = await post(app, '/v1/things', rrHeaders(ID1, T0 - 1000), { n: 1 });
      assert.equal(otherFirstSent.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
      const ik = { authorization: 'Bearer key-a', 'idempotency-key': 'order-17' };
      assert.equal((await post(app, '/v1/things', ik, { n: 1 })).statusCode, 201);
      const ikOther = await post(app, '/v1/things', ik, { n: 9 });
      assert.equal(ikOther.statusCode, 400);
      assert.equal(ikOther.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(ikOther.headers['repeatability-result'], undefined);
      assert.equal(calls.things, 2);
    });

    it('a First-Sent outside the 5-minute window (or too far ahead) is 412 and nothing runs', async () => {
      const { app, calls, clock } = await fresh();
      const stale = await post(app, '/v1/things', rrHeaders(ID1, clock.now() - 300_001), {});
      assert.equal(stale.statusCode, 412);
      assert.equal(stale.json().error.code, 'REPEATABILITY_EXPIRED');
      assert.equal(stale.headers['repeatability-result'], 'rejected');
      const edge = await post(app, '/v1/things', rrHeaders(ID2, clock.now() - 300_000), {});
      assert.equal(edge.statusCode, 201, 'exactly 5 minutes old is still inside');
      const future = await post(app, '/v1/things', rrHeaders(ID1, clock.now() + 61_000), {});
      assert.equal(future.statusCode, 412);
      const slightlyAhead = await post(app, '/v1/things', rrHeaders(ID1, clock.now() + 30_000), {});
      assert.equal(slightlyAhead.statusCode, 201);
      assert.equal(calls.things, 2);

      // A finished request's retry after the window is refused, not replayed or re-run.
      clock.advance(300_000 + 30_000 + 1);
      const late = await post(app, '/v1/things', rrHeaders(ID1, T0 + 30_000), {});
      assert.equal(late.statusCode, 412);
      assert.equal(calls.things, 2);
    });

    it('malformed or incomplete headers are 400 with a catalog code', async () => {
      const { app, calls, clock } = await fresh();
      const sent = new Date(clock.now()).toUTCString();
      const cases: [Record<string, string>, string][] = [
        [{ 'repeatability-request-id': 'not-a-guid', 'repeatability-first-sent': sent }, 'REPEATABILITY_HEADERS_INVALID'],
        [{ 'repeatability-request-id': ID1, 'repeatability-first-sent': new Date(clock.now()).toISOString() }, 'REPEATABILITY_HEADERS_INVALID'],
        [{ 'repeatability-request-id': ID1, 'repeatability-first-sent': 'Tue, 01 Jan 2024 12:00:00 GMT' }, 'REPEATABILITY_HEADERS_INVALID'], // wrong weekday
        [{ 'repeatability-request-id': ID1 }, 'REPEATABILITY_HEADERS_INVALID'],
        [{ 'repeatability-first-sent': sent }, 'REPEATABILITY_HEADERS_INVALID'],
        [{ 'repeatability-request-id': ID1, 'repeatability-first-sent': sent, 'idempotency-key': 'k' }, 'REPEATABILITY_HEADERS_INVALID'],
        [{ 'idempotency-key': 'x'.repeat(256) }, 'IDEMPOTENCY_KEY_INVALID'],
        [{ 'idempotency-key': '""' }, 'IDEMPOTENCY_KEY_INVALID'],
      ];
      for (const [headers, code] of cases) {
        const res = await post(app, '/v1/things', { authorization: 'Bearer key-a', ...headers }, {});
        assert.equal(res.statusCode, 400, JSON.stringify(headers));
        assert.equal(res.json().error.code, code, JSON.stringify(headers));
        assert.equal(res.headers['repeatability-result'], code.startsWith('REPEATABILITY') ? 'rejected' : undefined);
      }
      assert.equal(calls.things, 0);
      // Authentication still comes first: no key, no idempotency answer.
      const anon = await post(app, '/v1/things', { 'repeatability-request-id': 'bad' }, {});
      assert.equal(anon.statusCode, 401);
    });

    it('Idempotency-Key: replayed within its window, run again once the window has passed', async () => {
      const { app, calls, clock } = await fresh();
      const h = { authorization: 'Bearer key-a', 'idempotency-key': 'charge-42' };
      const first = await post(app, '/v1/things', h, { amount: 5 });
      assert.equal(first.statusCode, 201);
      assert.equal(first.headers['repeatability-result'], undefined);
      clock.advance(299_999);
      const quoted = await post(app, '/v1/things', { ...h, 'idempotency-key': '"charge-42"' }, { amount: 5 });
      assert.equal(quoted.body, first.body, 'a Structured Field string is the same key');
      assert.equal(calls.things, 1);
      clock.advance(1);
      const after = await post(app, '/v1/things', h, { amount: 5 });
      assert.equal(after.statusCode, 201);
      assert.equal(after.json().id, 2);
      assert.equal(calls.things, 2);
    });

    it('a Repeatability id is reusable with a new First-Sent once its record has expired', async () => {
      const { app, calls, clock } = await fresh();
      assert.equal((await post(app, '/v1/things', rrHeaders(ID1, clock.now()), {})).statusCode, 201);
      clock.advance(300_000 + 60_000);
      const reused = await post(app, '/v1/things', rrHeaders(ID1, clock.now()), {});
      assert.equal(reused.statusCode, 201);
      assert.equal(calls.things, 2);
    });

    it('keys are per application: the same id in two applications runs twice, each replays its own', async () => {
      const { app, calls, clock } = await fresh();
      const a = await post(app, '/v1/things', rrHeaders(ID1, clock.now(), 'key-a'), { n: 1 });
      const b = await post(app, '/v1/things', rrHeaders(ID1, clock.now(), 'key-b'), { n: 1 });
      const admin = await post(app, '/v1/things', rrHeaders(ID1, clock.now(), ADMIN_KEY), { n: 1 });
      assert.equal(calls.things, 3);
      assert.equal(a.json().who.applicationId, 'app-a');
      assert.equal(b.json().who.applicationId, 'app-b');
      assert.deepEqual(admin.json().who, { kind: 'admin' });
      assert.equal((await post(app, '/v1/things', rrHeaders(ID1, T0, 'key-b'), { n: 1 })).body, b.body);
      assert.equal((await post(app, '/v1/things', rrHeaders(ID1, T0, 'key-a'), { n: 1 })).body, a.body);
      assert.equal(calls.things, 3);
    });

    it('a 5xx is not remembered (a retry runs again); a 4xx and an empty 204 are replayed', async () => {
      const { app, calls, clock } = await fresh();
      const fail = await post(app, '/v1/flaky', rrHeaders(ID1, clock.now()), {});
      assert.equal(fail.statusCode, 500);
      assert.equal(fail.json().error.code, 'INTERNAL');
      assert.equal(fail.headers['repeatability-result'], 'accepted');
      const retry = await post(app, '/v1/flaky', rrHeaders(ID1, T0), {});
      assert.equal(retry.statusCode, 200);
      assert.equal((await post(app, '/v1/flaky', rrHeaders(ID1, T0), {})).body, retry.body);
      assert.equal(calls.flaky, 2);

      const e1 = await post(app, '/v1/empty', rrHeaders(ID2, clock.now()), {});
      const e2 = await post(app, '/v1/empty', rrHeaders(ID2, T0), {});
      assert.equal(e1.statusCode, 204);
      assert.equal(e2.statusCode, 204);
      assert.equal(e2.body, '');
      assert.equal(calls.empty, 1);

      const id3 = 'c0ffee00-0000-4000-8000-000000000003';
      const r1 = await post(app, '/v1/rejects', rrHeaders(id3, clock.now()), {});
      const r2 = await post(app, '/v1/rejects', rrHeaders(id3, T0), {});
      assert.equal(r1.statusCode, 404);
      assert.equal(r2.statusCode, 404);
      assert.equal(r2.body, r1.body);
      assert.equal(calls.things, 1, 'the 4xx handler ran once');
    });

    it('two nodes sharing the database (and a restart) see the same claims and responses', async () => {
      const clock = new FakeClock(T0);
      const { store, url, dataDir } = await freshStore();
      const n1 = node(store.idempotency, clock);
      apps.push(n1.app);
      // PostgreSQL: a second Store, as a second node would open. SQLite: one Store per file per
      // process, so the second "node" is a second app over the same Store.
      let store2 = store;
      if (url) {
        store2 = await openDatabase({ url, dataDir });
        stores.push(store2);
      }
      const n2 = node(store2.idempotency, clock);
      apps.push(n2.app);

      const h = n1.hold();
      const firstP = post(n1.app, '/v1/things', rrHeaders(ID1, T0), { n: 1 });
      await h.entered;
      assert.equal((await post(n2.app, '/v1/things', rrHeaders(ID1, T0), { n: 1 })).statusCode, 409);
      h.release();
      const first = await firstP;
      const onN2 = await post(n2.app, '/v1/things', rrHeaders(ID1, T0), { n: 1 });
      assert.equal(onN2.statusCode, 201);
      assert.equal(onN2.body, first.body);
      assert.equal(n1.calls.things + n2.calls.things, 1);

      // Restart: close the store, open it again, and the record is still there.
      if (!url) {
        await n1.app.close();
        await n2.app.close();
        await store.close();
        const reopened = await openDatabase({ dataDir });
        stores.push(reopened);
        const n3 = node(reopened.idempotency, clock);
        apps.push(n3.app);
        const afterRestart = await post(n3.app, '/v1/things', rrHeaders(ID1, T0), { n: 1 });
        assert.equal(afterRestart.body, first.body);
        assert.equal(n3.calls.things, 0);
      }
    });
  });
}
