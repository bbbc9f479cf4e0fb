// `switchboard call|calls|cdrs|recordings` against a real node started in this process: a
// test call from the CLI to the node's own diagnostic answer target (sip:answer@…) — answered,
// TTS played, hung up, progress printed — then the call and its CDR read back with and
// without --json, the admin key refused for `call`, and readable errors.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { main } from '../src/cli/main.ts';
import type { CliIo } from '../src/cli/command.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

interface Run { code: number | 'running'; out: string; err: string }

describe('CLI calls, cdrs, recordings and call against a live node', () => {
  let node: TestNode;
  let admin: NodeJS.ProcessEnv;
  let asApp: NodeJS.ProcessEnv;

  before(async () => {
    node = await startNode();
    admin = { SWITCHBOARD_URL: node.http, SWITCHBOARD_API_KEY: node.server.adminKey };
    const created = await cli(['apps', 'create', 'cli-calls', '--json'], admin);
    assert.equal(created.code, 0, created.err);
    asApp = { SWITCHBOARD_URL: node.http, SWITCHBOARD_API_KEY: JSON.parse(created.out).apiKey.key };
  });
  after(async () => {
    await node.stop();
    rmSync(node.dir, { recursive: true, force: true });
  });

  async function cli(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
    const r = { out: '', err: '' };
    const io: CliIo = { env, stdout: (t) => { r.out += t; }, stderr: (t) => { r.err += t; } };
    const code = await main(argv, io);
    return { code, ...r };
  }

  it('call <sip:answer@node> --say: answered, spoken, hung up, with progress; then calls/cdrs show it', { timeout: 20_000 }, async () => {
    const r = await cli(['call', `sip:answer@${node.sip}`, '--say', 'Hello from the test.', '--timeout', '15'], asApp);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    assert.match(r.out, /^calling sip:answer@/m);
    const callId = /^call (\S+): ringing$/m.exec(r.out)?.[1];
    assert.ok(callId, r.out);
    assert.match(r.out, /^answered; speaking …$/m);
    assert.match(r.out, /^said it$/m);
    assert.match(r.out, /^hung up \(normal\)$/m);

    const list = await cli(['calls', 'list'], asApp);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^ID\s+DIRECTION\s+STATE\s+FROM\s+TO\s+CREATED\s+END REASON$/m);
    assert.match(list.out, new RegExp(`^${callId}\\s+outbound\\s+ended\\s`, 'm'));
    const get = await cli(['calls', 'get', callId, '--json'], asApp);
    assert.equal(JSON.parse(get.out).id, callId);
    assert.equal(JSON.parse(get.out).direction, 'outbound');

    const cdrs = await cli(['cdrs', 'list', '--call-id', callId, '--json'], asApp);
    assert.equal(cdrs.code, 0, cdrs.err);
    const items = JSON.parse(cdrs.out).items as { kind: string; callId: string; endReason: string }[];
    assert.equal(items.filter((c) => c.kind === 'call').length, 1);
    assert.equal(items[0].callId, callId);
    const cdr = await cli(['cdrs', 'get', callId], asApp);
    assert.equal(cdr.code, 0, cdr.err);
    assert.match(cdr.out, new RegExp(`^callId: ${callId}$`, 'm'));

    const recs = await cli(['recordings', 'list', '--call-id', callId, '--json'], asApp);
    assert.equal(recs.code, 0, recs.err);
    assert.deepEqual(JSON.parse(recs.out).items, []);
  });

  it('call with the admin key is refused with a readable reason', async () => {
    const r = await cli(['call', 'sip:answer@127.0.0.1', '--app-key', node.server.adminKey], { SWITCHBOARD_URL: node.http });
    assert.equal(r.code, 1);
    assert.match(r.err, /admin key; a call belongs to an application/);
    const none = await cli(['call', 'sip:answer@127.0.0.1'], { SWITCHBOARD_URL: node.http });
    assert.equal(none.code, 2);
    assert.match(none.err, /needs an application's API key/);
  });

  it('readable errors: bad target, unknown call, another application cannot see the call', async () => {
    const bad = await cli(['call', 'bob'], asApp);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /neither an E\.164 number/);
    const missing = await cli(['calls', 'get', 'nope'], asApp);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^switchboard calls: CALL_NOT_FOUND: /);
    const hang = await cli(['calls', 'hangup', 'nope'], asApp);
    assert.match(hang.err, /CALL_NOT_FOUND/);
    const other = await cli(['apps', 'create', 'cli-other', '--json'], admin);
    const otherEnv = { SWITCHBOARD_URL: node.http, SWITCHBOARD_API_KEY: JSON.parse(other.out).apiKey.key };
    const seen = await cli(['calls', 'list', '--json'], otherEnv);
    assert.deepEqual(JSON.parse(seen.out).items, []);
    const dl = await cli(['recordings', 'download', 'nope'], asApp);
    assert.equal(dl.code, 1);
    assert.match(dl.err, /RECORDING_NOT_FOUND/);
    const usage = await cli(['cdrs', 'frobnicate'], asApp);
    assert.equal(usage.code, 2);
  });
});
