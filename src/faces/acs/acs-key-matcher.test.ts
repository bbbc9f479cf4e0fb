import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { systemClock } from '../../lib/index.ts';
import { AcsKeyMatcher, type ActiveAcsKey } from './acs-key-matcher.ts';
import { computeHmacSignature, contentHash } from './hmac-auth.ts';

const HOST = 'sb.example:8443';
const PATH = '/calling/callConnections/x?api-version=2025-06-15';

/** A request signed with `key` the way the SDK signs it (vendor-apis.md A.10). */
function signed(key: string, at: number, body = '{}') {
  const date = new Date(at).toUTCString();
  const hash = contentHash(body);
  return {
    method: 'GET', pathAndQuery: PATH, body,
    headers: {
      host: HOST, 'x-ms-date': date, 'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${computeHmacSignature(key, 'GET', PATH, date, HOST, hash)}`,
    },
  };
}

function fixture(apps = 5, keysPerApp = 3) {
  let now = Date.parse('2024-01-02T03:04:05Z');
  const active: ActiveAcsKey[] = [];
  for (let a = 0; a < apps; a++) for (let k = 0; k < keysPerApp; k++) active.push({ applicationId: `app-${a}`, key: randomBytes(32).toString('base64') });
  const m = new AcsKeyMatcher({ load: async () => [...active], clock: { now: () => now, setTimeout: systemClock.setTimeout } });
  return { m, active, advance: (ms: number) => { now += ms; }, now: () => now };
}

test('without a hint every key may be tried; the next request on the same connection costs one HMAC', async () => {
  const { m, active, now } = fixture();
  const last = active[active.length - 1];
  const conn = {};
  assert.deepEqual(await m.authenticate(signed(last.key, now()), { connection: conn }), { ok: true, applicationId: last.applicationId });
  assert.equal(m.stats.hmacs, active.length, 'the last key read is found after trying all');
  for (let i = 0; i < 10; i++) assert.equal((await m.authenticate(signed(last.key, now()), { connection: conn })).ok, true);
  assert.equal(m.stats.hmacs, active.length + 10, 'then one HMAC per request');
  assert.equal(m.stats.keyReads, 1);
});

test('a new connection from the same peer address costs one HMAC; several applications × several keys each get their own hint', async () => {
  const { m, active, now } = fixture(4, 3);
  for (const k of active) assert.equal((await m.authenticate(signed(k.key, now()), { connection: {}, peer: `10.0.0.${active.indexOf(k)}` })).ok, true);
  const before = m.stats.hmacs;
  for (const k of active) {
    const r = await m.authenticate(signed(k.key, now()), { connection: {}, peer: `10.0.0.${active.indexOf(k)}` });
    assert.deepEqual(r, { ok: true, applicationId: k.applicationId });
  }
  assert.equal(m.stats.hmacs - before, active.length, 'one HMAC per request once each peer has been seen');
});

test('a client that switches keys on a connection is found by the full search, then hinted', async () => {
  const { m, active, now } = fixture(2, 2);
  const conn = {};
  await m.authenticate(signed(active[0].key, now()), { connection: conn });
  const before = m.stats.hmacs;
  assert.deepEqual(await m.authenticate(signed(active[3].key, now()), { connection: conn }), { ok: true, applicationId: 'app-1' });
  assert.equal(m.stats.hmacs - before, 4, 'the stale hint, then keys 1–3 (key 0 is not tried twice)');
  await m.authenticate(signed(active[3].key, now()), { connection: conn });
  assert.equal(m.stats.hmacs - before, 5);
});

test('a revoked key that was the last good one is refused once the key read no longer lists it, and the hint is gone', async () => {
  const { m, active, now, advance } = fixture(2, 2);
  const conn = {};
  const victim = active[1];
  assert.equal((await m.authenticate(signed(victim.key, now()), { connection: conn, peer: 'p' })).ok, true);
  active.splice(1, 1);
  advance(1000); // the key read is 1 s old: the next request rereads
  const before = m.stats.hmacs;
  assert.deepEqual(await m.authenticate(signed(victim.key, now()), { connection: conn, peer: 'p' }), { ok: false, failure: 'BAD_SIGNATURE' });
  // Not the hint, only the 3 remaining keys — each once, though the mismatch reread the keys.
  assert.equal(m.stats.hmacs - before, 3);
  // The hint was dropped: another key of the same application on that connection is not slowed by it.
  const b = m.stats.hmacs;
  assert.equal((await m.authenticate(signed(active[0].key, now()), { connection: conn, peer: 'p' })).ok, true);
  assert.equal(m.stats.hmacs - b, 1);
});

test('a key issued after the read works at once (one reread), and the failures that need no key cost no HMAC', async () => {
  const { m, active, now, advance } = fixture(1, 1);
  await m.authenticate(signed(active[0].key, now()));
  const fresh: ActiveAcsKey = { applicationId: 'app-new', key: randomBytes(32).toString('base64') };
  active.unshift(fresh);
  assert.deepEqual(await m.authenticate(signed(fresh.key, now())), { ok: true, applicationId: 'app-new' });
  assert.equal(m.stats.keyReads, 2);
  const before = m.stats.hmacs;
  assert.deepEqual(await m.authenticate(signed(fresh.key, now() - 301_000)), { ok: false, failure: 'STALE_DATE' });
  const tampered = signed(fresh.key, now());
  tampered.body = '{"x":1}';
  assert.deepEqual(await m.authenticate(tampered), { ok: false, failure: 'BODY_HASH_MISMATCH' });
  assert.equal(m.stats.hmacs, before);
  advance(10);
  assert.deepEqual(await m.authenticate(signed(randomBytes(32).toString('base64'), now())), { ok: false, failure: 'BAD_SIGNATURE' });
  assert.equal(m.stats.hmacs - before, 2, 'an unknown key: each active key once over both reads');
});

test('peer hints are bounded: the least recently used address is forgotten', async () => {
  let now = Date.parse('2024-01-02T03:04:05Z');
  const active = [0, 1, 2].map((i) => ({ applicationId: `a${i}`, key: randomBytes(32).toString('base64') }));
  const m = new AcsKeyMatcher({ load: async () => active, maxPeers: 2, clock: { now: () => now, setTimeout: systemClock.setTimeout } });
  for (const p of ['p0', 'p1', 'p2']) await m.authenticate(signed(active[2].key, now), { peer: p });
  const before = m.stats.hmacs;
  await m.authenticate(signed(active[2].key, now), { peer: 'p2' });
  assert.equal(m.stats.hmacs - before, 1, 'p2 remembered');
  await m.authenticate(signed(active[2].key, now), { peer: 'p0' });
  assert.equal(m.stats.hmacs - before, 1 + 3, 'p0 forgotten: full search');
});
