// Calls through the core with real SIP peers, driven directly on the node's CallService (no
// HTTP): the adapters (SipChannel, EngineMediaEndpoint, SipChannelFactory) and inbound routing.
//  - SIPp calls a number the config file gives an application; the test answers, recognizes
//    the digit 5 SIPp keys as RFC 4733, SIPp hangs up; the CDR says the remote ended it (200);
//  - an unknown number gets 404, a diagnostic target still answers;
//  - outbound createCall to a phone number goes through the trunk to a SIPp UAS that challenges
//    with digest and verifies the credentials (verifyauth); answered, a tone played, hung up by us;
//  - blind transfer (bridge) of an inbound SIPp call to a second SIPp UAS by SIP URI; when the
//    caller hangs up, the transfer target gets BYE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { loadConfig, SwitchboardServer } from '../src/server/index.ts';
import { createEventsService } from '../src/server/events-service.ts';
import { SipService } from '../src/server/sip-service.ts';
import { nullLogger } from '../src/lib/index.ts';
import { applicationPrincipal, type Call, type CallService, type Principal } from '../src/core/index.ts';

const haveSipp = sippAvailable();
const NUMBER = '+4930111222';

interface Node {
  server: SwitchboardServer;
  sip: SipService;
  calls: CallService;
  target: string;
  principal: Principal;
  trunkPort: number;
}

async function start(): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-calls-'));
  const trunkPort = await freeUdpPort();
  writeFileSync(join(dir, 'switchboard.yaml'), `
applications:
  - name: bot
    apiKeys: ["calls-test-key-0123456789abcdef"]
    limits:
      allowedDestinationPrefixes: ["+49"]
    numbers:
      - "${NUMBER}"
trunks:
  - name: carrier
    host: 127.0.0.1
    port: ${trunkPort}
    transport: udp
    username: acct
    password: s3cret
    callerIdRules:
      - { matchPrefix: "+49", stripDigits: 3, prepend: "0" }
`);
  const config = loadConfig({
    SWITCHBOARD_DATA_DIR: join(dir, 'data'), SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_SIP_PORT: '0', SWITCHBOARD_SIP_WS_PORT: '0',
    SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789',
    SWITCHBOARD_LOG_LEVEL: 'silent', SWITCHBOARD_CONFIG: join(dir, 'switchboard.yaml'),
  }, { cwd: dir });
  // One media worker: a bridge needs both endpoints in the same worker (see docs/adapters.md).
  const server = await SwitchboardServer.start(config, {
    logger: nullLogger, print: () => {},
    services: [(ctx) => new SipService(ctx, { mediaWorkers: 1 }), createEventsService],
  });
  const sip = server.service<SipService>('sip')!;
  const apps = await sip.callsWiring!.store.tenancy.applications.list();
  const app = apps.find((a) => a.name === 'bot');
  assert.ok(app, 'declared application exists');
  return { server, sip, calls: sip.calls, target: `127.0.0.1:${sip.ports.udp}`, principal: applicationPrincipal(app.id), trunkPort };
}

async function cdrsOf(node: Node, callId: string) {
  const store = node.sip.callsWiring!.store;
  for (let i = 0; i < 50; i++) {
    const rows = await store.calls.cdrs.list({ callId });
    if (rows.some((r) => r.kind === 'call')) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  return store.calls.cdrs.list({ callId });
}

/** Waits (bounded) until the call is ended: its 'ended' event may already have fired. */
async function ended(call: Call): Promise<void> {
  for (let i = 0; i < 100 && call.state !== 'ended'; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(call.state, 'ended');
}

describe('calls through the core with SIPp', { skip: !haveSipp && 'sipp missing', timeout: 60_000 }, () => {
  let node: Node;
  before(async () => { node = await start(); });
  after(async () => { await node?.server.stop('test done'); });

  test('SIPp calls the application\'s number: answer, recognize RFC 4733 digit 5, caller hangs up, CDR', { timeout: 20_000 }, async () => {
    const incoming = once(node.calls, 'incoming') as Promise<[Call]>;
    const sipp = runSipp({ scenario: 'calls-uac-dtmf-5.xml', target: node.target, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 20000 });
    const [call] = await incoming;
    assert.equal(call.applicationId, (node.principal as { applicationId: string }).applicationId);
    assert.deepEqual(call.to, { kind: 'phone', number: NUMBER });
    assert.deepEqual(call.from, { kind: 'phone', number: '+4915112345678' });
    const answer = await node.calls.execute(call.id, 'answer', {}, { principal: node.principal });
    assert.equal((await answer.done).code, 200);
    const rec = await node.calls.execute(call.id, 'recognize', { mode: 'dtmf', maxTones: 1, initialSilenceTimeoutMs: 8000 }, { principal: node.principal });
    const r = await rec.done;
    assert.equal(r.code, 200, JSON.stringify(r));
    const row = await node.sip.callsWiring!.store.calls.operations.get(rec.id);
    assert.deepEqual((row?.result as { data?: { tones?: string[] } }).data?.tones, ['5'], JSON.stringify(row?.result));
    const res = await sipp;
    assert.equal(res.code, 0, explain(res));
    await ended(call);
    const cdrs = await cdrsOf(node, call.id);
    const c = cdrs.find((x) => x.kind === 'call')!.record as Record<string, unknown>;
    assert.equal(c.endedBy, 'remote');
    assert.equal(c.endReason, 'normal');
    assert.equal(c.sipStatus, 200);
    assert.ok((c.talkMs as number) > 1000, `talk time ${String(c.talkMs)}`);
    assert.equal(cdrs.filter((x) => x.kind === 'leg').length, 1);
  });

  test('an unknown number gets 404; sip:answer@ (diagnostic) still answers', { timeout: 20_000 }, async () => {
    const r404 = await runSipp({ builtin: 'uac', target: node.target, service: '+4930999999', args: ['-mp', String(await freeUdpPort())], timeoutMs: 10000 });
    assert.notEqual(r404.code, 0);
    assert.match(r404.messages, /SIP\/2\.0 404/);
    const ok = await runSipp({ builtin: 'uac', target: node.target, service: 'answer', args: ['-mp', String(await freeUdpPort())], timeoutMs: 10000 });
    assert.equal(ok.code, 0, explain(ok));
  });

  test('outbound createCall through the trunk: SIPp UAS challenges with digest and verifies it; play, hang up, CDR', { timeout: 20_000 }, async () => {
    const uas = runSipp({ scenario: 'calls-uas-digest.xml', localPort: node.trunkPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 20000 });
    await new Promise((r) => setTimeout(r, 300));
    const { call, operation } = await node.calls.createCall({ target: { kind: 'phone', number: '+4930555666' }, callerId: { kind: 'phone', number: '+4930123456' } }, { principal: node.principal });
    const created = await operation.done;
    assert.equal(created.code, 200, JSON.stringify(created));
    const play = await node.calls.execute(call.id, 'play', { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 600 }] }, { principal: node.principal });
    assert.equal((await play.done).code, 200);
    const hang = await node.calls.execute(call.id, 'hangup', { forEveryone: true }, { principal: node.principal });
    assert.equal((await hang.done).code, 200);
    const res = await uas;
    assert.equal(res.code, 0, explain(res));
    // The trunk's caller-ID rule rewrote +4930123456 to 030123456; the retry carried credentials.
    assert.match(res.messages, /From: <sip:030123456@127\.0\.0\.1>/);
    assert.match(res.messages, /Authorization: Digest[^\n]*username="acct"/);
    await ended(call);
    const cdrs = await cdrsOf(node, call.id);
    const c = cdrs.find((x) => x.kind === 'call')!.record as Record<string, unknown>;
    assert.equal(c.direction, 'outbound');
    assert.equal(c.endedBy, 'local');
    assert.ok(c.answeredAt !== undefined, 'answered');
    assert.deepEqual(c.to, { kind: 'phone', number: '+4930555666' });
  });

  test('outbound call refused by wrong credentials fails with the peer\'s status', { timeout: 20_000 }, async () => {
    const trunks = node.sip.callsWiring!.store.tenancy.trunks;
    const t = (await trunks.getByName('carrier'))!;
    await trunks.update(t.id, { password: 'wrong-password', updatedAt: Date.now() });
    try {
      const uas = runSipp({ scenario: 'calls-uas-digest.xml', localPort: node.trunkPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 10000 });
      await new Promise((r) => setTimeout(r, 300));
      const { call, operation } = await node.calls.createCall({ target: { kind: 'phone', number: '+4930555666' } }, { principal: node.principal });
      const r = await operation.done as unknown as { code: number };
      assert.equal(r.code, 400, JSON.stringify(r));
      await ended(call);
      const c = (await cdrsOf(node, call.id)).find((x) => x.kind === 'call')!.record as Record<string, unknown>;
      assert.equal(c.sipStatus, 403);
      await uas;
    } finally {
      await trunks.update(t.id, { password: 's3cret', updatedAt: Date.now() });
    }
  });

  test('blind transfer bridges the caller to a second SIPp UAS; the caller\'s BYE ends both legs', { timeout: 20_000 }, async () => {
    const uasPort = await freeUdpPort();
    const uas = runSipp({ scenario: 'calls-uas-answer.xml', localPort: uasPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 20000 });
    const incoming = once(node.calls, 'incoming') as Promise<[Call]>;
    const uac = runSipp({ scenario: 'calls-uac-talk.xml', target: node.target, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 20000 });
    const [call] = await incoming;
    assert.equal((await (await node.calls.execute(call.id, 'answer', {}, { principal: node.principal })).done).code, 200);
    const tr = await node.calls.execute(call.id, 'transferBlind', { target: { kind: 'sip', uri: `sip:uas@127.0.0.1:${uasPort}` }, useRefer: false }, { principal: node.principal });
    const r = await tr.done;
    assert.equal(r.code, 200, JSON.stringify(r));
    const [a, b] = await Promise.all([uac, uas]);
    assert.equal(a.code, 0, explain(a));
    assert.equal(b.code, 0, explain(b));
    await ended(call);
    const cdrs = await cdrsOf(node, call.id);
    assert.equal(cdrs.filter((x) => x.kind === 'leg').length, 2);
  });
});
