import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeHmacSignature, contentHash, verifyHmac } from './hmac-auth.ts';

// vendor-apis.md A.10: generated with SDK 1.6.0 + communication-common 2.4.2, Date pinned.
const KEY = 'dGVzdC1hY2Nlc3Mta2V5LTAxMjM0NTY3ODk=';
const BODY = '{"incomingCallContext":"ctx","callbackUri":"https://bot.example/cb"}';
const DATE = 'Tue, 02 Jan 2024 03:04:05 GMT';
const PATH = '/calling/callConnections:answer?api-version=2025-06-15';
const HOST = 'acs.example.com:8443';
const SIG = '2KG71jyd73IOe6TM+b+ZsNtef5PEuKPQzj9I/Y5gn8o=';
const headers = {
  host: HOST, 'x-ms-date': DATE, 'x-ms-content-sha256': '4pieV2BgSlkOpCfX/VgZuu5jo62CJ0Ekf+ogBrEZMe8=',
  authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${SIG}`,
};
const now = Date.parse(DATE) + 1000;

test('the body hash and signature of the A.10 test vector', () => {
  assert.equal(contentHash(BODY), headers['x-ms-content-sha256']);
  assert.equal(computeHmacSignature(KEY, 'post', PATH, DATE, HOST, contentHash(BODY)), SIG);
});

test('accepts the vector with any of several keys (rotation), reports which one', () => {
  const other = Buffer.from('another-key').toString('base64');
  assert.deepEqual(verifyHmac({ method: 'POST', pathAndQuery: PATH, headers, body: BODY }, [other, KEY], { now }), { ok: true, keyIndex: 1 });
});

test('refuses a wrong key, a changed path, a changed body, a stale date and missing headers', () => {
  const other = Buffer.from('another-key').toString('base64');
  const r = (o: Partial<{ path: string; body: string; now: number; keys: string[]; headers: Record<string, string> }>) =>
    verifyHmac({ method: 'POST', pathAndQuery: o.path ?? PATH, headers: o.headers ?? headers, body: o.body ?? BODY }, o.keys ?? [KEY], { now: o.now ?? now });
  assert.deepEqual(r({ keys: [other] }), { ok: false, failure: 'BAD_SIGNATURE' });
  assert.deepEqual(r({ path: PATH.replace('answer', 'reject') }), { ok: false, failure: 'BAD_SIGNATURE' });
  assert.deepEqual(r({ body: BODY.replace('ctx', 'ctz') }), { ok: false, failure: 'BODY_HASH_MISMATCH' });
  assert.deepEqual(r({ now: now + 301_000 }), { ok: false, failure: 'STALE_DATE' });
  assert.deepEqual(r({ now: now - 302_000 }), { ok: false, failure: 'STALE_DATE' });
  assert.deepEqual(r({ headers: { ...headers, authorization: '' } }), { ok: false, failure: 'MISSING' });
  assert.deepEqual(r({ headers: { ...headers, authorization: 'Bearer x' } }), { ok: false, failure: 'MALFORMED' });
  assert.deepEqual(r({ keys: [] }), { ok: false, failure: 'BAD_SIGNATURE' });
});

test('the host the client signed may come in x-ms-host (recording downloads)', () => {
  const h = { ...headers, host: 'recordings.local', 'x-ms-host': HOST };
  assert.equal(verifyHmac({ method: 'POST', pathAndQuery: PATH, headers: h, body: BODY }, [KEY], { now }).ok, true);
});
