// The native REST API through Fastify's inject(), over a real SQLite store: auth (401/403),
// validation (400 with details), conflicts (409), tenant isolation (404 for another
// application's resources), a key shown once and rotated, and the OpenAPI document.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createTenancy, type Tenancy } from '../src/core/index.ts';
import { registerNativeApi } from '../src/faces/native/index.ts';
import { buildHttpApp } from '../src/http/index.ts';
import { nullLogger } from '../src/lib/index.ts';
import { openDatabase, type Store } from '../src/store/index.ts';

const ADMIN_KEY = 'test-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

describe('native API /v1 (inject)', () => {
  let dir: string;
  let store: Store;
  let tenancy: Tenancy | undefined;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-native-api-'));
    store = await openDatabase({ dataDir: dir });
    await store.migrate();
    app = buildHttpApp({ logger: nullLogger, readiness: () => true, adminKey: ADMIN_KEY, openapi: { title: 'Switchboard API', version: 'test' } });
    registerNativeApi(app, { adminKey: ADMIN_KEY, tenancy: () => tenancy });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function createApp(name: string): Promise<{ id: string; key: string; keyId: string; body: any }> {
    const res = await app.inject({ method: 'POST', url: '/v1/applications', headers: admin, payload: { name, callbackUrl: `https://${name}.example/hook` } });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    return { id: body.application.id, key: body.apiKey.key, keyId: body.apiKey.id, body };
  }

  it('answers 503 NOT_READY until the services exist', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/applications', headers: admin });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'NOT_READY');
    tenancy = createTenancy(store);
  });

  it('401 without a key or with a wrong one, in the catalog shape', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope-nope-nope' }, { authorization: `Basic ${ADMIN_KEY}` }, { authorization: 'Bearer' }]) {
      for (const url of ['/v1/applications', '/v1/numbers', '/v1/trunks', '/v1/sip-users']) {
        const res = await app.inject({ method: 'GET', url, headers });
        assert.equal(res.statusCode, 401, `${url} ${JSON.stringify(headers)}`);
        assert.equal(res.json().error.code, 'UNAUTHORIZED');
      }
    }
  });

  it('creates an application: the key is in that response only, and it authenticates', async () => {
    const a = await createApp('alpha');
    assert.match(a.key, /^sb_/);
    assert.deepEqual(Object.keys(a.body).sort(), ['apiKey', 'application', 'webhookSecrets']);
    assert.equal(a.body.application.callbackUrl, 'https://alpha.example/hook');
    const get = await app.inject({ method: 'GET', url: `/v1/applications/${a.id}`, headers: admin });
    assert.equal(get.statusCode, 200);
    assert.ok(!get.body.includes(a.key) && !get.body.includes('whsec_'), 'GET never shows the key or secrets');
    const keys = await app.inject({ method: 'GET', url: `/v1/applications/${a.id}/api-keys`, headers: admin });
    assert.ok(!keys.body.includes(a.key));
    assert.equal(keys.json().items[0].prefix, a.key.slice(0, 10));
    const own = await app.inject({ method: 'GET', url: '/v1/applications', headers: bearer(a.key) });
    assert.deepEqual(own.json().items.map((x: { id: string }) => x.id), [a.id]);
  });

  it('400 VALIDATION_FAILED with details: schema (unknown field, bad type) and domain rules', async () => {
    let res = await app.inject({ method: 'POST', url: '/v1/applications', headers: admin, payload: { name: 'x', callbakUrl: 'https://x' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'VALIDATION_FAILED');
    res = await app.inject({ method: 'POST', url: '/v1/applications', headers: admin, payload: { name: 'x', limits: { maxConcurrentCalls: -1 } } });
    assert.equal(res.statusCode, 400);
    res = await app.inject({ method: 'POST', url: '/v1/applications', headers: admin, payload: { name: 'ok name', callbackUrl: 'ftp://nope' } });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().error.details, [{ path: '/callbackUrl', message: 'must be an http:// or https:// URL' }]);
    res = await app.inject({ method: 'POST', url: '/v1/numbers', headers: admin, payload: { number: 'not a number', applicationId: null, routeTo: { type: 'diagnostic', target: 'answer' } } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.details[0].path, '/number');
    res = await app.inject({ method: 'POST', url: '/v1/trunks', headers: admin, payload: { name: 't', host: 'h.example', transport: 'sctp' } });
    assert.equal(res.statusCode, 400);
  });

  it('409 on duplicates: application name, number, trunk name, SIP username', async () => {
    await createApp('dup');
    let res = await app.inject({ method: 'POST', url: '/v1/applications', headers: admin, payload: { name: 'dup' } });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'APPLICATION_CONFLICT');
    const diag = { number: '+4930000001', routeTo: { type: 'diagnostic', target: 'answer' } };
    assert.equal((await app.inject({ method: 'POST', url: '/v1/numbers', headers: admin, payload: diag })).statusCode, 201);
    res = await app.inject({ method: 'POST', url: '/v1/numbers', headers: admin, payload: diag });
    assert.deepEqual([res.statusCode, res.json().error.code], [409, 'NUMBER_CONFLICT']);
    const trunk = { name: 'carrier', host: 'sip.carrier.example' };
    assert.equal((await app.inject({ method: 'POST', url: '/v1/trunks', headers: admin, payload: trunk })).statusCode, 201);
    res = await app.inject({ method: 'POST', url: '/v1/trunks', headers: admin, payload: trunk });
    assert.deepEqual([res.statusCode, res.json().error.code], [409, 'TRUNK_CONFLICT']);
    const user = { username: 'desk', password: 'desk-pass-1' };
    assert.equal((await app.inject({ method: 'POST', url: '/v1/sip-users', headers: admin, payload: user })).statusCode, 201);
    res = await app.inject({ method: 'POST', url: '/v1/sip-users', headers: admin, payload: user });
    assert.deepEqual([res.statusCode, res.json().error.code], [409, 'SIP_USER_CONFLICT']);
  });

  it('an application key gets 403 on admin actions and 404 for another application\'s resources', async () => {
    const a = await createApp('tenant-a');
    const b = await createApp('tenant-b');
    // Admin-only routes.
    for (const [method, url] of [['POST', '/v1/applications'], ['DELETE', `/v1/applications/${a.id}`], ['GET', `/v1/applications/${a.id}/api-keys`],
      ['POST', `/v1/applications/${a.id}/webhook-secrets/rotate`]] as const) {
      const res = await app.inject({ method, url, headers: bearer(a.key), payload: method === 'POST' && url === '/v1/applications' ? { name: 'z' } : undefined });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.equal(res.json().error.code, 'FORBIDDEN');
    }
    assert.equal((await app.inject({ method: 'GET', url: `/v1/applications/${b.id}`, headers: bearer(a.key) })).statusCode, 404);
    // Each creates its own resources.
    const made: Record<string, string> = {};
    for (const [path, payload] of [
      ['numbers', { number: '+4930111222' }], ['trunks', { name: 'b-trunk', host: 'b.example' }], ['sip-users', { username: 'b-phone', password: 'b-phone-pass' }],
    ] as const) {
      const res = await app.inject({ method: 'POST', url: `/v1/${path}`, headers: bearer(b.key), payload });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().applicationId, b.id);
      made[path] = res.json().id;
    }
    for (const path of ['numbers', 'trunks', 'sip-users']) {
      const url = `/v1/${path}/${made[path]}`;
      for (const method of ['GET', 'DELETE'] as const) {
        const res = await app.inject({ method, url, headers: bearer(a.key) });
        assert.equal(res.statusCode, 404, `${method} ${url} with A's key`);
        assert.match(res.json().error.code, /_NOT_FOUND$/);
      }
      const patch = await app.inject({ method: 'PATCH', url, headers: bearer(a.key), payload: path === 'numbers' ? { routeTo: { type: 'application' } } : path === 'trunks' ? { port: 5070 } : { password: 'another-pass' } });
      assert.equal(patch.statusCode, 404);
      const list = await app.inject({ method: 'GET', url: `/v1/${path}`, headers: bearer(a.key) });
      assert.ok(!list.json().items.some((x: { id: string }) => x.id === made[path]), `A's list of ${path} hides B's`);
      assert.equal((await app.inject({ method: 'GET', url, headers: bearer(b.key) })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url, headers: admin })).statusCode, 200, 'admin sees all');
    }
    // A cannot create for B.
    const res = await app.inject({ method: 'POST', url: '/v1/numbers', headers: bearer(a.key), payload: { number: '+4930999888', applicationId: b.id } });
    assert.equal(res.statusCode, 403);
    // Deleting B (admin) removes its resources.
    assert.equal((await app.inject({ method: 'DELETE', url: `/v1/applications/${b.id}`, headers: admin })).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/numbers/${made.numbers}`, headers: admin })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/numbers', headers: bearer(b.key) })).statusCode, 401, 'its keys die with it');
  });

  it('rotates a key (old one stops working) and the webhook secret (previous stays active)', async () => {
    const a = await createApp('rotator');
    const rot = await app.inject({ method: 'POST', url: `/v1/applications/${a.id}/api-keys/${a.keyId}/rotate`, headers: admin });
    assert.equal(rot.statusCode, 201);
    const newKey = rot.json().key as string;
    assert.notEqual(newKey, a.key);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/numbers', headers: bearer(a.key) })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/numbers', headers: bearer(newKey) })).statusCode, 200);
    const again = await app.inject({ method: 'POST', url: `/v1/applications/${a.id}/api-keys/${a.keyId}/rotate`, headers: admin });
    assert.deepEqual([again.statusCode, again.json().error.code], [404, 'API_KEY_NOT_FOUND']);
    const extra = await app.inject({ method: 'POST', url: `/v1/applications/${a.id}/api-keys`, headers: admin });
    assert.equal(extra.statusCode, 201);
    const revoke = await app.inject({ method: 'DELETE', url: `/v1/applications/${a.id}/api-keys/${extra.json().id}`, headers: admin });
    assert.equal(revoke.statusCode, 200);
    assert.equal(typeof revoke.json().revokedAt, 'number');
    assert.equal((await app.inject({ method: 'GET', url: '/v1/numbers', headers: bearer(extra.json().key) })).statusCode, 401);
    const s = await app.inject({ method: 'POST', url: `/v1/applications/${a.id}/webhook-secrets/rotate`, headers: admin });
    assert.deepEqual(s.json().webhookSecrets[1], a.body.webhookSecrets[0]);
  });

  it('trunk responses never carry the password; PATCH updates fields', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/trunks', headers: admin, payload: { name: 'secretive', host: '198.51.100.7', username: 'u', password: 'hunter2-secret', register: true } });
    assert.equal(res.statusCode, 201);
    assert.ok(!res.body.includes('hunter2'));
    assert.equal(res.json().hasPassword, true);
    const upd = await app.inject({ method: 'PATCH', url: `/v1/trunks/${res.json().id}`, headers: admin, payload: { port: 5080, codecs: ['PCMA'] } });
    assert.deepEqual([upd.statusCode, upd.json().port, upd.json().codecs], [200, 5080, ['PCMA']]);
    const list = await app.inject({ method: 'GET', url: '/v1/trunks', headers: admin });
    assert.ok(!list.body.includes('hunter2'));
  });

  it('serves OpenAPI 3.1 at /openapi.json and docs at /docs, without credentials', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    for (const p of ['/v1/applications', '/v1/applications/{id}', '/v1/applications/{id}/api-keys/{keyId}/rotate', '/v1/numbers', '/v1/numbers/{id}', '/v1/trunks', '/v1/sip-users/{id}']) {
      assert.ok(doc.paths[p], `documents ${p}`);
    }
    assert.ok(doc.paths['/v1/numbers'].post.requestBody, 'request schema documented');
    assert.ok(doc.paths['/v1/numbers'].post.responses['201'], 'response schema documented');
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
    assert.equal(doc.paths['/healthz'], undefined);
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
    const asset = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    assert.equal(asset.statusCode, 200, 'UI assets are served from the package (offline)');
  });
});
