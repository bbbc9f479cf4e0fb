// The native call API on a real node (SwitchboardServer with SIP, media and the store): the
// routes reach the node's CallService, CDRs, recordings, outbox and idempotency store through
// src/server/native-api-wiring.ts — no 503 once ready — and keep tenants apart.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const admin = { authorization: 'Bearer test-admin-key-0123456789' };

describe('native call API on a running node', () => {
  let node: TestNode;
  before(async () => { node = await startNode(); });
  after(async () => {
    await node.stop();
    rmSync(node.dir, { recursive: true, force: true });
  });

  it('serves calls, recordings, CDRs and events from the node\'s services; idempotency is wired', async () => {
    const http = node.server.http;
    const created = await http.inject({ method: 'POST', url: '/v1/applications', headers: { ...admin, 'idempotency-key': 'make-app-1' }, payload: { name: 'node-app' } });
    assert.equal(created.statusCode, 201, created.body);
    const again = await http.inject({ method: 'POST', url: '/v1/applications', headers: { ...admin, 'idempotency-key': 'make-app-1' }, payload: { name: 'node-app' } });
    assert.equal(again.statusCode, 201, 'replayed, not APPLICATION_CONFLICT');
    assert.equal(again.json().application.id, created.json().application.id);
    const key = { authorization: `Bearer ${created.json().apiKey.key}` };
    for (const url of ['/v1/calls', '/v1/recordings', '/v1/cdrs', '/v1/events?since=0']) {
      const res = await http.inject({ method: 'GET', url, headers: key });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      assert.deepEqual(res.json().items, [], url);
    }
    const missing = await http.inject({ method: 'POST', url: '/v1/calls/00000000-0000-0000-0000-000000000000/play', headers: key, payload: { sources: [{ kind: 'silence', durationMs: 100 }] } });
    assert.equal(missing.statusCode, 404, missing.body);
    assert.equal(missing.json().error.code, 'CALL_NOT_FOUND');
    const op = await http.inject({ method: 'GET', url: '/v1/operations/nope', headers: key });
    assert.equal(op.json().error.code, 'OPERATION_NOT_FOUND');
  });
});
