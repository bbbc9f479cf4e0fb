// acs-wiring's callback signer: tokens come only from the face mounted on the same HTTP app
// (a context without one gets a clear error, not a key no JWKS serves), and mounts without a
// dataDir share one in-memory key per process instead of generating an RSA key each.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { DomainEvent } from '../core/index.ts';
import { buildHttpApp } from '../http/index.ts';
import { nullLogger } from '../lib/index.ts';
import { acsDelivery, acsFaceOf, acsStreaming, mountAcsFace } from './acs-wiring.ts';

const apps: FastifyInstance[] = [];
after(async () => { for (const a of apps) await a.close(); });
const app = (): FastifyInstance => {
  const a = buildHttpApp({ logger: nullLogger, readiness: () => true, adminKey: 'admin-key-for-tests-0123456789' });
  apps.push(a);
  return a;
};
const event = { applicationId: 'app-1' } as unknown as DomainEvent;

test('no HTTP app, or one without the ACS face: signing a callback throws a clear error (no fallback key)', () => {
  assert.throws(() => acsDelivery(undefined, '127.0.0.1').formatHeaders.acs(event, '{}'), /service context has no HTTP app.*cannot be signed/);
  assert.throws(() => acsDelivery(app(), '127.0.0.1').formatHeaders.acs(event, '{}'), /no ACS face is mounted on this HTTP app/);
  const framer = acsStreaming(undefined, '127.0.0.1');
  assert.throws(() => framer.headers!({ applicationId: 'app-1', callId: 'c-1' } as Parameters<NonNullable<typeof framer.headers>>[0]), /no HTTP app/);
});

test('mounts without a dataDir share the process key; each signs with the key its own JWKS serves', () => {
  const [a, b] = [app(), app()];
  mountAcsFace(a, () => undefined);
  mountAcsFace(b, () => undefined);
  const sa = acsFaceOf(a)!.signer;
  const sb = acsFaceOf(b)!.signer;
  assert.notEqual(sa, sb, 'a signer per mount');
  assert.equal(sa.kid, sb.kid, 'one key per process');
  const auth = acsDelivery(a, '127.0.0.1').formatHeaders.acs(event, '{}').authorization;
  const header = JSON.parse(Buffer.from(auth.replace(/^Bearer /, '').split('.')[0], 'base64url').toString()) as { kid: string };
  assert.deepEqual(sa.jwks().keys.map((k) => k.kid), [header.kid]);
});
