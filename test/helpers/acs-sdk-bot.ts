// What the ACS SDK end-to-end tests share: a node with one application that has an ACS access
// key and an Event Grid IncomingCall URL (the test's receiver), SDK clients for both versions,
// waiting for a callback by type, and the check every callback must pass (one event per POST,
// parsed by the SDK's own parseCallAutomationEvent, Bearer JWT verified against the node's JWKS).
import assert from 'node:assert/strict';
import { createPublicKey, createVerify, type JsonWebKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { startNode, type TestNode } from './switchboard.ts';
import { explain, freeUdpPort, runSipp } from './sipp.ts';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from './webhook-receiver.ts';
import { ADMIN, type Tenancy } from '../../src/core/index.ts';

const require = createRequire(import.meta.url);
export const SDKS = ['acs-sdk-151', 'acs-sdk-160'] as const;
export type Sdk = typeof import('acs-sdk-160');
export const loadSdk = (v: (typeof SDKS)[number]): Sdk => require(v) as Sdk;

export interface AcsBotNode {
  node: TestNode;
  tenancy: Tenancy;
  appId: string;
  key: string;
  eventGrid: WebhookReceiver;
  client(sdk: Sdk): InstanceType<Sdk['CallAutomationClient']>;
  stop(): Promise<void>;
}

/** A node whose application `acsbot` owns `numbers`; `yaml` is appended (trunks …); `limits` goes into the app. */
export async function startAcsBotNode(o: { numbers: string[]; yaml?: string; limits?: string }): Promise<AcsBotNode> {
  // A private RTP range: nodes of other tests running at the same time default to 20000-29999,
  // and a port one of them holds fails our bind (EADDRINUSE).
  const rtpBase = 10_000 + 2 * Math.floor(Math.random() * 4500);
  const node = await startNode({
    yaml: `
applications:
  - name: acsbot
    numbers:
${o.numbers.map((n) => `      - "${n}"`).join('\n')}
${o.limits ? `    limits:\n${o.limits}` : ''}
${o.yaml ?? ''}
rtp:
  ports: ${rtpBase}-${rtpBase + 399}
`,
  });
  const tenancy = (node.server as unknown as { tenancy: Tenancy }).tenancy;
  const app = (await tenancy.applications.list(ADMIN)).find((a) => a.name === 'acsbot');
  assert.ok(app, 'declared application exists');
  const key = (await tenancy.acs.issue(ADMIN, app.id)).key;
  const eventGrid = await startReceiver();
  await tenancy.acs.setIncomingCallUrl(ADMIN, app.id, eventGrid.url);
  return {
    node, tenancy, appId: app.id, key, eventGrid,
    client: (sdk) => new sdk.CallAutomationClient(`endpoint=${node.http}/;accesskey=${key}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } }),
    async stop() {
      await eventGrid.close();
      await node.stop();
    },
  };
}

/** The CloudEvent type of a callback POST (without the Microsoft.Communication. prefix). */
export const typeOf = (q: ReceivedRequest): string => ((JSON.parse(q.body) as { type: string }[])[0]?.type ?? '').replace('Microsoft.Communication.', '');

/** The first received request matching `pred`; bounded. */
export async function waitForRequest(r: WebhookReceiver, pred: (q: ReceivedRequest) => boolean, what: string, timeoutMs = 15_000): Promise<ReceivedRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = r.received.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`${what} did not arrive; got ${r.received.map((x) => `${typeOf(x)} ${JSON.stringify((JSON.parse(x.body) as { data?: { resultInformation?: unknown } }[])[0]?.data?.resultInformation ?? '')}`).join(', ')}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** The n-th (0-based) callback of `type`, parsed by the SDK. */
export async function waitForCallback(r: WebhookReceiver, sdk: Sdk, type: string, nth = 0, timeoutMs = 15_000): Promise<Record<string, any>> {
  // The n-th of its type among everything received so far (recounted on every poll).
  const q = await waitForRequest(r, (x) => typeOf(x) === type && r.received.filter((y) => typeOf(y) === type).indexOf(x) === nth, type, timeoutMs);
  return sdk.parseCallAutomationEvent(q.body) as unknown as Record<string, any>;
}

/** Verifies an RS256 JWT against a JWKS; returns its payload. */
export function verifyJwt(token: string, jwks: { keys: (JsonWebKey & { kid?: string })[] }): Record<string, unknown> {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
  assert.equal(header.alg, 'RS256');
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} is in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(s, 'base64url')), 'JWT signature verifies');
  return JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
}

/** Every callback: one event per POST, parsed by the SDK, for `callId`, Bearer JWT valid for the app. Returns the kinds in order. */
export async function checkCallbacks(bot: AcsBotNode, r: WebhookReceiver, sdk: Sdk, callId: string): Promise<string[]> {
  const oidc = await (await fetch(`${bot.node.http}/calling/.well-known/acsopenidconfiguration`)).json() as { issuer: string; jwks_uri: string };
  const jwks = await (await fetch(oidc.jwks_uri)).json() as { keys: (JsonWebKey & { kid?: string })[] };
  const kinds: string[] = [];
  for (const q of r.received) {
    assert.equal((JSON.parse(q.body) as unknown[]).length, 1, 'one event per POST');
    const parsed = sdk.parseCallAutomationEvent(q.body) as { kind: string; callConnectionId?: string };
    assert.equal(parsed.callConnectionId, callId);
    kinds.push(parsed.kind);
    const auth = String(q.headers.authorization ?? '');
    assert.match(auth, /^Bearer /);
    const claims = verifyJwt(auth.slice(7), jwks);
    assert.equal(claims.aud, bot.appId);
    assert.equal(claims.iss, oidc.issuer);
    assert.ok((claims.exp as number) > Date.now() / 1000 && (claims.exp as number) - (claims.iat as number) <= 300, 'a 5-minute token, not expired');
  }
  return kinds;
}

/**
 * A bot node with a UDP trunk "carrier" on a free loopback port and a SIP user alice (digest,
 * MD5; `trusted: []` so her REGISTER from 127.0.0.1 is challenged like a real phone's), registered
 * by SIPp from `alicePort` — her "phone" later answers on that port. Destinations: +49 only.
 */
export async function startAcsBotWithTrunkAndAlice(callerId: string): Promise<{ bot: AcsBotNode; trunkPort: number; alicePort: number }> {
  const trunkPort = await freeUdpPort();
  const alicePort = await freeUdpPort();
  const bot = await startAcsBotNode({
    numbers: [callerId],
    limits: '      allowedDestinationPrefixes: ["+49"]',
    yaml: `trunks:\n  - name: carrier\n    host: 127.0.0.1\n    port: ${trunkPort}\n    transport: udp\nsip:\n  trusted: []\n  digestAlgorithms: [MD5]\n  users:\n    - { username: alice, password: wonderland }\n`,
  });
  const reg = await runSipp({ scenario: 'uac-register-only.xml', target: bot.node.sip, service: 'alice', localPort: alicePort });
  assert.equal(reg.code, 0, explain(reg));
  return { bot, trunkPort, alicePort };
}
