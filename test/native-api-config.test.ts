// Config-file declarations on a live node: applications (literal keys, numbers, SIP users)
// and trunks are applied at start, the keys work against the API, a restart with the same
// file duplicates nothing, an edited file updates in place, and shape errors name the path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/server/index.ts';
import { startNode } from './helpers/switchboard.ts';

const ADMIN = { authorization: 'Bearer test-admin-key-0123456789' };
const KEY = 'declared-key-0123456789abcdef';

const yaml = (port: number): string => `
applications:
  - name: gitops-bot
    callbackUrl: https://hooks.example/sb
    apiKeys: [${KEY}]
    limits: { maxConcurrentCalls: 10, allowedDestinationPrefixes: ["+44"] }
    numbers:
      - "+4930777000"
      - number: sip:ivr@example.com
        routeTo: { type: robot, target: ivr }
    sipUsers:
      - { username: desk-7, password: desk-7-password }
trunks:
  - name: carrier
    host: sip.carrier.example
    port: ${port}
    username: acct
    password: pw
    inboundSources: [203.0.113.0/24]
`;

async function get(http: string, path: string, headers: Record<string, string>): Promise<any> {
  const res = await fetch(`${http}${path}`, { headers });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

test('declarations apply at start, survive a restart without duplicates, and follow edits', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-declared-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  let node = await startNode({ dir, yaml: yaml(5060) });
  try {
    const asApp = { authorization: `Bearer ${KEY}` };
    const apps = await get(node.http, '/v1/applications', asApp);
    assert.equal(apps.items.length, 1);
    assert.deepEqual(apps.items[0].limits, { maxConcurrentCalls: 10, callsPerSecond: null, allowedDestinationPrefixes: ['+44'], recordingRetentionDays: null });
    assert.deepEqual((await get(node.http, '/v1/numbers', asApp)).items.map((n: { number: string }) => n.number), ['+4930777000', 'sip:ivr@example.com']);
    assert.deepEqual((await get(node.http, '/v1/sip-users', asApp)).items.map((u: { username: string }) => u.username), ['desk-7']);
    const trunks = (await get(node.http, '/v1/trunks', ADMIN)).items;
    assert.deepEqual(trunks.map((x: { name: string; port: number; applicationId: null }) => [x.name, x.port, x.applicationId]), [['carrier', 5060, null]]);
  } finally {
    await node.stop();
  }

  // Same file, same data: nothing new. Then an edited file: updated in place.
  for (const port of [5060, 5080]) {
    node = await startNode({ dir, yaml: yaml(port) });
    try {
      assert.equal((await get(node.http, '/v1/applications', ADMIN)).items.length, 1);
      assert.equal((await get(node.http, '/v1/numbers', ADMIN)).items.length, 2);
      assert.equal((await get(node.http, '/v1/sip-users', ADMIN)).items.length, 1);
      const trunks = (await get(node.http, '/v1/trunks', ADMIN)).items;
      assert.deepEqual(trunks.map((x: { port: number }) => x.port), [port]);
      const app = (await get(node.http, '/v1/applications', ADMIN)).items[0];
      const keys = (await get(node.http, `/v1/applications/${app.id}/api-keys`, ADMIN)).items;
      assert.equal(keys.filter((k: { revokedAt: number | null }) => k.revokedAt === null).length, 1, 'one active key: the declared one');
    } finally {
      await node.stop();
    }
  }
});

test('a declaration with a domain error fails the start with a readable message', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-declared-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(
    startNode({ dir, yaml: 'applications:\n  - name: bad\n    numbers: ["030 1234"]\n' }),
    /config file declarations: \/number: must be an E\.164 number/,
  );
});

test('shape errors in applications/trunks are configuration errors naming the YAML path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-declared-shape-'));
  try {
    const cases: [string, string][] = [
      ['applications:\n  - callbackUrl: https://x\n', 'applications[0].name'],
      ['applications:\n  - name: a\n    apiKey: [x]\n', 'applications[0].apiKey'],
      ['applications:\n  - name: a\n    numbers:\n      - number: "+4930"\n        routeTo: { target: x }\n', 'applications[0].numbers[0].routeTo.type'],
      ['trunks:\n  - name: t\n    host: h\n    port: "5060"\n', 'trunks[0].port'],
      ['trunks: { name: t }\n', 'trunks'],
    ];
    for (const [text, key] of cases) {
      writeFileSync(join(dir, 'switchboard.yaml'), text);
      assert.throws(() => loadConfig({}, { cwd: dir, detectPublicHost: () => '192.0.2.1' }),
        (e: unknown) => e instanceof ConfigError && e.key === key, `${key} for:\n${text}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
