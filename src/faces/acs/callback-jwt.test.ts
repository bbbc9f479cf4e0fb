import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, createVerify, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FakeClock } from '../../lib/index.ts';
import { CallbackJwtSigner, generateCallbackKey, jwkThumbprint } from './callback-jwt.ts';

/** What a bot does: pick the JWKS entry by the token's kid, check the RS256 signature; the claims. */
function verify(token: string, jwks: { keys: Record<string, unknown>[] }): { kid: string; claims: Record<string, unknown> } | undefined {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string; alg: string };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || header.alg !== 'RS256') return undefined;
  const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  if (!createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(s, 'base64url'))) return undefined;
  return { kid: header.kid, claims: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown> };
}

const DAY = 86_400_000;

test('RFC 7638 §3.1 thumbprint example', () => {
  const n = '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
  assert.equal(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB' }), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
});

test('in memory: a token verifies against the JWKS; kid, iss, aud, 5-minute lifetime', () => {
  const s = new CallbackJwtSigner({ now: () => 1_700_000_000_000 });
  const v = verify(s.sign('https://sb.example', 'app-1'), s.jwks());
  assert.equal(v?.kid, s.kid);
  assert.equal(v?.claims.iss, 'https://sb.example');
  assert.equal(v?.claims.aud, 'app-1');
  assert.equal(Number(v?.claims.exp) - Number(v?.claims.iat), 300);
  assert.equal(s.jwks().keys.length, 1);
});

test('with a key file: a second signer (the restarted node) has the same kid and verifies the first one\'s token', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sb-jwt-')), 'acs-callback-keys.json');
  const a = new CallbackJwtSigner({ keyFile: file });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const before = a.sign('https://sb.example', 'app-1');
  const b = new CallbackJwtSigner({ keyFile: file });
  assert.equal(b.kid, a.kid);
  assert.ok(verify(before, b.jwks()));
  assert.ok(verify(b.sign('https://sb.example', 'app-1'), a.jwks()));
  // Another data dir: another key, and the token does not verify there.
  const other = new CallbackJwtSigner({ keyFile: join(mkdtempSync(join(tmpdir(), 'sb-jwt-')), 'k.json') });
  assert.notEqual(other.kid, a.kid);
  assert.equal(verify(before, other.jwks()), undefined);
});

test('rotation: at rotateAfterMs a new kid signs; the old key stays in the JWKS for keepRetiredMs, then goes — across a reload too', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sb-jwt-')), 'acs-callback-keys.json');
  let now = 1_700_000_000_000;
  const opts = { keyFile: file, now: () => now, rotateAfterMs: 30 * DAY, keepRetiredMs: DAY, checkEveryMs: 0 };
  const s = new CallbackJwtSigner(opts);
  const oldKid = s.kid;
  const oldToken = s.sign('i', 'a');
  now += 30 * DAY - 1;
  assert.equal(await s.rotateIfDue(), false, 'not yet due');
  assert.equal(s.kid, oldKid);
  now += 1;
  // sign() never rotates (no key generation on the delivery path): the check does.
  assert.equal(verify(s.sign('i', 'a'), s.jwks())?.kid, oldKid);
  assert.equal(await s.rotateIfDue(), true);
  const newToken = s.sign('i', 'a');
  assert.notEqual(s.kid, oldKid);
  assert.deepEqual(s.jwks().keys.map((k) => k.kid), [s.kid, oldKid]);
  // The restarted node serves the same two keys and verifies both tokens.
  const reloaded = new CallbackJwtSigner(opts);
  assert.equal(reloaded.kid, s.kid);
  assert.equal(verify(oldToken, reloaded.jwks())?.kid, oldKid);
  assert.equal(verify(newToken, reloaded.jwks())?.kid, s.kid);
  now += DAY;
  assert.deepEqual(reloaded.jwks().keys.map((k) => k.kid), [s.kid], 'retired key dropped after keepRetiredMs');
  assert.equal(verify(oldToken, reloaded.jwks()), undefined);
});

test('a key older than rotateAfterMs at load is replaced at once; rotate() does it on demand', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sb-jwt-')), 'acs-callback-keys.json');
  let now = 1_700_000_000_000;
  const first = new CallbackJwtSigner({ keyFile: file, now: () => now }).kid;
  now += 91 * DAY;
  const s = new CallbackJwtSigner({ keyFile: file, now: () => now });
  assert.notEqual(s.kid, first);
  assert.deepEqual(s.jwks().keys.map((k) => k.kid), [s.kid, first]);
  const k2 = s.kid;
  s.rotate();
  assert.deepEqual(s.jwks().keys.map((k) => k.kid), [s.kid, k2, first]);
  assert.equal(new CallbackJwtSigner({ keyFile: file, now: () => now }).kid, s.kid, 'saved at once');
});

test('an unreadable key file fails loudly instead of silently changing the key', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'sb-jwt-')), 'acs-callback-keys.json');
  new CallbackJwtSigner({ keyFile: join(dirname(file), 'ok.json') });
  writeFileSync(file, '{"version":1,"current":{"privateKeyPem":"garbage","createdAt":0},"retired":[]}');
  assert.throws(() => new CallbackJwtSigner({ keyFile: file }), /acs-callback-keys\.json is unreadable.*move it away/);
  // A real key without a createdAt would never rotate: refused, not loaded.
  const good = JSON.parse(readFileSync(join(dirname(file), 'ok.json'), 'utf8')) as { current: Record<string, unknown> };
  delete good.current.createdAt;
  writeFileSync(file, JSON.stringify(good));
  assert.throws(() => new CallbackJwtSigner({ keyFile: file }), /unreadable \(not a version 1 key file\)/);
  // An EC key would sign nothing RS256 can verify: refused at load, not at the first callback.
  good.current.createdAt = 0;
  good.current.privateKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
  writeFileSync(file, JSON.stringify(good));
  assert.throws(() => new CallbackJwtSigner({ keyFile: file }), /unreadable \(current\.privateKeyPem is not an RSA key/);
  writeFileSync(file, 'not json');
  assert.throws(() => new CallbackJwtSigner({ keyFile: file }), /unreadable/);
});

test('the rotation timer: checks every checkEveryMs on the Clock, rotates once due, stops on close()', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const s = new CallbackJwtSigner({ clock, rotateAfterMs: 10 * DAY, checkEveryMs: DAY, initialKey: generateCallbackKey() });
  const first = s.kid;
  assert.equal(clock.pending(), 1, 'one check scheduled at start');
  clock.advance(9 * DAY);
  await new Promise((r) => setImmediate(r));
  assert.equal(s.kid, first, 'not due yet: nine checks, no rotation');
  clock.advance(DAY);
  // The new key is generated off the event loop: wait for it (bounded).
  for (let i = 0; i < 200 && s.kid === first; i++) await new Promise((r) => setTimeout(r, 10));
  assert.notEqual(s.kid, first, 'rotated by the timer');
  assert.deepEqual(s.jwks().keys.map((k) => k.kid), [s.kid, first]);
  await new Promise((r) => setImmediate(r));
  assert.equal(clock.pending(), 1, 'the next check is scheduled');
  s.close();
  assert.equal(clock.pending(), 0, 'close() cancels it');
  assert.equal(new CallbackJwtSigner({ clock, checkEveryMs: 0 }).kid.length > 0 && clock.pending(), 0, 'checkEveryMs 0: no timer');
});

test('without a key file, signers given the same initialKey share the kid (one key per process in the server)', () => {
  const key = generateCallbackKey();
  const a = new CallbackJwtSigner({ initialKey: key, checkEveryMs: 0 });
  const b = new CallbackJwtSigner({ initialKey: key, checkEveryMs: 0 });
  assert.equal(a.kid, b.kid);
  assert.ok(verify(a.sign('i', 'app'), b.jwks()));
});

test('retired[] entries are checked at load: a bad public key refuses the file; extra JWK members are never served', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-jwt-'));
  const file = join(dir, 'acs-callback-keys.json');
  let now = 1_700_000_000_000;
  const s = new CallbackJwtSigner({ keyFile: file, now: () => now, checkEveryMs: 0 });
  const retiredKid = s.kid;
  now += 1000;
  s.rotate();
  const good = readFileSync(file, 'utf8');
  type F = { retired: { kid: string; retiredAt: unknown; publicJwk: Record<string, unknown> }[] };
  const corrupt = (edit: (f: F) => void): void => {
    const f = JSON.parse(good) as F;
    edit(f);
    writeFileSync(file, JSON.stringify(f));
  };
  const load = () => new CallbackJwtSigner({ keyFile: file, now: () => now, checkEveryMs: 0 });
  // One character of the modulus changed: still a 2048-bit key, but not the one its kid names.
  corrupt((f) => { const n = f.retired[0].publicJwk.n as string; f.retired[0].publicJwk.n = `${n.slice(0, 10)}${n[10] === 'A' ? 'B' : 'A'}${n.slice(11)}`; });
  assert.throws(load, /acs-callback-keys\.json is unreadable \(retired\[0\]\.kid is not its key's thumbprint\).*move it away/);
  corrupt((f) => { f.retired[0].publicJwk = { kty: 'RSA', n: 42, e: 'AQAB' }; });
  assert.throws(load, /unreadable \(retired\[0\]\.publicJwk is not an RSA public JWK\)/);
  corrupt((f) => { f.retired[0].publicJwk = { kty: 'RSA', n: 'AQAB', e: 'AQAB' }; f.retired[0].kid = jwkThumbprint({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }); });
  assert.throws(load, /unreadable \(retired\[0\]\.publicJwk is not a usable key: 17-bit modulus\)/);
  corrupt((f) => { f.retired[0].retiredAt = 'yesterday'; });
  assert.throws(load, /unreadable \(retired\[0\] needs a kid and a numeric retiredAt\)/);
  corrupt((f) => { (f.retired as unknown[]).push(null); });
  assert.throws(load, /unreadable \(retired\[1\]/);
  // A private member smuggled into a retired JWK loads (the key is fine) but is not served.
  corrupt((f) => { f.retired[0].publicJwk.d = 'secret'; });
  const jwks = load().jwks();
  assert.deepEqual(jwks.keys.map((k) => k.kid), [s.kid, retiredKid]);
  assert.equal(jwks.keys[1].d, undefined);
  writeFileSync(file, good);
  assert.equal(load().kid, s.kid, 'the untouched file still loads');
});
