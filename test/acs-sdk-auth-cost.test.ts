// What ACS HMAC auth costs on a running node, driven by the official SDK (1.5.1 and 1.6.0):
// three applications with three active keys each (nine keys the signature could be made with);
// each key authenticates its own SDK client; once a client has been seen, each of its requests
// costs one HMAC (counted by the face: src/faces/acs/acs-key-matcher.ts), even with the clients
// interleaved; a revoked key — the last good key on its client's connection — is refused at the
// first request after the key cache (1 s), and the other clients are not slowed by it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { acsFaceOf } from '../src/server/acs-wiring.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const require = createRequire(import.meta.url);
const ADMIN_KEY = 'test-admin-key-0123456789';

async function api(node: TestNode, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${node.http}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return text ? JSON.parse(text) : undefined;
}

describe('ACS HMAC auth cost: one HMAC per request in the common case', { timeout: 30_000 }, () => {
  let node: TestNode;
  /** Keys active on the node (the SDK runs share it). */
  let active = 0;
  before(async () => { node = await startNode(); });
  /** Three new applications with three active keys each. */
  async function issueKeys(tag: string): Promise<{ appId: string; keyId: string; key: string }[]> {
    const keys: { appId: string; keyId: string; key: string }[] = [];
    for (let a = 0; a < 3; a++) {
      const app = await api(node, 'POST', '/v1/applications', { name: `cost-bot-${tag}-${a}` });
      for (let k = 0; k < 3; k++) {
        const issued = await api(node, 'POST', `/v1/applications/${app.application.id}/acs-keys`, {});
        keys.push({ appId: app.application.id, keyId: issued.id, key: issued.key });
        active++;
      }
    }
    return keys;
  }
  after(async () => { await node?.stop(); });

  const stats = () => ({ ...acsFaceOf(node.server.http)!.authStats });

  for (const v of ['acs-sdk-151', 'acs-sdk-160'] as const) {
    test(`${v}: nine keys of three applications each authenticate; then one HMAC per request; a revoked key fails`, async () => {
      const sdk = require(v) as typeof import('acs-sdk-160');
      const keys = await issueKeys(v);
      // Each client works on its own call (ids of calls that do not exist: 404 after auth).
      const status = (c: InstanceType<typeof sdk.CallAutomationClient>) =>
        c.getCallConnection(`no-such-call-${v}-${clients.indexOf(c)}`).getCallConnectionProperties().then(() => 200, (e: { statusCode?: number; code?: string }) => `${e.statusCode} ${e.code}`);
      const clients = keys.map((k) => new sdk.CallAutomationClient(`endpoint=${node.http}/;accesskey=${k.key}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } }));

      // First contact: every key authenticates (404 = past auth, the call does not exist).
      for (const c of clients) assert.equal(await status(c), '404 NotFound');

      // Interleaved, five rounds. The SDK shares one keep-alive pool per process, so the nine
      // clients' requests share sockets and the peer address: the call id in the path is the hint.
      const s0 = stats();
      for (let round = 0; round < 5; round++) for (const c of clients) assert.equal(await status(c), '404 NotFound');
      const s1 = stats();
      assert.equal(s1.requests - s0.requests, 45);
      assert.equal(keys.length, 9);
      const perRequest = (s1.hmacs - s0.hmacs) / (s1.requests - s0.requests);
      console.log(`${v}: ${s1.hmacs - s0.hmacs} HMACs for ${s1.requests - s0.requests} requests (${perRequest.toFixed(2)} per request) with ${keys.length} keys of this test active`);
      assert.ok(perRequest <= 1.1, `common case ≈ 1 HMAC per request (got ${perRequest})`);
      assert.ok(s1.keyReads - s0.keyReads <= 3, 'the keys are read at most about once a second');

      // Revoke one key (the last good key on its client's connection): after the key cache's
      // 1 s its very first request is refused, and costs the remaining keys, not the hint.
      const victim = 4;
      const [gone] = keys.splice(victim, 1);
      const goneClient = clients[victim];
      const del = await fetch(`${node.http}/v1/applications/${gone.appId}/acs-keys/${gone.keyId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(del.status, 204);
      active--;
      await new Promise((r) => setTimeout(r, 1100));
      const s2 = stats();
      assert.equal(await status(goneClient), '401 Unauthorized');
      const s3 = stats();
      assert.equal(s3.hmacs - s2.hmacs, active, 'each remaining active key once (the reread after the mismatch tries no key twice); the revoked hint never');
      // The other clients still cost one HMAC each.
      const others = clients.filter((c) => c !== goneClient);
      for (const c of others) assert.equal(await status(c), '404 NotFound');
      assert.equal(stats().hmacs - s3.hmacs, others.length);
    });
  }
});
