// Issue 4, end to end, outbound: an application places a call through the native API
// (POST /v1/calls to a phone number) and drives it from its webhook, as a developer would.
// The number goes out through the trunk declared in the config file, whose host is a SIPp
// UAS acting as a carrier proxy: it challenges with 407 (RFC 3261 §22.3), requires
// Proxy-Authorization on the retried INVITE (the test checks the digest response), rings and
// answers. The app plays a tone then TTS on call.answered and hangs up on play.completed. The CDR says: outbound,
// from the caller ID to the number, answered, ended by us (local), and the SIPp UAS saw the
// trunk's caller-ID rule and the credentials.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { verifySignature } from '../src/events/index.ts';
import { loadConfig, SwitchboardServer } from '../src/server/index.ts';
import { createEventsService } from '../src/server/events-service.ts';
import { SipService } from '../src/server/sip-service.ts';
import { nullLogger } from '../src/lib/index.ts';

const haveSipp = sippAvailable();
const KEY = 'e2e-dialer-key-0123456789abcdef';
const ADMIN_KEY = 'test-admin-key-0123456789';
const DIALED = '+4930555666';
const CALLER_ID = '+4930123456';

interface Event { id: string; type: string; callId?: string; data: Record<string, unknown> }

describe('end to end: an app places an outbound call through a digest-challenging trunk via the native API', { skip: !haveSipp && 'sipp missing', timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-out-'));
  const events: Event[] = [];
  const problems: string[] = [];
  const actions: string[] = [];
  let secrets: string[] = [];
  let hook: Server;
  let server: SwitchboardServer;
  let api = '';
  let trunkPort = 0;
  let onEvent: (e: Event) => void = () => {};

  const post = async (path: string, body?: unknown): Promise<Response> => fetch(`${api}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

  before(async () => {
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (!verifySignature(secrets, String(req.headers['switchboard-signature'] ?? ''), String(req.headers['switchboard-timestamp'] ?? ''), raw)) {
          problems.push(`unsigned or badly signed: ${raw.slice(0, 100)}`);
          res.writeHead(401).end();
          return;
        }
        res.writeHead(204).end();
        const e = JSON.parse(raw) as Event;
        events.push(e);
        onEvent(e);
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    trunkPort = await freeUdpPort();
    writeFileSync(join(dir, 'switchboard.yaml'), `
applications:
  - name: dialer
    apiKeys: ["${KEY}"]
    callbackUrl: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/events"
    limits:
      allowedDestinationPrefixes: ["+49"]
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
      SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1', SWITCHBOARD_ADMIN_KEY: ADMIN_KEY,
      SWITCHBOARD_LOG_LEVEL: 'silent', SWITCHBOARD_CONFIG: join(dir, 'switchboard.yaml'),
    }, { cwd: dir });
    server = await SwitchboardServer.start(config, {
      logger: nullLogger, print: () => {},
      services: [(ctx) => new SipService(ctx, { mediaWorkers: 1 }), createEventsService],
    });
    api = `http://127.0.0.1:${server.httpPort}`;
    // The operator gives the app its signing secret (rotation returns the active ones).
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const apps = await (await fetch(`${api}/v1/applications`, { headers: admin })).json() as { items: { id: string; name: string }[] };
    const id = apps.items.find((a) => a.name === 'dialer')!.id;
    secrets = (await (await fetch(`${api}/v1/applications/${id}/webhook-secrets/rotate`, { method: 'POST', headers: admin })).json() as { webhookSecrets: string[] }).webhookSecrets;
  });

  after(async () => {
    await server?.stop('test done');
    await new Promise<void>((r) => { hook?.closeAllConnections(); hook?.close(() => r()); });
    rmSync(dir, { recursive: true, force: true });
  });

  test('POST /v1/calls → 407 challenge answered → answered → play → hangup via the API; CDR', { timeout: 30_000 }, async () => {
    const uas = runSipp({ scenario: 'e2e-uas-digest-407.xml', localPort: trunkPort, args: ['-mp', String(await freeUdpPort())], timeoutMs: 25_000 });
    await new Promise((r) => setTimeout(r, 300));
    const ended = new Promise<Event>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no cdr.created; events: ${events.map((e) => `${e.type} ${JSON.stringify(e.data)}`).join(', ')}; problems: ${problems.join(' | ')}`)), 20_000);
      onEvent = (e) => {
        const act = async (): Promise<void> => {
          if (e.type === 'call.answered') {
            const r = await post(`/v1/calls/${e.callId}/play`, { sources: [{ kind: 'tone', frequencies: [1000], durationMs: 400 }, { kind: 'tts', text: 'Your parcel arrives today.' }], operationContext: 'notice' });
            actions.push(`play ${r.status}`);
          } else if (e.type === 'play.completed' && e.data.operationContext === 'notice') {
            const r = await post(`/v1/calls/${e.callId}/hangup`, { forEveryone: true });
            actions.push(`hangup ${r.status}`);
          } else if (e.type === 'cdr.created') {
            clearTimeout(t);
            resolve(e);
          }
        };
        act().catch((err: unknown) => problems.push(String(err)));
      };
    });
    const created = await post('/v1/calls', { target: { kind: 'phone', number: DIALED }, callerId: { kind: 'phone', number: CALLER_ID }, ringTimeoutMs: 10_000, operationContext: 'parcel' });
    assert.equal(created.status, 201, await created.clone().text());
    const { call } = await created.json() as { call: { id: string; direction: string } };
    assert.equal(call.direction, 'outbound');
    const cdrEvent = await ended;
    const res = await uas;
    assert.equal(res.code, 0, explain(res));
    assert.deepEqual(problems, []);
    assert.deepEqual(actions, ['play 202', 'hangup 202']);

    // The carrier saw the caller-ID rule (+4930123456 → 030123456), the challenge answered with
    // the trunk's credentials, and our BYE.
    assert.match(res.messages, /From: <sip:030123456@127\.0\.0\.1>/);
    // RFC 2617 §3.2.2.1 (no qop): response = MD5(MD5(user:realm:password):nonce:MD5(method:uri)).
    const auth = /Proxy-Authorization: Digest ([^\r\n]*)/.exec(res.messages)?.[1] ?? '';
    const param = (k: string): string => new RegExp(`${k}="([^"]*)"`).exec(auth)?.[1] ?? '';
    const md5 = (x: string): string => createHash('md5').update(x).digest('hex');
    assert.equal(param('username'), 'acct', auth);
    assert.equal(param('realm'), 'carrier.test');
    assert.equal(param('response'), md5(`${md5('acct:carrier.test:s3cret')}:${param('nonce')}:${md5(`INVITE:${param('uri')}`)}`), 'digest computed with the trunk\'s password');
    assert.match(res.messages, /BYE sip:uas@127\.0\.0\.1/);

    const types = events.filter((e) => e.callId === call.id).map((e) => e.type);
    let at = -1;
    for (const t of ['call.created', 'call.answered', 'play.completed', 'call.ended', 'cdr.created']) {
      const next = types.indexOf(t, at + 1);
      assert.ok(next > at, `${t} in order in ${types.join(', ')}`);
      at = next;
    }
    const endedEvent = events.find((e) => e.type === 'call.ended' && e.callId === call.id)!;
    assert.equal(endedEvent.data.by, 'local');

    const cdrRes = await fetch(`${api}/v1/cdrs/${call.id}`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(cdrRes.status, 200);
    const cdr = await cdrRes.json() as Record<string, unknown>;
    assert.equal(cdr.direction, 'outbound');
    assert.deepEqual(cdr.to, { kind: 'phone', number: DIALED });
    assert.deepEqual(cdr.from, { kind: 'phone', number: CALLER_ID });
    assert.equal(cdr.endedBy, 'local');
    assert.equal(cdr.sipStatus, 200);
    assert.ok(typeof cdr.answeredAt === 'number', 'answered');
    assert.ok((cdr.talkMs as number) >= 400, `talk time ${String(cdr.talkMs)} covers the tone`);
    assert.deepEqual((cdrEvent.data as { cdr: unknown }).cdr, cdr);
    const op = await fetch(`${api}/v1/calls/${call.id}`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal((await op.json() as { state: string }).state, 'ended');
  });
});
