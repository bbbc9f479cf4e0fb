// JSON bodies keep the types the client sent (validator-compiler.ts): a number is not read as a
// string, "true" is not a boolean, null is not "" — each is a 400 VALIDATION_FAILED naming the
// field. Query strings and path params, which are text on the wire, still coerce (?limit=10).
// First on a bare app built by buildHttpApp, then on the real native API routes (inject, real
// SQLite store, core's fake channel/media endpoint for the call).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { bearer, admin, harness, type Harness } from '../../test/native-calls-helpers.ts';
import { nullLogger } from '../lib/index.ts';
import { buildHttpApp } from './app.ts';

describe('body schemas do not coerce types; query and params do', () => {
  let app: FastifyInstance;
  before(async () => {
    app = buildHttpApp({ logger: nullLogger, readiness: () => true, adminKey: 'k'.repeat(24) });
    app.post<{ Body: unknown; Querystring: { limit?: number }; Params: { n: number } }>('/echo/:n', {
      schema: {
        params: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
        querystring: { type: 'object', properties: { limit: { type: 'integer' }, on: { type: 'boolean' } } },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: { type: 'string' },
            loop: { type: 'boolean' },
            count: { type: 'integer' },
            tags: { type: 'array', items: { type: 'string' } },
            mode: { type: 'string', default: 'plain' },
          },
        },
      },
    }, async (req) => ({ body: req.body, query: req.query, params: req.params }));
    await app.ready();
  });
  after(async () => { await app.close(); });

  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

  it('rejects each wrong-typed body field with VALIDATION_FAILED naming it', async () => {
    const cases: Array<[object, string]> = [
      [{ name: 12345 }, '/name'],
      [{ name: true }, '/name'],
      [{ name: null }, '/name'],
      [{ loop: 'true' }, '/loop'],
      [{ loop: 1 }, '/loop'],
      [{ count: '10' }, '/count'],
      [{ count: null }, '/count'],
      [{ tags: 'a' }, '/tags'],
    ];
    for (const [payload, path] of cases) {
      const res = await post('/echo/1', payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      const err = res.json().error;
      assert.equal(err.code, 'VALIDATION_FAILED');
      assert.ok(err.details.some((d: { path: string }) => d.path === path), `${JSON.stringify(payload)} names ${path}: ${res.body}`);
    }
  });

  it('accepts well-typed bodies unchanged and still fills defaults', async () => {
    const res = await post('/echo/1', { name: '12345', loop: true, count: 10, tags: ['a'] });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().body, { name: '12345', loop: true, count: 10, tags: ['a'], mode: 'plain' });
  });

  it('coerces the query string and path params', async () => {
    const res = await post('/echo/7?limit=10&on=true', {});
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().query, { limit: 10, on: true });
    assert.deepEqual(res.json().params, { n: 7 });
    const bad = await post('/echo/7?limit=ten', {});
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'VALIDATION_FAILED');
  });
});

describe('native API: JSON bodies are not coerced', () => {
  let h: Harness;
  before(async () => { h = await harness('body-coercion'); });
  after(async () => { await h.close(); });

  it('{"name": 12345} creates no application: 400 naming /name', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/applications', headers: admin, payload: { name: 12345 } });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'VALIDATION_FAILED');
    assert.ok(res.json().error.details.some((d: { path: string }) => d.path === '/name'), res.body);
    const list = await h.app.inject({ method: 'GET', url: '/v1/applications', headers: admin });
    assert.ok(!list.json().items.some((a: { name: string }) => a.name === '12345'), 'no application named "12345"');
  });

  it('play with {"loop": "true"} is a 400; {"loop": true} is accepted', async () => {
    const { call } = await h.inbound(h.a.id);
    await h.calls.execute(call.id, 'answer', {}, { principal: { kind: 'application', applicationId: h.a.id } });
    const sources = [{ kind: 'tone', frequencies: [440], durationMs: 200 }];
    const bad = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: bearer(h.a.key), payload: { sources, loop: 'true' } });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal(bad.json().error.code, 'VALIDATION_FAILED');
    assert.ok(bad.json().error.details.some((d: { path: string }) => d.path === '/loop'), bad.body);
    const good = await h.app.inject({ method: 'POST', url: `/v1/calls/${call.id}/play`, headers: bearer(h.a.key), payload: { sources, loop: false } });
    assert.equal(good.statusCode, 202, good.body);
  });

  it('GET /v1/calls?limit=10 still works (query coerced to an integer)', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/calls?limit=10', headers: bearer(h.a.key) });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(Array.isArray(res.json().items));
    const bad = await h.app.inject({ method: 'GET', url: '/v1/calls?limit=ten', headers: bearer(h.a.key) });
    assert.equal(bad.statusCode, 400);
  });
});
