// ACS access key management on a running node (no SIP peer needed): the native admin routes
// (issue, list, revoke, a literal key, the IncomingCall URL; admin only), the CLI
// `switchboard apps acs-keys list|create|revoke`, and YAML `applications[].acsAccessKeys` /
// `acsIncomingCallUrl` applied idempotently across a restart. Each key is proven by the official
// SDK (1.6.0): an issued key authenticates (404 NotFound for a call that does not exist), a
// revoked one gets 401 within the face's one-second key cache.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { main } from '../src/cli/main.ts';
import type { CliIo } from '../src/cli/command.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

const require = createRequire(import.meta.url);
const sdk = require('acs-sdk-160') as typeof import('acs-sdk-160');
const ADMIN_KEY = 'test-admin-key-0123456789';

/** Status the SDK sees for an authenticated request about a call that does not exist. */
async function sdkStatus(node: TestNode, key: string): Promise<number | undefined> {
  const c = new sdk.CallAutomationClient(`endpoint=${node.http}/;accesskey=${key}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
  return c.getCallConnection('no-such-call').getCallConnectionProperties().then(() => 200, (e: { statusCode?: number }) => e.statusCode);
}

async function api(node: TestNode, method: string, path: string, body?: unknown, key = ADMIN_KEY): Promise<{ status: number; json: any }> {
  const r = await fetch(`${node.http}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

const waitPastKeyCache = () => new Promise((r) => setTimeout(r, 1100));

describe('ACS access keys: admin routes, CLI, YAML', { timeout: 60_000 }, () => {
  const declaredKey = randomBytes(32).toString('base64');
  let node: TestNode;
  let appId: string;
  let appApiKey: string;
  before(async () => {
    node = await startNode({
      yaml: `
applications:
  - name: declared-bot
    acsAccessKeys: ["${declaredKey}"]
    acsIncomingCallUrl: "http://127.0.0.1:9/eventgrid"
`,
    });
    const created = await api(node, 'POST', '/v1/applications', { name: 'routes-bot' });
    assert.equal(created.status, 201);
    appId = created.json.application.id;
    appApiKey = created.json.apiKey.key;
  });
  after(async () => { await node?.stop(); });

  test('admin issues, lists and revokes keys; an issued key authenticates the SDK, a revoked one is refused', async () => {
    const a = await api(node, 'POST', `/v1/applications/${appId}/acs-keys`, {});
    assert.equal(a.status, 201, JSON.stringify(a.json));
    assert.equal(Buffer.from(a.json.key, 'base64').length, 32);
    const b = await api(node, 'POST', `/v1/applications/${appId}/acs-keys`);
    assert.equal(b.status, 201);
    const list = await api(node, 'GET', `/v1/applications/${appId}/acs-keys`);
    assert.deepEqual(list.json.items.map((k: { id: string }) => k.id), [a.json.id, b.json.id]);
    assert.ok(list.json.items.every((k: { revokedAt: unknown }) => k.revokedAt === null));

    // Both active at once (rotation): each authenticates.
    assert.equal(await sdkStatus(node, a.json.key), 404);
    assert.equal(await sdkStatus(node, b.json.key), 404);

    assert.equal((await api(node, 'DELETE', `/v1/applications/${appId}/acs-keys/${a.json.id}`)).status, 204);
    // An ACS key has its own catalog code: API_KEY_NOT_FOUND names the native API keys, and
    // pointing an operator at GET …/api-keys would send them to the wrong list.
    const again = await api(node, 'DELETE', `/v1/applications/${appId}/acs-keys/${a.json.id}`);
    assert.equal(again.status, 404, 'already revoked');
    assert.equal(again.json.error.code, 'ACS_KEY_NOT_FOUND');
    const unknown = await api(node, 'DELETE', `/v1/applications/${appId}/acs-keys/00000000-0000-0000-0000-000000000000`);
    assert.equal(unknown.status, 404, 'never issued');
    assert.equal(unknown.json.error.code, 'ACS_KEY_NOT_FOUND');
    assert.match(unknown.json.error.message, /00000000-0000-0000-0000-000000000000/);
    // An unknown application stays APPLICATION_NOT_FOUND (checked before the key).
    assert.equal((await api(node, 'DELETE', `/v1/applications/nope/acs-keys/${b.json.id}`)).json.error.code, 'APPLICATION_NOT_FOUND');
    await waitPastKeyCache();
    assert.equal(await sdkStatus(node, a.json.key), 401);
    assert.equal(await sdkStatus(node, b.json.key), 404);
    const after = await api(node, 'GET', `/v1/applications/${appId}/acs-keys`);
    assert.equal(typeof after.json.items[0].revokedAt, 'number');
  });

  test('a literal key is stored as given; a bad one is 400; unknown application 404; application keys are refused', async () => {
    const literal = randomBytes(20).toString('base64');
    const ok = await api(node, 'POST', `/v1/applications/${appId}/acs-keys`, { key: literal });
    assert.equal(ok.status, 201);
    assert.equal(ok.json.key, literal);
    assert.equal(await sdkStatus(node, literal), 404);
    assert.equal((await api(node, 'POST', `/v1/applications/${appId}/acs-keys`, { key: 'c2hvcnQ=' })).status, 400);
    assert.equal((await api(node, 'POST', '/v1/applications/nope/acs-keys', {})).status, 404);
    assert.equal((await api(node, 'GET', `/v1/applications/${appId}/acs-keys`, undefined, appApiKey)).status, 403);
    assert.equal((await api(node, 'POST', `/v1/applications/${appId}/acs-keys`, {}, appApiKey)).status, 403);
  });

  test('the IncomingCall URL is read and set through the admin API; a non-http URL is 400', async () => {
    assert.deepEqual((await api(node, 'GET', `/v1/applications/${appId}/acs-incoming-call-url`)).json, { url: null });
    assert.equal((await api(node, 'PUT', `/v1/applications/${appId}/acs-incoming-call-url`, { url: 'https://bot.example/eg' })).status, 200);
    assert.deepEqual((await api(node, 'GET', `/v1/applications/${appId}/acs-incoming-call-url`)).json, { url: 'https://bot.example/eg' });
    assert.equal((await api(node, 'PUT', `/v1/applications/${appId}/acs-incoming-call-url`, { url: 'ftp://x' })).status, 400);
    assert.equal((await api(node, 'PUT', `/v1/applications/${appId}/acs-incoming-call-url`, { url: null })).status, 200);
    assert.deepEqual((await api(node, 'GET', `/v1/applications/${appId}/acs-incoming-call-url`)).json, { url: null });
  });

  test('CLI: apps acs-keys create / list / revoke; usage errors exit 2', async () => {
    const cli = async (argv: string[]) => {
      const r = { out: '', err: '' };
      const io: CliIo = { env: { SWITCHBOARD_URL: node.http, SWITCHBOARD_API_KEY: ADMIN_KEY }, stdout: (t) => { r.out += t; }, stderr: (t) => { r.err += t; } };
      return { code: await main(argv, io), ...r };
    };
    const created = await cli(['apps', 'acs-keys', 'create', appId, '--json']);
    assert.equal(created.code, 0, created.err);
    const k = JSON.parse(created.out) as { id: string; key: string };
    assert.equal(await sdkStatus(node, k.key), 404);
    const plain = await cli(['apps', 'acs-keys', 'create', appId]);
    assert.equal(plain.code, 0, plain.err);
    assert.match(plain.out, new RegExp(`connection string: endpoint=${node.http}/;accesskey=`));
    const list = await cli(['apps', 'acs-keys', 'list', appId]);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^ID\s+KEY\s+CREATED\s+REVOKED/);
    assert.ok(list.out.includes(k.id) && list.out.includes(k.key));
    const revoked = await cli(['apps', 'acs-keys', 'revoke', appId, k.id]);
    assert.equal(revoked.code, 0, revoked.err);
    assert.equal(revoked.out, `revoked ${k.id}\n`);
    await waitPastKeyCache();
    assert.equal(await sdkStatus(node, k.key), 401);
    const again = await cli(['apps', 'acs-keys', 'revoke', appId, k.id]);
    assert.equal(again.code, 1);
    assert.match(again.err, /ACS_KEY_NOT_FOUND/);
    assert.equal((await cli(['apps', 'acs-keys', 'revoke', appId])).code, 2);
    assert.equal((await cli(['apps', 'acs-keys'])).code, 2);
    // The ordinary resource verbs still work.
    assert.equal((await cli(['apps', 'get', appId, '--json'])).code, 0);
  });

  test('YAML acsAccessKeys authenticates, acsIncomingCallUrl is set; a restart on the same data adds nothing', async () => {
    assert.equal(await sdkStatus(node, declaredKey), 404);
    const apps = (await api(node, 'GET', '/v1/applications')).json.items as { id: string; name: string }[];
    const declared = apps.find((x) => x.name === 'declared-bot')!;
    assert.deepEqual((await api(node, 'GET', `/v1/applications/${declared.id}/acs-incoming-call-url`)).json, { url: 'http://127.0.0.1:9/eventgrid' });
    const dir = node.dir;
    await node.stop();
    node = await startNode({ dir, yaml: `
applications:
  - name: declared-bot
    acsAccessKeys: ["${declaredKey}"]
` });
    const keys = (await api(node, 'GET', `/v1/applications/${declared.id}/acs-keys`)).json.items as { key: string; revokedAt: unknown }[];
    assert.equal(keys.length, 1, 'not duplicated');
    assert.equal(keys[0].key, declaredKey);
    assert.equal(await sdkStatus(node, declaredKey), 404);
    // acsIncomingCallUrl absent from the file: left as it was.
    assert.deepEqual((await api(node, 'GET', `/v1/applications/${declared.id}/acs-incoming-call-url`)).json, { url: 'http://127.0.0.1:9/eventgrid' });
  });

  test('YAML: a malformed acsAccessKeys entry fails the start naming the application', async () => {
    await assert.rejects(startNode({ yaml: `
applications:
  - name: broken
    acsAccessKeys: ["not base64!"]
` }), /acsAccessKeys/);
  });
});
