// The registrar behind DigestServer, as the UA core wires them: RFC 3261 §10.3 steps 3–4.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '../../lib/index.ts';
import { DigestClient, DigestServer, parseAuthValues } from '../auth/index.ts';
import { parseMessage, SipRequest } from '../message/index.ts';
import { MemoryBindingStore } from './memory-binding-store.ts';
import { Registrar } from './registrar.ts';

const TORTURE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'conformance', 'rfc4475');

function setup() {
  const clock = new FakeClock(1_700_000_000_000);
  const digest = new DigestServer({
    realm: 'example.com', clock, secret: 's',
    lookup: async (u) => (u === 'alice' ? { password: 'pw' } : undefined),
  });
  const reg = new Registrar({ store: new MemoryBindingStore(), clock, authenticate: (r) => digest.check(r) });
  return { reg, digest };
}

function register(cseq: number): SipRequest {
  return new SipRequest('REGISTER', 'sip:example.com', [
    ['via', `SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKa${cseq}`], ['max-forwards', '70'],
    ['to', '<sip:alice@example.com>'], ['from', '<sip:alice@example.com>;tag=1'],
    ['call-id', 'auth-reg-1'], ['cseq', `${cseq} REGISTER`], ['contact', '<sip:alice@192.0.2.10>'],
    ['content-length', '0'],
  ].map(([name, value]) => ({ name, value })));
}

describe('Registrar with Digest authentication', () => {
  it('challenges, then registers the retried REGISTER carrying credentials', async () => {
    const { reg } = setup();
    const client = new DigestClient();
    const challenge = await reg.handle(register(1));
    assert.equal(challenge.status, 401);
    assert.equal(challenge.contacts.length, 0);
    const retry = register(2);
    assert.equal(client.authorize(retry, challenge, { username: 'alice', password: 'pw' }), true);
    const ok = await reg.handle(retry);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.contacts.map((c) => c.uri.raw), ['sip:alice@192.0.2.10']);
  });

  it('RFC 4475 §3.3.7 regaut01: an unknown Authorization scheme is answered with a Digest challenge', async () => {
    const { reg } = setup();
    const req = parseMessage(readFileSync(resolve(TORTURE, 'regaut01.dat')), { datagram: true }) as SipRequest;
    const res = await reg.handle(req);
    assert.equal(res.status, 401);
    const schemes = res.getAll('www-authenticate').map((l) => parseAuthValues(l)[0].scheme);
    assert.deepEqual(schemes, ['Digest', 'Digest']);
  });
});
