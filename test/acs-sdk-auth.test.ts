// The ACS face driven by the official SDK (1.5.1 and 1.6.0) on a running node, no SIP peer:
// a key issued through core authenticates; a wrong key gets 401 in ACS's error shape; a node
// whose clock is 10 minutes off refuses the SDK's x-ms-date; a forged incomingCallContext is 400;
// the OIDC document and JWKS are served.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, SwitchboardServer } from '../src/server/index.ts';
import { nullLogger, systemClock, type Clock } from '../src/lib/index.ts';
import { ADMIN } from '../src/core/index.ts';

const require = createRequire(import.meta.url);
const SDKS = ['acs-sdk-151', 'acs-sdk-160'] as const;

async function node(clock?: Clock): Promise<SwitchboardServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-acs-'));
  const config = loadConfig({
    SWITCHBOARD_DATA_DIR: join(dir, 'data'), SWITCHBOARD_HTTP_PORT: '0', SWITCHBOARD_BIND: '127.0.0.1', SWITCHBOARD_PUBLIC_HOST: '127.0.0.1',
    SWITCHBOARD_ADMIN_KEY: 'test-admin-key-0123456789', SWITCHBOARD_LOG_LEVEL: 'silent',
  }, { cwd: dir });
  return SwitchboardServer.start(config, { logger: nullLogger, print: () => {}, services: [], ...(clock ? { clock } : {}) });
}

/** The tenancy of a started node (what the admin API and CLI reach). */
async function issueKey(s: SwitchboardServer): Promise<string> {
  const t = (s as unknown as { tenancy: import('../src/core/index.ts').Tenancy }).tenancy;
  const app = await t.applications.create({ name: `bot-${Math.random().toString(36).slice(2, 8)}` });
  return (await t.acs.issue(ADMIN, app.application.id)).key;
}

describe('ACS face: SDK auth and errors', { timeout: 30_000 }, () => {
  let s: SwitchboardServer;
  let skewed: SwitchboardServer;
  let key: string;
  before(async () => {
    s = await node();
    key = await issueKey(s);
    skewed = await node({ now: () => systemClock.now() + 600_000, setTimeout: systemClock.setTimeout });
  });
  after(async () => {
    await s?.stop('done');
    await skewed?.stop('done');
  });

  for (const v of SDKS) {
    const sdk = require(v) as typeof import('acs-sdk-160');
    const client = (srv: SwitchboardServer, k: string) =>
      new sdk.CallAutomationClient(`endpoint=http://127.0.0.1:${srv.httpPort}/;accesskey=${k}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });

    test(`${v}: a valid key passes auth (this node runs no call service → 503 ServiceUnavailable)`, async () => {
      const err = await client(s, key).getCallConnection('no-such-call').getCallConnectionProperties().then(() => undefined, (e: unknown) => e as { statusCode: number; code: string });
      assert.equal(err?.statusCode, 503);
      assert.equal(err?.code, 'ServiceUnavailable');
    });

    test(`${v}: a wrong key → 401 Unauthorized in ACS's error shape`, async () => {
      const wrong = Buffer.from('not-the-right-key-0123456789').toString('base64');
      const err = await client(s, wrong).getCallConnection('x').getCallConnectionProperties().then(() => undefined, (e: unknown) => e as { statusCode: number; code: string; message: string });
      assert.equal(err?.statusCode, 401);
      assert.equal(err?.code, 'Unauthorized');
      assert.match(err!.message, /HMAC/);
    });

    test(`${v}: a date outside the skew window → 401 RequestDateOutOfRange`, async () => {
      const k = await issueKey(skewed);
      const err = await client(skewed, k).getCallConnection('x').getCallConnectionProperties().then(() => undefined, (e: unknown) => e as { statusCode: number; code: string });
      assert.equal(err?.statusCode, 401);
      assert.equal(err?.code, 'RequestDateOutOfRange');
    });

    test(`${v}: answer with a forged incomingCallContext → 400`, async () => {
      const err = await client(s, key).answerCall('forged', 'http://127.0.0.1:9/cb').then(() => undefined, (e: unknown) => e as { statusCode: number });
      assert.equal(err?.statusCode, 400);
    });
  }

  test('OIDC configuration and JWKS are served', async () => {
    const oidc = await (await fetch(`http://127.0.0.1:${s.httpPort}/calling/.well-known/acsopenidconfiguration`)).json() as { jwks_uri: string };
    const jwks = await (await fetch(oidc.jwks_uri)).json() as { keys: { kty: string; alg: string }[] };
    assert.equal(jwks.keys[0].kty, 'RSA');
    assert.equal(jwks.keys[0].alg, 'RS256');
  });
});
