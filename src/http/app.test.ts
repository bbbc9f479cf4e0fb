// The HTTP shell through Fastify's inject(): probes, metrics auth and the error shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Counter } from 'prom-client';
import { nullLogger } from '../lib/index.ts';
import { buildHttpApp } from './app.ts';
import { ERROR_CATALOG, httpError } from './errors.ts';
import type { ReadinessReport } from './health-routes.ts';

const KEY = 'test-admin-key-0123456789';

function registry(): Registry {
  const r = new Registry();
  new Counter({ name: 'demo_total', help: 'demo', registers: [r] }).inc(3);
  return r;
}

test('GET /healthz answers 200 {status:"ok"}', async () => {
  const app = buildHttpApp({ logger: nullLogger, readiness: () => false, adminKey: KEY });
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'ok' });
  await app.close();
});

test('GET /readyz follows the readiness probe: starting → ready → draining', async () => {
  let report: ReadinessReport = false;
  const app = buildHttpApp({ logger: nullLogger, readiness: () => report, adminKey: KEY });

  let res = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(res.statusCode, 503);
  assert.deepEqual(res.json(), { status: 'starting' });

  report = true;
  res = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'ready' });

  report = { ready: false, status: 'draining', reason: 'SIGTERM' };
  res = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(res.statusCode, 503);
  assert.deepEqual(res.json(), { status: 'draining', reason: 'SIGTERM' });
  await app.close();
});

test('GET /metrics is Prometheus text and public by default', async () => {
  const app = buildHttpApp({ logger: nullLogger, readiness: () => true, adminKey: KEY, metricsRegistry: registry() });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(res.body, /^demo_total 3$/m);
  await app.close();
});

test('GET /metrics requires the admin key as Bearer when metrics are not public', async () => {
  const app = buildHttpApp({
    logger: nullLogger, readiness: () => true, adminKey: KEY, metricsRegistry: registry(), metricsPublic: false,
  });
  for (const authorization of [undefined, 'Bearer wrong', `Basic ${KEY}`, `Bearer ${KEY}x`, 'Bearer']) {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
    assert.equal(res.statusCode, 401, `authorization=${authorization}`);
    assert.deepEqual(res.json(), { error: { code: 'UNAUTHORIZED', message: ERROR_CATALOG.UNAUTHORIZED.message } });
  }
  const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /demo_total 3/);
  await app.close();
});

test('unknown routes answer NOT_FOUND in the catalog shape', async () => {
  const app = buildHttpApp({ logger: nullLogger, readiness: () => true, adminKey: KEY });
  const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), { error: { code: 'NOT_FOUND', message: 'No route for GET /nope' } });
  await app.close();
});

test('route errors map to the catalog: HttpError, validation, malformed JSON, unexpected throw', async () => {
  const logged: unknown[] = [];
  const logger = { ...nullLogger, error: (o: unknown) => { logged.push(o); } };
  const app = buildHttpApp({ logger, readiness: () => true, adminKey: KEY });
  app.get('/conflict', async () => { throw httpError('CONFLICT', 'Call c1 already ended'); });
  app.post('/things', {
    schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
  }, async () => ({ ok: true }));
  app.get('/boom', async () => { throw new Error('secret /etc/path detail'); });

  let res = await app.inject({ method: 'GET', url: '/conflict' });
  assert.equal(res.statusCode, 409);
  assert.deepEqual(res.json(), { error: { code: 'CONFLICT', message: 'Call c1 already ended' } });

  res = await app.inject({ method: 'POST', url: '/things', payload: { other: 1 } });
  assert.equal(res.statusCode, 400);
  const body = res.json();
  assert.equal(body.error.code, 'VALIDATION_FAILED');
  assert.ok(Array.isArray(body.error.details) && body.error.details.length === 1);

  res = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload: '{bad' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'BAD_REQUEST');

  res = await app.inject({ method: 'GET', url: '/boom' });
  assert.equal(res.statusCode, 500);
  assert.deepEqual(res.json(), { error: { code: 'INTERNAL', message: ERROR_CATALOG.INTERNAL.message } });
  assert.doesNotMatch(res.body, /secret/);
  assert.equal(logged.length, 1);
  await app.close();
});
