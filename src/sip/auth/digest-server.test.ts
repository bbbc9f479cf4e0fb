import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../lib/index.ts';
import { SipRequest, parseMessage, serialize } from '../message/index.ts';
import type { SipResponse } from '../message/index.ts';
import { parseAuthValues } from './auth-header.ts';
import { computeHa1, type DigestHash } from './digest-hash.ts';
import { DigestClient } from './digest-client.ts';
import { DigestServer, type DigestServerOptions } from './digest-server.ts';

const REALM = 'example.com';
const USERS: Record<string, string> = { alice: 'secret', bob: 'hunter2' };

let cseq = 1;
function register(extra: [string, string][] = [], method = 'REGISTER', uri = 'sip:example.com'): SipRequest {
  return new SipRequest(method, uri, [
    { name: 'via', value: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK' + cseq },
    { name: 'max-forwards', value: '70' },
    { name: 'from', value: '<sip:alice@example.com>;tag=abc' },
    { name: 'to', value: '<sip:alice@example.com>' },
    { name: 'call-id', value: 'call-1@192.0.2.1' },
    { name: 'cseq', value: `${cseq++} ${method}` },
    { name: 'content-length', value: '0' },
    ...extra.map(([name, value]) => ({ name, value })),
  ]);
}

function server(opts: Partial<DigestServerOptions> = {}): { s: DigestServer; clock: FakeClock } {
  const clock = new FakeClock(1_700_000_000_000);
  const s = new DigestServer({
    realm: REALM,
    clock,
    secret: 'test-secret',
    lookup: async (u) => (USERS[u] === undefined ? undefined : { password: USERS[u] }),
    ...opts,
  });
  return { s, clock };
}

/** Challenge → client authorizes a fresh request → server checks it. */
async function challengeOf(s: DigestServer, req = register()): Promise<SipResponse> {
  const r = await s.check(req);
  assert.equal(r.ok, false);
  if (r.ok) throw new Error('unreachable');
  return r.response;
}

function challengeParams(res: SipResponse): Map<string, string>[] {
  return res.getAll('www-authenticate').map((l) => parseAuthValues(l)[0].params);
}

describe('DigestServer (RFC 3261 §22, RFC 7616, RFC 8760)', () => {
  it('challenges a request without credentials: 401, SHA-256 then MD5, qop=auth, one nonce', async () => {
    const { s } = server();
    const res = await challengeOf(s);
    assert.equal(res.status, 401);
    const ps = challengeParams(res);
    assert.deepEqual(ps.map((p) => p.get('algorithm')), ['SHA-256', 'MD5']);
    for (const p of ps) {
      assert.equal(p.get('realm'), REALM);
      assert.equal(p.get('qop'), 'auth');
      assert.equal(p.has('stale'), false);
    }
    assert.equal(ps[0].get('nonce'), ps[1].get('nonce'));
  });

  it('proxy mode answers 407 with Proxy-Authenticate and reads Proxy-Authorization', async () => {
    const { s } = server({ proxy: true });
    const res = await challengeOf(s, register([], 'INVITE', 'sip:bob@example.com'));
    assert.equal(res.status, 407);
    assert.equal(res.getAll('proxy-authenticate').length, 2);
    const req = register([], 'INVITE', 'sip:bob@example.com');
    assert.equal(new DigestClient().authorize(req, res, { username: 'alice', password: 'secret' }), true);
    assert.ok(req.get('proxy-authorization'));
    assert.deepEqual(await s.check(req), { ok: true, username: 'alice', realm: REALM, algorithm: 'SHA-256' });
  });

  for (const algs of [['SHA-256'], ['MD5'], ['SHA-512-256', 'MD5']] as DigestHash[][]) {
    it(`round-trips with DigestClient when offering ${algs.join(', ')}`, async () => {
      const { s } = server({ algorithms: algs });
      const c = new DigestClient();
      const res = await challengeOf(s);
      const req = register();
      assert.equal(c.authorize(req, res, { username: 'alice', password: 'secret' }), true);
      const cred = parseAuthValues(req.get('authorization')!)[0].params;
      assert.equal(cred.get('algorithm'), algs[0]);
      assert.equal(cred.get('qop'), 'auth');
      assert.equal(cred.get('nc'), '00000001');
      assert.equal(cred.get('uri'), 'sip:example.com');
      const ok = await s.check(req);
      assert.deepEqual(ok, { ok: true, username: 'alice', realm: REALM, algorithm: algs[0] });

      // The nonce is reused for the next request with nc=2, with no new challenge.
      const next = register();
      assert.equal(c.preauthorize(next, { username: 'alice', password: 'secret' }), true);
      assert.equal(parseAuthValues(next.get('authorization')!)[0].params.get('nc'), '00000002');
      assert.equal((await s.check(next)).ok, true);
    });
  }

  it('accepts a stored MD5 HA1 instead of a password', async () => {
    const ha1 = computeHa1('MD5', 'carol', REALM, 'pw');
    const { s } = server({ algorithms: ['MD5'], lookup: async () => ({ ha1 }) });
    const req = register();
    new DigestClient().authorize(req, await challengeOf(s), { username: 'carol', password: 'pw' });
    assert.equal((await s.check(req)).ok, true);
  });

  it('rejects a wrong password with a fresh challenge, and the client gives up', async () => {
    const { s } = server();
    const c = new DigestClient();
    const req = register();
    assert.equal(c.authorize(req, await challengeOf(s), { username: 'alice', password: 'wrong' }), true);
    const r = await s.check(req);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.reason, 'bad-credentials');
    assert.equal(r.response.status, 401);
    assert.equal(challengeParams(r.response)[0].has('stale'), false);
    // The 401 answers the request that carried our credentials: retrying would loop.
    assert.equal(c.authorize(register(), r.response, { username: 'alice', password: 'wrong' }), false);
  });

  it("answers 403 to bad credentials with onBadCredentials: 'forbid', and to an unknown user too", async () => {
    const { s } = server({ onBadCredentials: 'forbid' });
    for (const [u, p] of [['alice', 'nope'], ['mallory', 'x']]) {
      const req = register();
      new DigestClient().authorize(req, await challengeOf(s), { username: u, password: p });
      const r = await s.check(req);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.response.status, 403);
    }
  });

  it('answers an expired nonce with right credentials by stale=true, and the client retries', async () => {
    const { s, clock } = server({ nonceTtlMs: 60_000 });
    const c = new DigestClient();
    const creds = { username: 'alice', password: 'secret' };
    const first = register();
    c.authorize(first, await challengeOf(s), creds);
    assert.equal((await s.check(first)).ok, true);

    clock.advance(60_000);
    const later = register();
    c.preauthorize(later, creds);
    const r = await s.check(later);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.reason, 'stale');
    assert.ok(challengeParams(r.response).every((p) => p.get('stale') === 'true'));
    const retry = register();
    assert.equal(c.authorize(retry, r.response, creds), true, 'stale=true: retry without giving up');
    assert.equal((await s.check(retry)).ok, true);
  });

  it('answers an expired nonce with wrong credentials without stale', async () => {
    const { s, clock } = server({ nonceTtlMs: 1000 });
    const req = register();
    new DigestClient().authorize(req, await challengeOf(s), { username: 'alice', password: 'bad' });
    clock.advance(1000);
    const r = await s.check(req);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'bad-credentials');
      assert.equal(challengeParams(r.response)[0].has('stale'), false);
    }
  });

  it('treats a nonce signed with another secret (e.g. before a restart) as stale', async () => {
    const { s: before } = server({ secret: 'old' });
    const { s: after } = server({ secret: 'new' });
    const req = register();
    new DigestClient().authorize(req, await challengeOf(before), { username: 'alice', password: 'secret' });
    const r = await after.check(req);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'stale');
  });

  it('rejects a replayed (nonce, nc) and a decreasing nc', async () => {
    const { s } = server();
    const c = new DigestClient();
    const creds = { username: 'alice', password: 'secret' };
    const req = register();
    c.authorize(req, await challengeOf(s), creds);
    assert.equal((await s.check(req)).ok, true);
    const replay = await s.check(req);
    assert.equal(replay.ok, false);
    if (!replay.ok) assert.equal(replay.reason, 'replay');

    const r3 = register();
    c.preauthorize(r3, creds); // nc=2
    const r4 = register();
    c.preauthorize(r4, creds); // nc=3
    assert.equal((await s.check(r4)).ok, true);
    const late = await s.check(r3);
    assert.equal(late.ok, false, 'nc=2 after nc=3 is a replay');
  });

  it('accepts an RFC 2069 (no qop) answer once per nonce', async () => {
    const { s } = server({ algorithms: ['MD5'] });
    const res = await challengeOf(s);
    // Strip qop from the challenge so the client answers the RFC 2069 way.
    const nonce = challengeParams(res)[0].get('nonce')!;
    res.set('www-authenticate', `Digest realm="${REALM}", nonce="${nonce}"`);
    const req = register();
    assert.equal(new DigestClient().authorize(req, res, { username: 'alice', password: 'secret' }), true);
    assert.equal(parseAuthValues(req.get('authorization')!)[0].params.has('qop'), false);
    assert.equal((await s.check(req)).ok, true);
    assert.equal((await s.check(req)).ok, false);
    const { s: strict } = server({ algorithms: ['MD5'], allowNoQop: false });
    assert.equal((await strict.check(req)).ok, false);
  });

  it('challenges credentials in an unknown scheme (RFC 4475 §3.3.7 regaut01)', async () => {
    const { s } = server();
    const r = await s.check(register([['authorization', 'NoOneKnowsThisScheme opaque-data=here']]));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'no-credentials');
      assert.equal(r.response.status, 401);
    }
  });

  it('ignores credentials for another realm', async () => {
    const { s } = server();
    const r = await s.check(register([['authorization', 'Digest username="alice", realm="other", nonce="x", uri="sip:example.com", response="00"']]));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'no-credentials');
  });

  it('rejects credentials computed for another method (HA2 covers the method)', async () => {
    const { s } = server();
    const res = await challengeOf(s);
    const req = register([], 'INVITE');
    new DigestClient().authorize(req, res, { username: 'alice', password: 'secret' });
    req.method = 'REGISTER';
    const r = await s.check(req);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'bad-credentials');
  });

  it('answers 400 when the uri directive differs from the Request-URI (RFC 7616 §3.4.6)', async () => {
    const { s } = server();
    const req = register([], 'REGISTER', 'sip:elsewhere.example.com');
    new DigestClient().authorize(req, await challengeOf(s), { username: 'alice', password: 'secret' });
    req.uri = 'sip:example.com';
    const r = await s.check(req);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.reason, 'uri-mismatch');
      assert.equal(r.response.status, 400);
    }
  });

  it('tolerates scheme/host case differences in the uri directive but not user-part ones', async () => {
    const { s } = server();
    const a = register([], 'REGISTER', 'SIP:EXAMPLE.com');
    new DigestClient().authorize(a, await challengeOf(s), { username: 'alice', password: 'secret' });
    a.uri = 'sip:example.com';
    // HA2 is computed over the uri directive, so only the comparison is at stake here.
    assert.equal((await s.check(a)).ok, true);
    const b = register([], 'INVITE', 'sip:Bob@example.com');
    new DigestClient().authorize(b, await challengeOf(s), { username: 'alice', password: 'secret' });
    b.uri = 'sip:bob@example.com';
    const r = await s.check(b);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.reason, 'uri-mismatch');
  });

  for (const [name, value] of [
    ['missing response', 'Digest username="alice", realm="example.com", nonce="n", uri="sip:example.com"'],
    ['qop without nc', 'Digest username="alice", realm="example.com", nonce="n", uri="sip:example.com", response="0", qop=auth, cnonce="c"'],
    ['bad nc', 'Digest username="alice", realm="example.com", nonce="n", uri="sip:example.com", response="0", qop=auth, cnonce="c", nc=1'],
    ['broken quoting', 'Digest username="alice, realm="example.com'],
  ]) {
    it(`answers 400 to malformed credentials: ${name}`, async () => {
      const { s } = server();
      const r = await s.check(register([['authorization', value]]));
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.reason, 'malformed');
        assert.equal(r.response.status, 400);
      }
    });
  }

  it('client refuses a challenge for another realm than its credentials, and non-challenges', async () => {
    const { s } = server();
    const res = await challengeOf(s);
    const c = new DigestClient();
    assert.equal(c.authorize(register(), res, { username: 'alice', password: 'secret', realm: 'other' }), false);
    res.status = 404;
    assert.equal(c.authorize(register(), res, { username: 'alice', password: 'secret' }), false);
  });
});

describe('DigestServer uri directive without a user part', () => {
  it('accepts a uri naming the Request-URI host without its user (SIPp 3.6 signs it that way)', async () => {
    const s = new DigestServer({ realm: 'example.com', lookup: async () => ({ password: 'secret' }) });
    const first = parseMessage(Buffer.from('INVITE sip:answer@example.com:5060 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:answer@example.com>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n')) as SipRequest;
    const ch = await s.check(first);
    assert.equal(ch.ok, false);
    const req = parseMessage(serialize(first)) as SipRequest;
    req.uri = 'sip:example.com:5060';
    if (!ch.ok) new DigestClient().authorize(req, ch.response, { username: 'alice', password: 'secret' });
    req.uri = 'sip:answer@example.com:5060';
    assert.equal((await s.check(req)).ok, true);
    req.uri = 'sip:answer@other.example.com:5060';
    assert.equal((await s.check(req)).ok, false);
  });
});
