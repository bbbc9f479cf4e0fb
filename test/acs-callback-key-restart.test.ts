// The callback JWT key survives a restart: a node signs an ACS callback's Bearer token (the
// 'acs' delivery headers the events service sends with every CloudEvent POST), is stopped and
// started again on the same data dir; the JWKS it serves after the restart (fetched the way a
// bot does, through the OpenID configuration) verifies the token from before and one from
// after, under the same kid. A node on another data dir has another key and refuses the token.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, createVerify, type JsonWebKey } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { acsDelivery, ACS_CALLBACK_KEY_FILE } from '../src/server/acs-wiring.ts';
import type { DomainEvent } from '../src/core/index.ts';
import { startNode, type TestNode } from './helpers/switchboard.ts';

/** The Bearer token the node would put on a callback POST for this application. */
function callbackToken(node: TestNode, applicationId: string): string {
  const headers = acsDelivery(node.server.http, '127.0.0.1').formatHeaders.acs({ applicationId } as unknown as DomainEvent, '{}');
  return headers.authorization.replace(/^Bearer /, '');
}

/** JWKS through the OIDC document, as a bot's JWT library fetches it. */
async function servedJwks(node: TestNode): Promise<{ keys: Record<string, unknown>[] }> {
  const oidc = await (await fetch(`${node.http}/calling/.well-known/acsopenidconfiguration`)).json() as { jwks_uri: string };
  return await (await fetch(oidc.jwks_uri)).json() as { keys: Record<string, unknown>[] };
}

function verify(token: string, jwks: { keys: Record<string, unknown>[] }): { kid: string; aud: unknown } | undefined {
  const [h, p, s] = token.split('.');
  const { kid, alg } = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string; alg: string };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk || alg !== 'RS256') return undefined;
  const ok = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), Buffer.from(s, 'base64url'));
  return ok ? { kid, aud: (JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud: unknown }).aud } : undefined;
}

describe('ACS callback JWT key across a restart', { timeout: 30_000 }, () => {
  const nodes: TestNode[] = [];
  after(async () => { for (const n of nodes) await n.stop().catch(() => {}); });

  test('a token from before the restart and one from after verify against the JWKS served after it', async () => {
    const first = await startNode();
    nodes.push(first);
    const before = callbackToken(first, 'app-1');
    const jwksBefore = await servedJwks(first);
    assert.equal(verify(before, jwksBefore)?.aud, 'app-1');
    const file = join(first.config.dataDir, ACS_CALLBACK_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the private key file is owner-only');
    await first.stop();

    const again = await startNode({ dir: first.dir });
    nodes.push(again);
    const jwksAfter = await servedJwks(again);
    assert.deepEqual(jwksAfter, jwksBefore, 'a bot holding the old JWKS needs nothing new');
    const afterToken = callbackToken(again, 'app-1');
    const v1 = verify(before, jwksAfter);
    const v2 = verify(afterToken, jwksAfter);
    assert.ok(v1 && v2, 'both tokens verify');
    assert.equal(v1.kid, v2.kid);

    const elsewhere = await startNode();
    nodes.push(elsewhere);
    assert.equal(verify(before, await servedJwks(elsewhere)), undefined, 'another data dir, another key');
  });
});
