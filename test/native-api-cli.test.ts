// The `switchboard apps|numbers|trunks|sip-users` commands against a real node started in
// this process (HTTP on an ephemeral loopback port): create/list/get/delete with and without
// --json, the admin key read from the data dir, an application key's narrower view, and
// readable errors (unreachable node, wrong key, validation details, usage).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../src/cli/main.ts';
import type { CliIo } from '../src/cli/command.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

interface Run { code: number | 'running'; out: string; err: string }

describe('CLI resource commands against a live node', () => {
  let node: TestNode;
  let baseEnv: NodeJS.ProcessEnv;

  before(async () => {
    node = await startNode();
    // No SWITCHBOARD_API_KEY: the CLI reads <dataDir>/admin-key, like an operator on the node.
    baseEnv = { SWITCHBOARD_URL: node.http, SWITCHBOARD_DATA_DIR: node.config.dataDir };
  });
  after(async () => {
    await node.stop();
    rmSync(node.dir, { recursive: true, force: true });
  });

  async function cli(argv: string[], env: NodeJS.ProcessEnv = baseEnv): Promise<Run> {
    const r = { out: '', err: '' };
    const io: CliIo = { env, stdout: (t) => { r.out += t; }, stderr: (t) => { r.err += t; } };
    const code = await main(argv, io);
    return { code, ...r };
  }

  it('apps create prints the key once; list/get/delete work in table and --json form', async () => {
    // The admin key file exists only when the key was generated; write the configured one.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(node.config.dataDir, 'admin-key'), `${node.server.adminKey}\n`);
    const created = await cli(['apps', 'create', 'CLI bot', '--callback-url', 'https://cli.example/hook']);
    assert.equal(created.code, 0, created.err);
    const key = /API key \(shown once, store it now\): (sb_\S+)/.exec(created.out)?.[1];
    assert.ok(key, created.out);
    const id = /created application (app_\S+)/.exec(created.out)![1];

    const list = await cli(['apps', 'list']);
    assert.equal(list.code, 0);
    assert.match(list.out, /^ID\s+NAME\s+CALLBACK URL$/m);
    assert.match(list.out, new RegExp(`^${id}\\s+CLI bot\\s+https://cli\\.example/hook$`, 'm'));
    const json = await cli(['apps', 'list', '--json']);
    assert.deepEqual(JSON.parse(json.out).items.map((a: { id: string }) => a.id), [id]);
    const get = await cli(['apps', 'get', id, '--json']);
    assert.equal(JSON.parse(get.out).name, 'CLI bot');
    assert.ok(!get.out.includes(key));

    // The application's own key sees its own numbers only.
    const asApp = { ...baseEnv, SWITCHBOARD_API_KEY: key };
    const num = await cli(['numbers', 'create', '+4930555000', '--json'], asApp);
    assert.equal(num.code, 0, num.err);
    const numId = JSON.parse(num.out).id;
    const other = await cli(['numbers', 'create', '+4930555999', '--route', 'diagnostic', '--target', 'answer']);
    assert.equal(other.code, 0, other.err);
    const appList = await cli(['numbers', 'list'], asApp);
    assert.match(appList.out, /\+4930555000\s+application/);
    assert.doesNotMatch(appList.out, /\+4930555999/);
    assert.match((await cli(['numbers', 'list'])).out, /\+4930555999\s+diagnostic:answer/);

    const trunk = await cli(['trunks', 'create', 'carrier', '--host', 'sip.carrier.example', '--port', '5070', '--username', 'u', '--password', 'pw-secret', '--register']);
    assert.equal(trunk.code, 0, trunk.err);
    assert.match(trunk.out, /^port: 5070$/m);
    assert.doesNotMatch(trunk.out, /pw-secret/);
    const user = await cli(['sip-users', 'create', 'desk-1', '--password', 'desk-pass-1', '--app', id, '--json']);
    assert.equal(JSON.parse(user.out).applicationId, id);
    assert.match((await cli(['sip-users', 'list'], asApp)).out, /desk-1\s+password/);

    const del = await cli(['numbers', 'delete', numId], asApp);
    assert.deepEqual([del.code, del.out], [0, `deleted ${numId}\n`]);
    const gone = await cli(['numbers', 'get', numId], asApp);
    assert.equal(gone.code, 1);
    assert.equal(gone.err, `switchboard numbers: NUMBER_NOT_FOUND: No number ${numId}\n`);
    assert.equal((await cli(['apps', 'delete', id])).code, 0);
  });

  it('reports errors readably: validation details, 401, 403, unreachable node, usage', async () => {
    const bad = await cli(['numbers', 'create', 'nope', '--route', 'diagnostic', '--target', 'answer']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^switchboard numbers: VALIDATION_FAILED: .*\n {2}\/number: must be an E\.164 number/);
    const wrong = await cli(['trunks', 'list'], { ...baseEnv, SWITCHBOARD_API_KEY: 'sb_wrong_key_wrong_key' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /UNAUTHORIZED: A valid API key is required/);
    const created = await cli(['apps', 'create', 'forbidden-test', '--json']);
    const key = JSON.parse(created.out).apiKey.key;
    const forbidden = await cli(['apps', 'create', 'x'], { ...baseEnv, SWITCHBOARD_API_KEY: key });
    assert.match(forbidden.err, /FORBIDDEN: This action needs the admin key/);
    const down = await cli(['apps', 'list'], { ...baseEnv, SWITCHBOARD_URL: 'http://127.0.0.1:1' });
    assert.equal(down.code, 1);
    assert.match(down.err, /^switchboard apps: cannot reach http:\/\/127\.0\.0\.1:1: /);
    const nokey = await cli(['apps', 'list'], { SWITCHBOARD_URL: node.http, SWITCHBOARD_DATA_DIR: join(node.dir, 'nowhere') });
    assert.match(nokey.err, /no API key: set SWITCHBOARD_API_KEY/);
    assert.equal((await cli(['apps', 'frob'])).code, 2);
    assert.equal((await cli(['trunks', 'create', 'x'])).code, 2, 'missing --host is a usage error');
    assert.equal((await cli(['apps', '--nope'])).code, 2);
    const help = await cli(['--help']);
    assert.match(help.out, /^ {2}sip-users +list, create/m);
  });
});
