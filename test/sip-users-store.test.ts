// SIP users created through the native API register at once (the registrar's digest check
// reads the tenancy store, no restart), with a password or an HA1; a wrong password or a
// deleted user is refused. Peer: SIPp as the registering phone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { explain, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const ADMIN = { authorization: 'Bearer test-admin-key-0123456789', 'content-type': 'application/json' };

describe('SIP users from the tenancy store register through the registrar', { skip: !sippAvailable() && 'sipp not installed' }, () => {
  let node: TestNode;
  before(async () => {
    // Nothing trusted; SIPp 3.6 answers only MD5, so MD5 is offered first.
    node = await startNode({ yaml: 'sip:\n  trusted: []\n  digestAlgorithms: [MD5, SHA-256]\n' });
  });
  after(() => node?.stop());

  async function createUser(body: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${node.http}/v1/sip-users`, { method: 'POST', headers: ADMIN, body: JSON.stringify(body) });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }
  const register = (user: string, password: string, scenario = 'uac-register-user.xml') =>
    runSipp({ scenario, target: node.sip, service: user, args: ['-au', user, '-ap', password], timeoutMs: 10000 });
  const bindings = (user: string) =>
    (node.server.service('sip') as unknown as { lookupBindings(aor: string): Promise<unknown[]> }).lookupBindings(`sip:${user}@${node.sip}`);

  test('a user created through POST /v1/sip-users registers at once; a wrong password is refused', async () => {
    await createUser({ username: 'carol', password: 'carol-secret-1' });
    const ok = await register('carol', 'carol-secret-1');
    assert.equal(ok.code, 0, explain(ok));
    assert.equal((await bindings('carol')).length, 1);
    const bad = await register('carol', 'not-her-password', 'uac-register-refused.xml');
    assert.equal(bad.code, 0, explain(bad));
    assert.doesNotMatch(bad.messages, /SIP\/2.0 200/);
  });

  test('a user stored with an MD5 HA1 for the node realm registers', async () => {
    const ha1 = createHash('md5').update(`dave:${node.config.sip.realm}:dave-secret-1`).digest('hex');
    await createUser({ username: 'dave', ha1 });
    const ok = await register('dave', 'dave-secret-1');
    assert.equal(ok.code, 0, explain(ok));
  });

  test('a deleted user can no longer register; a changed password counts at once', async () => {
    const id = await createUser({ username: 'erin', password: 'erin-secret-1' });
    assert.equal((await register('erin', 'erin-secret-1')).code, 0);
    const patch = await fetch(`${node.http}/v1/sip-users/${id}`, { method: 'PATCH', headers: ADMIN, body: JSON.stringify({ password: 'erin-secret-2' }) });
    assert.equal(patch.status, 200, await patch.text());
    const old = await register('erin', 'erin-secret-1', 'uac-register-refused.xml');
    assert.equal(old.code, 0, explain(old));
    assert.equal((await register('erin', 'erin-secret-2')).code, 0);
    const del = await fetch(`${node.http}/v1/sip-users/${id}`, { method: 'DELETE', headers: { authorization: ADMIN.authorization } });
    assert.equal(del.status, 204);
    const gone = await register('erin', 'erin-secret-2', 'uac-register-refused.xml');
    assert.equal(gone.code, 0, explain(gone));
    assert.doesNotMatch(gone.messages, /SIP\/2.0 200/);
  });
});
