// The ACS face end to end with the official SDK (1.5.1 and 1.6.0) as the only client and a real
// SIPp caller: the application's number is declared in YAML; SIPp calls it; IncomingCall reaches
// the test's Event Grid webhook; the bot answers with answerCall (callbackUri = the test's
// receiver), plays text, recognizes the DTMF digit 5 SIPp keys (RFC 4733), hangs up. Every
// callback POST parses with the SDK's parseCallAutomationEvent and carries a Bearer JWT that
// verifies against the JWKS the node serves. Also: a reused Repeatability id with another body
// is refused through the SDK.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, createVerify, randomUUID, type JsonWebKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { explain, freeUdpPort, runSipp, sippAvailable } from './helpers/sipp.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from './helpers/webhook-receiver.ts';
import { ADMIN, type Tenancy } from '../src/core/index.ts';

const require = createRequire(import.meta.url);
const SDKS = ['acs-sdk-151', 'acs-sdk-160'] as const;
const NUMBER = '+4930777888';
const CALLER = '+4915112345678';

/** Verifies an RS256 JWT against a JWKS; returns its payload. */
function verifyJwt(token: string, jwks: { keys: (JsonWebKey & { kid?: string })[] }): Record<string, unknown> {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
  assert.equal(header.alg, 'RS256');
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} is in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(s, 'base64url')), 'JWT signature verifies');
  return JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
}

/** Resolves with the first received request (from `from` on) matching `pred`; bounded. */
async function waitForRequest(r: WebhookReceiver, pred: (q: ReceivedRequest) => boolean, what: string, timeoutMs = 15_000): Promise<ReceivedRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = r.received.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${what} did not arrive; got ${r.received.map((x) => x.body.slice(0, 120)).join(' | ')}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('ACS face: SDK-driven calls with SIPp', { skip: !sippAvailable() && 'sipp missing', timeout: 120_000 }, () => {
  let node: TestNode;
  let tenancy: Tenancy;
  let appId: string;
  let key: string;
  let eventGrid: WebhookReceiver;
  before(async () => {
    node = await startNode({
      yaml: `
applications:
  - name: acsbot
    numbers:
      - "${NUMBER}"
`,
    });
    tenancy = (node.server as unknown as { tenancy: Tenancy }).tenancy;
    const app = (await tenancy.applications.list(ADMIN)).find((a) => a.name === 'acsbot');
    assert.ok(app, 'declared application exists');
    appId = app.id;
    key = (await tenancy.acs.issue(ADMIN, appId)).key;
    eventGrid = await startReceiver();
    await tenancy.acs.setIncomingCallUrl(ADMIN, appId, eventGrid.url);
  });
  after(async () => {
    await eventGrid?.close();
    await node?.stop();
  });

  for (const v of SDKS) {
    const sdk = require(v) as typeof import('acs-sdk-160');
    const client = () => new sdk.CallAutomationClient(`endpoint=${node.http}/;accesskey=${key}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });

    test(`${v}: IncomingCall → answerCall → play text → recognize DTMF 5 → hang up; every callback parses and is signed`, { timeout: 40_000 }, async () => {
      eventGrid.received.length = 0;
      const callbacks = await startReceiver();
      try {
        const sipp = runSipp({ scenario: 'acs-uac-dtmf-5-wait-bye.xml', target: node.sip, service: NUMBER, args: ['-mp', String(await freeUdpPort())], timeoutMs: 30_000 });
        const incoming = await waitForRequest(eventGrid, () => true, 'IncomingCall').catch(async (e: Error) => {
          throw new Error(`${e.message}\n${explain(await sipp)}`);
        });
        assert.equal(incoming.headers['aeg-event-type'], 'Notification');
        const [ev] = JSON.parse(incoming.body) as { eventType: string; data: { incomingCallContext: string; from: { rawId: string; phoneNumber?: { value: string } }; to: { rawId: string } } }[];
        assert.equal(ev.eventType, 'Microsoft.Communication.IncomingCall');
        assert.equal(ev.data.from.rawId, `4:${CALLER}`);
        assert.equal(ev.data.to.rawId, `4:${NUMBER}`);

        const cb = `${callbacks.url}?sdk=${v}`;
        const answered = await client().answerCall(ev.data.incomingCallContext, cb);
        const conn = answered.callConnection;
        const callId = answered.callConnectionProperties.callConnectionId!;
        assert.ok(callId);
        const seen = (type: string) => waitForRequest(callbacks, (q) => (JSON.parse(q.body) as { type: string }[])[0].type === `Microsoft.Communication.${type}`, type);
        await seen('CallConnected');

        const text: import('acs-sdk-160').TextSource = { kind: 'textSource', text: 'Press five.', sourceLocale: 'en-US' };
        await conn.getCallMedia().playToAll([text], { operationContext: 'prompt' });
        await seen('PlayCompleted');

        await conn.getCallMedia().startRecognizing({ phoneNumber: CALLER }, { kind: 'callMediaRecognizeDtmfOptions', maxTonesToCollect: 1, initialSilenceTimeoutInSeconds: 10, operationContext: 'digit' });
        const rec = await seen('RecognizeCompleted');
        await conn.hangUp(true);
        await seen('CallDisconnected');

        const res = await sipp;
        assert.equal(res.code, 0, explain(res));

        const oidc = await (await fetch(`${node.http}/calling/.well-known/acsopenidconfiguration`)).json() as { issuer: string; jwks_uri: string };
        const jwks = await (await fetch(oidc.jwks_uri)).json() as { keys: (JsonWebKey & { kid?: string })[] };
        const types: string[] = [];
        for (const q of callbacks.received) {
          // One event per POST, readable by the SDK's own parser.
          assert.equal((JSON.parse(q.body) as unknown[]).length, 1);
          const parsed = sdk.parseCallAutomationEvent(q.body) as { kind: string; callConnectionId?: string; resultInformation?: { code?: number } };
          assert.equal(parsed.callConnectionId, callId);
          types.push(parsed.kind);
          const auth = String(q.headers.authorization ?? '');
          assert.match(auth, /^Bearer /);
          const claims = verifyJwt(auth.slice(7), jwks);
          assert.equal(claims.aud, appId);
          assert.equal(claims.iss, oidc.issuer);
          const now = Date.now() / 1000;
          assert.ok((claims.exp as number) > now && (claims.exp as number) - (claims.iat as number) <= 300, 'a 5-minute token, not expired');
        }
        // PlayStarted is an ACS event too; the asserted order is the one of the operations.
        assert.deepEqual(types.filter((t) => t !== 'PlayStarted'), ['CallConnected', 'PlayCompleted', 'RecognizeCompleted', 'CallDisconnected']);
        const recognized = sdk.parseCallAutomationEvent(rec.body) as { kind: string; recognitionType?: string; dtmfResult?: { tones?: string[] }; operationContext?: string; resultInformation?: { code?: number; subCode?: number } };
        assert.equal(recognized.recognitionType, 'dtmf');
        assert.deepEqual(recognized.dtmfResult?.tones, ['five']);
        assert.equal(recognized.operationContext, 'digit');
        assert.equal(recognized.resultInformation?.code, 200);
        assert.equal(recognized.resultInformation?.subCode, 8531);
      } finally {
        await callbacks.close();
      }
    });

    test(`${v}: a reused Repeatability-Request-ID with another body → 400 through the SDK`, async (t) => {
      // createCall carries Repeatability-Request-ID/-First-Sent (the SDK sets them itself), so
      // the second call pins the same id and a different body through a pipeline policy.
      // Callbacks go to a live receiver: an unreachable one would keep deliveries retrying.
      const sink = await startReceiver();
      t.after(() => sink.close());
      const id = randomUUID();
      const firstSent = new Date().toUTCString();
      const pinned = () => {
        const c = client();
        (c as unknown as { callAutomationApiClient: { pipeline: { addPolicy(p: unknown, o?: unknown): void } } }).callAutomationApiClient.pipeline.addPolicy({
          name: 'pin-repeatability',
          sendRequest: (req: { headers: { set(n: string, v: string): void } }, next: (r: unknown) => Promise<unknown>) => {
            req.headers.set('Repeatability-Request-ID', id);
            req.headers.set('Repeatability-First-Sent', firstSent);
            return next(req);
          },
        }, { phase: 'Serialize' });
        return c;
      };
      // A phone number and no trunk: refused at once (4xx) — and the id is claimed with this body.
      const first = await pinned().createCall({ targetParticipant: { phoneNumber: '+4930555000' } }, `${sink.url}?a`)
        .then(() => 201, (e: { statusCode?: number }) => e.statusCode);
      assert.equal(first, 403, 'no trunk for the number: DESTINATION_NOT_ALLOWED → 403 Forbidden');
      const err = await pinned().createCall({ targetParticipant: { phoneNumber: '+4930555000' } }, `${sink.url}?b`)
        .then(() => undefined, (e: unknown) => e as { statusCode?: number; code?: string; message?: string });
      assert.equal(err?.statusCode, 400, JSON.stringify(err));
      assert.equal(err?.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.match(err!.message ?? '', /already used/);
      // The same id with the same body replays the first answer.
      const again = await pinned().createCall({ targetParticipant: { phoneNumber: '+4930555000' } }, `${sink.url}?a`).then(() => 201, (e: { statusCode?: number }) => e.statusCode);
      assert.equal(again, 403);
    });
  }
});
