// Registrar bindings are kept in the node's database: a phone registered before a restart
// is still reachable after it (RFC 3261 §10.3 bindings live until they expire, not until
// the process does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode } from './helpers/switchboard.ts';

if (!sippAvailable() && process.env.CI === 'true') throw new Error('sipp is not installed (apt package sip-tester)');

const YAML = 'sip:\n  trusted: []\n  digestAlgorithms: [MD5]\n  users:\n    - { username: alice, password: wonderland }\n';

test('a REGISTER binding survives a restart of the node', { skip: !sippAvailable() && 'sipp not installed' }, async () => {
  const first = await startNode({ yaml: YAML });
  const aor = `sip:alice@${first.sip}`;
  let r;
  try {
    r = await runSipp({ scenario: 'uac-register-only.xml', target: first.sip, service: 'alice' });
    assert.equal(r.code, 0, explain(r));
  } finally {
    await first.stop();
  }
  const second = await startNode({ yaml: YAML, dir: first.dir });
  try {
    const svc = second.server.service('sip') as unknown as { lookupBindings(aor: string): Promise<{ contact: string; expiresAt: number }[]> };
    const bindings = await svc.lookupBindings(aor);
    assert.equal(bindings.length, 1, `binding for ${aor}`);
    assert.match(bindings[0].contact, /^sip:alice@127\.0\.0\.1:\d+/);
    assert.ok(bindings[0].expiresAt > Date.now() + 500_000, 'about 600 s left');
  } finally {
    await second.stop();
  }
});
